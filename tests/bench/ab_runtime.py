"""A/B of the local runtime: one benchmark module run from a baseline revision's tree and from this one,
interleaved (baseline, current, baseline, current, ...), with the CPU seconds each run cost (the benchmark
process and everything it started and waited for, e.g. its Azurite) and its wall time; medians and ratios.

The baseline tree is ``git archive <rev>`` in a temporary folder sharing this tree's ``.venv`` and
``node_modules`` (symlinks); nothing in this worktree changes.

    .venv/bin/python -m tests.bench.ab_runtime --baseline 0a9d529 -- durable_throughput 600 --no-replay
"""

from __future__ import annotations

import argparse
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from local.azurite import REPO_ROOT


def export(revision: str, folder: Path) -> Path:
    tree = folder / "baseline"
    tree.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "archive", revision],
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    for shared in (".venv", "node_modules"):
        (tree / shared).symlink_to((REPO_ROOT / shared).resolve(), target_is_directory=True)
    return tree


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.ab_runtime", description=__doc__)
    parser.add_argument("--baseline", required=True, help="git revision of the baseline")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--per", type=float, default=0.0, help="units to divide CPU by when none are printed")
    parser.add_argument("bench", nargs=argparse.REMAINDER, help="-- MODULE ARGS...")
    args = parser.parse_args(argv)
    bench = [a for a in args.bench if a != "--"]
    if not bench:
        parser.error("name the benchmark module after --")
    module, bench_args = bench[0], bench[1:]
    figures: dict[str, list[dict[str, float]]] = {"baseline": [], "current": []}
    with tempfile.TemporaryDirectory(prefix="ab-runtime-") as folder:
        trees = {"baseline": export(args.baseline, Path(folder)), "current": REPO_ROOT}
        for round_number in range(args.rounds):
            for name, tree in trees.items():
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                began = time.monotonic()
                result = subprocess.run(
                    [sys.executable, "-m", f"tests.bench.{module}", *bench_args],
                    cwd=tree,
                    capture_output=True,
                    text=True,
                )
                wall = time.monotonic() - began
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
                episodes = _number(r"orchestration episodes: (\d+)", result.stdout)
                activities = _number(r"activity calls: (\d+)", result.stdout)
                units = episodes + activities or args.per
                last = _number(r"all ([0-9.]+)s", result.stdout)
                figures[name].append({"cpu": cpu, "wall": wall, "units": units, "last": last})
                print(
                    f"  round {round_number + 1} {name:>8}: exit {result.returncode}, CPU {cpu:6.1f}s, wall "
                    f"{wall:6.1f}s, units {units:.0f}"
                    + (f" -> {1000 * cpu / units:.2f} ms CPU each" if units else "")
                    + (f"; last outcome {last:.1f}s" if last else ""),
                    flush=True,
                )
                if result.returncode:
                    print(result.stdout[-2000:], result.stderr[-2000:])
                    shutil.rmtree(folder, ignore_errors=True)
                    return 1
    medians = {
        name: {
            "cpu_ms_per_unit": statistics.median(
                1000 * r["cpu"] / r["units"] if r["units"] else 0.0 for r in runs
            ),
            "cpu": statistics.median(r["cpu"] for r in runs),
            "wall": statistics.median(r["wall"] for r in runs),
            "last": statistics.median(r["last"] for r in runs),
        }
        for name, runs in figures.items()
    }
    base, current = medians["baseline"], medians["current"]
    print(
        f"{module} {' '.join(bench_args)}: baseline {args.baseline} vs current, {args.rounds} rounds "
        f"interleaved; medians: "
        + (
            f"CPU per unit {base['cpu_ms_per_unit']:.2f} ms -> {current['cpu_ms_per_unit']:.2f} ms "
            f"({base['cpu_ms_per_unit'] / current['cpu_ms_per_unit']:.2f}x), "
            if base["cpu_ms_per_unit"] and current["cpu_ms_per_unit"]
            else ""
        )
        + f"CPU per run {base['cpu']:.1f}s -> {current['cpu']:.1f}s ({base['cpu'] / current['cpu']:.2f}x), "
        f"wall {base['wall']:.1f}s -> {current['wall']:.1f}s"
        + (f", last outcome {base['last']:.1f}s -> {current['last']:.1f}s" if base["last"] else "")
    )
    return 0


def _number(pattern: str, text: str) -> float:
    found = re.search(pattern, text)
    return float(found.group(1)) if found else 0.0


if __name__ == "__main__":
    raise SystemExit(main())
