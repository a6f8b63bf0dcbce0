"""Does Azurite's CPU per transaction grow with what it holds? A burst of N accounts leaves N trigger-queue
messages waiting and N durable instances in the task hub. For each size N in ``--sizes`` this starts an
Azurite of its own (in memory) and fills it with N blobs, N table entities and N queue messages (each blob
and entity holding 16 KiB, the entity's as one Edm.Binary property as the instance table's state chunks;
messages of 200 characters). Then, in ``--rounds`` rounds that take every size in turn, it sends each
Azurite the same probe traffic and reads that Azurite process's CPU time (``/proc/<pid>/stat``) around each
probe:

* ``blob``: Get Blob + conditional Put Blob (If-Match the ETag just read) of ``--probe`` held blobs;
* ``table``: Get Entity + conditional Update Entity (If-Match the ETag just read) of ``--probe`` held
  entities, through the engine's own client (:class:`local.durable.tables.LeanTable`);
* ``queue``: ``--probe`` messages received (32 a Get), deleted and sent again (the backlog keeps its size).

It prints what each Azurite held, then per probe kind and size the median of the rounds' Azurite CPU
milliseconds per transaction, its ratio to the smallest size's, and every round's figure.

    .venv/bin/python -m tests.bench.azurite_backlog --sizes 1000 10000 --probe 500 --rounds 3
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import random
import shutil
import statistics
from collections.abc import Awaitable, Callable, Coroutine
from functools import partial
from typing import Any

from azure.core import MatchConditions
from azure.storage.blob.aio import BlobServiceClient, ContainerClient
from azure.storage.queue.aio import QueueClient

from local import azurite
from local.durable.tables import LeanTable
from tests.bench.sweep_scale import cpu_seconds

IN_FLIGHT = 16
NAME = "backlog"  # the container, table and queue of every Azurite
PAYLOAD = os.urandom(16 * 1024)
PAYLOAD_BASE64 = base64.b64encode(PAYLOAD).decode()
MESSAGE = "m" * 200
KINDS = ("blob", "table", "queue")


async def _gathered(calls: list[Callable[[], Awaitable[Any]]], limit: int = IN_FLIGHT) -> None:
    gate = asyncio.Semaphore(limit)

    async def one(call: Callable[[], Awaitable[Any]]) -> None:
        async with gate:
            await call()

    await asyncio.gather(*(one(c) for c in calls))


def _table(connection_string: str) -> LeanTable:
    parts = azurite.connection_parts(connection_string)
    return LeanTable(azurite.table_endpoint(parts), parts["AccountName"], parts["AccountKey"], NAME)


def _entity(i: int, body: str) -> dict[str, Any]:
    return {"PartitionKey": f"held-{i}", "RowKey": "", "Body@odata.type": "Edm.Binary", "Body": body}


async def _fill(connection_string: str, size: int) -> None:
    """``size`` blobs, entities and messages in the container, table and queue named ``NAME``."""
    async with BlobServiceClient.from_connection_string(connection_string) as service:
        container = service.get_container_client(NAME)
        await container.create_container()
        await _gathered([partial(container.upload_blob, f"held-{i}", PAYLOAD) for i in range(size)])
    table = _table(connection_string)
    try:
        await table.create_table()
        await _gathered([partial(table.insert, _entity(i, PAYLOAD_BASE64)) for i in range(size)])
    finally:
        await table.close()
    async with QueueClient.from_connection_string(connection_string, NAME) as queue:
        await queue.create_queue()
        await _gathered([partial(queue.send_message, MESSAGE) for _ in range(size)])


async def _held(connection_string: str) -> tuple[int, int, int | None]:
    """What the Azurite holds: blobs, entities, messages (the queue's approximate count)."""
    async with BlobServiceClient.from_connection_string(connection_string) as service:
        blobs = len([b async for b in service.get_container_client(NAME).list_blobs()])
    table = _table(connection_string)
    try:
        entities = sum([len(page) async for page in table.query(["PartitionKey"])])
    finally:
        await table.close()
    async with QueueClient.from_connection_string(connection_string, NAME) as queue:
        messages = (await queue.get_queue_properties()).approximate_message_count
    return blobs, entities, messages


async def _get_put_blob(container: ContainerClient, name: str) -> None:
    downloader = await container.download_blob(name)
    body = await downloader.readall()
    etag = downloader.properties.etag
    await container.upload_blob(
        name, body, overwrite=True, etag=etag, match_condition=MatchConditions.IfNotModified
    )


async def _probe_blobs(connection_string: str, targets: list[int]) -> int:
    """Get + conditional Put of each target blob: the transactions made."""
    async with BlobServiceClient.from_connection_string(connection_string) as service:
        container = service.get_container_client(NAME)
        await _gathered([partial(_get_put_blob, container, f"held-{i}") for i in targets])
    return 2 * len(targets)


async def _get_replace_entity(table: LeanTable, i: int) -> None:
    found = await table.get(f"held-{i}")
    assert found is not None, f"entity held-{i} is missing"
    entity, etag = found
    await table.replace(_entity(i, entity["Body"]), etag)


async def _probe_table(connection_string: str, targets: list[int]) -> int:
    """Get + conditional replace of each target entity: the transactions made."""
    table = _table(connection_string)
    try:
        await _gathered([partial(_get_replace_entity, table, i) for i in targets])
    finally:
        await table.close()
    return 2 * len(targets)


async def _probe_queue(connection_string: str, probe: int) -> int:
    """``probe`` messages received (32 a Get), deleted and sent again (the backlog keeps its size): the
    transactions made."""
    transactions = received = 0
    async with QueueClient.from_connection_string(connection_string, NAME) as queue:
        while received < probe:
            batch = [m async for m in queue.receive_messages(messages_per_page=32, max_messages=32)]
            received += len(batch)
            await asyncio.gather(*(queue.delete_message(m) for m in batch))
            await asyncio.gather(*(queue.send_message(MESSAGE) for _ in batch))
            transactions += 1 + 2 * len(batch)
    return transactions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.azurite_backlog",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--probe", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    sizes: list[int] = sorted(set(args.sizes))
    if args.probe > sizes[0]:
        parser.error(f"--probe {args.probe} exceeds the smallest size {sizes[0]}: probes touch held items")
    results: dict[str, dict[int, list[float]]] = {kind: {size: [] for size in sizes} for kind in KINDS}
    held: dict[int, tuple[int, int, int | None]] = {}
    rng = random.Random(0)
    processes: list[azurite.AzuriteProcess] = []
    try:
        for size in sizes:
            process = azurite.start(f"backlog-{os.getpid()}-{size}", fresh=True, in_memory=True)
            processes.append(process)
            asyncio.run(_fill(process.connection_string, size))
            held[size] = asyncio.run(_held(process.connection_string))
        for _ in range(args.rounds):
            for size, process in zip(sizes, processes, strict=True):  # interleaved: every size in every round
                connection_string = process.connection_string
                probes: dict[str, Callable[[], Coroutine[Any, Any, int]]] = {
                    "blob": partial(_probe_blobs, connection_string, rng.sample(range(size), args.probe)),
                    "table": partial(_probe_table, connection_string, rng.sample(range(size), args.probe)),
                    "queue": partial(_probe_queue, connection_string, args.probe),
                }
                for kind, probe in probes.items():
                    before = cpu_seconds(process.process.pid)
                    transactions = asyncio.run(probe())
                    spent = cpu_seconds(process.process.pid) - before
                    results[kind][size].append(round(1000 * spent / transactions, 3))
    finally:
        for process in processes:
            process.stop()
            shutil.rmtree(process.location, ignore_errors=True)
    print(f"One in-memory Azurite per size; {args.probe} probes, {args.rounds} interleaved rounds.")
    for size, (blobs, entities, messages) in held.items():
        print(f"  Azurite of N = {size:>6} held {blobs} blobs, {entities} entities, {messages} messages")
    smallest = sizes[0]
    print("Azurite CPU ms per transaction (median of the rounds; ratio to N = smallest; every round):")
    for kind, by_size in results.items():
        medians = {size: statistics.median(values) for size, values in by_size.items()}
        for size, median in medians.items():
            ratio = median / medians[smallest] if medians[smallest] else float("nan")
            print(
                f"  {kind:>5} N = {size:>6}: {median:.3f} ms ({ratio:.2f}x N = {smallest}); {by_size[size]}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
