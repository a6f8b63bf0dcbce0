"""The engine's notion of time: durable timers fire by it and OrchestratorStarted timestamps come from it.

Engine time is one timeline per task hub that never goes backwards, across restarts too. It runs ``factor``
times faster than real time (the host's ``--time-factor``), so it drifts ahead of the wall clock; a restart
that started it again from the wall clock would put every timer armed before the crash that drift too late.
So the engine saves a :class:`ClockAnchor` (a wall time, the engine time then, the factor) in the task hub's
storage when it starts, and the next start resumes that timeline (:meth:`ScaledClock.resume`): engine time
goes on from where the previous one has got to by now, the time the host was down counting at the previous
factor (as an outage counts in Azure: timers that fell due meanwhile fire as soon as the engine is back).
A hub that once ran scaled stays ahead of the wall clock from then on, whatever the factor of later runs;
a new hub (or fresh storage) starts from the wall clock.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from local.durable.history import format_time, parse_time


@dataclass(frozen=True)
class ClockAnchor:
    """A point of an engine timeline: engine time ``engine`` at wall time ``wall``, running ``factor`` x."""

    wall: datetime
    engine: datetime
    factor: float

    def engine_at(self, wall: datetime) -> datetime:
        """Engine time on this timeline at wall time ``wall``; never before the anchor (the wall clock may
        have been set back since)."""
        return max(self.engine, self.engine + (wall - self.wall) * self.factor)

    def to_json(self) -> dict[str, Any]:
        return {
            "wallTime": format_time(self.wall),
            "engineTime": format_time(self.engine),
            "factor": self.factor,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ClockAnchor:
        return cls(parse_time(data["wallTime"]), parse_time(data["engineTime"]), float(data["factor"]))


class Clock(Protocol):
    def now(self) -> datetime:
        """The current engine time (timezone-aware, UTC)."""
        ...

    def seconds_until(self, when: datetime) -> float:
        """Real seconds to wait until ``when`` on this clock (0 when it has passed)."""
        ...

    def anchor(self) -> ClockAnchor:
        """The current point of this clock's timeline, to be saved and resumed after a restart."""
        ...

    def resume(self, previous: ClockAnchor) -> None:
        """Go on with ``previous``'s timeline (saved by an earlier run) from where it has got to by now."""
        ...


class ScaledClock:
    """Engine time that runs ``factor`` times faster than real time (default 1: wall-clock time), from
    ``start`` (default: now) until it resumes a saved timeline."""

    def __init__(self, factor: float = 1.0, start: datetime | None = None) -> None:
        if factor <= 0:
            raise ValueError("ScaledClock factor must be positive")
        self.factor = factor
        self._origin = start or datetime.now(UTC)
        self._mono0 = time.monotonic()

    def now(self) -> datetime:
        return self._origin + timedelta(seconds=(time.monotonic() - self._mono0) * self.factor)

    def seconds_until(self, when: datetime) -> float:
        return max(0.0, (when - self.now()).total_seconds() / self.factor)

    def anchor(self) -> ClockAnchor:
        return ClockAnchor(datetime.now(UTC), self.now(), self.factor)

    def resume(self, previous: ClockAnchor) -> None:
        self._mono0 = time.monotonic()
        self._origin = previous.engine_at(datetime.now(UTC))
