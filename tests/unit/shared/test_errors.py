from __future__ import annotations

import json

import pytest

from shared.errors import (
    ALREADY_PROTECTED_CODE,
    MISSING_PERMISSIONS_CODE,
    ArmError,
    Classification,
    ConfigError,
    ForeignOriginError,
    InvalidRequestError,
    InvalidResourceIdError,
    RulesError,
    error_from_dict,
)
from tests.fixtures import dataprotection as fx


def test_already_protected_body_is_classified_as_success_case():
    body = fx.ALREADY_PROTECTED_ERROR
    err = ArmError.from_response(400, {"x-ms-correlation-request-id": "c-1"}, json.dumps(body).encode())
    assert err.code == ALREADY_PROTECTED_CODE
    assert err.classification is Classification.ALREADY_PROTECTED
    assert err.recommended_action == [fx.ALREADY_PROTECTED_ACTION]  # from the UserFacingError info
    assert err.is_user_error is False and err.is_retryable is False
    assert err.correlation_id == "c-1"
    assert err.message == fx.ALREADY_PROTECTED_MESSAGE


def test_missing_permissions_with_inner_error_from_operation_status():
    status = fx.STATUS_FAILED_MISSING_PERMISSIONS
    err = ArmError.from_operation_error(status["error"])
    assert err.classification is Classification.USER_FIXABLE
    assert err.has_code(MISSING_PERMISSIONS_CODE)
    assert err.recommended_action == [fx.MISSING_PERMISSIONS_ACTION]
    inner = err.details[0]
    assert inner["code"] == MISSING_PERMISSIONS_CODE
    assert "roleAssignments/read" in inner["additionalInfo"]["DetailedNonLocalisedMessage"]


@pytest.mark.parametrize("body", fx.ERROR_BODIES, ids=lambda b: b["error"]["code"])
def test_every_contract_error_body_parses(body):
    err = ArmError.from_response(400, {}, body)
    assert err.code.startswith("UserError")
    assert err.code == body["error"]["code"]
    assert err.arm_message == body["error"]["message"]
    assert err.recommended_action


def test_plain_arm_error_with_nested_details():
    body = {
        "error": {
            "code": "InvalidTemplate",
            "message": "outer",
            "target": "properties.x",
            "details": [{"code": "Inner1", "message": "m1", "recommendedAction": "do this"}],
        }
    }
    err = ArmError.from_response(400, {"x-ms-request-id": "r-1"}, body)
    assert (err.code, err.arm_message, err.target, err.request_id) == (
        "InvalidTemplate",
        "outer",
        "properties.x",
        "r-1",
    )
    assert err.details[0] == {"code": "Inner1", "message": "m1"}
    assert err.recommended_action == ["do this"]
    assert err.classification is Classification.PERMANENT


def test_bare_user_facing_error_with_string_recommended_action():
    body = {
        "code": "UserErrorX",
        "message": "m",
        "recommendedAction": "fix it",
        "isRetryable": False,
        "isUserError": True,
    }
    err = ArmError.from_response(400, None, body)
    assert err.recommended_action == ["fix it"]
    assert err.is_user_error is True
    assert err.classification is Classification.USER_FIXABLE


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (429, b"", Classification.TRANSIENT),
        (503, b"<html>down</html>", Classification.TRANSIENT),
        (408, None, Classification.TRANSIENT),
        (404, {"error": {"code": "ResourceNotFound", "message": "gone"}}, Classification.NOT_FOUND),
        (409, {"error": {"code": "Conflict", "message": "busy"}}, Classification.CONFLICT),
        (403, {"error": {"code": "AuthorizationFailed", "message": "no"}}, Classification.USER_FIXABLE),
        (400, {"error": {"code": "Whatever", "message": "x", "isRetryable": True}}, Classification.TRANSIENT),
        (400, {"error": {"code": "BadThing", "message": "x"}}, Classification.PERMANENT),
    ],
)
def test_classification_table(status, body, expected):
    assert ArmError.from_response(status, {}, body).classification is expected


def test_non_json_body_kept_as_message_and_default_code():
    err = ArmError.from_response(502, {"Retry-After": "7"}, b"Bad gateway from proxy")
    assert err.code == "BadGateway"
    assert err.arm_message == "Bad gateway from proxy"
    assert err.retry_after_seconds == 7


@pytest.mark.parametrize(
    "error",
    [
        ArmError(
            status=400, code="UserErrorX", message="m", recommended_action=["a"], details=[{"code": "c"}]
        ),
        ConfigError("ARM_ENDPOINT", "bad"),
        RulesError(["$.rules: bad"], "inline"),
        InvalidRequestError("field", "why"),
        InvalidResourceIdError("/x", "bad id"),
        ForeignOriginError("https://evil.example/op?sig=secret", "https://management.azure.com"),
    ],
)
def test_errors_round_trip_through_json(error):
    data = json.loads(json.dumps(error.to_dict()))
    again = error_from_dict(data)
    assert type(again) is type(error)
    assert again.to_dict() == error.to_dict()


def test_foreign_origin_error_keeps_only_the_origin():
    err = ForeignOriginError("https://evil.example:8443/op?sig=secret", "https://management.azure.com")
    assert "secret" not in json.dumps(err.to_dict())
    assert err.url_origin == "https://evil.example:8443"
