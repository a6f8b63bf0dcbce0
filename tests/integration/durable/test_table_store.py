"""The durable engine's instance table on a real Azurite: ETag concurrency, inline chunks, the overflow blob,
deletion and listing (``local.durable.store.DurableStore``)."""

from __future__ import annotations

import asyncio
import base64
import random
import uuid
import zlib
from datetime import UTC, datetime

import orjson
import pytest

from local.durable.actions import new_instance
from local.durable.errors import ConcurrencyConflict
from local.durable.history import EventType, event
from local.durable.state import InstanceState, ParentRef, RetryState, RuntimeStatus
from local.durable.store import CHUNK_BYTES, MAX_CHUNKS, DurableStore, partition_key

pytestmark = pytest.mark.integration

INLINE_LIMIT = CHUNK_BYTES * MAX_CHUNKS
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ODD_IDS = [
    "odd/slash",
    "odd\\back",
    "odd#hash",
    "odd?query",
    "odd%25pct",
    "odd'quote",
    "odd\ttab",
    "odd-ünï-名",
]


def make_state(
    instance_id: str,
    *,
    noise_bytes: int = 0,
    events: int = 1,
    seed: int = 0,
    custom_status: object = None,
    name: str = "orchestrator",
    status: RuntimeStatus = RuntimeStatus.RUNNING,
) -> InstanceState:
    """A state whose history holds ``events`` scheduled tasks, their inputs ``noise_bytes`` random bytes in
    all (base64: zlib cannot shrink them much), plus a parent, a retry and seen message ids."""
    state = new_instance(instance_id, name, '{"x": 1}', uuid.uuid4().hex, NOW)
    state.status = status
    state.custom_status = custom_status
    state.parent = ParentRef("parent/id", "exec-1", 7)
    state.retries = {"3": RetryState("activity", "read_resource", '"in"', {"max": 3}, attempt=2)}
    state.seen_message_ids = ["m-1", "m-2"]
    rng = random.Random(seed)
    per_event = noise_bytes // events
    for i in range(events):
        noise = base64.b64encode(rng.randbytes(per_event)).decode()
        state.history.append(event(EventType.TASK_SCHEDULED, NOW, i, Name="read_resource", Input=noise))
    state.next_event_id = events
    return state


def compressed_size(state: InstanceState) -> int:
    """What ``DurableStore.save`` compresses the state to."""
    return len(zlib.compress(orjson.dumps(state.to_json(), option=orjson.OPT_NON_STR_KEYS), 1))


def overflowing(instance_id: str, seed: int = 0) -> InstanceState:
    state = make_state(instance_id, noise_bytes=1_100_000, events=40, seed=seed)
    assert compressed_size(state) > INLINE_LIMIT  # the premise: it cannot be inlined
    return state


async def blob_names(store: DurableStore) -> list[str]:
    return sorted([blob.name async for blob in store.container.list_blobs()])


async def stored_entity(store: DurableStore, instance_id: str) -> dict[str, object]:
    found = await store.instances.get(partition_key(instance_id))
    assert found is not None
    return found[0]


@pytest.mark.parametrize("instance_id", ["plain-instance", *ODD_IDS])
async def test_create_only_save_then_load_round_trips(store: DurableStore, instance_id: str) -> None:
    state = make_state(instance_id, noise_bytes=300, custom_status={"step": "two"})
    etag = await store.save(state, None)
    loaded = await store.load(instance_id)
    assert loaded is not None
    assert loaded == (state, etag)
    assert await store.load(instance_id + "-other") is None


async def test_a_save_from_a_stale_etag_conflicts_and_keeps_the_newer_state(store: DurableStore) -> None:
    first = await store.save(make_state("stale", custom_status=1), None)
    second_state = make_state("stale", custom_status=2)
    second = await store.save(second_state, first)
    assert second != first
    with pytest.raises(ConcurrencyConflict):
        await store.save(make_state("stale", custom_status=3), first)
    assert await store.load("stale") == (second_state, second)


async def test_a_conditional_save_of_a_deleted_instance_conflicts(store: DurableStore) -> None:
    etag = await store.save(make_state("gone"), None)
    assert await store.delete("gone")
    with pytest.raises(ConcurrencyConflict):
        await store.save(make_state("gone"), etag)
    assert await store.load("gone") is None


async def test_a_create_only_save_of_an_existing_id_conflicts(store: DurableStore) -> None:
    original = make_state("exists", custom_status="original")
    etag = await store.save(original, None)
    with pytest.raises(ConcurrencyConflict):
        await store.save(make_state("exists", custom_status="intruder"), None)
    assert await store.load("exists") == (original, etag)


async def _race(store: DurableStore, states: list[InstanceState], etag: str) -> list[str | BaseException]:
    return await asyncio.gather(*(store.save(s, etag) for s in states), return_exceptions=True)


@pytest.mark.parametrize("trial", range(5))
async def test_of_ten_concurrent_replaces_from_one_etag_exactly_one_wins(
    store: DurableStore, trial: int
) -> None:
    instance_id = f"race-{trial}"
    etag = await store.save(make_state(instance_id), None)
    contenders = [make_state(instance_id, custom_status=i) for i in range(10)]
    outcomes = await _race(store, contenders, etag)
    winners = [i for i, outcome in enumerate(outcomes) if isinstance(outcome, str)]
    assert len(winners) == 1, outcomes
    assert all(isinstance(o, ConcurrencyConflict) for i, o in enumerate(outcomes) if i != winners[0])
    assert await store.load(instance_id) == (contenders[winners[0]], outcomes[winners[0]])


@pytest.mark.parametrize("trial", range(2))
async def test_concurrent_overflowing_replaces_leave_only_the_winners_blob(
    store: DurableStore, trial: int
) -> None:
    instance_id = f"race-big-{trial}"
    etag = await store.save(overflowing(instance_id), None)
    contenders = [overflowing(instance_id, seed=i + 1) for i in range(10)]
    outcomes = await _race(store, contenders, etag)
    winners = [i for i, outcome in enumerate(outcomes) if isinstance(outcome, str)]
    assert len(winners) == 1, outcomes
    assert await store.load(instance_id) == (contenders[winners[0]], outcomes[winners[0]])
    assert await blob_names(store) == [(await stored_entity(store, instance_id))["Overflow"]]


async def test_a_state_of_several_chunks_round_trips_inline(store: DurableStore) -> None:
    state = make_state("chunked", noise_bytes=300_000, events=10)
    size = compressed_size(state)
    assert CHUNK_BYTES < size <= INLINE_LIMIT
    etag = await store.save(state, None)
    entity = await stored_entity(store, "chunked")
    assert entity["Chunks"] == -(-size // CHUNK_BYTES)
    assert "Overflow" not in entity
    assert await blob_names(store) == []
    assert await store.load("chunked") == (state, etag)


def _nearly_inline_limit(instance_id: str) -> InstanceState:
    """A state that compresses to between 14.5 and 15 chunks: the largest the entity holds inline."""
    noise = 1_000_000
    for _ in range(10):
        state = make_state(instance_id, noise_bytes=noise, events=1)
        size = compressed_size(state)
        if INLINE_LIMIT - CHUNK_BYTES // 2 < size <= INLINE_LIMIT:
            return state
        noise = int(noise * (INLINE_LIMIT - CHUNK_BYTES // 4) / size)
    raise AssertionError("no state of the wanted size found")


async def test_a_state_of_fifteen_chunks_fits_in_the_entity(store: DurableStore) -> None:
    state = _nearly_inline_limit("fifteen")
    etag = await store.save(state, None)
    entity = await stored_entity(store, "fifteen")
    assert entity["Chunks"] == MAX_CHUNKS
    assert await store.load("fifteen") == (state, etag)


@pytest.mark.parametrize("instance_id", ["big-plain", "big/odd#?%'ü"])
async def test_an_overflowing_state_round_trips_through_one_blob_that_its_replacement_deletes(
    azurite_connection_string: str, store: DurableStore, instance_id: str
) -> None:
    state = overflowing(instance_id)
    etag = await store.save(state, None)
    entity = await stored_entity(store, instance_id)
    assert "State0" not in entity and "Chunks" not in entity
    first_blob = entity["Overflow"]
    assert await blob_names(store) == [first_blob]
    assert await store.load(instance_id) == (state, etag)

    # replaced from the ETag its own save returned: the first blob goes
    second_state = overflowing(instance_id, seed=1)
    second = await store.save(second_state, etag)
    second_blob = (await stored_entity(store, instance_id))["Overflow"]
    assert second_blob != first_blob
    assert await blob_names(store) == [second_blob]
    assert await store.load(instance_id) == (second_state, second)

    # replaced by another store (another engine) from the ETag its load returned: the second blob goes
    other = DurableStore(azurite_connection_string, store.prefix)  # the same task hub
    try:
        loaded = await other.load(instance_id)
        assert loaded == (second_state, second)
        third_state = overflowing(instance_id, seed=2)
        third = await other.save(third_state, second)
        third_blob = (await stored_entity(store, instance_id))["Overflow"]
        assert third_blob != second_blob
        assert await blob_names(store) == [third_blob]

        # back to inline: no blob left
        small = make_state(instance_id, noise_bytes=100)
        fourth = await other.save(small, third)
    finally:
        await other.close()
    assert await blob_names(store) == []
    assert await store.load(instance_id) == (small, fourth)


async def test_delete_removes_the_entity_and_its_blobs_only(store: DurableStore) -> None:
    for instance_id in ("doomed", "doomed2", "doomed/child"):
        await store.save(overflowing(instance_id), None)
    kept = {
        str((await stored_entity(store, instance_id))["Overflow"])
        for instance_id in ("doomed2", "doomed/child")
    }
    assert len(await blob_names(store)) == 3
    assert await store.delete("doomed")
    assert await store.load("doomed") is None
    assert await store.instances.get(partition_key("doomed")) is None
    assert set(await blob_names(store)) == kept
    assert not await store.delete("doomed")
    assert await store.load("doomed2") is not None


async def _summaries(store: DurableStore, prefix: str | None = None) -> dict[str, tuple[str, str, str]]:
    return {
        summary.instance_id: (summary.name, summary.status, summary.created_time)
        async for summary in store.list_summaries(prefix)
    }


async def test_list_summaries_with_and_without_a_prefix(store: DurableStore) -> None:
    ids = [f"batch{suffix}" for suffix in ("", "-1", "-2", "/3", "#4", "?5", "%6", "'7", "\\8", "\t9", "ü10")]
    others = ["bat", "batci", "batcg", "other", "batch%2", "xbatch"]
    states = [
        make_state(i, name=f"name-{n}", status=RuntimeStatus.COMPLETED) for n, i in enumerate(ids + others)
    ]
    await asyncio.gather(*(store.save(s, None) for s in states))
    expected = {s.instance_id: (s.name, str(s.status), s.created_time) for s in states}

    assert await _summaries(store) == expected
    assert set(await _summaries(store, "batch")) == set(ids) | {"batch%2"}
    assert set(await _summaries(store, "batch-")) == {"batch-1", "batch-2"}
    assert set(await _summaries(store, "batch/")) == {"batch/3"}
    assert set(await _summaries(store, "batch#")) == {"batch#4"}
    assert set(await _summaries(store, "batch?")) == {"batch?5"}
    assert set(await _summaries(store, "batch%")) == {"batch%6", "batch%2"}
    assert set(await _summaries(store, "batch'")) == {"batch'7"}
    assert set(await _summaries(store, "batch\\")) == {"batch\\8"}
    assert set(await _summaries(store, "batch\t")) == {"batch\t9"}
    assert set(await _summaries(store, "batchü")) == {"batchü10"}
    assert await _summaries(store, "nothing-here") == {}


async def test_list_summaries_follows_the_continuation_past_a_page(store: DurableStore) -> None:
    paged = [f"page/{i:04d}" for i in range(1_010)]
    gate = asyncio.Semaphore(32)

    async def save(instance_id: str) -> None:
        async with gate:
            await store.save(make_state(instance_id), None)

    await asyncio.gather(*(save(i) for i in [*paged, "zz-last"]))
    before = store.transactions["table.query"]
    assert set(await _summaries(store)) == {*paged, "zz-last"}
    assert store.transactions["table.query"] - before >= 2  # more than one page was read
    assert set(await _summaries(store, "page/")) == set(paged)


async def test_a_prefix_ending_in_the_highest_characters_lists_its_ids(store: DurableStore) -> None:
    ids = ["a\ud7ffz", "a\uffffz", "a\U0010ffffz"]
    await asyncio.gather(*(store.save(make_state(i), None) for i in [*ids, "b"]))
    assert set(await _summaries(store, "a\ud7ff")) == {"a\ud7ffz"}
    assert set(await _summaries(store, "a\uffff")) == {"a\uffffz"}
    assert set(await _summaries(store, "a\U0010ffff")) == {"a\U0010ffffz"}
