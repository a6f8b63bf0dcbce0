"""Profile the local stack during a protection burst with py-spy (a dev dependency): the host (with its
durable engine) and the emulator are sampled for the whole burst; the collapsed stacks go to
``.state/bench/profile/<process>.txt`` and the top frames (own time, and total time grouped by package) are
printed with the burst's work counts, so CPU per episode and per activity can be read off.

    .venv/bin/python -m tests.bench.profile_burst --resources 400
"""

from __future__ import annotations

import argparse
import shutil
import signal
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

from local.azurite import STATE_DIR
from local.stack import LocalStack, StackConfig
from tests.bench import protection_burst
from tests.bench import protection_seed as seeds

OUT = STATE_DIR / "bench" / "profile"
GROUPS = (
    "local/durable",
    "local/host",
    "local/cloud",
    "functions/",
    "shared/",
    "azure/durable_functions",
    "azure/functions",
    "azure/storage",
    "azure/core",
    "aiohttp",
    "httpx",
    "httpcore",
    "uvicorn",
    "starlette",
    "asyncio",
    "json",
    "logging",
)


def _py_spy() -> str:
    found = shutil.which("py-spy", path=str(Path(__file__).resolve().parents[2] / ".venv" / "bin"))
    if found is None:
        raise SystemExit("py-spy is not installed: .venv/bin/python -m pip install -r requirements-dev.txt")
    return found


def start_sampling(pid: int, name: str, rate: int) -> subprocess.Popen[bytes]:
    OUT.mkdir(parents=True, exist_ok=True)
    output = str(OUT / f"{name}.txt")
    return subprocess.Popen(
        [
            _py_spy(),
            "record",
            "--pid",
            str(pid),
            "--format",
            "raw",
            "--rate",
            str(rate),
            "--output",
            output,
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop_sampling(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _group(frame: str) -> str:
    for group in GROUPS:
        if group in frame:
            return group
    return "other"


def summarise(path: Path, top: int = 25) -> dict[str, Any]:
    """Own samples per frame, and samples per package (a stack counts once per package it passes)."""
    own: Counter[str] = Counter()
    by_group: Counter[str] = Counter()
    total = 0
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        total += count
        own[frames[-1]] += count
        for group in {_group(f) for f in frames}:
            by_group[group] += count
    return {
        "samples": total,
        "own": [(frame, n) for frame, n in own.most_common(top)],
        "by_package": dict(by_group.most_common()),
    }


def print_summary(name: str, summary: dict[str, Any]) -> None:
    total = summary["samples"] or 1
    print(f"{name}: {summary['samples']} samples")
    print(
        "  by package (inclusive): "
        + ", ".join(f"{k} {100 * v / total:.0f}%" for k, v in summary["by_package"].items())
    )
    for frame, n in summary["own"]:
        print(f"  {100 * n / total:5.1f}%  {frame}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.profile_burst", description=__doc__)
    parser.add_argument("--resources", type=int, default=400)
    parser.add_argument("--subscriptions", type=int, default=5)
    parser.add_argument("--rate", type=int, default=40, help="py-spy samples per second")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    seed, rules = seeds.write(STATE_DIR / "bench" / "protection", args.subscriptions)
    config = StackConfig(seed=seed, rules=rules, time_factor=120.0, throttling=True, name="bench-profile")
    with LocalStack(config) as stack:
        assert stack.host is not None and stack.host.pid is not None and stack.cloud is not None
        samplers = {
            "host": start_sampling(stack.host.pid, "host", args.rate),
            "emulator": start_sampling(stack.cloud.process.pid, "emulator", args.rate),
        }
        try:
            protection_burst.burst(stack, args.resources, args.subscriptions, 120.0, 900.0)
        finally:
            for sampler in samplers.values():
                stop_sampling(sampler)
    for name in samplers:
        path = OUT / f"{name}.txt"
        if path.exists():
            print_summary(name, summarise(path, args.top))
        else:
            print(f"{name}: py-spy wrote no profile")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
