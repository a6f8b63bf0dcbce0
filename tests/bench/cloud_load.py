"""Benchmark the emulated Azure control plane: requests per second it sustains on this machine.

Starts the emulator under uvicorn on a loopback port (the way the app and tests use it), seeds one
subscription, then drives it with a concurrent httpx client: PUT storage accounts (N distinct resources,
default 10,000), GET them back, and list a resource group, at a bounded concurrency. Prints requests/s and
latency percentiles per phase, plus the emulator's in-process handling rate (no HTTP) to show where the
time goes. Throttling is off (it would cap writes at 10/s per principal, as ARM does).
Run: ``.venv/bin/python -m tests.bench.cloud_load [N] [CONCURRENCY]``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from local.azurite import free_port
from local.cloud.app import create_app
from local.cloud.seeding import apply_seed, parse_seed
from local.cloud.testing import TEST_TOKEN, client, fast_config

REPO = Path(__file__).resolve().parents[2]
SUB = "be000000-0000-0000-0000-000000000001"
RG = f"/subscriptions/{SUB}/resourceGroups/rg-bench"
SEED = f"subscriptions: [{{id: {SUB}, resourceGroups: [{{name: rg-bench, location: westeurope}}]}}]"
BODY = {
    "location": "westeurope",
    "kind": "StorageV2",
    "sku": {"name": "Standard_LRS"},
    "tags": {"bench": "1"},
}


def _account(i: int) -> str:
    return f"{RG}/providers/Microsoft.Storage/storageAccounts/stbench{i:06d}?api-version=2023-05-01"


def _cpu_seconds(pid: int | None) -> float:
    """User+system CPU seconds of a process (Linux /proc), to tell the emulator's cost from the client's."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _phase(name: str, count: int, concurrency: int, call: object, pid: int | None = None) -> float:
    latencies: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(count):
        queue.put_nowait(i)

    async def worker() -> None:
        while not queue.empty():
            i = queue.get_nowait()
            started = time.perf_counter()
            response = await call(i)  # type: ignore[operator]
            latencies.append(time.perf_counter() - started)
            assert response.status_code < 300, response.text

    cpu0 = _cpu_seconds(pid)
    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    cpu = _cpu_seconds(pid) - cpu0
    q = statistics.quantiles(latencies, n=100)
    rate = count / elapsed
    print(
        f"{name:<28} {count:>7} req  {elapsed:7.2f} s  {rate:8.0f} req/s  p50 {q[49] * 1000:6.1f} ms  "
        f"p99 {q[98] * 1000:6.1f} ms"
    )
    if pid is not None and cpu > 0:
        per_request = cpu / count * 1000
        print(f"{'':<28} emulator CPU {per_request:.2f} ms/request -> {count / cpu:,.0f} req/s per core")
    return rate


async def _over_http(count: int, concurrency: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="cloud-bench-"))
    seed = folder / "seed.yaml"
    seed.write_text(SEED)
    port = free_port()
    # The emulator in its own process (as `make run` starts it), so client and server do not share a GIL.
    server = subprocess.Popen(  # noqa: ASYNC220 - started once, before any load
        [sys.executable, "-m", "local", "cloud", "--port", str(port), "--seed", str(seed)],
        cwd=REPO,
    )
    url = f"http://127.0.0.1:{port}"
    await _wait_ready(url)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    try:
        async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30,
                                     headers={"Authorization": f"Bearer {TEST_TOKEN}"}) as c:  # fmt: skip
            await _phase(
                "HTTP PUT storageAccounts",
                count,
                concurrency,
                lambda i: c.put(_account(i), json=BODY),
                server.pid,
            )
            await _phase(
                "HTTP GET storageAccount", count, concurrency, lambda i: c.get(_account(i)), server.pid
            )
            lists = max(count // 100, 10)
            await _phase("HTTP GET resources (list)", lists, min(concurrency, 8),
                         lambda i: c.get(f"{RG}/resources?api-version=2021-04-01"), server.pid)  # fmt: skip
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        shutil.rmtree(folder, ignore_errors=True)


async def _wait_ready(url: str) -> None:
    async with httpx.AsyncClient() as c:
        for _ in range(200):
            try:
                if (await c.get(f"{url}/_admin/health")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError("emulator did not start")


async def _in_process(count: int) -> None:
    app = create_app(fast_config())
    await apply_seed(app, parse_seed(SEED))
    async with client(app) as c:
        await _phase("in-process PUT (no HTTP)", count, 1, lambda i: c.put(_account(i), json=BODY))
        await _phase("in-process GET (no HTTP)", count, 1, lambda i: c.get(_account(i)))


def main(argv: list[str]) -> int:
    count = int(argv[0]) if argv else 10_000
    concurrency = int(argv[1]) if len(argv) > 1 else 32
    print(f"emulated ARM control plane: {count} resources, concurrency {concurrency}")
    asyncio.run(_over_http(count, concurrency))
    asyncio.run(_in_process(count))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
