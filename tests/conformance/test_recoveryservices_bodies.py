"""Every Recovery Services request body the file-share flow sends validates against the 2025-08-01
swagger (``bms.json``, when the corpus is present) and the official ``azure-mgmt-recoveryservicesbackup``
models (always), and the checks catch mistakes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from shared.arm.operations import async_operation_from
from shared.lifecycle.backup import expiry_text
from shared.protection.kinds import FILE_SHARE, ProtectionTarget
from shared.services import recoveryservices as rs
from tests.conformance.body_checkers import RS_CHECKERS, Checker
from tests.conformance.corpus import load_json
from tests.conformance.swagger_schema import BMS, swagger

SUB = "00000000-0000-0000-0000-000000000001"
ACCOUNT = f"/subscriptions/{SUB}/resourceGroups/rg-files/providers/Microsoft.Storage/storageAccounts/stfiles"
SHARE = f"{ACCOUNT}/fileServices/default/shares/orders"
VAULT = f"/subscriptions/{SUB}/resourceGroups/rg-backup/providers/Microsoft.RecoveryServices/vaults/rsv"
POLICY = rs.policy_id(VAULT, "daily")


def _protect_body() -> dict[str, Any]:
    return FILE_SHARE.build_request(ProtectionTarget(SHARE, "westeurope", POLICY))


@pytest.mark.corpus
def test_the_swagger_is_the_api_version_we_send() -> None:
    assert swagger(BMS)["info"]["version"] == rs.API_VERSION


@pytest.mark.parametrize("checker", RS_CHECKERS)
def test_register_container_body(checker: Checker) -> None:
    assert checker("ProtectionContainerResource", rs.register_container_body(ACCOUNT, "stfiles")) == []


@pytest.mark.parametrize("checker", RS_CHECKERS)
def test_enable_protection_body(checker: Checker) -> None:
    body = _protect_body()

    assert body["properties"]["protectedItemType"] == "AzureFileShareProtectedItem"
    assert checker("ProtectedItemResource", body) == []


@pytest.mark.parametrize("checker", RS_CHECKERS)
@pytest.mark.parametrize(
    ("definition", "body", "fragment"),
    [
        (
            "ProtectedItemResource",
            {"properties": {"protectedItemType": "AzureFileShareItem", "policyId": POLICY}},
            "is not one of",
        ),
        ("ProtectedItemResource", {"properties": {"policyId": POLICY}}, "'protectedItemType'"),
        (
            "ProtectedItemResource",
            {"properties": {"protectedItemType": "AzureFileShareProtectedItem", "policyID": POLICY}},
            "policyID",
        ),
        (
            "ProtectionContainerResource",
            {"properties": {"containerType": "StorageContainer", "sourceResourceID": ACCOUNT}},
            "sourceResourceID",
        ),
    ],
)
def test_the_checks_reject_bad_bodies(definition: str, body: Any, fragment: str, checker: Checker) -> None:
    problems = checker(definition, body)

    assert any(fragment in p for p in problems), problems


# -- against the Learn captures of seeds/004 (docs-fileshare) ---------------------------------------------

CAPTURE_ACCOUNT = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/AzureFiles/providers/"
    "Microsoft.Storage/storageAccounts/testvault2"
)


@pytest.mark.corpus
def test_our_bodies_are_the_captured_requests() -> None:
    register = load_json(
        "recoveryservicesbackup/docs-fileshare/fs03_ProtectionContainers_Register_AzureStorage.json"
    )
    protect = load_json(
        "recoveryservicesbackup/docs-fileshare/fs06_ProtectedItems_CreateOrUpdate_AzureFileShare.json"
    )
    policy = protect["request"]["body"]["properties"]["policyId"]

    assert rs.register_container_body(CAPTURE_ACCOUNT, "testvault2") == register["request"]["body"]
    share = f"{CAPTURE_ACCOUNT}/fileServices/default/shares/testshare"
    assert (
        FILE_SHARE.build_request(ProtectionTarget(share, "westeurope", policy)) == protect["request"]["body"]
    )


@pytest.mark.corpus
def test_the_names_are_read_from_the_captured_answers() -> None:
    containers = load_json(
        "recoveryservicesbackup/docs-fileshare/fs02_ProtectableContainers_List_AzureStorage.json"
    )
    items = load_json(
        "recoveryservicesbackup/docs-fileshare/fs05_BackupProtectableItems_List_AzureFileShare.json"
    )

    assert rs.find_protectable_container(containers["response"]["body"], CAPTURE_ACCOUNT.lower()) == (
        "StorageContainer;Storage;AzureFiles;testvault2"
    )
    assert rs.find_protectable_share(items["response"]["body"], CAPTURE_ACCOUNT, "testshare") == (
        "storagecontainer;storage;azurefiles;testvault2",
        "azurefileshare;testshare",
    )
    assert rs.find_protectable_share(items["response"]["body"], CAPTURE_ACCOUNT, "azurefiles1") is None


@pytest.mark.corpus
def test_the_captured_enable_protection_answer_is_tracked_through_its_azure_asyncoperation_url() -> None:
    capture = load_json(
        "recoveryservicesbackup/docs-fileshare/fs06_ProtectedItems_CreateOrUpdate_AzureFileShare.json"
    )
    headers = capture["response"]["headers"]

    operation = async_operation_from(capture["response"]["status"], headers)

    assert operation is not None
    assert operation.status_url == headers["Azure-AsyncOperation"]
    assert operation.retry_after_seconds == 60.0  # "Retry-Afte" (sic) is no Retry-After: the default


# -- restores ---------------------------------------------------------------------------------------------

OTHER_ACCOUNT = ACCOUNT.replace("stfiles", "stother")
RESTORES = {
    "full-original": rs.share_restore_body(source_account_id=ACCOUNT, copy_options="Overwrite"),
    "full-alternate": rs.share_restore_body(
        source_account_id=ACCOUNT,
        copy_options="Skip",
        target_account_id=OTHER_ACCOUNT,
        target_share="recovered",
        target_folder="restoredata",
    ),
    "items-alternate": rs.share_restore_body(
        source_account_id=ACCOUNT,
        copy_options="Skip",
        items=[("plans/budget.xlsx", "File"), ("designs", "Directory")],
        target_account_id=OTHER_ACCOUNT,
        target_share="recovered",
    ),
    "items-original": rs.share_restore_body(
        source_account_id=ACCOUNT, copy_options="Overwrite", items=[("designs", "Directory")]
    ),
}


@pytest.mark.parametrize("checker", RS_CHECKERS)
@pytest.mark.parametrize("name", sorted(RESTORES))
def test_share_restore_bodies(name: str, checker: Checker) -> None:
    assert checker("RestoreRequestResource", RESTORES[name]) == []


@pytest.mark.corpus
@pytest.mark.parametrize(
    ("capture", "ours"),
    [
        ("fs09_Restores_Trigger_AzureFileShare_FullShare_OriginalLocation.json", {}),
        (
            "fs10_Restores_Trigger_AzureFileShare_FullShare_AlternateLocation.json",
            {"target_share": "azurefiles1", "target_folder": "restoredata"},
        ),
    ],
)
def test_our_restore_bodies_are_the_captured_requests(capture: str, ours: dict[str, Any]) -> None:
    sent = load_json(f"recoveryservicesbackup/docs-fileshare/{capture}")["request"]["body"]
    props = sent["properties"]
    target = (props.get("targetDetails") or {}).get("targetResourceId")

    built = rs.share_restore_body(
        source_account_id=props["sourceResourceId"],
        copy_options=props["copyOptions"],
        target_account_id=target,
        **ours,
    )

    assert built == sent


# -- backup now and protection changes ---------------------------------------------------------------------

CHANGES = {
    "stop": rs.protection_change_body(ACCOUNT, POLICY, rs.STOPPED),
    "suspend": rs.protection_change_body(ACCOUNT, POLICY, rs.SUSPENDED),
    "resume": rs.protection_change_body(ACCOUNT, POLICY, None),
}


@pytest.mark.parametrize("checker", RS_CHECKERS)
def test_the_share_backup_now_body(checker: Checker) -> None:
    body = rs.backup_request_body(expiry_text(datetime(2026, 3, 7, 18, 29, 59, tzinfo=UTC)))

    assert checker("BackupRequestResource", body) == []


@pytest.mark.parametrize("checker", RS_CHECKERS)
@pytest.mark.parametrize("name", sorted(CHANGES))
def test_the_share_protection_change_bodies(name: str, checker: Checker) -> None:
    assert checker("ProtectedItemResource", CHANGES[name]) == []


@pytest.mark.parametrize("checker", RS_CHECKERS)
def test_the_checks_reject_a_state_the_api_does_not_have(checker: Checker) -> None:
    body = rs.protection_change_body(ACCOUNT, POLICY, "BackupSchedulesSuspended")  # a Backup vault's state

    assert any("is not one of" in p for p in checker("ProtectedItemResource", body))


@pytest.mark.corpus
def test_the_protection_states_we_ask_for_are_the_api_s() -> None:
    states = swagger(BMS)["definitions"]["ProtectionState"]["enum"]

    assert {rs.STOPPED, rs.SUSPENDED} <= set(states)
    assert {"Protected", "IRPending"} <= set(states)  # what a resume settles in (SHARE_CONFIGURED)


@pytest.mark.corpus
def test_our_backup_now_body_is_the_captured_request() -> None:
    capture = load_json("recoveryservicesbackup/docs-fileshare/fs07_Backups_Trigger_AzureFileShare.json")
    sent = capture["request"]["body"]

    built = rs.backup_request_body(expiry_text(datetime(2020, 3, 7, 18, 29, 59, tzinfo=UTC)))

    assert built == sent
    operation = async_operation_from(capture["response"]["status"], capture["response"]["headers"])
    assert operation is not None
    assert operation.status_url == capture["response"]["headers"]["Azure-AsyncOperation"]
