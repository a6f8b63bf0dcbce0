"""Emulated time: runs ``time_factor`` times faster than the wall clock, and can be advanced by hand."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta


class Clock:
    """Monotonic emulated clock. ``now()`` is a UTC datetime; ``seconds()`` a float timeline for schedules."""

    def __init__(self, time_factor: float = 1.0, start: datetime | None = None) -> None:
        self._epoch = start or datetime.now(UTC)
        self._real0 = time.monotonic()
        self._offset = 0.0
        self._factor = time_factor

    @property
    def factor(self) -> float:
        return self._factor

    def set_factor(self, factor: float) -> None:
        """Change the speed without a jump: the current emulated instant is kept."""
        current = self.seconds()
        self._real0 = time.monotonic()
        self._offset = current
        self._factor = max(float(factor), 0.0)

    def seconds(self) -> float:
        """Emulated seconds since the clock's epoch."""
        return self._offset + (time.monotonic() - self._real0) * self._factor

    def advance(self, seconds: float) -> None:
        self._offset += max(seconds, 0.0)

    def now(self) -> datetime:
        return self._epoch + timedelta(seconds=self.seconds())

    def at(self, seconds: float) -> datetime:
        return self._epoch + timedelta(seconds=seconds)

    def to_seconds(self, when: datetime) -> float:
        return (when - self._epoch).total_seconds()


def iso(when: datetime) -> str:
    """ARM-style timestamp with 7 fractional digits, e.g. ``2021-03-01T10:00:00.1234567Z``."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"


def parse_iso(value: str) -> datetime:
    text = value.strip().replace("Z", "+00:00")
    if "." in text:
        head, _, tail = text.partition(".")
        digits = ""
        rest = ""
        for i, ch in enumerate(tail):
            if not ch.isdigit():
                rest = tail[i:]
                break
            digits += ch
        text = f"{head}.{digits[:6]}{rest}"
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


#: .NET DateTime.MinValue as DataProtection writes endTime while an operation runs.
NOT_ENDED = "0001-01-01T00:00:00Z"
