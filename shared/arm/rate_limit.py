"""Client-side token buckets per (subscription, operation kind), sized under ARM's limits.

ARM throttles per subscription and principal with token buckets (writes 200 burst / 10 per s, reads
250 / 25, see THROTTLING.md). We keep our own smaller buckets so a burst of events does not provoke
429s. Clock and sleep are injectable so tests never wait.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


@dataclass
class _Bucket:
    capacity: float
    rate: float
    tokens: float
    updated: float


class RateLimiter:
    """``await limiter.acquire(subscription, kind)`` waits until a token is available."""

    def __init__(
        self,
        *,
        reads_per_second: float = 20.0,
        writes_per_second: float = 8.0,
        burst: int = 20,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._rates = {"read": reads_per_second, "write": writes_per_second}
        self._burst = float(burst)
        self._clock = clock
        self._sleep = sleep
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._lock = asyncio.Lock()

    @staticmethod
    def kind_of(method: str) -> str:
        return "read" if method.upper() in ("GET", "HEAD", "OPTIONS") else "write"

    def _bucket(self, key: tuple[str, str]) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = _Bucket(self._burst, self._rates[key[1]], self._burst, self._clock())
            self._buckets[key] = bucket
        return bucket

    def _refill(self, bucket: _Bucket) -> None:
        now = self._clock()
        elapsed = max(0.0, now - bucket.updated)
        bucket.tokens = min(bucket.capacity, bucket.tokens + elapsed * bucket.rate)
        bucket.updated = now

    async def acquire(self, subscription: str | None, kind: str) -> float:
        """Take one token; return the seconds waited."""
        key = ((subscription or "-").lower(), kind)
        waited = 0.0
        while True:
            async with self._lock:
                bucket = self._bucket(key)
                self._refill(bucket)
                if bucket.tokens >= 1.0 - 1e-9:
                    bucket.tokens = max(0.0, bucket.tokens - 1.0)
                    return waited
                delay = max(0.001, (1.0 - bucket.tokens) / bucket.rate)
            await self._sleep(delay)
            waited += delay
