"""Python CPU per queue request: the Azure SDK's async ``QueueClient`` against the local runtime's lean client
(:mod:`local.lean_queue`), side by side on one in-memory Azurite, rounds interleaved. Per round each client
sends ``--messages`` messages one by one, then receives them (32 a request) and deletes each; this process's
CPU time per message is reported for both steps (medians of the rounds, and the ratio).

    .venv/bin/python -m tests.bench.queue_client_cost --messages 1000 --rounds 3
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import time
from typing import Protocol

from azure.storage.queue.aio import QueueClient

from local import azurite
from local.lean_queue import LeanQueue, QueueService

BODY = "m" * 200


class Probe(Protocol):
    async def send(self) -> None: ...

    async def drain(self) -> int: ...


class SdkProbe:
    def __init__(self, client: QueueClient) -> None:
        self.client = client

    async def send(self) -> None:
        await self.client.send_message(BODY)

    async def drain(self) -> int:
        batch = [m async for m in self.client.receive_messages(messages_per_page=32, max_messages=32)]
        for message in batch:
            await self.client.delete_message(message)
        return len(batch)


class LeanProbe:
    def __init__(self, queue: LeanQueue) -> None:
        self.queue = queue

    async def send(self) -> None:
        await self.queue.send_message(BODY)

    async def drain(self) -> int:
        batch = await self.queue.receive(32, 30)
        for message in batch:
            await self.queue.delete_message(message.id, message.pop_receipt)
        return len(batch)


async def _round(probe: Probe, messages: int) -> tuple[float, float]:
    """CPU ms per message: sending, then receiving + deleting."""
    began = time.process_time()
    for _ in range(messages):
        await probe.send()
    sent = time.process_time()
    drained = 0
    while drained < messages:
        drained += await probe.drain()
    done = time.process_time()
    return 1000 * (sent - began) / messages, 1000 * (done - sent) / messages


async def _run(connection_string: str, messages: int, rounds: int) -> dict[str, list[tuple[float, float]]]:
    service = QueueService(connection_string)
    lean_queue = service.queue("lean-probe")
    await lean_queue.create_queue()
    results: dict[str, list[tuple[float, float]]] = {"sdk": [], "lean": []}
    async with QueueClient.from_connection_string(
        connection_string, "sdk-probe", transport=azurite.sdk_transport()
    ) as sdk_client:
        await sdk_client.create_queue()
        probes: dict[str, Probe] = {"sdk": SdkProbe(sdk_client), "lean": LeanProbe(lean_queue)}
        for _ in range(rounds):
            for name, probe in probes.items():
                results[name].append(await _round(probe, messages))
    await service.close()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.queue_client_cost", description=__doc__)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    process = azurite.start(f"queue-cost-{os.getpid()}", fresh=True, in_memory=True)
    try:
        results = asyncio.run(_run(process.connection_string, args.messages, args.rounds))
    finally:
        process.stop()
        shutil.rmtree(process.location, ignore_errors=True)
    medians = {
        name: tuple(statistics.median(r[i] for r in runs) for i in (0, 1)) for name, runs in results.items()
    }
    print(
        f"Python CPU per message ({args.messages} messages, {args.rounds} interleaved rounds, medians; "
        "the client's process only):"
    )
    for step, i in (("send", 0), ("receive + delete", 1)):
        sdk, lean = medians["sdk"][i], medians["lean"][i]
        print(f"  {step:>16}: SDK {sdk:.2f} ms, lean {lean:.2f} ms ({sdk / lean:.2f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
