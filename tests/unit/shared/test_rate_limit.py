"""The rate limiter's feedback from ARM: a 429's Retry-After and the remaining-quota header."""

from __future__ import annotations

import httpx
import pytest

from shared.arm.client import ArmClient
from shared.arm.rate_limit import RateLimiter, remaining_quota


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def _limiter(time: FakeTime, reserve_share: float = 0.25) -> RateLimiter:
    return RateLimiter(
        writes_per_second=10,
        reads_per_second=25,
        burst=100,
        reserve_share=reserve_share,  # reserves: 62.5 reads, 50 writes
        clock=time.clock,
        sleep=time.sleep,
    )


def test_kinds_follow_arms_operation_types():
    assert RateLimiter.kind_of("get") == "read"
    assert RateLimiter.kind_of("DELETE") == "delete"
    assert RateLimiter.kind_of("POST") == "write"
    assert RateLimiter.kind_of("PUT") == "write"


def test_remaining_quota_reads_the_header_of_the_kind():
    headers = {"x-ms-ratelimit-remaining-subscription-writes": " 42 "}
    assert remaining_quota("write", headers) == 42
    assert remaining_quota("read", headers) is None
    assert remaining_quota("write", {"x-ms-ratelimit-remaining-subscription-writes": "many"}) is None


async def test_a_429_closes_the_bucket_for_its_retry_after_only():
    time = FakeTime()
    limiter = _limiter(time)
    limiter.observe("sub-1", "write", status=429, retry_after=5.0)
    assert await limiter.acquire("sub-1", "write") == pytest.approx(5.0)
    assert await limiter.acquire("sub-1", "read") == 0.0  # reads have their own bucket
    assert await limiter.acquire("sub-2", "write") == 0.0  # and every subscription


async def test_a_remaining_quota_above_the_reserve_never_holds_back():
    time = FakeTime()
    limiter = _limiter(time)
    for remaining in (199, 120, 51):
        limiter.observe("sub-1", "write", status=200, remaining=remaining)
        assert await limiter.acquire("sub-1", "write") == 0.0


async def test_a_low_remaining_quota_pauses_for_the_refill_of_the_deficit():
    time = FakeTime()
    limiter = _limiter(time)
    limiter.observe("sub-1", "write", status=201, remaining=30)
    # ARM refills writes at 10/s: back to the reserve (+1) after (50 - 30 + 1) / 10 s
    assert await limiter.acquire("sub-1", "write") == pytest.approx(2.1)
    limiter.observe("sub-1", "read", status=200, remaining=0)
    assert await limiter.acquire("sub-1", "read") == pytest.approx(63.5 / 25)


async def test_a_later_smaller_pause_does_not_shorten_a_longer_one():
    time = FakeTime()
    limiter = _limiter(time)
    limiter.observe("sub-1", "write", status=429, retry_after=10.0)
    limiter.observe("sub-1", "write", status=200, remaining=49)
    assert await limiter.acquire("sub-1", "write") == pytest.approx(10.0)


async def test_the_client_feeds_every_answer_back():
    time = FakeTime()
    limiter = _limiter(time)
    answers = iter(
        [
            httpx.Response(200, json={}, headers={"x-ms-ratelimit-remaining-subscription-reads": "10"}),
            httpx.Response(429, json={"error": {"code": "TooManyRequests"}}, headers={"Retry-After": "3"}),
            httpx.Response(200, json={}, headers={"x-ms-ratelimit-remaining-subscription-reads": "200"}),
        ]
    )

    class Token:
        async def get_token(self, *scopes: str, **kwargs: object) -> object:
            return type("T", (), {"token": "t"})()

    async with ArmClient(
        endpoint="https://management.example",
        credential=Token(),
        transport=httpx.MockTransport(lambda request: next(answers)),
        limiter=limiter,
        sleep=time.sleep,
    ) as arm:
        await arm.get("/subscriptions/s1/resourceGroups/a", api_version="1")
        assert time.now == 0.0
        await arm.get("/subscriptions/s1/resourceGroups/a", api_version="1")
    # the second call waited for the refill of the deficit ((62.5 - 10 + 1) / 25 s), then the 429's 3 s
    # in the client's own retry, which the limiter's closed bucket does not add to
    assert time.now == pytest.approx(53.5 / 25 + 3.0)
