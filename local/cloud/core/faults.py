"""Injectable faults, matched per operation id (fnmatch pattern, case-insensitive) and subscription.

Kinds:
- ``throttle``: 429 + Retry-After and the ARM throttling body.
- ``error``: an HTTP error (default 500 ``InternalServerError``) with a CloudError body.
- ``reset``: the connection is dropped without a complete response (see ``local.cloud.app``).
- ``reset_after``: the request is carried out (it takes effect), then the connection is dropped before the
  response: what a client sees when its POST reached Azure but the answer was lost.
- ``delay``: the response is delayed by ``delay_seconds`` (real seconds), then served normally.
- ``fail_operation``: the request is accepted, but the async operation it starts ends ``Failed``.
- ``fail_job``: the job it starts ends ``Failed``.
- ``protection_error``: a backup-instance configure succeeds, then the protection settles in
  ``ProtectionError`` with this code and message (``protectionStatus.errorDetails``).

A rule fires ``count`` times (None = forever) with ``probability`` (default 1).
"""

from __future__ import annotations

import fnmatch
import random
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from .errors import CloudError

REQUEST_KINDS = {"throttle", "error", "reset", "delay", "reset_after"}
OUTCOME_KINDS = {"fail_operation", "fail_job", "protection_error"}


@dataclass
class FaultRule:
    kind: str
    operation: str = "*"
    subscription: str | None = None
    count: int | None = None
    probability: float = 1.0
    status: int = 500
    code: str = "InternalServerError"
    message: str = "Encountered internal server error. Please try again."
    retry_after: int = 1
    delay_seconds: float = 0.0
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    fired: int = 0

    def __post_init__(self) -> None:
        if self.kind not in REQUEST_KINDS | OUTCOME_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}")

    def matches(self, operation_id: str, subscription: str | None) -> bool:
        if self.count is not None and self.fired >= self.count:
            return False
        if not fnmatch.fnmatchcase(operation_id.lower(), self.operation.lower()):
            return False
        return not (self.subscription and (subscription or "").lower() != self.subscription.lower())

    def error(self) -> CloudError:
        return CloudError(self.status, self.code, self.message)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class FaultInjector:
    def __init__(self, rng: random.Random | None = None) -> None:
        self._rules: list[FaultRule] = []
        self._rng = rng or random.Random()

    def add(self, rule: FaultRule) -> FaultRule:
        self._rules.append(rule)
        return rule

    def clear(self) -> None:
        self._rules.clear()

    @property
    def rules(self) -> list[FaultRule]:
        return list(self._rules)

    def _take(self, kinds: set[str], operation_id: str, subscription: str | None) -> FaultRule | None:
        for rule in self._rules:
            if rule.kind in kinds and rule.matches(operation_id, subscription):
                if rule.probability < 1.0 and self._rng.random() >= rule.probability:
                    continue
                rule.fired += 1
                return rule
        return None

    def for_request(self, operation_id: str, subscription: str | None) -> list[FaultRule]:
        """The request-level faults to apply (a delay may combine with one other fault)."""
        fired: list[FaultRule] = []
        delay = self._take({"delay"}, operation_id, subscription)
        if delay:
            fired.append(delay)
        other = self._take({"throttle", "error", "reset"}, operation_id, subscription)
        if other:
            fired.append(other)
        return fired

    def after_request(self, operation_id: str, subscription: str | None) -> FaultRule | None:
        """A ``reset_after`` to apply once the request has been carried out."""
        return self._take({"reset_after"}, operation_id, subscription)

    def operation_failure(self, operation_id: str, subscription: str | None) -> CloudError | None:
        rule = self._take({"fail_operation"}, operation_id, subscription)
        return rule.error() if rule else None

    def protection_error(self, operation_id: str, subscription: str | None) -> CloudError | None:
        """A configure that succeeded but whose protection then settles in ``ProtectionError``."""
        rule = self._take({"protection_error"}, operation_id, subscription)
        return rule.error() if rule else None

    def job_failure(self, operation_id: str, subscription: str | None) -> CloudError | None:
        rule = self._take({"fail_job"}, operation_id, subscription)
        return rule.error() if rule else None
