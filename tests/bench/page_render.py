"""How long the compliance page takes for 5,000 gaps (the report a person reads): the median of 7 renders.

``python -m tests.bench page_render``. Pure CPU, no stack; the figure to quote is the median printed here,
never a timed assertion in a test.
"""

from __future__ import annotations

import statistics
import time

from shared.compliance.page import render_page
from tests.unit.compliance.test_page import five_thousand_gaps

ROUNDS = 7


def main(argv: list[str]) -> int:
    doc = five_thousand_gaps()
    seconds = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        render_page(doc)
        seconds.append(time.perf_counter() - started)
    print(
        f"page for 5,000 gaps: median {statistics.median(seconds) * 1000:.0f} ms over {ROUNDS} renders "
        f"(min {min(seconds) * 1000:.0f}, max {max(seconds) * 1000:.0f})",
        flush=True,
    )
    return 0
