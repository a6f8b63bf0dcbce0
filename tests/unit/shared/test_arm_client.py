from __future__ import annotations

import logging

import httpx
import pytest

from shared.arm.client import ArmClient, correlation, subscription_of
from shared.arm.credentials import LocalCredential
from shared.arm.rate_limit import RateLimiter
from shared.errors import ArmError, Classification, ForeignOriginError, InvalidRequestError

ENDPOINT = "https://management.example.test"
TOKEN = "super-secret-token-value"
VAULT = "/subscriptions/sub-1/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/v1"


class Recorder:
    def __init__(self, responses):
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        item = self.responses.pop(0)
        if isinstance(item, Exception):
            raise item
        return item


class FakeSleep:
    """Records the waits and advances a fake clock by them (the rate limiter's clock)."""

    def __init__(self):
        self.calls: list[float] = []
        self.now = 0.0

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        self.now += seconds


def make_client(recorder, *, max_retries=3, max_wait=30.0):
    sleep = FakeSleep()
    client = ArmClient(
        endpoint=ENDPOINT,
        credential=LocalCredential(TOKEN),
        transport=httpx.MockTransport(recorder),
        max_retries=max_retries,
        max_retry_wait_seconds=max_wait,
        sleep=sleep,
        limiter=RateLimiter(
            sleep=sleep, clock=lambda: sleep.now, burst=1000, reads_per_second=1000, writes_per_second=1000
        ),
    )
    return client, sleep


async def test_get_sends_token_api_version_and_request_ids():
    rec = Recorder([httpx.Response(200, json={"id": VAULT})])
    client, _ = make_client(rec)
    with correlation("corr-123"):
        resp = await client.get(VAULT, api_version="2025-09-01")
    assert resp.status == 200 and resp.body == {"id": VAULT}
    req = rec.requests[0]
    assert req.url.params["api-version"] == "2025-09-01"
    assert req.headers["authorization"] == f"Bearer {TOKEN}"
    assert req.headers["x-ms-correlation-request-id"] == "corr-123"
    assert len(req.headers["x-ms-client-request-id"]) == 36


async def test_absolute_poll_url_is_followed_as_given():
    url = (
        f"{ENDPOINT}/Subscriptions/sub-1/providers/Microsoft.DataProtection/locations/westus"
        "/operationStatus/abc==?api-version=2021-01-01"
    )
    rec = Recorder([httpx.Response(200, json={"status": "Inprogress"})])
    client, _ = make_client(rec)
    await client.get(url, api_version="2025-09-01")
    assert str(rec.requests[0].url).endswith("operationStatus/abc==?api-version=2021-01-01")


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example.test/subscriptions/s/operationStatus/1",
        "http://management.example.test/subscriptions/s/operationStatus/1",  # scheme downgrade
        "https://management.example.test:8443/subscriptions/s",
        "https://management.example.test.evil.test/subscriptions/s",
        "//evil.example.test/subscriptions/s",
    ],
)
async def test_foreign_origin_is_refused_and_nothing_is_sent(url):
    rec = Recorder([])
    client, _ = make_client(rec)
    with pytest.raises(ForeignOriginError):
        await client.get(url)
    assert rec.requests == []


@pytest.mark.parametrize("path", ["/subscriptions/s/../x", "/subscriptions/s/a%2Fb", "relative/path", ""])
async def test_bad_paths_are_refused(path):
    rec = Recorder([])
    client, _ = make_client(rec)
    with pytest.raises(InvalidRequestError):
        await client.get(path)
    assert rec.requests == []


async def test_429_retry_after_honoured_then_success():
    rec = Recorder(
        [
            httpx.Response(
                429, headers={"Retry-After": "7"}, json={"error": {"code": "TooManyRequests", "message": "x"}}
            ),
            httpx.Response(503, headers={"Retry-After": "2"}),
            httpx.Response(200, json={}),
        ]
    )
    client, sleep = make_client(rec)
    resp = await client.put(VAULT + "/backupInstances/bi", api_version="2025-09-01", json={"properties": {}})
    assert resp.status == 200
    assert resp.attempts == 3
    assert sleep.calls[:2] == [7.0, 2.0]
    assert rec.requests[0].content == b'{"properties": {}}'


async def test_retry_after_beyond_budget_is_left_to_the_orchestrator():
    rec = Recorder([httpx.Response(429, headers={"Retry-After": "120"})])
    client, sleep = make_client(rec, max_wait=30)
    with pytest.raises(ArmError) as info:
        await client.get(VAULT)
    assert info.value.classification is Classification.TRANSIENT
    assert info.value.retry_after_seconds == 120
    assert sleep.calls == []
    assert len(rec.requests) == 1


async def test_retries_are_bounded():
    rec = Recorder([httpx.Response(500) for _ in range(3)])
    client, sleep = make_client(rec, max_retries=2)
    with pytest.raises(ArmError) as info:
        await client.get(VAULT)
    assert info.value.status == 500
    assert len(rec.requests) == 3
    assert len(sleep.calls) == 2
    assert all(0 < s <= 30 for s in sleep.calls)


async def test_connection_errors_and_timeouts_retry_then_raise_transient():
    rec = Recorder([httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), httpx.ConnectError("refused")])
    client, _ = make_client(rec, max_retries=2)
    with pytest.raises(ArmError) as info:
        await client.get(VAULT)
    assert info.value.classification is Classification.TRANSIENT
    assert info.value.code == "ConnectionError"
    assert len(rec.requests) == 3


async def test_4xx_is_not_retried_and_parsed():
    body = {"error": {"code": "UserErrorDppDatasourceAlreadyProtected", "message": "already"}}
    rec = Recorder([httpx.Response(400, json=body, headers={"x-ms-request-id": "rid"})])
    client, sleep = make_client(rec)
    with pytest.raises(ArmError) as info:
        await client.post(VAULT + "/validateForBackup", json={})
    assert info.value.classification is Classification.ALREADY_PROTECTED
    assert info.value.request_id == "rid"
    assert sleep.calls == []


async def test_raise_for_status_false_returns_response():
    rec = Recorder([httpx.Response(404, json={"error": {"code": "ResourceNotFound", "message": "x"}})])
    client, _ = make_client(rec)
    resp = await client.request("GET", VAULT, raise_for_status=False)
    assert resp.status == 404


async def test_token_never_logged(caplog):
    rec = Recorder([httpx.Response(500), httpx.Response(200, json={})])
    client, _ = make_client(rec)
    with caplog.at_level(logging.DEBUG):
        await client.get(VAULT + "?sig=abc", api_version="1")
    text = caplog.text
    assert "ARM GET" in text
    assert TOKEN not in text
    assert "sig=abc" not in text


async def test_rate_limiter_spreads_a_burst():
    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    limiter = RateLimiter(
        writes_per_second=10, reads_per_second=25, burst=5, clock=lambda: now[0], sleep=sleep
    )
    for _ in range(25):
        await limiter.acquire("sub-1", "write")
    # 5 from the burst, then 20 more at 10/s -> about 2 s of waiting
    assert now[0] == pytest.approx(2.0, abs=0.01)
    waited_before = now[0]
    await limiter.acquire("sub-2", "write")  # another subscription has its own bucket
    assert now[0] == waited_before


def test_subscription_parsing():
    assert subscription_of("/subscriptions/abc/resourceGroups/x") == "abc"
    assert subscription_of("https://h/Subscriptions/ABC/providers/x?y=1") == "ABC"
    assert subscription_of("/providers/Microsoft.DataProtection/operations") is None
