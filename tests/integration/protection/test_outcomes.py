# ruff: noqa: E501 - ARM ids are long by nature
"""Each protection outcome, end to end: ARM write -> Event Grid -> host -> emulated ARM -> outcome event.

One LocalStack (Azurite + emulated cloud + local Functions host) for the module, roles not granted by the app.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from local.stack import LocalStack
from shared.services import dataprotection as dp
from tests.integration.protection.support import (
    DEV,
    PROD,
    Outcomes,
    Recorder,
    account_body,
    account_id,
    backup_instances,
    put_account,
    rules_file,
    stack_config,
)

WEU_VAULT = f"/subscriptions/{PROD}/resourceGroups/rg-backup-weu/providers/Microsoft.DataProtection/backupVaults/bv-weu"
DRY_RUN_RULE = {
    "name": "tagged-dry-run",
    "dryRun": True,
    "match": {"resourceTypes": ["Microsoft.Storage/storageAccounts"], "tags": {"mode": "dry-run"}},
    "vault": {"id": WEU_VAULT, "location": "westeurope"},
    "policy": "blob-operational",
}
MISSING_PERMISSIONS_ACTION = (
    "Grant appropriate permissions to perform this operation as mentioned at "
    "https://aka.ms/UserErrorMissingRequiredPermissions and retry the operation."
)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    rules = rules_file(tmp_path_factory.mktemp("rules"), [DRY_RUN_RULE])
    with LocalStack(stack_config("outcomes", rules)) as running:
        yield running


@pytest.fixture(scope="module")
def outcomes(stack: LocalStack) -> Outcomes:
    return Outcomes(stack)


def test_each_outcome_with_its_reason(stack: LocalStack, outcomes: Outcomes) -> None:
    protected = account_id(PROD, "rg-data-weu", "e2eprotected")
    tagged_off = account_id(PROD, "rg-data-weu", "e2etaggedoff")
    hns = account_id(PROD, "rg-data-weu", "e2ehns")
    east = account_id(PROD, "rg-data-weu", "e2eeast")
    no_roles = account_id(PROD, "rg-data-neu", "e2enoroles")
    dry = account_id(PROD, "rg-data-weu", "e2edryrun")
    put_account(stack, protected, account_body())
    put_account(stack, tagged_off, account_body(tags={"backup": "off"}))
    put_account(stack, hns, account_body(hns=True))
    put_account(stack, east, account_body("eastus"))
    put_account(stack, no_roles, account_body("northeurope"))
    put_account(stack, dry, account_body(tags={"mode": "dry-run"}))

    got = outcomes.wait_for([protected, tagged_off, hns, east, no_roles, dry])

    assert got[protected]["kind"] == "protected"
    assert got[protected]["_type"] == "BackupAutopilot.Protection.Protected"
    assert got[protected]["rule"] == "prod-blobs-westeurope"
    assert got[protected]["vault_id"].lower() == WEU_VAULT.lower()
    assert got[tagged_off]["kind"] == "skipped"
    assert "backup=off" in got[tagged_off]["reason"]
    assert got[hns]["kind"] == "skipped"
    assert "hierarchical namespace" in got[hns]["reason"]
    assert got[east]["kind"] == "skipped"
    assert "no vault in region eastus" in got[east]["reason"]
    assert got[dry]["kind"] == "dry_run"
    assert got[dry]["rule"] == "tagged-dry-run"
    assert "would protect in" in got[dry]["reason"]

    failed = got[no_roles]
    assert failed["kind"] == "failed"
    assert "Storage Account Backup Contributor" in failed["reason"]
    assert "PROTECTION_GRANT_ROLES=true" in failed["reason"]
    assert failed["error"]["code"] == "UserErrorMissingRequiredPermissions"
    assert failed["error"]["message"] == "Appropriate permissions to perform the operation is missing."
    assert failed["error"]["recommendedAction"] == [MISSING_PERMISSIONS_ACTION]
    assert failed["roles_granted"] == []

    instances = backup_instances(stack)
    assert len(instances[protected.lower()]) == 1
    for resource in (tagged_off, hns, east, no_roles, dry):
        assert resource.lower() not in instances, f"{resource} must not be protected"


def _protect_by_hand(stack: LocalStack, datasource: str, name: str, policy: str | None = None) -> str:
    """What a user does in the portal: a backup instance under a name the app would not choose."""
    bi = f"{WEU_VAULT}/backupInstances/{name}"
    body = {
        "properties": {
            "objectType": "BackupInstance",
            "friendlyName": name,
            "dataSourceInfo": {
                "objectType": "Datasource",
                "resourceID": datasource,
                "resourceName": datasource.rsplit("/", 1)[-1],
                "resourceType": "Microsoft.Storage/storageAccounts",
                "resourceLocation": "westeurope",
                "datasourceType": "Microsoft.Storage/storageAccounts/blobServices",
            },
            "policyInfo": {"policyId": policy or f"{WEU_VAULT}/backupPolicies/blob-operational"},
        }
    }
    response = stack.arm("PUT", bi, body, api_version=dp.API_VERSION)
    assert response.status_code in (200, 201), response.text
    return bi


def test_already_protected_is_a_success(stack: LocalStack, outcomes: Outcomes) -> None:
    datasource = account_id(PROD, "rg-data-weu", "e2ebyhand")
    put_account(stack, datasource, account_body(tags={"backup": "off"}))
    assert outcomes.wait_for([datasource])[datasource]["kind"] == "skipped"
    _protect_by_hand(stack, datasource, "protected-by-hand")
    start = outcomes.mark()
    put_account(stack, datasource, account_body())  # the tag is removed: a new write event

    got = outcomes.wait_for([datasource], start=start)[datasource]

    assert got["kind"] == "already_protected"
    assert got["_type"] == "BackupAutopilot.Protection.AlreadyProtected"
    assert got["error"]["code"] == "UserErrorDppDatasourceAlreadyProtected"
    assert got["reason"] == f"Datasource is already protected under the Backup vault {WEU_VAULT}."
    assert got["error"]["recommendedAction"] == [
        f"Delete the backup instance protected-by-hand from the Backup vault {WEU_VAULT} to re-protect "
        "the datasource in any other vault."
    ]
    assert len(backup_instances(stack)[datasource.lower()]) == 1


def test_arm_failure_is_reported_verbatim(stack: LocalStack, outcomes: Outcomes) -> None:
    datasource = account_id(DEV, "rg-dev", "e2earmfailure")
    message = "The Backup vault is soft deleted. Undelete it and retry the operation."
    stack.admin(
        "POST",
        "/_admin/faults",
        {
            "kind": "error",
            "operation": "BackupInstances_CreateOrUpdate",
            "subscription": DEV,
            "status": 400,
            "code": "UserErrorBackupVaultSoftDeleted",
            "message": message,
            "count": 1,
        },
    )
    try:
        put_account(stack, datasource, account_body())
        got = outcomes.wait_for([datasource])[datasource]
    finally:
        stack.admin("DELETE", "/_admin/faults")

    assert got["kind"] == "failed"
    assert got["error"]["code"] == "UserErrorBackupVaultSoftDeleted"
    assert got["error"]["message"] == message
    assert got["reason"] == f"creating the backup instance failed: {message}"
    assert datasource.lower() not in backup_instances(stack)


def test_poll_url_on_a_foreign_origin_is_refused_without_a_token(
    stack: LocalStack, outcomes: Outcomes
) -> None:
    datasource = account_id(DEV, "rg-dev", "e2eforeign")
    recorder = Recorder()
    try:
        stack.admin("PUT", "/_admin/config", {"public_base_url": recorder.url})
        put_account(stack, datasource, account_body())
        got = outcomes.wait_for([datasource])[datasource]
    finally:
        stack.admin("PUT", "/_admin/config", {"public_base_url": None})
        recorder.close()

    assert got["kind"] == "failed"
    assert got["error"]["kind"] == "ForeignOriginError"
    assert got["error"]["urlOrigin"] == recorder.url
    assert "refused to follow a URL outside the management origin" in got["reason"]
    assert recorder.requests == [], "nothing, and so no bearer token, may reach a foreign origin"


def test_one_correlation_id_follows_a_resource_from_its_write_to_its_outcome(
    stack: LocalStack, outcomes: Outcomes
) -> None:
    """The write's correlation id -> the event -> the queue -> the orchestration -> every ARM call the app
    makes for it (``x-ms-correlation-request-id``) -> the outcome event."""
    resource = account_id(PROD, "rg-data-weu", "e2ecorrelated")
    correlation_id = "5f1d7c3e-0000-4a11-9c2e-c0ffee000001"
    start = outcomes.mark()
    written = httpx.put(
        f"{stack.cloud_url}{resource}?api-version=2023-05-01",
        json=account_body(),
        headers={"Authorization": "Bearer local-user-token", "x-ms-correlation-request-id": correlation_id},
        timeout=30,
    )
    assert written.status_code in (200, 201, 202), written.text
    got = outcomes.wait_for([resource], start=start)[resource]
    assert got["kind"] == "protected" and got["correlation_id"] == correlation_id
    calls = stack.admin("GET", "/_admin/counters")["correlations"].get(correlation_id, 0)
    # the user's PUT + the app's read, validateForBackup (+ poll), create (+ poll), read of the instance
    assert calls >= 6, calls


def _protect_under_fault(
    stack: LocalStack, outcomes: Outcomes, name: str, rule: dict[str, Any]
) -> tuple[str, dict[str, Any], list[int]]:
    """Create an account while one fault rule is on: (its id, its outcome, how often the rule fired)."""
    resource = account_id(PROD, "rg-data-weu", name)
    stack.admin("DELETE", "/_admin/faults")
    stack.admin("POST", "/_admin/faults", rule)
    try:
        start = outcomes.mark()
        put_account(stack, resource, account_body())
        got = outcomes.wait_for([resource], start=start)[resource]
        fired = [r["fired"] for r in stack.admin("GET", "/_admin/faults")["rules"]]
    finally:
        stack.admin("DELETE", "/_admin/faults")
    return resource, got, fired


def test_a_failed_create_the_service_marks_retryable_is_created_again(
    stack: LocalStack, outcomes: Outcomes
) -> None:
    rule = {"kind": "fail_operation", "operation": "BackupInstances_CreateOrUpdate", "count": 1}
    resource, got, fired = _protect_under_fault(stack, outcomes, "e2eretryable", rule)
    assert fired == [1]  # the first configure failed with InternalServerError (retryable)
    assert got["kind"] == "protected", got
    assert len(backup_instances(stack)[resource.lower()]) == 1


def test_a_status_read_that_fails_is_not_a_failed_operation(stack: LocalStack, outcomes: Outcomes) -> None:
    rule = {"kind": "error", "operation": "OperationStatus*", "status": 400, "code": "BadRequest", "count": 2}
    _, got, fired = _protect_under_fault(stack, outcomes, "e2eunreadable", rule)
    assert fired == [2]  # two status reads answered 400: read again, not taken as the operation failing
    assert got["kind"] == "protected", got


def test_a_protection_is_reported_protected_only_once_it_has_settled(
    stack: LocalStack, outcomes: Outcomes
) -> None:
    """The configure succeeds, then the instance stays ConfiguringProtection for 100 emulated seconds."""
    stack.admin("PUT", "/_admin/config", {"durations": {"backup_instance.settle": 100.0}})
    reads_before = stack.admin("GET", "/_admin/counters")["calls"].get("BackupInstances_Get", 0)
    try:
        resource = account_id(PROD, "rg-data-weu", "e2esettling")
        start = outcomes.mark()
        put_account(stack, resource, account_body())
        got = outcomes.wait_for([resource], start=start)[resource]
    finally:
        stack.admin("PUT", "/_admin/config", {"durations": {"backup_instance.settle": 0.0}})
    reads = stack.admin("GET", "/_admin/counters")["calls"].get("BackupInstances_Get", 0) - reads_before
    assert got["kind"] == "protected", got
    assert reads >= 3  # read while ConfiguringProtection (on durable timers), then once configured
    (instance,) = backup_instances(stack)[resource.lower()]
    state = stack.arm("GET", instance, api_version=dp.API_VERSION).json()["properties"][
        "currentProtectionState"
    ]
    assert state == "ProtectionConfigured"


def test_a_protection_that_settles_in_protection_error_fails_with_the_service_error_verbatim(
    stack: LocalStack, outcomes: Outcomes
) -> None:
    message = "The Backup vault's identity cannot read the key of the storage account's encryption."
    rule = {
        "kind": "protection_error",
        "operation": "BackupInstances_CreateOrUpdate",
        "count": 1,
        "status": 400,
        "code": "UserErrorKeyVaultPermissionsNotConfigured",
        "message": message,
    }
    _, got, fired = _protect_under_fault(stack, outcomes, "e2eprotectionerror", rule)
    assert fired == [1]
    assert got["kind"] == "failed", got
    assert got["error"]["code"] == "UserErrorKeyVaultPermissionsNotConfigured"
    assert message in got["reason"]


def test_a_datasource_protected_under_another_policy_is_drift_with_both_named(
    stack: LocalStack, outcomes: Outcomes
) -> None:
    other_policy = f"{WEU_VAULT}/backupPolicies/blob-operational-team"
    template = stack.arm("GET", f"{WEU_VAULT}/backupPolicies/blob-operational", api_version=dp.API_VERSION)
    created = stack.arm(
        "PUT", other_policy, {"properties": template.json()["properties"]}, api_version=dp.API_VERSION
    )
    assert created.status_code in (200, 201), created.text
    datasource = account_id(PROD, "rg-data-weu", "e2edrift")
    put_account(stack, datasource, account_body(tags={"backup": "off"}))
    assert outcomes.wait_for([datasource])[datasource]["kind"] == "skipped"
    instance = _protect_by_hand(stack, datasource, "drift-by-hand", policy=other_policy)
    start = outcomes.mark()
    put_account(stack, datasource, account_body())

    got = outcomes.wait_for([datasource], start=start)[datasource]

    assert got["kind"] == "drift", got
    assert got["_type"] == "BackupAutopilot.Protection.Drift"
    assert (got["policy_id"].lower(), got["backup_instance_id"].lower()) == (
        other_policy.lower(),
        instance.lower(),
    )
    assert other_policy in got["reason"] and f"{WEU_VAULT}/backupPolicies/blob-operational" in got["reason"]
    assert len(backup_instances(stack)[datasource.lower()]) == 1  # never moved
