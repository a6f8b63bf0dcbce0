# ruff: noqa: E501 - ARM ids and bodies are long by nature
from __future__ import annotations

import json

import pytest

from shared.arm.credentials import LocalCredential, make_credential
from shared.config import Settings
from shared.errors import ArmError, ConfigError, InvalidRequestError
from shared.events import (
    REDACTED,
    EventGridPublisher,
    LogPublisher,
    cloud_event_to_dict,
    make_publisher,
    protection_event,
    restore_event,
    scrub,
)
from shared.protection.messages import OutcomeKind, ProtectionOutcome, ProtectionRequest
from shared.restore.status import RestoreStatus

SA = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct1"
BI = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/v/backupInstances/acct1-x"


def test_protection_request_round_trip_and_instance_id():
    req = ProtectionRequest.from_dict(json.dumps({"datasource_id": SA, "source_event_id": "e1"}))
    assert req.resource_type == "Microsoft.Storage/storageAccounts"
    again = ProtectionRequest.from_dict(req.to_message())
    assert again == req
    assert (
        req.instance_id()
        == ProtectionRequest.from_dict(
            {
                "datasource_id": SA.upper().replace(
                    "/SUBSCRIPTIONS/S/RESOURCEGROUPS/", "/subscriptions/s/resourceGroups/"
                )
            }
        ).instance_id()
    )
    assert req.instance_id().startswith("protect-")


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ("not json", "message"),
        ("[1, 2]", "message"),
        ({}, "datasource_id"),
        ({"datasource_id": 5}, "datasource_id"),
        ({"datasource_id": SA + "/../x"}, "resourceId"),
        ({"datasource_id": SA, "resource_type": "Microsoft.Compute/virtualMachines"}, "resource_type"),
        ({"datasource_id": SA, "dry_run": "yes"}, "dry_run"),
    ],
)
def test_malformed_queue_messages_are_clear_errors(message, field):
    with pytest.raises(InvalidRequestError) as info:
        ProtectionRequest.from_dict(message)
    assert info.value.field == field


def test_outcome_round_trip_with_error():
    err = ArmError(
        status=400,
        code="UserErrorMissingRequiredPermissions",
        message="missing",
        recommended_action=["grant"],
    )
    outcome = ProtectionOutcome(OutcomeKind.FAILED, SA, reason=err.message, error=err, vault_id="v")
    data = json.loads(json.dumps(outcome.to_json()))
    assert data["kind"] == "failed" and data["error"]["classification"] == "user_fixable"
    again = ProtectionOutcome.from_json(data)
    assert again.to_json() == outcome.to_json()
    assert isinstance(again.error, ArmError) and again.error.classification == "user_fixable"
    with pytest.raises(ValueError, match="nope"):
        ProtectionOutcome.from_json({"kind": "nope", "datasource_id": SA})


def test_scrub_redacts_secrets_but_keeps_references():
    data = {
        "secret_uri": "https://kv.vault.azure.net/secrets/s",
        "password": "hunter2",
        "nested": {"accessToken": "abc", "url": "https://a.blob.core.windows.net/c?sv=1&sig=SECRET&se=2"},
        "msg": "failed with Authorization: Bearer eyJabc.def",
    }
    out = scrub(data)
    text = json.dumps(out)
    assert "hunter2" not in text and "SECRET" not in text and "eyJabc" not in text and '"abc"' not in text
    assert out["secret_uri"] == data["secret_uri"]
    assert out["password"] == REDACTED
    assert "sv=1" in out["nested"]["url"]


def test_cloud_events():
    outcome = ProtectionOutcome(
        OutcomeKind.ALREADY_PROTECTED, SA, reason="UserErrorDppDatasourceAlreadyProtected"
    )
    ev = cloud_event_to_dict(protection_event(outcome))
    assert ev["specversion"] == "1.0" and ev["type"] == "BackupAutopilot.Protection.AlreadyProtected"
    assert ev["subject"] == SA and ev["data"]["kind"] == "already_protected"
    failed = cloud_event_to_dict(restore_event(RestoreStatus(BI, "failed")))
    assert failed["type"] == "BackupAutopilot.Restore.Failed"
    assert (
        cloud_event_to_dict(restore_event(RestoreStatus(BI, "succeeded")))["type"]
        == "BackupAutopilot.Restore.Succeeded"
    )


async def test_log_publisher_and_eventgrid_publisher_over_http():
    log_pub = LogPublisher()
    await log_pub.publish([protection_event(ProtectionOutcome(OutcomeKind.SKIPPED, SA, reason="no rule"))])
    assert log_pub.sent[0]["data"]["reason"] == "no rule"

    configured = Settings.from_env(
        {"EVENTGRID_TOPIC_ENDPOINT": "https://topic.example.test/api/events", "EVENTGRID_TOPIC_KEY": "k"}
    )
    publisher = make_publisher(configured)
    assert isinstance(publisher, EventGridPublisher)
    await publisher.close()


def test_settings_from_env_defaults_and_errors():
    s = Settings.from_env({})
    assert (
        s.arm_endpoint == "https://management.azure.com"
        and s.arm_scope == "https://management.azure.com/.default"
    )
    assert not s.grant_roles and isinstance(make_publisher(s), LogPublisher)
    local = Settings.from_env(
        {
            "ARM_ENDPOINT": "http://127.0.0.1:7180/",
            "ARM_CREDENTIAL": "local",
            "PROTECTION_GRANT_ROLES": "true",
            "EVENTGRID_TOPIC_ENDPOINT": "http://127.0.0.1:7180/eventgrid/topics/t/api/events",
            "EVENTGRID_TOPIC_KEY": "k",
            "RESTORE_ALLOWED_SCOPES": "/subscriptions/s/resourceGroups/a, /subscriptions/s2",
        }
    )
    assert local.arm_origin == "http://127.0.0.1:7180" and local.grant_roles
    assert isinstance(make_credential(local), LocalCredential)
    assert local.restore_allowed_scopes == ("/subscriptions/s/resourceGroups/a", "/subscriptions/s2")
    assert "eventgrid_topic_key" not in repr(local)
    for env, name in [
        ({"ARM_ENDPOINT": "ftp://x"}, "ARM_ENDPOINT"),
        ({"ARM_ENDPOINT": "https://x/path"}, "ARM_ENDPOINT"),
        ({"ARM_CREDENTIAL": "guess"}, "ARM_CREDENTIAL"),
        ({"PROTECTION_GRANT_ROLES": "maybe"}, "PROTECTION_GRANT_ROLES"),
        ({"ARM_MAX_RETRIES": "-1"}, "ARM_MAX_RETRIES"),
        ({"EVENTGRID_TOPIC_ENDPOINT": "https://t/api/events"}, "EVENTGRID_TOPIC_KEY"),
        ({"RESTORE_ALLOWED_SCOPES": "/subscriptions/s/../x"}, "RESTORE_ALLOWED_SCOPES"),
    ]:
        with pytest.raises(ConfigError) as info:
            Settings.from_env(env)
        assert info.value.setting == name


def test_scrub_removes_a_functions_key_from_urls_but_keeps_error_codes():
    data = {
        "error": {"code": "UserErrorMissingRequiredPermissions"},
        "statusUrl": "https://app.example/api/restores/r1?code=s3cr3t-function-key&x=1",
    }
    out = scrub(data)
    assert out["error"]["code"] == "UserErrorMissingRequiredPermissions"
    assert "s3cr3t-function-key" not in json.dumps(out) and "x=1" in out["statusUrl"]
