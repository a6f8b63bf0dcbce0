"""The orchestration worker: a per-instance inbox, a write-through state cache, episodes, in-memory dispatch.

Every message for an instance (a start, an activity result, a fired timer, a child's completion, or a raised
event / termination received from a control queue) goes to that instance's inbox. One drain task per busy
instance takes everything queued so far as one batch, classifies it (duplicates dropped), runs the
episode(s), saves the instance blob with its ETag, and only then dispatches the outgoing messages in memory
and deletes the batch's queue messages. A crash before the save loses only in-memory hand-offs, which
:mod:`local.durable.recovery` rebuilds from the saved history on the next start; queue messages reappear.

The cache holds the last saved state and ETag of each unfinished instance (this host owns every partition);
an ETag conflict drops the entry, reloads and retries the batch.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import uuid
from collections import Counter
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from azure.core.exceptions import AzureError
from azure.storage.queue import QueueMessage

from local.app_loader import LoadedApp
from local.durable.activities import ActivityWorker
from local.durable.clock import Clock
from local.durable.episode import EpisodeOutcome, continue_as_new, run_episode
from local.durable.errors import ConcurrencyConflict
from local.durable.history import EventType, HistoryEvent, parse_time
from local.durable.inbox import Verdict, classify, remember, split_episodes
from local.durable.messages import ControlMessage, Outgoing, StartChild, WorkItem, decode
from local.durable.recovery import parent_notice
from local.durable.state import InstanceState, RuntimeStatus
from local.durable.store import DurableStore
from local.host.logs import invocation_scope
from local.lean_queue import LeanQueue

log = logging.getLogger("local.durable")

RECEIVE_BATCH = 32  # the extension's controlQueueBatchSize
VISIBILITY_SECONDS = 60  # a client message stays hidden this long while its instance applies it
# what the pollers fetch: invisible this long (the extension's controlQueueVisibilityTimeout), and at most
# this many fetched and not yet done per control queue (its controlQueueBufferThreshold): a worker fetches no
# faster than it applies, so a fetched message's visibility does not run out while it waits in an inbox
CONTROL_QUEUE_VISIBILITY_SECONDS = 300
CONTROL_QUEUE_BUFFER = 256
MIN_IDLE_SECONDS = 0.05
MAX_IDLE_SECONDS = 1.0
MAX_DEFERRALS = 60  # a queue message deferred this often (by dequeue count) is dropped
MAX_MEMORY_DEFERRALS = 20  # an in-memory message deferred this often is dropped
DEFER_SECONDS = 0.5
CONFLICT_RETRIES = 3
FORWARD_ATTEMPTS = 3
INLINE_HISTORY_EVENTS = 150  # replays of shorter histories (~2-4 ms) run on the event loop


@dataclass
class Delivery:
    message: ControlMessage
    ack: tuple[LeanQueue, QueueMessage] | None = None  # the queue message to delete once persisted
    deferrals: int = 0


def _order(delivery: Delivery) -> int:
    kind = delivery.message.event["EventType"]
    return 0 if kind == EventType.EXECUTION_STARTED else 2 if kind == EventType.EXECUTION_TERMINATED else 1


class OrchestrationWorker:
    def __init__(
        self,
        app: LoadedApp,
        store: DurableStore,
        clock: Clock,
        max_concurrent: int,
        max_concurrent_activities: int,
        owned: frozenset[int] | None = None,
    ) -> None:
        self.app = app
        self.store = store
        self.clock = clock
        # the control partitions whose instances this process runs (all of them unless told)
        self.owned = frozenset(range(store.partitions)) if owned is None else owned
        self.activities = ActivityWorker(app, clock, max_concurrent_activities, self.deliver)
        self._semaphore = asyncio.Semaphore(max_concurrent)
        self._executor = ThreadPoolExecutor(
            max_workers=max(1, min(max_concurrent, 8)), thread_name_prefix="orch"
        )
        self._inbox: dict[str, list[Delivery]] = {}
        self._draining: set[str] = set()
        self._cache: dict[str, tuple[InstanceState, str]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._timers: set[asyncio.TimerHandle] = set()
        self.buffered: Counter[str] = Counter()  # control queue name -> its messages fetched, not yet done
        self.episodes = 0
        self.finished = 0

    def close(self) -> None:
        for handle in self._timers:
            handle.cancel()
        self._timers.clear()
        for task in self._tasks:
            task.cancel()
        self._executor.shutdown(wait=False, cancel_futures=True)

    # ---- entry points ----
    def owns(self, instance_id: str) -> bool:
        """Whether this process runs the instance (its control partition is one of ours)."""
        return self.store.partition_of(instance_id) in self.owned

    def deliver(self, message: ControlMessage, ack: tuple[LeanQueue, QueueMessage] | None = None) -> None:
        """Queue ``message`` for its instance (``ack``: delete that queue message once it is persisted); an
        instance another process runs gets it through its control queue."""
        if ack is None and not self.owns(message.instance_id):
            self.spawn(self._forward(message, 0.0))
            return
        if ack is not None:
            self.buffered[ack[0].queue_name] += 1
        self._enqueue(Delivery(message, ack))

    def deliver_at(self, message: ControlMessage, ack: tuple[LeanQueue, QueueMessage] | None = None) -> None:
        """Deliver a timer message when its ``fire_at`` is due on the engine clock."""
        assert message.fire_at is not None
        delay = self.clock.seconds_until(parse_time(message.fire_at))
        if delay <= 0:
            self.deliver(message, ack)
        elif ack is None and not self.owns(message.instance_id):
            self.spawn(self._forward(message, delay))
        else:
            if ack is not None:
                self.buffered[ack[0].queue_name] += 1
            self._later(Delivery(message, ack), delay)

    def dispatch(self, outgoing: list[Outgoing]) -> None:
        """Hand persisted outgoing messages to the workers (activities, timers, inboxes, child starts)."""
        for out in outgoing:
            if isinstance(out, WorkItem):
                self.activities.submit(out)
            elif isinstance(out, StartChild):
                self.spawn(self._start_child(out))
            elif out.fire_at is not None:
                self.deliver_at(out)
            else:
                self.deliver(out)

    def forget(self, instance_id: str) -> None:
        """Drop the cached state (the instance was replaced or purged by a client)."""
        self._cache.pop(instance_id, None)

    def remember_state(self, state: InstanceState, etag: str) -> None:
        if not state.is_terminal and self.owns(state.instance_id):
            self._cache[state.instance_id] = (state, etag)

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @property
    def busy(self) -> int:
        return len(self._draining)

    # ---- internals ----
    async def _forward(self, message: ControlMessage, delay: float) -> None:
        """Put ``message`` on its instance's control queue, for the process that runs it."""
        queue = self.store.control_queue_for(message.instance_id)
        for attempt in range(1, FORWARD_ATTEMPTS + 1):
            try:
                await self.store.send(queue, message.encode(), delay)
                return
            except Exception:
                log.warning("forwarding message %s (attempt %d) failed", message.id, attempt, exc_info=True)
                await asyncio.sleep(DEFER_SECONDS * attempt)
        # the saved states still imply it: its instance's owner re-derives it when it next starts
        log.error("could not forward message %s to instance %s", message.id, message.instance_id)

    def _enqueue(self, delivery: Delivery) -> None:
        instance_id = delivery.message.instance_id
        self._inbox.setdefault(instance_id, []).append(delivery)
        if instance_id not in self._draining:
            self._draining.add(instance_id)
            self.spawn(self._drain(instance_id))

    def _later(self, delivery: Delivery, delay: float) -> None:
        loop = asyncio.get_running_loop()

        def fire() -> None:
            self._timers.discard(handle)
            self._enqueue(delivery)

        handle = loop.call_later(delay, fire)
        self._timers.add(handle)

    async def _drain(self, instance_id: str) -> None:
        try:
            while batch := self._inbox.pop(instance_id, None):
                async with self._semaphore:
                    await self._process(instance_id, batch)
        finally:
            self._draining.discard(instance_id)

    async def _process(self, instance_id: str, batch: list[Delivery]) -> None:
        try:
            await self._process_batch(instance_id, batch)
        finally:  # applied and deleted, left on their queue, or back there after a failure: done here
            for delivery in batch:
                if delivery.ack is not None:
                    self.buffered[delivery.ack[0].queue_name] -= 1

    async def _process_batch(self, instance_id: str, batch: list[Delivery]) -> None:
        for attempt in range(1, CONFLICT_RETRIES + 1):
            try:
                await self._process_once(instance_id, sorted(batch, key=_order))
                return
            except ConcurrencyConflict as exc:
                self.forget(instance_id)
                log.warning("%s (attempt %d); reloading", exc, attempt)
            except Exception:
                self.forget(instance_id)
                log.exception("processing instance %s failed; retrying later", instance_id)
                break
        for delivery in batch:  # queue messages come back by themselves; in-memory ones are retried here
            if delivery.ack is not None:
                continue
            delivery.deferrals += 1
            if delivery.deferrals > MAX_MEMORY_DEFERRALS:
                log.error("giving up on message %s for %s", delivery.message.id, instance_id)
            else:
                self._later(delivery, DEFER_SECONDS)

    async def _load(self, instance_id: str) -> tuple[InstanceState | None, str | None]:
        cached = self._cache.get(instance_id)
        if cached is not None:
            return cached
        loaded = await self.store.load(instance_id)
        return loaded if loaded else (None, None)

    async def _process_once(self, instance_id: str, batch: list[Delivery]) -> None:
        state, etag = await self._load(instance_id)
        acknowledged: list[tuple[LeanQueue, QueueMessage]] = []
        deferred: list[Delivery] = []
        accepted: list[HistoryEvent] = []
        for delivery in batch:
            msg = delivery.message
            verdict = classify(state, msg, accepted)
            if verdict is Verdict.DEFER:
                if delivery.ack is not None and (delivery.ack[1].dequeue_count or 0) <= MAX_DEFERRALS:
                    continue  # left on its queue: it comes back after its visibility timeout
                if delivery.ack is None and delivery.deferrals < MAX_MEMORY_DEFERRALS:
                    delivery.deferrals += 1
                    deferred.append(delivery)
                    continue
                log.warning("dropping message %s deferred too often", msg.id)
                verdict = Verdict.DROP
            if delivery.ack is not None:
                acknowledged.append(delivery.ack)
            if verdict is Verdict.APPLY and state is not None:
                accepted.append(dict(msg.event, IsPlayed=False))
                if msg.event["EventType"] == EventType.EVENT_RAISED:
                    remember(state, msg.id)
        outgoing: list[Outgoing] = []
        if state is not None and accepted:
            try:
                outgoing = await self._apply(state, accepted)
                etag = await self.store.save(state, etag)
            except BaseException:
                self.forget(instance_id)  # the cached state was mutated by an episode that never got saved
                raise
            if state.is_terminal:
                self.forget(instance_id)
                self.finished += 1
            else:
                self._cache[instance_id] = (state, etag)
        self.dispatch(outgoing)
        for delivery in deferred:
            self._later(delivery, DEFER_SECONDS)
        if acknowledged:
            await asyncio.gather(
                *(self.store.delete_message(queue, message) for queue, message in acknowledged)
            )

    async def _apply(self, state: InstanceState, accepted: list[HistoryEvent]) -> list[Outgoing]:
        terminations = [e for e in accepted if e["EventType"] == EventType.EXECUTION_TERMINATED]
        events = [e for e in accepted if e["EventType"] != EventType.EXECUTION_TERMINATED]
        outgoing: list[Outgoing] = []
        episodes = split_episodes(state, events) if events else []
        for index, episode_events in enumerate(episodes):
            if state.is_terminal:
                break
            outcome = await self._episode(state, episode_events)
            outgoing.extend(outcome.outgoing)
            if not outcome.continued:
                continue
            # continued as new: raised events not consumed, and those later in this batch, move over with it
            later = [
                e
                for group in episodes[index + 1 :]
                for e in group
                if e["EventType"] == EventType.EVENT_RAISED
            ]
            while outcome.continued:
                carried = [*outcome.carried_over, *later]
                later = []
                start = continue_as_new(
                    state, outcome.continue_as_new_input, uuid.uuid4().hex, self.clock.now()
                )
                outcome = await self._episode(state, [start.event, *carried])
                outgoing.extend(outcome.outgoing)
            break
        if terminations and not state.is_terminal:
            outgoing.extend(self._terminate(state, terminations[0]))
        return outgoing

    async def _episode(self, state: InstanceState, new_events: list[HistoryEvent]) -> EpisodeOutcome:
        spec = self.app.functions.get(state.name)
        with invocation_scope(state.name, str(uuid.uuid4()), state.instance_id):
            if spec is None or spec.trigger_type != "orchestrationTrigger":
                log.error("orchestrator %s not found", state.name)

                def missing(_: str) -> str:
                    raise LookupError(
                        f"The function '{state.name}' doesn't exist, is disabled, or is not an orchestrator."
                    )

                handle = missing
            else:
                handle = spec.user_function
            now = self.clock.now()
            if len(state.history) < INLINE_HISTORY_EVENTS:  # a short replay costs less than a thread hop
                outcome = run_episode(state, new_events, handle, now)
            else:  # a long one would stall the event loop: run it in a thread, the log scope going along
                context = contextvars.copy_context()
                loop = asyncio.get_running_loop()
                outcome = await loop.run_in_executor(
                    self._executor, context.run, run_episode, state, new_events, handle, now
                )
            self.episodes += 1
            log.info(
                "orchestrator %s episode %d: %s, %d new events, %d messages out",
                state.name,
                state.episodes,
                state.status,
                len(new_events),
                len(outcome.outgoing),
            )
        return outcome

    def _terminate(self, state: InstanceState, terminated: HistoryEvent) -> list[Outgoing]:
        state.status = RuntimeStatus.TERMINATED
        state.output = terminated.get("Input")
        state.history.append(dict(terminated, IsPlayed=True))
        state.last_updated_time = terminated["Timestamp"]
        notice = parent_notice(state, self.clock.now())
        return [notice] if notice is not None else []

    async def _start_child(self, out: StartChild) -> None:
        """Create the child instance (idempotent by its deterministic execution id) and start it."""
        child = out.state
        try:
            etag = await self.store.save(child, None)
        except ConcurrencyConflict:
            existing = await self.store.load(child.instance_id)
            if existing is not None and existing[0].execution_id == child.execution_id:
                child, etag = existing  # created before (recovery after a crash)
                notice = parent_notice(child, self.clock.now())
                if notice is not None:  # it even finished, but its notice to the parent was lost
                    self.deliver(notice)
                    return
            else:  # another instance had that id: replace it, as the extension does
                try:
                    etag = await self.store.save(child, existing[1] if existing else None)
                except ConcurrencyConflict:
                    log.warning("sub-orchestration %s changed while being created", child.instance_id)
                    return
        self.remember_state(child, etag)
        self.deliver(out.start)


async def poll_control_queue(worker: OrchestrationWorker, store: DurableStore, queue: LeanQueue) -> None:
    """Feed one control queue's messages into the inboxes.

    Clients' messages are normally delivered in memory as they are sent (sent hidden, deleted once applied);
    this poller picks up those that a crash left behind, and anything another process enqueued.
    """
    idle = MIN_IDLE_SECONDS
    while True:
        room = CONTROL_QUEUE_BUFFER - worker.buffered[queue.queue_name]
        if room <= 0:
            await asyncio.sleep(MIN_IDLE_SECONDS)
            continue
        try:
            messages = await store.receive(queue, min(RECEIVE_BATCH, room), CONTROL_QUEUE_VISIBILITY_SECONDS)
        except AzureError as exc:  # storage busy or away: the poller backs off and goes on, never stops
            log.warning("polling control queue %s failed: %s", queue.queue_name, exc)
            messages = []
        if not messages:
            await asyncio.sleep(idle)
            idle = min(MAX_IDLE_SECONDS, idle * 2)
            continue
        idle = MIN_IDLE_SECONDS
        for message in messages:
            try:
                decoded = decode(message.content)
            except (ValueError, KeyError, TypeError):
                decoded = None
            if not isinstance(decoded, ControlMessage):
                log.warning("dropping malformed control message %s", message.id)
                try:
                    await store.delete_message(queue, message)
                except AzureError as exc:  # it comes back after its visibility, and is dropped then
                    log.warning("deleting malformed control message %s failed: %s", message.id, exc)
            elif decoded.fire_at is not None:
                worker.deliver_at(decoded, (queue, message))
            else:
                worker.deliver(decoded, (queue, message))
