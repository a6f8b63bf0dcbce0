"""The control-queue worker: receives orchestration messages, runs episodes, persists, then acknowledges.

Order of effects for a batch of one instance's messages: run the episode(s) in memory, send every outgoing
message, save the instance with its ETag, and only then delete the incoming messages. A crash at any point
leaves the incoming messages on the queue; replaying them is deterministic and duplicates are dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

from azure.storage.queue import QueueMessage
from azure.storage.queue.aio import QueueClient

from local.app_loader import LoadedApp
from local.durable.clock import Clock
from local.durable.episode import EpisodeOutcome, continue_as_new, run_episode
from local.durable.errors import ConcurrencyConflict
from local.durable.history import EventType, HistoryEvent, event, parse_time
from local.durable.inbox import Verdict, classify, remember, split_episodes
from local.durable.messages import ControlMessage, Outgoing, StartChild, WorkItem, decode
from local.durable.state import InstanceState, RuntimeStatus
from local.durable.store import DurableStore

log = logging.getLogger("local.durable")

VISIBILITY_SECONDS = 10
RECEIVE_BATCH = 32
HOLD_TIMER_SECONDS = (
    2.0  # an early timer due within this many real seconds is held in memory, else re-enqueued
)
MAX_DEFERRALS = 60

Item = tuple[QueueMessage, ControlMessage]


def _order(item: Item) -> int:
    kind = item[1].event["EventType"]
    return 0 if kind == EventType.EXECUTION_STARTED else 2 if kind == EventType.EXECUTION_TERMINATED else 1


class OrchestrationWorker:
    def __init__(self, app: LoadedApp, store: DurableStore, clock: Clock, max_concurrent: int) -> None:
        self.app = app
        self.store = store
        self.clock = clock
        self._semaphore = asyncio.Semaphore(max_concurrent)
        self._executor = ThreadPoolExecutor(
            max_workers=max(1, min(max_concurrent, 8)), thread_name_prefix="orch"
        )
        self._locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._users: dict[str, int] = defaultdict(int)
        self._held: set[asyncio.Task[None]] = set()
        self.episodes = 0

    def close(self) -> None:
        for task in self._held:
            task.cancel()
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def run_partition(self, queue: QueueClient) -> None:
        idle = 0.01
        while True:
            messages = await self.store.receive(queue, RECEIVE_BATCH, VISIBILITY_SECONDS)
            if not messages:
                await asyncio.sleep(idle)
                idle = min(0.25, idle * 2)
                continue
            idle = 0.01
            groups: dict[str, list[Item]] = defaultdict(list)
            for message in messages:
                item = await self._admit(queue, message)
                if item is not None:
                    groups[item[1].instance_id].append(item)
            await asyncio.gather(*(self.process(queue, iid, items) for iid, items in groups.items()))

    async def _admit(self, queue: QueueClient, message: QueueMessage) -> Item | None:
        try:
            decoded = decode(message.content)
        except (ValueError, KeyError, TypeError):
            log.warning("dropping malformed control message %s", message.id)
            await self.store.delete_message(queue, message)
            return None
        if not isinstance(decoded, ControlMessage):
            await self.store.delete_message(queue, message)
            return None
        if decoded.fire_at is not None:
            remaining = self.clock.seconds_until(parse_time(decoded.fire_at))
            if remaining > HOLD_TIMER_SECONDS:  # not due yet (e.g. beyond the 7-day queue limit): send again
                await self.store.send(queue, decoded.encode(), remaining)
                await self.store.delete_message(queue, message)
                return None
            if remaining > 0:
                task = asyncio.create_task(self._hold(queue, message, decoded, remaining))
                self._held.add(task)
                task.add_done_callback(self._held.discard)
                return None
        return message, decoded

    async def _hold(
        self, queue: QueueClient, message: QueueMessage, decoded: ControlMessage, delay: float
    ) -> None:
        await asyncio.sleep(delay)
        await self.process(queue, decoded.instance_id, [(message, decoded)])

    async def process(self, queue: QueueClient, instance_id: str, items: list[Item]) -> None:
        self._users[instance_id] += 1
        try:
            async with self._semaphore, self._locks[instance_id]:
                await self._process_locked(queue, instance_id, sorted(items, key=_order))
        except ConcurrencyConflict as exc:
            log.warning("%s; its messages will be redelivered", exc, extra={"instance_id": instance_id})
        finally:
            self._users[instance_id] -= 1
            if self._users[instance_id] <= 0:
                self._users.pop(instance_id, None)
                self._locks.pop(instance_id, None)

    async def _process_locked(self, queue: QueueClient, instance_id: str, items: list[Item]) -> None:
        loaded = await self.store.load(instance_id)
        state, etag = loaded if loaded else (None, None)
        acknowledged: list[QueueMessage] = []
        accepted: list[HistoryEvent] = []
        for message, msg in items:
            verdict = classify(state, msg, accepted)
            if verdict is Verdict.DEFER and (message.dequeue_count or 0) > MAX_DEFERRALS:
                log.warning(
                    "dropping message %s deferred too often", msg.id, extra={"instance_id": instance_id}
                )
                verdict = Verdict.DROP
            if verdict is Verdict.DEFER:
                continue
            acknowledged.append(message)
            if verdict is Verdict.APPLY and state is not None:
                accepted.append(dict(msg.event, IsPlayed=False))
                if msg.event["EventType"] == EventType.EVENT_RAISED:
                    remember(state, msg.id)
        outgoing: list[Outgoing] = []
        if state is not None and accepted:
            outgoing = await self._apply(state, accepted)
            await asyncio.gather(*(self._send(out) for out in outgoing))
            await self.store.save(state, etag)
        await asyncio.gather(*(self.store.delete_message(queue, message) for message in acknowledged))

    async def _apply(self, state: InstanceState, accepted: list[HistoryEvent]) -> list[Outgoing]:
        terminations = [e for e in accepted if e["EventType"] == EventType.EXECUTION_TERMINATED]
        events = [e for e in accepted if e["EventType"] != EventType.EXECUTION_TERMINATED]
        outgoing: list[Outgoing] = []
        if events:
            execution = state.execution_id
            for episode_events in split_episodes(state, events):
                if state.is_terminal or state.execution_id != execution:
                    break  # finished (or continued as new): later events belonged to the old execution
                outcome = await self._episode(state, episode_events)
                outgoing.extend(outcome.outgoing)
                while outcome.continued:
                    start = continue_as_new(
                        state, outcome.continue_as_new_input, uuid.uuid4().hex, self.clock.now()
                    )
                    outcome = await self._episode(state, [start.event])
                    outgoing.extend(outcome.outgoing)
        if terminations and not state.is_terminal:
            outgoing.extend(self._terminate(state, terminations[0]))
        return outgoing

    async def _episode(self, state: InstanceState, new_events: list[HistoryEvent]) -> EpisodeOutcome:
        spec = self.app.functions.get(state.name)
        invocation_id = str(uuid.uuid4())
        extra = {"function": state.name, "invocation_id": invocation_id, "instance_id": state.instance_id}
        if spec is None or spec.trigger_type != "orchestrationTrigger":
            log.error("orchestrator %s not found", state.name, extra=extra)

            def missing(_: str) -> str:
                raise LookupError(
                    f"The function '{state.name}' doesn't exist, is disabled, or is not an orchestrator."
                )

            handle = missing
        else:
            handle = spec.user_function
        now = self.clock.now()
        loop = asyncio.get_running_loop()
        outcome = await loop.run_in_executor(self._executor, run_episode, state, new_events, handle, now)
        self.episodes += 1
        log.info(
            "orchestrator %s episode %d: %s, %d new events, %d messages out",
            state.name,
            state.episodes,
            state.status,
            len(new_events),
            len(outcome.outgoing),
            extra=extra,
        )
        return outcome

    def _terminate(self, state: InstanceState, terminated: HistoryEvent) -> list[Outgoing]:
        now = self.clock.now()
        reason = terminated.get("Input")
        state.status = RuntimeStatus.TERMINATED
        state.output = reason
        state.history.append(dict(terminated, IsPlayed=True))
        state.last_updated_time = terminated["Timestamp"]
        if state.parent is None:
            return []
        failed = event(
            EventType.SUB_ORCHESTRATION_FAILED,
            now,
            -1,
            TaskScheduledId=state.parent.task_scheduled_id,
            Reason=f"Sub-orchestration '{state.instance_id}' was terminated: {reason}",
            Details=None,
        )
        return [
            ControlMessage(
                state.parent.instance_id, state.parent.execution_id, failed, scheduled_name=state.name
            )
        ]

    async def _send(self, out: Outgoing) -> None:
        if isinstance(out, WorkItem):
            await self.store.send(self.store.work_queue, out.encode())
        elif isinstance(out, ControlMessage):
            delay = self.clock.seconds_until(parse_time(out.fire_at)) if out.fire_at else 0.0
            await self.store.send(self.store.control_queue_for(out.instance_id), out.encode(), delay)
        elif isinstance(out, StartChild):
            await self._start_child(out)

    async def _start_child(self, out: StartChild) -> None:
        existing = await self.store.load(out.state.instance_id)
        if existing is None or existing[0].execution_id != out.state.execution_id:
            with contextlib.suppress(ConcurrencyConflict):
                await self.store.save(out.state, existing[1] if existing else None)
        await self.store.send(self.store.control_queue_for(out.state.instance_id), out.start.encode())
