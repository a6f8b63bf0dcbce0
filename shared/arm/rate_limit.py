"""Client-side token buckets per (subscription, operation kind), steered by what ARM says about its own.

ARM throttles per subscription and principal with token buckets (writes and deletes 200 burst / 10 per s,
reads 250 / 25; THROTTLING.md). Every instance of the app shares one principal (its managed identity), so
on Flex Consumption 40 instances spend one bucket per subscription: a budget per process cannot be right
for every instance count. Each bucket here is therefore a ceiling, and two signals from ARM steer it:

- ``x-ms-ratelimit-remaining-subscription-{reads,writes,deletes}`` on every answer is the level of the
  shared bucket that all instances drain. When it falls to the reserve (``reserve_share`` of ARM's bucket:
  125 reads, 100 writes or deletes by default) or below, the fleet is spending faster than ARM refills, and
  this process holds its next request back for as long as ARM needs to refill the deficit:
  ``(reserve - remaining + 1) / refill`` seconds. Each instance then sends about one request per such
  pause, so N instances settle where ``remaining`` is about ``reserve - N + 1``, the fleet at ARM's refill
  rate; the reserve also absorbs what the instances have in flight when the bucket first runs low (their
  bursts at a start). A lone instance is never held back while it keeps the bucket above the reserve.
- A 429's ``Retry-After`` closes the bucket for the whole process until it has passed (the service
  processes nothing sent earlier), instead of every waiting caller finding out on its own.

``tests/bench/scale_out.py`` measures this against a per-process budget and the alternatives at 1, 10 and
40 instances (figures in docs/architecture.md, "Scale-out"). Clock and sleep are injectable so tests never
wait.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

#: ARM's buckets per subscription and principal: size and refill (tokens per second; THROTTLING.md §1).
ARM_BUCKET: Mapping[str, float] = {"read": 250.0, "write": 200.0, "delete": 200.0}
ARM_REFILL_PER_SECOND: Mapping[str, float] = {"read": 25.0, "write": 10.0, "delete": 10.0}
#: The remaining-quota header ARM sends for each kind.
REMAINING_HEADER: Mapping[str, str] = {
    "read": "x-ms-ratelimit-remaining-subscription-reads",
    "write": "x-ms-ratelimit-remaining-subscription-writes",
    "delete": "x-ms-ratelimit-remaining-subscription-deletes",
}
DEFAULT_RESERVE_SHARE = 0.5


@dataclass
class _Bucket:
    capacity: float
    rate: float
    tokens: float
    updated: float
    closed_until: float = 0.0


class RateLimiter:
    """``await limiter.acquire(subscription, kind)`` waits for a token; ``observe`` feeds answers back."""

    def __init__(
        self,
        *,
        reads_per_second: float = 25.0,
        writes_per_second: float = 10.0,
        burst: int = 100,
        reserve_share: float = DEFAULT_RESERVE_SHARE,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._rates = {"read": reads_per_second, "write": writes_per_second, "delete": writes_per_second}
        self._burst = float(burst)
        self.reserve = {kind: reserve_share * size for kind, size in ARM_BUCKET.items()}
        self._clock = clock
        self._sleep = sleep
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._lock = asyncio.Lock()

    @staticmethod
    def kind_of(method: str) -> str:
        """ARM's operation types: reads, deletes, and writes (every other method, POST actions too)."""
        upper = method.upper()
        if upper in ("GET", "HEAD", "OPTIONS"):
            return "read"
        return "delete" if upper == "DELETE" else "write"

    @staticmethod
    def _key(subscription: str | None, kind: str) -> tuple[str, str]:
        return (subscription or "-").lower(), kind

    def _bucket(self, key: tuple[str, str]) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = _Bucket(self._burst, self._rates[key[1]], self._burst, self._clock())
            self._buckets[key] = bucket
        return bucket

    def _refill(self, bucket: _Bucket) -> None:
        now = self._clock()
        elapsed = max(0.0, now - max(bucket.updated, bucket.closed_until))
        if now > bucket.updated:
            bucket.tokens = min(bucket.capacity, bucket.tokens + elapsed * bucket.rate)
            bucket.updated = now

    async def acquire(self, subscription: str | None, kind: str) -> float:
        """Take one token; return the seconds waited."""
        key = self._key(subscription, kind)
        waited = 0.0
        while True:
            async with self._lock:
                bucket = self._bucket(key)
                self._refill(bucket)
                now = self._clock()
                if now >= bucket.closed_until and bucket.tokens >= 1.0 - 1e-9:
                    bucket.tokens = max(0.0, bucket.tokens - 1.0)
                    return waited
                if now < bucket.closed_until:
                    delay = bucket.closed_until - now
                else:
                    delay = max(0.001, (1.0 - bucket.tokens) / bucket.rate)
            await self._sleep(delay)
            waited += delay

    def observe(
        self,
        subscription: str | None,
        kind: str,
        *,
        status: int,
        remaining: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        """Feed back one answer: a 429's Retry-After, or the remaining quota ARM reported."""
        bucket = self._bucket(self._key(subscription, kind))
        now = self._clock()
        pause = 0.0
        if status == 429:
            pause = retry_after if retry_after is not None else 1.0
        elif remaining is not None and remaining <= self.reserve[kind]:
            pause = (self.reserve[kind] - remaining + 1) / ARM_REFILL_PER_SECOND[kind]
        if pause > 0.0 and now + pause > bucket.closed_until:
            self._refill(bucket)
            bucket.closed_until = now + pause
            bucket.tokens = 1.0  # one request when the pause ends, then the ceiling's rate


def remaining_quota(kind: str, headers: Mapping[str, str]) -> int | None:
    """ARM's remaining-quota header for ``kind`` (lower-case header names), or None when absent/garbled."""
    value = headers.get(REMAINING_HEADER[kind])
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None
