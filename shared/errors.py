"""One error hierarchy for the domain core.

    BackupAutopilotError                 root; ``classification`` says what a caller should do about it
    ├── ConfigError                      a setting is missing or bad (names the setting)
    ├── RulesError                       the protection rules document is invalid (every problem, JSON path)
    ├── InvalidRequestError              bad input: event, queue message, HTTP body (names the field)
    │   └── InvalidResourceIdError       an ARM id that is malformed or tries a path trick
    ├── ForeignOriginError               a poll URL outside the management origin: never followed
    ├── ArmError                         an ARM error response or a failed operation, classified
    ├── SweepLimitError                  more compliance sweeps asked for in one minute than it allows
    └── RequestRefusedError              a refusal of the HTTP API (restores, backups now, protection
        │                                changes), with its HTTP status and problem type
        ├── NotFoundError                404
        ├── ScopeForbiddenError          403: outside the allowed scopes
        ├── InProgressError              409: another request of the backup instance is running
        └── NotPossibleError             422: well-formed, but Azure's facts say no

Errors are data: every error serialises to a plain dict (``to_dict``) and back (``error_from_dict``),
because it crosses Durable activity boundaries inside typed results (:mod:`shared.records`). ``ArmError``
parses every ARM ``CloudError`` shape and carries a :class:`Classification` the orchestrators branch on.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

ALREADY_PROTECTED_CODE = "UserErrorDppDatasourceAlreadyProtected"
MISSING_PERMISSIONS_CODE = "UserErrorMissingRequiredPermissions"


class Classification(StrEnum):
    TRANSIENT = "transient"
    USER_FIXABLE = "user_fixable"
    ALREADY_PROTECTED = "already_protected"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    PERMANENT = "permanent"


class BackupAutopilotError(Exception):
    """Root of every error raised by ``shared``."""

    kind = "BackupAutopilotError"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def classification(self) -> Classification:
        """What a caller should do about it; only ``ArmError`` can be transient or "already protected"."""
        return Classification.PERMANENT

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": self.message}


class ConfigError(BackupAutopilotError):
    """A setting is missing or has a bad value; names the setting."""

    kind = "ConfigError"

    def __init__(self, setting: str, reason: str) -> None:
        super().__init__(f"setting {setting}: {reason}")
        self.setting = setting
        self.reason = reason

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "setting": self.setting, "reason": self.reason}


class RulesError(BackupAutopilotError):
    """The protection rules document is invalid; ``problems`` lists each one with its JSON path."""

    kind = "RulesError"

    def __init__(self, problems: list[str], source: str = "rules") -> None:
        text = "; ".join(problems) if problems else "invalid rules"
        super().__init__(f"invalid protection rules ({source}): {text}")
        self.problems = list(problems)
        self.source = source

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "problems": self.problems, "source": self.source}


class InvalidRequestError(BackupAutopilotError):
    """Bad input (event, queue message, HTTP body): which field, and why."""

    kind = "InvalidRequestError"

    @property
    def classification(self) -> Classification:
        return Classification.USER_FIXABLE

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "field": self.field, "reason": self.reason}


class InvalidResourceIdError(InvalidRequestError):
    """An ARM resource id that is malformed or tries a path trick."""

    kind = "InvalidResourceIdError"

    def __init__(self, value: str, reason: str, field: str = "resourceId") -> None:
        super().__init__(field, reason)
        self.value = value

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "value": self.value}


class ForeignOriginError(BackupAutopilotError):
    """A URL (e.g. Azure-AsyncOperation / Location) is not on the management origin: never followed."""

    kind = "ForeignOriginError"

    def __init__(self, url: str, expected_origin: str) -> None:
        super().__init__(f"refused to follow a URL outside the management origin {expected_origin}")
        # Keep only the origin of the refused URL: the rest may carry secrets.
        self.url_origin = _origin_of(url)
        self.expected_origin = expected_origin

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "urlOrigin": self.url_origin, "expectedOrigin": self.expected_origin}


_TRANSIENT_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
_TRANSIENT_CODES = frozenset(
    {
        "requesttimeout",
        "toomanyrequests",
        "retryableerror",
        "retryableerrorduetoanotheroperation",
        "internalservererror",
        "serviceunavailable",
        "gatewaytimeout",
        "operationtimedout",
        "transienterror",
        "connectionerror",
    }
)
_NOT_FOUND_CODES = frozenset(
    {
        "resourcenotfound",
        "resourcegroupnotfound",
        "notfound",
        "subscriptionnotfound",
        "parentresourcenotfound",
    }
)
_CONFLICT_CODES = frozenset({"conflict", "anotheroperationinprogress", "operationnotallowed"})


class ArmError(BackupAutopilotError):
    """An ARM error response (CloudError) or a failed long-running operation, classified."""

    kind = "ArmError"

    def __init__(
        self,
        *,
        status: int,
        code: str,
        message: str,
        target: str | None = None,
        details: list[dict[str, Any]] | None = None,
        recommended_action: list[str] | None = None,
        is_retryable: bool | None = None,
        is_user_error: bool | None = None,
        request_id: str | None = None,
        correlation_id: str | None = None,
        retry_after_seconds: float | None = None,
    ) -> None:
        super().__init__(f"ARM {status} {code}: {message}")
        self.message = message  # verbatim ARM message; str(err) adds status and code
        self.status = status
        self.code = code
        self.arm_message = message
        self.target = target
        self.details = list(details or [])
        self.recommended_action = list(recommended_action or [])
        self.is_retryable = is_retryable
        self.is_user_error = is_user_error
        self.request_id = request_id
        self.correlation_id = correlation_id
        self.retry_after_seconds = retry_after_seconds

    @property
    def classification(self) -> Classification:
        return classify(self.status, self.code, self.is_retryable, self.is_user_error)

    @property
    def all_codes(self) -> list[str]:
        """This error's code followed by every nested detail code (for "is it about X?" checks)."""
        codes = [self.code]
        codes.extend(str(d.get("code")) for d in self.details if d.get("code"))
        return codes

    def has_code(self, code: str) -> bool:
        wanted = code.lower()
        return any(c.lower() == wanted for c in self.all_codes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "message": self.arm_message,
            "status": self.status,
            "code": self.code,
            "target": self.target,
            "details": self.details,
            "recommendedAction": self.recommended_action,
            "isRetryable": self.is_retryable,
            "isUserError": self.is_user_error,
            "requestId": self.request_id,
            "correlationId": self.correlation_id,
            "retryAfterSeconds": self.retry_after_seconds,
            "classification": self.classification.value,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ArmError:
        return cls(
            status=int(data.get("status") or 0),
            code=str(data.get("code") or "Unknown"),
            message=str(data.get("message") or ""),
            target=data.get("target"),
            details=list(data.get("details") or []),
            recommended_action=list(data.get("recommendedAction") or []),
            is_retryable=data.get("isRetryable"),
            is_user_error=data.get("isUserError"),
            request_id=data.get("requestId"),
            correlation_id=data.get("correlationId"),
            retry_after_seconds=data.get("retryAfterSeconds"),
        )

    @classmethod
    def from_response(
        cls, status: int, headers: Mapping[str, str] | None, body: bytes | str | Mapping[str, Any] | None
    ) -> ArmError:
        """Parse a non-2xx ARM response (any CloudError shape, or no JSON at all)."""
        hdrs = {k.lower(): v for k, v in (headers or {}).items()}
        parsed = _parse_body(body)
        err = parsed.get("error") if isinstance(parsed.get("error"), Mapping) else parsed
        fields = parse_error_object(err if isinstance(err, Mapping) else {})
        if not fields["code"]:
            fields["code"] = _default_code(status)
        if not fields["message"]:
            fields["message"] = _raw_text(body) or f"HTTP {status}"
        from shared.arm.retry_after import parse_retry_after  # local import: no cycle at module load

        return cls(
            status=status,
            request_id=hdrs.get("x-ms-request-id") or None,
            correlation_id=hdrs.get("x-ms-correlation-request-id") or None,
            retry_after_seconds=parse_retry_after(hdrs.get("retry-after")),
            **fields,
        )

    @classmethod
    def from_operation_error(cls, error: Mapping[str, Any] | None, *, status: int = 200) -> ArmError:
        """Build from the ``error`` object of a Failed/Canceled operation-status body."""
        fields = parse_error_object(error or {})
        fields["code"] = fields["code"] or "OperationFailed"
        fields["message"] = fields["message"] or "the operation failed without an error message"
        return cls(status=status, **fields)


class SweepLimitError(BackupAutopilotError):
    """More compliance sweeps were asked for in one minute than one minute's sweep ids allow."""

    kind = "SweepLimitError"


# -- refusals of the HTTP API, each with its HTTP status and problem type ------------------------


class RequestRefusedError(BackupAutopilotError):
    """A refusal of the HTTP API; ``status``/``title``/``problem_type`` feed the problem-details body."""

    kind = "RequestRefusedError"
    status = 400
    title = "The request was refused"
    problem_type = "refused"

    def __init__(self, detail: str, *, errors: list[dict[str, Any]] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors or [])
        self.extra = extra

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "status": self.status, "errors": self.errors, **self.extra}


class NotFoundError(RequestRefusedError):
    kind = "NotFoundError"
    status = 404
    title = "Not found"
    problem_type = "not-found"


class ScopeForbiddenError(RequestRefusedError):
    kind = "ScopeForbiddenError"
    status = 403
    title = "Outside the allowed scopes"
    problem_type = "scope-not-allowed"


class InProgressError(RequestRefusedError):
    kind = "InProgressError"
    status = 409
    title = "Another request of this backup instance is running"
    problem_type = "in-progress"


class NotPossibleError(RequestRefusedError):
    """Well-formed, but Azure's facts say no (time outside the ranges, unknown recovery point ...)."""

    kind = "NotPossibleError"
    status = 422
    title = "The request cannot be done as asked"
    problem_type = "not-possible"


def classify(status: int, code: str, is_retryable: bool | None, is_user_error: bool | None) -> Classification:
    lowered = (code or "").lower()
    if lowered == ALREADY_PROTECTED_CODE.lower():
        return Classification.ALREADY_PROTECTED
    if status in _TRANSIENT_STATUSES or lowered in _TRANSIENT_CODES or is_retryable is True:
        return Classification.TRANSIENT
    if lowered.startswith("usererror") or is_user_error is True:
        return Classification.USER_FIXABLE
    if status == 404 or lowered in _NOT_FOUND_CODES:
        return Classification.NOT_FOUND
    if status in (409, 412) or lowered in _CONFLICT_CODES:
        return Classification.CONFLICT
    if status in (401, 403) or lowered in {"authorizationfailed", "linkedauthorizationfailed"}:
        return Classification.USER_FIXABLE
    return Classification.PERMANENT


def parse_error_object(err: Mapping[str, Any]) -> dict[str, Any]:
    """Normalise one ARM/DataProtection error object into ``ArmError`` keyword arguments.

    Handles: plain ``{code, message, target, details}``; ``additionalInfo`` entries whose ``info`` is a
    DataProtection ``UserFacingError`` (``recommendedAction`` list or string, ``isRetryable``,
    ``isUserError``, ``innerError``); a bare ``UserFacingError`` at top level.
    """
    code = _str_or_none(err.get("code")) or ""
    message = _str_or_none(err.get("message")) or ""
    target = _str_or_none(err.get("target")) or None
    actions: list[str] = _as_list_of_str(err.get("recommendedAction"))
    is_retryable = _bool_or_none(err.get("isRetryable"))
    is_user_error = _bool_or_none(err.get("isUserError"))
    details: list[dict[str, Any]] = []
    for info in _user_facing_infos(err):
        actions.extend(a for a in _as_list_of_str(info.get("recommendedAction")) if a not in actions)
        if is_retryable is None:
            is_retryable = _bool_or_none(info.get("isRetryable"))
        if is_user_error is None:
            is_user_error = _bool_or_none(info.get("isUserError"))
        code = code or _str_or_none(info.get("code")) or ""
        message = message or _str_or_none(info.get("message")) or ""
        inner = info.get("innerError")
        if isinstance(inner, Mapping):
            details.append(_detail_from(inner, fallback_message=""))
    raw_details = err.get("details")
    if isinstance(raw_details, list):
        for d in raw_details:
            if isinstance(d, Mapping):
                details.append(_detail_from(d, fallback_message=""))
                actions.extend(a for a in _as_list_of_str(d.get("recommendedAction")) if a not in actions)
    inner = err.get("innerError")
    if isinstance(inner, Mapping):
        details.append(_detail_from(inner, fallback_message=""))
    return {
        "code": code,
        "message": message,
        "target": target,
        "details": details,
        "recommended_action": actions,
        "is_retryable": is_retryable,
        "is_user_error": is_user_error,
    }


def error_from_dict(data: Mapping[str, Any]) -> BackupAutopilotError:
    """Rebuild an error serialised with ``to_dict`` (the inverse, for any error in this hierarchy)."""
    kind = data.get("kind")
    if kind == "ArmError":
        return ArmError.from_dict(data)
    if kind == "ConfigError":
        return ConfigError(str(data.get("setting")), str(data.get("reason")))
    if kind == "RulesError":
        return RulesError(list(data.get("problems") or []), str(data.get("source") or "rules"))
    if kind == "InvalidResourceIdError":
        return InvalidResourceIdError(
            str(data.get("value")), str(data.get("reason")), str(data.get("field") or "resourceId")
        )
    if kind == "InvalidRequestError":
        return InvalidRequestError(str(data.get("field")), str(data.get("reason")))
    if kind == "ForeignOriginError":
        err = ForeignOriginError(str(data.get("urlOrigin") or ""), str(data.get("expectedOrigin")))
        return err
    return BackupAutopilotError(str(data.get("message") or "unknown error"))


# -- helpers -----------------------------------------------------------------------------------------


def _user_facing_infos(err: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    infos: list[Mapping[str, Any]] = []
    extra = err.get("additionalInfo")
    if isinstance(extra, list):
        for entry in extra:
            if isinstance(entry, Mapping) and isinstance(entry.get("info"), Mapping):
                infos.append(entry["info"])
    return infos


def _detail_from(d: Mapping[str, Any], fallback_message: str) -> dict[str, Any]:
    out: dict[str, Any] = {"code": _str_or_none(d.get("code")) or ""}
    msg = _str_or_none(d.get("message"))
    if msg or fallback_message:
        out["message"] = msg or fallback_message
    info = d.get("additionalInfo")
    if isinstance(info, Mapping):
        out["additionalInfo"] = {str(k): v for k, v in info.items()}
    if d.get("target"):
        out["target"] = str(d.get("target"))
    return out


def _parse_body(body: bytes | str | Mapping[str, Any] | None) -> Mapping[str, Any]:
    if body is None:
        return {}
    if isinstance(body, Mapping):
        return body
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, Mapping) else {}


def _raw_text(body: bytes | str | Mapping[str, Any] | None) -> str:
    if body is None or isinstance(body, Mapping):
        return ""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    return text.strip()[:500]


def _default_code(status: int) -> str:
    return {
        400: "BadRequest",
        401: "Unauthorized",
        403: "Forbidden",
        404: "NotFound",
        408: "RequestTimeout",
        409: "Conflict",
        429: "TooManyRequests",
        500: "InternalServerError",
        502: "BadGateway",
        503: "ServiceUnavailable",
        504: "GatewayTimeout",
    }.get(status, f"Http{status}")


def _str_or_none(v: object) -> str | None:
    return v if isinstance(v, str) else None


def _bool_or_none(v: object) -> bool | None:
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.lower() in ("true", "false"):
        return v.lower() == "true"
    return None


def _as_list_of_str(v: object) -> list[str]:
    if isinstance(v, str):
        return [v] if v else []
    if isinstance(v, list):
        return [x for x in v if isinstance(x, str) and x]
    return []


def _origin_of(url: str) -> str:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable>"
    return f"{parts.scheme}://{parts.hostname or ''}" + (f":{parts.port}" if parts.port else "")
