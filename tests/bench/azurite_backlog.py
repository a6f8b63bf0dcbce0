"""Does Azurite's CPU per transaction grow with what it holds? A burst of N accounts leaves N trigger-queue
messages waiting and N instance blobs in the task hub; this measures, on one in-memory Azurite, Azurite's
CPU milliseconds per transaction of the same probe traffic (Put + Get Blob of ``--probe`` blobs; Get +
Delete of ``--probe`` messages) beside a backlog of each size in ``--sizes``: medians of ``--rounds``.

    .venv/bin/python -m tests.bench.azurite_backlog --sizes 1000 10000 --probe 500 --rounds 3
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import time
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from azure.storage.blob.aio import BlobServiceClient, ContainerClient
from azure.storage.queue.aio import QueueClient

from local import azurite
from tests.bench.azurite_cost import BODY
from tests.bench.sweep_scale import cpu_seconds

IN_FLIGHT = 16


async def _gathered(calls: list[Callable[[], Awaitable[Any]]], limit: int = IN_FLIGHT) -> None:
    gate = asyncio.Semaphore(limit)

    async def one(call: Callable[[], Awaitable[Any]]) -> None:
        async with gate:
            await call()

    await asyncio.gather(*(one(c) for c in calls))


async def _fill(connection_string: str, size: int) -> str:
    """A container of ``size`` blobs and a queue of ``size`` messages, both named by the returned tag."""
    tag = f"backlog{time.monotonic_ns()}"
    async with BlobServiceClient.from_connection_string(connection_string) as service:
        container = service.get_container_client(tag)
        await container.create_container()
        blobs = [container.get_blob_client(f"held-{i}") for i in range(size)]
        await _gathered([partial(b.upload_blob, BODY) for b in blobs])
    async with QueueClient.from_connection_string(connection_string, tag) as queue:
        await queue.create_queue()
        await _gathered([partial(queue.send_message, "m" * 200) for _ in range(size)])
    return tag


async def _put_get(container: ContainerClient, name: str) -> None:
    client = container.get_blob_client(name)
    await client.upload_blob(BODY, overwrite=True)
    await (await client.download_blob()).readall()


async def _probe_blobs(connection_string: str, tag: str, probe: int, round_number: int) -> int:
    """``probe`` Put + Get Blob beside the held blobs: the transactions made."""
    async with BlobServiceClient.from_connection_string(connection_string) as service:
        container = service.get_container_client(tag)
        await _gathered([partial(_put_get, container, f"probe-{round_number}-{i}") for i in range(probe)])
    return 2 * probe


async def _probe_queue(connection_string: str, tag: str, probe: int) -> int:
    """``probe`` messages received (32 a Get), deleted and sent again (the backlog keeps its size): the
    transactions made."""
    transactions = received = 0
    async with QueueClient.from_connection_string(connection_string, tag) as queue:
        while received < probe:
            batch = [m async for m in queue.receive_messages(messages_per_page=32, max_messages=32)]
            received += len(batch)
            await asyncio.gather(*(queue.delete_message(m) for m in batch))
            await asyncio.gather(*(queue.send_message("m" * 200) for _ in batch))
            transactions += 1 + 2 * len(batch)
    return transactions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.azurite_backlog", description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--probe", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    process = azurite.start(f"backlog-{os.getpid()}", fresh=True, in_memory=True)
    results: dict[str, dict[int, list[float]]] = {k: {n: [] for n in args.sizes} for k in ("blob", "queue")}
    try:
        tags = {size: asyncio.run(_fill(process.connection_string, size)) for size in args.sizes}
        for round_number in range(args.rounds):
            for size, tag in tags.items():  # interleaved: every size in every round
                probes = {
                    "blob": partial(_probe_blobs, process.connection_string, tag, args.probe, round_number),
                    "queue": partial(_probe_queue, process.connection_string, tag, args.probe),
                }
                for kind, probe in probes.items():
                    before = cpu_seconds(process.process.pid)
                    transactions = asyncio.run(probe())
                    spent = cpu_seconds(process.process.pid) - before
                    results[kind][size].append(round(1000 * spent / transactions, 3))
    finally:
        process.stop()
        shutil.rmtree(process.location, ignore_errors=True)
    print(
        f"Azurite (in memory) CPU per transaction beside a backlog of N blobs and N messages "
        f"({args.probe} probes, {args.rounds} interleaved rounds, medians):"
    )
    smallest = min(args.sizes)
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
