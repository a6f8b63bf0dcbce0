"""Pure logic of the restore API: parsing, scope and range checks, bodies, status document, back-off."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.arm.operations import PollPolicy
from shared.errors import InvalidRequestError, NotPossibleError, ScopeForbiddenError
from shared.jobs import next_poll_delay
from shared.progress import status_document
from shared.restore.request import (
    RestoreKind,
    check_kind_fits,
    check_point_in_time,
    check_scopes,
    parse_submission,
    restore_body,
)
from shared.restore.status import RestoreProgress

RG = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-data-weu"
ACCOUNT = f"{RG}/providers/Microsoft.Storage/storageAccounts/stsrc"
PG = f"{RG}/providers/Microsoft.DBforPostgreSQL/flexibleServers/pgflex"
RANGES = [{"startTime": "2025-01-01T00:00:00.0000000Z", "endTime": "2025-01-02T00:00:00.0000000Z"}]


def blob(**extra: Any) -> dict[str, Any]:
    return {
        "kind": "blobPointInTime",
        "resourceId": ACCOUNT,
        "pointInTime": "2025-01-01T12:00:00Z",
        "ranges": [{"min": "logs", "max": "logs-0"}],
        **extra,
    }


def test_a_ranged_blob_restore_parses_and_builds_the_seed_shaped_body() -> None:
    sub = parse_submission(blob())
    assert sub.kind is RestoreKind.BLOB_POINT_IN_TIME and sub.ranges == [("logs", "logs-0")]
    now = check_point_in_time(sub.point_in_time or "", RANGES)
    body = restore_body(sub, {"resourceID": ACCOUNT, "resourceLocation": "westeurope"}, service_now=now)
    assert body["objectType"] == "AzureBackupRecoveryTimeBasedRestoreRequest"
    assert body["restoreTargetInfo"]["restoreCriteria"][0]["minMatchingValue"] == "logs"
    assert body["recoveryPointTime"] == "2025-01-01T12:00:00.0000000Z"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({k: v for k, v in blob().items() if k != "ranges"}, "confirmWholeAccountRollback"),
        (blob(pointInTime="2025-01-01T12:00:00"), "pointInTime"),
        (blob(ranges=[{"min": "zeta", "max": "alpha"}]), "ranges[0]"),
        (blob(ranges=[{"min": f"c{i:02d}", "max": f"c{i:02d}-0"} for i in range(11)]), "ranges"),
        (blob(backupInstanceId=ACCOUNT), "resourceId"),
        (blob(extra=1), "body"),
        (blob(kind="nope"), "kind"),
        (blob(dryRun="yes"), "dryRun"),
        ({**blob(), "recoveryPointId": "x"}, "recoveryPointId"),
    ],
)
def test_bad_requests_name_the_field(body: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        parse_submission(body)
    assert caught.value.field == field


def test_whole_account_needs_the_confirmation_and_dry_run_comes_from_body_or_query() -> None:
    whole = {k: v for k, v in blob().items() if k != "ranges"}
    assert parse_submission({**whole, "confirmWholeAccountRollback": True}).whole_account
    assert parse_submission(blob(), dry_run_query="true").dry_run
    assert parse_submission(blob(dryRun=True)).dry_run
    assert not parse_submission(blob()).dry_run


def test_files_target_must_agree_with_its_container_id() -> None:
    container = f"{ACCOUNT}/blobServices/default/containers/pgrestores"
    body: dict[str, Any] = {
        "kind": "recoveryPointAsFiles",
        "resourceId": PG,
        "recoveryPointId": "rp1",
        "target": {
            "containerId": container,
            "containerUrl": "https://stsrc.blob.core.windows.net/pgrestores",
            "filePrefix": "crm",
        },
    }
    sub = parse_submission(body)
    assert sub.target_ids(PG) == [container]
    built = restore_body(sub, {"resourceID": PG, "resourceLocation": "westeurope"})
    assert built["restoreTargetInfo"]["targetDetails"]["targetResourceArmId"] == container
    body["target"] = {**body["target"], "containerUrl": "https://other.blob.core.windows.net/pgrestores"}
    with pytest.raises(InvalidRequestError):
        parse_submission(body)
    sub_db = parse_submission(
        {
            "kind": "recoveryPointAsDatabase",
            "resourceId": PG,
            "recoveryPointId": "rp1",
            "target": {
                "databaseId": f"{RG}/providers/Microsoft.DBforPostgreSQL/servers/pg/databases/db",
                "secretUri": "https://kv.vault.azure.net/secrets/conn",
            },
        }
    )
    with pytest.raises(NotPossibleError):
        check_kind_fits(sub_db, "Microsoft.DBforPostgreSQL/flexibleServers")


def test_scopes_and_ranges_refuse_with_what_exists() -> None:
    check_scopes([ACCOUNT], [RG])
    with pytest.raises(ScopeForbiddenError):
        check_scopes([ACCOUNT], ["/subscriptions/22222222-2222-2222-2222-222222222222"])
    with pytest.raises(ScopeForbiddenError):
        check_scopes([ACCOUNT], [])
    with pytest.raises(NotPossibleError) as caught:
        check_point_in_time("2024-12-31T00:00:00Z", RANGES)
    assert caught.value.extra["restorableTimeRanges"] == RANGES
    with pytest.raises(NotPossibleError):
        check_point_in_time("2025-01-01T00:00:00Z", [])


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=12), c, max_size=5),
        max_leaves=20,
    )
)
def test_any_json_is_parsed_or_refused_with_a_field(body: Any) -> None:
    try:
        parse_submission(body)
    except InvalidRequestError as exc:
        assert exc.field


def test_poll_delay_honours_retry_after_else_backs_off_to_the_maximum() -> None:
    policy = PollPolicy(default_seconds=60, min_seconds=1, max_seconds=600)
    assert next_poll_delay(None, None, policy) == 60
    assert next_poll_delay(60, None, policy) == 90
    assert next_poll_delay(500, None, policy) == 600
    assert next_poll_delay(500, 15, policy) == 15


def test_status_document_is_ours_and_a_crashed_orchestration_reads_failed() -> None:
    progress = RestoreProgress("restore-x", "blobPointInTime", "bi", ACCOUNT, {"pointInTime": "t"}, ACCOUNT)
    view = progress.view()
    doc = status_document("restore-x", "Running", view, None, "c", "u", what="restore")
    assert doc["phase"] == "validating" and doc["createdTime"] == "c" and "runtimeStatus" not in doc
    crashed = status_document("restore-x", "Failed", view, None, "c", "u", what="restore")
    assert crashed["phase"] == "failed" and crashed["error"]["code"] == "OrchestrationFailed"
    done = status_document(
        "restore-x", "Completed", view, {**view, "phase": "succeeded"}, "c", "u", what="restore"
    )
    assert done["phase"] == "succeeded"


def test_a_vaulted_blob_restore_takes_containers_prefixes_and_another_account() -> None:
    other = f"{RG}/providers/Microsoft.Storage/storageAccounts/sttarget"
    body: dict[str, Any] = {
        "kind": "recoveryPointBlobContainers",
        "resourceId": ACCOUNT,
        "recoveryPointId": "a1b2c3",
        "target": {"containers": ["invoices", "reports"], "prefixes": ["invoices/2025/", "invoices/2026/"]},
    }
    in_place = parse_submission(body)
    elsewhere = parse_submission({**body, "target": {**body["target"], "accountId": other}})
    info = {"resourceID": ACCOUNT, "resourceLocation": "westeurope"}

    assert in_place.target_ids(ACCOUNT) == [ACCOUNT] and elsewhere.target_ids(ACCOUNT) == [other]
    built = restore_body(elsewhere, info)
    target = built["restoreTargetInfo"]
    assert (built["sourceDataStoreType"], built["sourceResourceId"]) == ("VaultStore", ACCOUNT)
    assert target["datasourceInfo"]["resourceID"] == other
    assert target["restoreCriteria"] == [
        {
            "objectType": "ItemPathBasedRestoreCriteria",
            "itemPath": "invoices",
            "isPathRelativeToBackupItem": True,
            "subItemPathPrefix": ["2025/", "2026/"],
        },
        {
            "objectType": "ItemPathBasedRestoreCriteria",
            "itemPath": "reports",
            "isPathRelativeToBackupItem": True,
        },
    ]
    bad: list[tuple[dict[str, Any], str]] = [
        ({"containers": ["invoices"], "prefixes": ["reports/x"]}, "target.prefixes[0]"),
        ({"containers": ["invoices"], "prefixes": ["invoices/"]}, "target.prefixes[0]"),
        ({"containers": ["invoices"], "accountId": f"{ACCOUNT}/blobServices/default"}, "target.accountId"),
    ]
    for target_body, field in bad:
        with pytest.raises(InvalidRequestError) as refused:
            parse_submission({**body, "target": target_body})
        assert refused.value.field == field, target_body
    with pytest.raises(InvalidRequestError) as misplaced:
        parse_submission(
            {
                "kind": "recoveryPointAsDatabase",
                "resourceId": PG,
                "recoveryPointId": "a1",
                "target": {
                    "databaseId": PG,
                    "secretUri": "https://kv.vault.azure.net/secrets/s",
                    "accountId": other,
                },
            }
        )
    assert misplaced.value.field == "target.accountId"
