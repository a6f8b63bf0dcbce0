"""``protect_datasource`` on an Azure file share, replayed by the Durable SDK over histories of ours.

The Recovery Services flow of seeds/004: each path pinned by the activities and timers it schedules, the
inputs it sends (names as the service gave them) and the outcome it publishes.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from functions.protection.flows import recoveryservices as rs_flow
from functions.protection.recoveryservices_activities import ContainerCall, ProtectedShare, VaultCall
from shared.errors import ArmError
from shared.protection.holder import Holder
from shared.protection.messages import ProtectionOutcome, ProtectionStart, ReadRequest, RoleGrant
from shared.services import recoveryservices as rs
from shared.services import resourcegraph as rg
from tests.unit.functions.history import History, Played, play
from tests.unit.functions.protection_cloud import protect_fn
from tests.unit.functions.share_cloud import (
    ACCOUNT_ID,
    CONTAINER,
    HAPPY,
    ITEM,
    ITEM_ID,
    POLICY,
    ROLE,
    RS_VAULT,
    RULE,
    SHARE,
    SHARE_ID,
    ShareCloud,
    missing_permissions,
    start_share,
)

NAME = "protect_datasource"


def _play(begin: ProtectionStart, cloud: ShareCloud) -> Played:
    return play(protect_fn(), History(NAME, begin), cloud.for_replay)


def _published(played: Played) -> dict[str, Any]:
    (outcome,) = played.inputs("publish_protection_outcome")
    assert isinstance(outcome, ProtectionOutcome)
    return outcome.to_json()


def test_a_new_share_is_discovered_registered_inquired_protected_and_confirmed() -> None:
    played = _play(start_share(), ShareCloud())

    assert played.names == HAPPY
    reads = played.inputs("read_and_plan")
    assert [(r.resource_id, r.api_version, r.datasource) for r in reads] == [
        (SHARE_ID, "2023-05-01", None),
        (ACCOUNT_ID, "2023-05-01", SHARE),  # a share has no location or tags: its account's, then the plan
    ]
    assert {r.request.correlation_id for r in reads} == {"c-9"}
    assert played.inputs("rs_refresh_containers") == [VaultCall(RS_VAULT, ACCOUNT_ID, "orders", "c-9")]
    (register,) = played.inputs("rs_register_container")
    assert register == ContainerCall(
        RS_VAULT, CONTAINER, "", rs.register_container_body(ACCOUNT_ID, "stfiles"), "c-9"
    )
    assert played.inputs("rs_inquire") == [ContainerCall(RS_VAULT, CONTAINER, correlation_id="c-9")]
    (protect,) = played.inputs("rs_protect_share")
    assert (protect.container_name, protect.item_name) == (CONTAINER, ITEM)  # the service's names
    assert protect.body == {
        "properties": {
            "protectedItemType": "AzureFileShareProtectedItem",
            "sourceResourceId": ACCOUNT_ID,
            "policyId": POLICY,
        }
    }
    assert played.inputs("rs_read_protected_item") == [ReadRequest(ITEM_ID, rs.API_VERSION, "c-9")]
    assert played.output["kind"] == "protected"
    assert played.output["reason"] == (
        f"protected by rule {RULE} (protection state IRPending; container {CONTAINER} registered)"
    )
    assert played.output["backup_instance_id"] == ITEM_ID
    assert (played.output["vault_id"], played.output["policy_id"]) == (RS_VAULT, POLICY)
    assert _published(played) == played.output


def test_every_wait_is_the_retry_after_of_the_operation_polled() -> None:
    played = _play(start_share(), ShareCloud(retry_after=7.0))

    assert played.waits() == [timedelta(seconds=7)] * 4


def test_refresh_answering_202_three_times_is_polled_until_its_204() -> None:
    played = _play(start_share(), ShareCloud(refresh_running=3, retry_after=5.0))

    refresh = played.names[: played.names.index("rs_find_protectable_container")]
    assert refresh[2:] == ["rs_refresh_containers"] + ["timer", "poll_operation"] * 4
    # the first wait is the POST's Retry-After, the others the Retry-After of each 202
    assert played.waits()[:4] == [timedelta(seconds=s) for s in (5, 6, 6, 6)]
    assert played.output["kind"] == "protected"


def test_a_registered_container_is_not_registered_again() -> None:
    played = _play(start_share(), ShareCloud(protectable=[None], registered=[CONTAINER]))

    assert "rs_register_container" not in played.names
    at = played.names.index("rs_find_protectable_container")
    assert played.names[at : at + 3] == [
        "rs_find_protectable_container",
        "rs_find_registered_container",
        "rs_inquire",
    ]
    assert played.output["kind"] == "protected"
    assert f"container {CONTAINER} was registered already" in played.output["reason"]


def test_a_share_not_yet_discoverable_is_looked_for_again_after_a_durable_timer() -> None:
    played = _play(start_share(), ShareCloud(shares=[None, None, (CONTAINER, ITEM)], registered=[CONTAINER]))

    assert played.names.count("rs_refresh_containers") == 3
    assert played.names.count("rs_find_protected_share") == 2  # not protected either: not discovered yet
    assert played.waits().count(timedelta(seconds=rs_flow.REDISCOVER_SECONDS)) == 2
    waiting = {"phase": "waiting_for_discovery", "datasourceId": SHARE_ID, "round": 1, "seconds": 60.0}
    assert waiting in played.statuses
    assert played.output["kind"] == "protected"


def test_a_share_never_discoverable_fails_with_the_reason_after_the_bounded_rounds() -> None:
    played = _play(start_share(), ShareCloud(shares=[None]))

    assert played.names.count("rs_refresh_containers") == rs_flow.MAX_DISCOVERY_ROUNDS
    assert played.waits().count(timedelta(seconds=60)) == rs_flow.MAX_DISCOVERY_ROUNDS - 1
    assert "rs_protect_share" not in played.names
    assert played.output["kind"] == "failed"
    assert played.output["error"]["code"] == rs_flow.NOT_DISCOVERABLE_CODE
    assert played.output["reason"] == (
        f"the vault did not discover file share orders of {ACCOUNT_ID} after 4 refreshes over 3 minutes"
    )


def test_an_account_never_discovered_fails_too() -> None:
    played = _play(start_share(), ShareCloud(protectable=[None], registered=[None]))

    assert "rs_inquire" not in played.names
    assert played.names.count("rs_refresh_containers") == rs_flow.MAX_DISCOVERY_ROUNDS
    assert played.output["error"]["code"] == rs_flow.NOT_DISCOVERABLE_CODE


def test_a_share_protected_in_the_vault_with_the_rule_policy_is_already_protected() -> None:
    protected = ProtectedShare(True, ITEM_ID, POLICY, "Protected")
    played = _play(start_share(), ShareCloud(shares=[None], registered=[CONTAINER], protected=protected))

    assert "rs_protect_share" not in played.names
    assert played.output["kind"] == "already_protected"
    assert played.output["backup_instance_id"] == ITEM_ID
    assert played.output["reason"] == f"already protected by {POLICY} as {ITEM_ID}"


@pytest.mark.parametrize("state", ["ProtectionStopped", "BackupsSuspended", "SoftDeleted"])
def test_a_share_whose_protection_a_person_stopped_is_skipped_not_drift(state: str) -> None:
    stopped = ProtectedShare(True, ITEM_ID, "", state)  # a stopped item has no policy left
    played = _play(start_share(), ShareCloud(shares=[None], registered=[CONTAINER], protected=stopped))

    assert "rs_protect_share" not in played.names
    assert played.output["kind"] == "skipped"
    assert played.output["reason"] == (
        f"{ITEM_ID} in {RS_VAULT} is {state}: its protection was changed on purpose and is not resumed "
        "automatically; resume it with POST /api/protection-changes (change resume)"
    )
    assert played.output["backup_instance_id"] == ITEM_ID


def test_a_share_protected_with_another_policy_is_drift_naming_both() -> None:
    other = f"{RS_VAULT}/backupPolicies/hourly"
    protected = ProtectedShare(True, ITEM_ID, other, "Protected")
    played = _play(start_share(), ShareCloud(shares=[None], registered=[CONTAINER], protected=protected))

    assert played.output["kind"] == "drift"
    assert played.output["reason"] == (
        f"already protected by {other} in {RS_VAULT}, but rule {RULE} names {POLICY} in {RS_VAULT}; "
        "backups are not moved automatically"
    )
    assert (played.output["policy_id"], played.output["backup_instance_id"]) == (other, ITEM_ID)


def test_a_share_protected_in_another_vault_is_drift_with_the_holder_from_resource_graph() -> None:
    other_vault = RS_VAULT.replace("rsv-weu", "rsv-legacy")
    other_item = ITEM_ID.replace("rsv-weu", "rsv-legacy")
    refused = ArmError(
        status=400, code="BMSUserErrorItemAlreadyProtectedInAnotherVault", message="in another vault"
    )
    holder = Holder(True, other_item, other_vault, f"{other_vault}/backupPolicies/p")
    played = _play(start_share(), ShareCloud(errors={"rs_protect_share": [refused]}, holder=holder))

    assert played.inputs("find_share_holder") == [ReadRequest(SHARE_ID, rg.API_VERSION, "c-9")]
    assert played.output["kind"] == "drift"
    assert (played.output["vault_id"], played.output["backup_instance_id"]) == (other_vault, other_item)
    assert played.output["error"]["code"] == "BMSUserErrorItemAlreadyProtectedInAnotherVault"


def test_an_account_registered_to_another_vault_without_a_protected_share_fails_with_the_reason() -> None:
    refused = ArmError(
        status=400, code="BMSUserErrorContainerAlreadyRegisteredToAnotherVault", message="another vault"
    )
    played = _play(start_share(), ShareCloud(errors={"rs_register_container": [refused]}))

    assert played.output["kind"] == "failed"
    assert played.output["reason"] == (
        "the storage account is registered with another Recovery Services vault: another vault"
    )


def test_missing_permissions_without_grants_fails_naming_the_role_on_the_account() -> None:
    played = _play(start_share(), ShareCloud(errors={"rs_register_container": [missing_permissions()]}))

    assert played.output["kind"] == "failed"
    assert f"Storage Account Backup Contributor on {ACCOUNT_ID}" in played.output["reason"]
    assert "PROTECTION_GRANT_ROLES=true" in played.output["reason"]
    assert "assign_role" not in played.names and "rs_inquire" not in played.names


def test_missing_permissions_with_grants_assigns_the_role_waits_and_registers_again() -> None:
    errors = {"rs_register_container": [missing_permissions(), None]}
    played = _play(start_share(grant=True, propagation=90.0), ShareCloud(errors=errors))

    assert played.names.count("rs_register_container") == 2
    assert played.inputs("read_vault_principal") == [ReadRequest(RS_VAULT, rs.VAULT_API_VERSION, "c-9")]
    assert played.inputs("assign_role") == [
        RoleGrant(ACCOUNT_ID, ROLE["roleName"], ROLE["roleDefinitionGuid"], "p-rs", "c-9")
    ]
    assert timedelta(seconds=90) in played.waits()
    assert played.output["kind"] == "protected"
    assert played.output["roles_granted"] == [ROLE]


def test_missing_permissions_at_enable_protection_are_granted_once_and_the_put_is_sent_again() -> None:
    errors = {"rs_protect_share": [missing_permissions(), missing_permissions(), None]}
    played = _play(start_share(grant=True), ShareCloud(errors=errors))

    assert played.names.count("rs_protect_share") == 3
    assert played.names.count("assign_role") == 1
    assert played.output["kind"] == "protected"


def test_a_protection_error_state_fails_with_the_state() -> None:
    played = _play(start_share(), ShareCloud(states=["ProtectionError"]))

    assert played.output["kind"] == "failed"
    assert played.output["reason"] == "protection state is ProtectionError"


def test_a_settled_share_is_rechecked_with_one_read_and_nothing_is_published() -> None:
    begin = start_share()
    begin = ProtectionStart(begin.request, begin.options, known_backup_instance_id=ITEM_ID)
    played = _play(begin, ShareCloud(states=["Protected"]))

    assert played.names == ["rs_read_protected_item"]
    assert played.output["kind"] == "unchanged"


def test_a_deleted_share_names_the_protected_item_that_keeps_its_backups() -> None:
    holder = Holder(True, ITEM_ID, RS_VAULT, POLICY)
    played = _play(start_share(origin="delete"), ShareCloud(holder=holder))

    assert played.names == ["find_share_holder", "publish_protection_outcome"]
    assert played.output["kind"] == "orphaned"
    assert played.output["backup_instance_id"] == ITEM_ID


def test_item_and_container_names_are_percent_encoded_into_one_segment_each() -> None:
    path = rs.protected_item_path(RS_VAULT, CONTAINER, ITEM)

    assert path.endswith(
        "/backupFabrics/Azure/protectionContainers/StorageContainer%3BStorage%3Brg-data-weu%3Bstfiles"
        "/protectedItems/azurefileshare%3Borders"
    )


def test_an_enable_protection_the_service_failed_as_retryable_is_sent_again_after_a_timer() -> None:
    retryable = ArmError(status=200, code="InternalServerError", message="try again", is_retryable=True)
    played = _play(start_share(), ShareCloud(errors={"rs_protect_share": [retryable, None]}))

    assert played.names.count("rs_protect_share") == 2
    assert timedelta(seconds=rs_flow.RETRY_SECONDS) in played.waits()
    assert "assign_role" not in played.names
    assert played.output["kind"] == "protected"


def test_an_enable_protection_failing_otherwise_fails_with_the_service_error() -> None:
    refused = ArmError(status=400, code="BMSUserErrorPolicyNotFound", message="no such policy")
    played = _play(start_share(), ShareCloud(errors={"rs_protect_share": [refused]}))

    assert played.names.count("rs_protect_share") == 1
    assert played.output["kind"] == "failed"
    assert played.output["reason"] == "enabling protection of the file share failed: no such policy"
