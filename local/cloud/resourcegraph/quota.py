"""Resource Graph's own per-user quota: at most 15 queries per 5-second window (THROTTLING.md §5).

Every answer reports ``x-ms-user-quota-remaining`` and ``x-ms-user-quota-resets-after`` (``hh:mm:ss``); the
429 is only raised when enforcement is on (the emulator's throttling switch).

Checked against "Guidance for throttled requests in Azure Resource Graph"
(https://learn.microsoft.com/azure/governance/resource-graph/concepts/guidance-for-throttled-requests):
a quota per user per time window, "for example, a user can send at most 15 queries within every 5-second
window"; ``x-ms-user-quota-remaining`` (int, counted in queries) and ``x-ms-user-quota-resets-after``
(``hh:mm:ss``) on every response; each ``$skipToken`` page costs one query. The window starts with a user's
first query and the remaining count is what is left after the query answered.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from .errors import QuotaExceededError


@dataclass
class _Window:
    started: float
    used: int


class UserQuota:
    def __init__(
        self, limit: int = 15, window_seconds: float = 5.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self._clock = clock
        self._windows: dict[str, _Window] = {}
        self._lock = threading.Lock()

    def consume(self, user: str, enforce: bool) -> dict[str, str]:
        """Count one query for ``user``; returns the quota headers, or raises 429 when spent and enforced."""
        with self._lock:
            now = self._clock()
            window = self._windows.get(user)
            if window is None or now - window.started >= self.window_seconds:
                window = self._windows[user] = _Window(now, 0)
            left = window.started + self.window_seconds - now
            if window.used >= self.limit and enforce:
                raise QuotaExceededError(max(1, math.ceil(left)))
            window.used = min(self.limit, window.used + 1)
            return {
                "x-ms-user-quota-remaining": str(self.limit - window.used),
                "x-ms-user-quota-resets-after": hms(left),
            }


def hms(seconds: float) -> str:
    whole = max(0, math.ceil(seconds))
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
