"""Azurite's CPU per storage transaction, persisted to disk against in memory (``--inMemoryPersistence``),
measured side by side: the task hub's hot path (conditional Put Blob of an instance, Get Blob) and the
trigger queue's (Put / Get / Delete Message), the same count on each, interleaved rounds; medians of Azurite's
CPU milliseconds per transaction (from /proc).

    .venv/bin/python -m tests.bench.azurite_cost --transactions 2000 --rounds 3
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import time

from azure.storage.blob.aio import BlobServiceClient
from azure.storage.queue.aio import QueueClient

from local import azurite
from tests.bench.sweep_scale import cpu_seconds

BODY = b'{"history": [' + b'{"EventType": 4, "Name": "read_resource", "Input": "x"},' * 40 + b"{}]}"


async def _traffic(connection_string: str, transactions: int) -> None:
    per_kind = transactions // 5
    async with BlobServiceClient.from_connection_string(connection_string) as service:
        container = service.get_container_client(f"cost{time.monotonic_ns()}")
        await container.create_container()
        gate = asyncio.Semaphore(16)

        async def blob(i: int) -> None:
            async with gate:
                client = container.get_blob_client(f"instance-{i}")
                await client.upload_blob(BODY, overwrite=True)
                await (await client.download_blob()).readall()

        await asyncio.gather(*(blob(i) for i in range(per_kind)))
    async with QueueClient.from_connection_string(connection_string, f"cost{time.monotonic_ns()}") as queue:
        await queue.create_queue()
        await asyncio.gather(*(queue.send_message("m" * 200) for _ in range(per_kind)))
        received = 0
        while received < per_kind:
            batch = [m async for m in queue.receive_messages(messages_per_page=32, max_messages=32)]
            received += len(batch)
            await asyncio.gather(*(queue.delete_message(m) for m in batch))


def measure(process: azurite.AzuriteProcess, transactions: int) -> float:
    """Azurite's CPU milliseconds per transaction for one round of traffic."""
    before = cpu_seconds(process.process.pid)
    asyncio.run(_traffic(process.connection_string, transactions))
    return 1000 * (cpu_seconds(process.process.pid) - before) / transactions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.azurite_cost", description=__doc__)
    parser.add_argument("--transactions", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    started: dict[str, azurite.AzuriteProcess] = {}
    results: dict[str, list[float]] = {"disk": [], "memory": []}
    try:
        started["disk"] = azurite.start(f"cost-disk-{os.getpid()}", fresh=True)
        started["memory"] = azurite.start(f"cost-memory-{os.getpid()}", fresh=True, in_memory=True)
        for _ in range(args.rounds):
            for name, process in started.items():
                results[name].append(measure(process, args.transactions))
    finally:
        for process in started.values():
            process.stop()
            shutil.rmtree(process.location, ignore_errors=True)
    disk, memory = statistics.median(results["disk"]), statistics.median(results["memory"])
    rounds = {name: [round(x, 2) for x in values] for name, values in results.items()}
    print(
        f"Azurite CPU per storage transaction ({args.transactions} a round, {args.rounds} rounds, "
        f"interleaved): on disk median {disk:.2f} ms, in memory median {memory:.2f} ms -> "
        f"{disk / memory:.2f}x; rounds: {rounds}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
