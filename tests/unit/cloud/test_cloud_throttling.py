"""Token buckets as THROTTLING.md: per subscription and principal, per operation type, 429 + Retry-After."""

from __future__ import annotations

from local.cloud.app import create_app
from local.cloud.core.config import ThrottleLimits
from local.cloud.core.throttling import Throttler, TokenBucket
from local.cloud.testing import client, fast_config


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_bucket_bursts_then_refills_at_rate() -> None:
    bucket = TokenBucket(capacity=200, refill_per_second=10, tokens=200, updated=0.0)
    assert all(bucket.try_take(0.0) for _ in range(200))
    assert not bucket.try_take(0.0)
    assert bucket.seconds_until_token(0.0) == 0.1
    assert bucket.try_take(0.1)
    # Full again after ~20 s, never above capacity.
    bucket._refill(100.0)
    assert bucket.tokens == 200


def test_limits_are_per_principal_and_per_kind() -> None:
    clock = FakeTime()
    throttler = Throttler(ThrottleLimits(), now=clock)
    for _ in range(200):
        assert throttler.take("sub", "alice", "writes").allowed
    denied = throttler.take("sub", "alice", "writes")
    assert not denied.allowed and denied.retry_after == 1
    assert throttler.take("sub", "bob", "writes").allowed  # another principal has its own bucket
    assert throttler.take("sub", "alice", "reads").allowed  # reads are a separate bucket
    assert throttler.take("other-sub", "alice", "writes").allowed
    clock.now = 0.1
    assert throttler.take("sub", "alice", "writes").allowed


def test_global_subscription_limit_is_shared() -> None:
    throttler = Throttler(ThrottleLimits(reads=(2.0, 1.0), global_multiplier=1.5), now=FakeTime())
    assert throttler.take("s", "a", "reads").allowed
    assert throttler.take("s", "b", "reads").allowed
    assert throttler.take("s", "c", "reads").allowed  # global capacity 3
    assert not throttler.take("s", "d", "reads").allowed


async def test_emulator_answers_429_with_retry_after_and_arm_body() -> None:
    config = fast_config(throttling=True, throttle_limits={"reads": (3, 0.001)})
    app = create_app(config)
    async with client(app) as c:
        await c.post("/_admin/seed", content=b"subscriptions: [{id: s1}]")
        statuses = [(await c.get("/subscriptions/s1?api-version=2022-12-01")) for _ in range(4)]
    assert [r.status_code for r in statuses] == [200, 200, 200, 429]
    assert statuses[0].headers["x-ms-ratelimit-remaining-subscription-reads"] == "2"
    throttled = statuses[-1]
    assert int(throttled.headers["Retry-After"]) >= 1
    assert throttled.json()["error"]["code"] == "TooManyRequests"
    counters = app.cloud.counters.snapshot()
    assert counters["total_throttled"] == 1
