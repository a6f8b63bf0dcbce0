"""One error type: ``CloudError`` renders as ARM's ``{"error": {code, message, ...}}`` envelope."""

from __future__ import annotations

from typing import Any


class CloudError(Exception):
    """An ARM error response. Raise it from any handler; the pipeline renders the envelope."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        target: str | None = None,
        details: list[dict[str, Any]] | None = None,
        additional_info: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.target = target
        self.details = details
        self.additional_info = additional_info
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})

    def error_object(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.target is not None:
            error["target"] = self.target
        if self.details is not None:
            error["details"] = self.details
        if self.additional_info is not None:
            error["additionalInfo"] = self.additional_info
        error.update(self.extra)
        return error

    def body(self) -> dict[str, Any]:
        return {"error": self.error_object()}


def user_facing(
    code: str, message: str, *, recommended_action: list[str] | None = None, is_retryable: bool = False
) -> dict[str, Any]:
    """DataProtection's ``UserFacingError`` object (used inside operation statuses and 400 bodies)."""
    return {
        "code": code,
        "message": message,
        "recommendedAction": recommended_action or [],
        "isRetryable": is_retryable,
        "isUserError": True,
        "properties": {},
        "details": [],
        "innerError": {},
        "target": "",
    }


def not_found(resource_type: str, name: str, resource_group: str | None = None) -> CloudError:
    """ARM's ``ResourceNotFound`` message shape."""
    where = f" under resource group '{resource_group}'" if resource_group else ""
    return CloudError(
        404,
        "ResourceNotFound",
        f"The Resource '{resource_type}/{name}'{where} was not found. "
        "For more details please go to https://aka.ms/ARMResourceNotFoundFix",
    )


def resource_group_not_found(name: str) -> CloudError:
    return CloudError(404, "ResourceGroupNotFound", f"Resource group '{name}' could not be found.")


def subscription_not_found(subscription_id: str) -> CloudError:
    return CloudError(
        404, "SubscriptionNotFound", f"The subscription '{subscription_id}' could not be found."
    )


def invalid_request_content(message: str) -> CloudError:
    return CloudError(400, "InvalidRequestContent", message)


def bad_request(code: str, message: str) -> CloudError:
    return CloudError(400, code, message)
