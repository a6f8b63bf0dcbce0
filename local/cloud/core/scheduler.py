"""Timed callbacks on the emulated clock. Nothing runs in the background by itself: ``run_due`` is
called at the start of every request (and by the server's ticker), so state transitions are lazy,
deterministic and cheap."""

from __future__ import annotations

import heapq
import itertools
import logging
from collections.abc import Callable

from .clock import Clock

log = logging.getLogger(__name__)


class Scheduler:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()

    def __len__(self) -> int:
        return len(self._heap)

    def call_later(self, delay: float, callback: Callable[[], None]) -> float:
        """Run ``callback`` once ``delay`` emulated seconds have passed; returns the due time."""
        due = self._clock.seconds() + max(delay, 0.0)
        heapq.heappush(self._heap, (due, next(self._seq), callback))
        return due

    def run_due(self) -> int:
        """Run every callback whose time has come, in due order. Callbacks may schedule more."""
        ran = 0
        now = self._clock.seconds()
        while self._heap and self._heap[0][0] <= now:
            _, _, callback = heapq.heappop(self._heap)
            ran += 1
            try:
                callback()
            except Exception:
                log.exception("scheduled callback failed")
        return ran

    def flush(self) -> int:
        """Run everything still pending regardless of time (used before a snapshot)."""
        ran = 0
        while self._heap:
            _, _, callback = heapq.heappop(self._heap)
            ran += 1
            try:
                callback()
            except Exception:
                log.exception("scheduled callback failed")
        return ran

    def next_due_in(self) -> float | None:
        if not self._heap:
            return None
        return max(self._heap[0][0] - self._clock.seconds(), 0.0)

    def clear(self) -> None:
        self._heap.clear()
