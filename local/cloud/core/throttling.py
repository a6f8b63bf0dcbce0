"""ARM token-bucket throttling (THROTTLING.md §1): per subscription AND principal, per operation type,
plus a global subscription bucket 15x larger shared by every principal."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from .config import ThrottleLimits


@dataclass
class TokenBucket:
    capacity: float
    refill_per_second: float
    tokens: float
    updated: float

    def _refill(self, now: float) -> None:
        if now > self.updated:
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.refill_per_second)
            self.updated = now

    def try_take(self, now: float) -> bool:
        self._refill(now)
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False

    def seconds_until_token(self, now: float) -> float:
        self._refill(now)
        if self.tokens >= 1.0:
            return 0.0
        return (1.0 - self.tokens) / self.refill_per_second if self.refill_per_second > 0 else math.inf

    @property
    def remaining(self) -> int:
        return int(self.tokens)


@dataclass(frozen=True)
class ThrottleDecision:
    allowed: bool
    remaining: int
    retry_after: int


class Throttler:
    """Buckets keyed by (subscription, principal, kind) and (subscription, kind) for the global limit."""

    def __init__(self, limits: ThrottleLimits, now: Callable[[], float] = time.monotonic) -> None:
        self._limits = limits
        self._now = now
        self._buckets: dict[tuple[str, str, str], TokenBucket] = {}

    def _bucket(self, key: tuple[str, str, str], kind: str, scale: float) -> TokenBucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            burst, refill = getattr(self._limits, kind)
            bucket = TokenBucket(burst * scale, refill * scale, burst * scale, self._now())
            self._buckets[key] = bucket
        return bucket

    def take(self, subscription: str, principal: str, kind: str) -> ThrottleDecision:
        """Spend one token of ``kind`` (reads/writes/deletes) or say how long to wait."""
        now = self._now()
        sub = subscription.lower()
        mine = self._bucket((sub, principal, kind), kind, 1.0)
        shared = self._bucket((sub, "*", kind), kind, self._limits.global_multiplier)
        mine._refill(now)
        shared._refill(now)
        if mine.tokens >= 1.0 and shared.tokens >= 1.0:
            mine.tokens -= 1.0
            shared.tokens -= 1.0
            return ThrottleDecision(True, min(mine.remaining, shared.remaining), 0)
        wait = max(mine.seconds_until_token(now), shared.seconds_until_token(now))
        return ThrottleDecision(False, 0, max(1, math.ceil(wait)))

    def peek_remaining(self, subscription: str, principal: str, kind: str) -> int:
        bucket = self._buckets.get((subscription.lower(), principal, kind))
        if bucket is None:
            return int(getattr(self._limits, kind)[0])
        bucket._refill(self._now())
        return bucket.remaining

    def reset(self) -> None:
        self._buckets.clear()


def kind_bucket(route_kind: str) -> str:
    """Route kind -> bucket name. POST actions spend write tokens, as ARM counts them."""
    return {"read": "reads", "delete": "deletes"}.get(route_kind, "writes")


def throttled_error_body(subscription: str) -> dict[str, object]:
    """ARM's 429 body (code ``TooManyRequests``; the message ARM uses for subscription throttling)."""
    return {
        "error": {
            "code": "TooManyRequests",
            "message": (
                f"The request for subscription '{subscription}' could not be processed due to an excessive "
                "volume of traffic. Please try again later."
            ),
        }
    }
