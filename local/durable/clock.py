"""The engine's notion of time: durable timers fire by it and OrchestratorStarted timestamps come from it."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current engine time (timezone-aware, UTC)."""
        ...

    def seconds_until(self, when: datetime) -> float:
        """Real seconds to wait until ``when`` on this clock (0 when it has passed)."""
        ...


class SystemClock:
    """Wall-clock time."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def seconds_until(self, when: datetime) -> float:
        return max(0.0, (when - self.now()).total_seconds())


class ScaledClock:
    """Engine time that runs ``factor`` times faster than real time, from ``start`` (default: now)."""

    def __init__(self, factor: float, start: datetime | None = None) -> None:
        if factor <= 0:
            raise ValueError("ScaledClock factor must be positive")
        self.factor = factor
        self._origin = start or datetime.now(UTC)
        self._mono0 = time.monotonic()

    def now(self) -> datetime:
        return self._origin + timedelta(seconds=(time.monotonic() - self._mono0) * self.factor)

    def seconds_until(self, when: datetime) -> float:
        return max(0.0, (when - self.now()).total_seconds() / self.factor)
