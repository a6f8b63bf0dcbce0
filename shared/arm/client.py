"""The one seam to Azure Resource Manager: httpx + a bearer-token credential.

Safety: the token goes only to the configured management origin; an absolute URL (from
``Azure-AsyncOperation`` / ``Location``) on any other origin raises ``ForeignOriginError`` and nothing
is sent. Retries 429/5xx/408/timeouts/connection errors with bounded backoff honouring Retry-After (a 429's
Retry-After and ARM's remaining-quota headers also steer the rate limiter, :mod:`shared.arm.rate_limit`);
waits longer than the in-client budget are left to the caller (the orchestrator's durable timers),
signalled by an ``ArmError`` with ``classification == TRANSIENT`` and ``retry_after_seconds``.
Logs carry method, path (no query), status and duration, never headers or tokens.
"""

from __future__ import annotations

import asyncio
import contextvars
import json as jsonlib
import logging
import random
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from shared.arm.rate_limit import RateLimiter, remaining_quota
from shared.arm.retry_after import parse_retry_after
from shared.config import Settings, origin_of
from shared.errors import ArmError, ForeignOriginError, InvalidRequestError

log = logging.getLogger("backup_autopilot.arm")

_correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "arm_correlation_id", default=None
)
_SUBSCRIPTION = re.compile(r"/subscriptions/([^/?#]+)", re.IGNORECASE)
_RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
_BAD_PATH = re.compile(r"(^|/)\.{1,2}(/|$)|%2f|%5c|%2e|\\|[\x00-\x1f\x7f]", re.IGNORECASE)

Sleep = Callable[[float], Awaitable[None]]


class TokenCredential(Protocol):
    """The azure-identity async credential protocol (``get_token`` only)."""

    async def get_token(self, *scopes: str, **kwargs: Any) -> Any: ...


@contextmanager
def correlation(correlation_id: str | None) -> Iterator[None]:
    """Propagate ``x-ms-correlation-request-id`` for every ARM call made inside the block."""
    token = _correlation_id.set(correlation_id)
    try:
        yield
    finally:
        _correlation_id.reset(token)


@dataclass(frozen=True)
class ArmResponse:
    status: int
    headers: Mapping[str, str]  # lower-case names
    body: Any  # parsed JSON, raw text when not JSON, or None when empty
    attempts: int = 1

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


def subscription_of(path_or_url: str) -> str | None:
    match = _SUBSCRIPTION.search(urlsplit(path_or_url).path if "://" in path_or_url else path_or_url)
    return match.group(1) if match else None


class ArmClient:
    """Async ARM client. Use ``async with ArmClient.from_settings(settings, credential) as arm:``."""

    def __init__(
        self,
        *,
        endpoint: str,
        credential: TokenCredential,
        scope: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        http_client: httpx.AsyncClient | None = None,
        limiter: RateLimiter | None = None,
        max_retries: int = 3,
        max_retry_wait_seconds: float = 30.0,
        backoff_base_seconds: float = 1.0,
        timeout_seconds: float = 30.0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        # httpx logs full URLs (query strings may carry signatures such as t=/c=/sig=) at INFO: keep
        # those loggers quiet; this client logs method, path, status and duration itself.
        for noisy in ("httpx", "httpcore"):
            if logging.getLogger(noisy).level < logging.WARNING:
                logging.getLogger(noisy).setLevel(logging.WARNING)
        self.endpoint = endpoint.rstrip("/")
        self.origin = origin_of(self.endpoint)
        self._credential = credential
        self._scope = scope or self.endpoint + "/.default"
        self._own_client = http_client is None
        self._client = http_client or httpx.AsyncClient(
            transport=transport, timeout=timeout_seconds, follow_redirects=False
        )
        self._limiter = limiter or RateLimiter(sleep=sleep)
        self.max_retries = max_retries
        self.max_retry_wait_seconds = max_retry_wait_seconds
        self.backoff_base_seconds = backoff_base_seconds
        self._sleep = sleep

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        credential: TokenCredential,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> ArmClient:
        limiter = RateLimiter(
            reads_per_second=settings.arm_reads_per_second,
            writes_per_second=settings.arm_writes_per_second,
            burst=settings.arm_burst,
            sleep=sleep,
        )
        return cls(
            endpoint=settings.arm_endpoint,
            credential=credential,
            scope=settings.arm_scope,
            transport=transport,
            limiter=limiter,
            max_retries=settings.arm_max_retries,
            max_retry_wait_seconds=settings.arm_max_retry_wait_seconds,
            timeout_seconds=settings.arm_timeout_seconds,
            sleep=sleep,
        )

    async def __aenter__(self) -> ArmClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._own_client:
            await self._client.aclose()

    # -- URL handling --------------------------------------------------------------------------

    def resolve_url(self, path_or_url: str, api_version: str | None = None) -> str:
        """Absolute URL on the management origin, or ``ForeignOriginError`` / ``InvalidRequestError``."""
        if not isinstance(path_or_url, str) or not path_or_url:
            raise InvalidRequestError("url", "empty ARM path")
        if "://" in path_or_url or path_or_url.startswith("//"):
            try:
                foreign = origin_of(path_or_url) != self.origin
            except ValueError:
                foreign = True
            if foreign:
                raise ForeignOriginError(path_or_url, self.origin)
            url = path_or_url
        elif path_or_url.startswith("/"):
            url = self.endpoint + path_or_url
        else:
            raise InvalidRequestError("url", "ARM path must start with '/'")
        path = urlsplit(url).path
        if _BAD_PATH.search(path):
            raise InvalidRequestError(
                "url", "ARM path contains dot segments, encoded slashes or control characters"
            )
        if api_version and "api-version=" not in (urlsplit(url).query or ""):
            url += ("&" if "?" in url else "?") + "api-version=" + api_version
        return url

    # -- requests -----------------------------------------------------------------------------

    async def get(self, path_or_url: str, *, api_version: str | None = None) -> ArmResponse:
        return await self.request("GET", path_or_url, api_version=api_version)

    async def put(self, path_or_url: str, *, api_version: str | None = None, json: Any = None) -> ArmResponse:
        return await self.request("PUT", path_or_url, api_version=api_version, json=json)

    async def post(
        self, path_or_url: str, *, api_version: str | None = None, json: Any = None
    ) -> ArmResponse:
        return await self.request("POST", path_or_url, api_version=api_version, json=json)

    async def request(
        self,
        method: str,
        path_or_url: str,
        *,
        api_version: str | None = None,
        json: Any = None,
        raise_for_status: bool = True,
        idempotent: bool = True,
    ) -> ArmResponse:
        """Send one ARM request (with bounded retries). Non-2xx raises ``ArmError`` unless told not to.

        A request that is not ``idempotent`` (a restore, an on-demand backup) is re-sent only when it surely
        did not take effect: a 429 (throttled before it was processed) or a connection that never opened.
        After a timeout, a dropped connection or a 5xx it may have started something, so the error goes
        to the caller, whose job is to find out before asking again.
        """
        method = method.upper()
        url = self.resolve_url(path_or_url, api_version)
        subscription = subscription_of(url)
        kind = RateLimiter.kind_of(method)
        content = None if json is None else jsonlib.dumps(json).encode()
        attempt = 0
        while True:
            attempt += 1
            await self._limiter.acquire(subscription, kind)
            headers = await self._headers(content is not None)
            t0 = time.monotonic()
            try:
                raw = await self._client.request(method, url, content=content, headers=headers)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                code = "RequestTimeout" if isinstance(exc, httpx.TimeoutException) else "ConnectionError"
                self._log(method, url, None, t0, attempt, note=code)
                never_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
                if attempt <= self.max_retries and (idempotent or never_sent):
                    await self._sleep(self._backoff(attempt))
                    continue
                raise ArmError(
                    status=0,
                    code=code,
                    message=f"{method} {urlsplit(url).path} failed: {type(exc).__name__}",
                    is_retryable=True,
                    correlation_id=headers.get("x-ms-correlation-request-id"),
                ) from None
            self._log(method, url, raw.status_code, t0, attempt)
            response = self._to_response(raw, attempt)
            retry_after = parse_retry_after(response.header("retry-after"))
            self._limiter.observe(
                subscription,
                kind,
                status=raw.status_code,
                remaining=remaining_quota(kind, response.headers),
                retry_after=retry_after,
            )
            retry_safe = idempotent or raw.status_code == 429
            if raw.status_code in _RETRY_STATUSES and attempt <= self.max_retries and retry_safe:
                wait = self._backoff(attempt) if retry_after is None else retry_after
                if wait <= self.max_retry_wait_seconds:
                    await self._sleep(wait)
                    continue
            if raise_for_status and not 200 <= raw.status_code < 300:
                raise ArmError.from_response(raw.status_code, response.headers, raw.content)
            return response

    # -- internals ----------------------------------------------------------------------------

    async def _headers(self, has_body: bool) -> dict[str, str]:
        token = await self._credential.get_token(self._scope)
        headers = {
            "Authorization": f"Bearer {token.token}",
            "Accept": "application/json",
            "x-ms-client-request-id": str(uuid.uuid4()),
        }
        correlation_id = _correlation_id.get()
        if correlation_id:
            headers["x-ms-correlation-request-id"] = correlation_id
        if has_body:
            headers["Content-Type"] = "application/json"
        return headers

    def _backoff(self, attempt: int) -> float:
        base = self.backoff_base_seconds * (2 ** (attempt - 1))
        return min(self.max_retry_wait_seconds, base * (0.8 + 0.4 * random.random()))

    @staticmethod
    def _to_response(raw: httpx.Response, attempts: int) -> ArmResponse:
        body: Any = None
        if raw.content:
            try:
                body = raw.json()
            except (ValueError, UnicodeDecodeError):
                body = raw.text
        headers = {k.lower(): v for k, v in raw.headers.items()}
        return ArmResponse(
            status=raw.status_code,
            headers=headers,
            body=body,
            attempts=attempts,
        )

    @staticmethod
    def _log(method: str, url: str, status: int | None, t0: float, attempt: int, note: str = "") -> None:
        log.info(
            "ARM %s %s -> %s in %.0f ms (attempt %d)%s",
            method,
            urlsplit(url).path,
            status if status is not None else "no response",
            (time.monotonic() - t0) * 1000,
            attempt,
            f" {note}" if note else "",
        )
