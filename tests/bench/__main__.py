"""``python -m tests.bench``: run every benchmark module of this package (each has ``main(argv) -> int``)
with its defaults, one after another, and report which failed. ``python -m tests.bench NAME ...`` runs only
those. (``make bench`` runs :mod:`tests.bench.report`, the one report.)"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from pathlib import Path

# imported by others (the burst prints the baseline; the report runs the burst, restores, a sweep and the
# scale-out), or needing arguments (ab_runtime)
HELPERS = {"protection_seed", "protection_baseline", "work", "svg", "report", "ab_runtime"}


def modules() -> list[str]:
    folder = Path(__file__).resolve().parent
    return sorted(
        info.name
        for info in pkgutil.iter_modules([str(folder)])
        if not info.name.startswith("_") and info.name not in HELPERS
    )


def main(argv: list[str]) -> int:
    selected = argv or modules()
    failed: list[str] = []
    for name in selected:
        print(f"\n=== tests.bench.{name} ===", flush=True)
        started = time.monotonic()
        module = importlib.import_module(f"tests.bench.{name}")
        try:
            code = int(module.main([]) or 0)
        except Exception as exc:
            print(f"{name} raised {type(exc).__name__}: {exc}", flush=True)
            code = 1
        print(f"=== {name}: exit {code} after {time.monotonic() - started:.0f}s ===", flush=True)
        if code:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
