# ruff: noqa: E501 - ARM ids and bodies are long by nature
"""``shared`` against the corpus itself: the request builders produce the seeds' and the official
examples' bodies, and the error, operation-status and job parsers read every such body the corpus holds.

The unit tests in ``tests/unit/shared`` check the same behaviour against the repository's own contract
fixtures (``tests/fixtures``); these are the originals they were written from, and run whenever the
corpus is present (always in CI).
"""

from __future__ import annotations

import json

import pytest

from shared.arm.operations import (
    async_operation_from,
    interpret_job,
    interpret_operation_status,
    job_phase,
)
from shared.errors import ALREADY_PROTECTED_CODE, MISSING_PERMISSIONS_CODE, ArmError, Classification
from shared.protection.kinds import BLOB, POSTGRESQL, POSTGRESQL_FLEXIBLE, ProtectionTarget
from shared.restore import bodies as restores
from shared.services import dataprotection as dp
from tests.conformance.corpus import load_json, seed_error_bodies, seed_json_blocks, seed_status_bodies
from tests.fixtures.operation_shapes import check_status_body
from tests.fixtures.restore_shapes import check_restore_as_database, check_restore_as_files

pytestmark = pytest.mark.corpus

SUB = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxxx"
SA = f"/subscriptions/{SUB}/resourceGroups/RG-BlobBackup/providers/Microsoft.Storage/storageAccounts/msblobbackup"
BLOB_POLICY = (
    f"/subscriptions/{SUB}/resourceGroups/TestBkpVaultRG/providers/Microsoft.DataProtection"
    "/backupVaults/testBkpVault/backupPolicies/BlobBackup-Policy"
)
PG_SUB = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
PG_DB = f"/subscriptions/{PG_SUB}/resourceGroups/ossdemoRG/providers/Microsoft.DBforPostgreSQL/servers/testpostgresql/databases/empdb11"
PG_POLICY = (
    f"/subscriptions/{PG_SUB}/resourceGroups/testBkpVaultRG/providers/Microsoft.DataProtection"
    "/backupVaults/testBkpVault/backupPolicies/osspol3"
)

# -- request builders vs the seeds and examples ------------------------------------------------------


def test_blob_validate_for_backup_body_equals_seed_000():
    expected = seed_json_blocks("000")[0]
    body = dp.validate_for_backup_body(BLOB.build_request(ProtectionTarget(SA, "westUS", BLOB_POLICY)))
    assert body == expected


def test_postgresql_body_matches_seed_001_plus_secret_reference():
    expected = seed_json_blocks("001")[0]
    secret = "https://testkeyvaulteus.vault.azure.net/secrets/ossdbkey"
    body = dp.validate_for_backup_body(
        POSTGRESQL.build_request(ProtectionTarget(PG_DB, "westUS", PG_POLICY, secret_uri=secret))
    )
    bi = body["backupInstance"]
    assert bi["dataSourceInfo"] == expected["backupInstance"]["dataSourceInfo"]
    assert bi["dataSourceSetInfo"] == expected["backupInstance"]["dataSourceSetInfo"]
    assert bi["policyInfo"]["policyId"] == expected["backupInstance"]["policyInfo"]["policyId"]
    # the spec example's credential block (the seed omits it; single server needs it)
    example = load_json("dataprotection/examples/BackupInstanceOperations/ValidateForBackup.json")
    ex_creds = example["parameters"]["parameters"]["backupInstance"]["datasourceAuthCredentials"]
    assert set(bi["datasourceAuthCredentials"]) == set(ex_creds)
    assert bi["datasourceAuthCredentials"]["secretStoreResource"] == {
        "secretStoreType": "AzureKeyVault",
        "uri": secret,
    }
    assert bi["objectType"] == "BackupInstance"


def test_put_body_shape_matches_seed_properties():
    doc = load_json("dataprotection/docs-postgresql/pg05_BackupInstances_CreateOrUpdate_201_PostgreSQL.json")
    expected_props = doc["request"]["body"]["properties"]
    body = dp.backup_instance_resource_body(
        POSTGRESQL.build_request(
            ProtectionTarget(PG_DB, "westUS", PG_POLICY, secret_uri="https://k/secrets/s")
        )
    )
    assert set(expected_props) - {"policyInfo"} <= set(body["properties"])
    assert body["properties"]["dataSourceInfo"] == expected_props["dataSourceInfo"]


def test_flexible_server_matches_quickstart_shape():
    doc = load_json(
        "dataprotection/pgflex/PostgreSQLFlexibleServer_policy_and_backupInstance_from_quickstart.json"
    )
    template = doc["backupInstance"]["properties"]
    flex = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/pgf1"
    bi = POSTGRESQL_FLEXIBLE.build_request(ProtectionTarget(flex, "westeurope", "/x/backupPolicies/p"))
    assert set(bi["dataSourceInfo"]) == set(template["dataSourceInfo"])
    assert bi["dataSourceInfo"]["datasourceType"] == doc["resolved_variables"]["dataSourceType"]
    assert bi["dataSourceInfo"]["resourceUri"] == flex
    assert "dataSourceSetInfo" not in bi


def test_backup_instance_name_is_shaped_like_the_seeds():
    assert dp.backup_instance_name(PG_DB).startswith("testpostgresql-empdb11-")
    assert dp.backup_instance_name(SA).startswith("msblobbackup-")


def test_blob_restore_bodies_match_seed_003():
    blocks = seed_json_blocks("003")
    whole_validate = next(
        b
        for b in blocks
        if "restoreRequestObject" in b
        and b["restoreRequestObject"]["restoreTargetInfo"]["objectType"] == "RestoreTargetInfo"
    )
    whole = restores.blob_point_in_time_restore(
        datasource_id=SA, location="westus", point_in_time="2021-07-08T00:00:00Z"
    )
    assert restores.validate_restore_body(whole) == whole_validate
    items = next(
        b for b in blocks if b.get("restoreTargetInfo", {}).get("objectType") == "ItemLevelRestoreTargetInfo"
    )
    built = restores.blob_point_in_time_restore(
        datasource_id=SA,
        location="westus",
        point_in_time="2021-07-08T00:00:00Z",
        ranges=[("container1", "container2")],
    )
    assert set(built) == set(items)
    assert set(built["restoreTargetInfo"]) == set(items["restoreTargetInfo"])
    assert built["restoreTargetInfo"]["restoreCriteria"] == [
        {
            "objectType": "RangeBasedItemLevelRestoreCriteria",
            "minMatchingValue": "container1",
            "maxMatchingValue": "container2",
        }
    ]


def test_restore_as_files_matches_example():
    ex = load_json("dataprotection/examples/BackupInstanceOperations/TriggerRestoreAsFiles.json")[
        "parameters"
    ]["parameters"]
    check_restore_as_files(ex)


def test_restore_as_database_matches_example_structure():
    check_restore_as_database(
        load_json("dataprotection/examples/BackupInstanceOperations/TriggerRestore.json")["parameters"][
            "parameters"
        ]
    )


# -- error bodies of the seeds ------------------------------------------------------------------------


def test_already_protected_seed_body_is_classified_as_success_case():
    bodies = seed_error_bodies("000")
    body = next(b for b in bodies if b["error"]["code"] == ALREADY_PROTECTED_CODE)
    err = ArmError.from_response(400, {"x-ms-correlation-request-id": "c-1"}, json.dumps(body).encode())
    assert err.code == ALREADY_PROTECTED_CODE
    assert err.classification is Classification.ALREADY_PROTECTED
    assert err.recommended_action and err.recommended_action[0].startswith("Delete the backup instance")
    assert err.is_user_error is False and err.is_retryable is False
    assert err.correlation_id == "c-1"
    assert err.message.startswith("Datasource is already protected")


def test_missing_permissions_with_inner_error_from_operation_status():
    bodies = seed_error_bodies("000")
    status = next(b for b in bodies if b["error"]["code"] == MISSING_PERMISSIONS_CODE)
    err = ArmError.from_operation_error(status["error"])
    assert err.classification is Classification.USER_FIXABLE
    assert err.has_code(MISSING_PERMISSIONS_CODE)
    assert "Grant appropriate permissions" in err.recommended_action[0]
    inner = err.details[0]
    assert inner["code"] == MISSING_PERMISSIONS_CODE
    assert "roleAssignments/read" in inner["additionalInfo"]["DetailedNonLocalisedMessage"]


@pytest.mark.parametrize("prefix", ["000", "001", "002"])
def test_every_seed_error_body_parses(prefix):
    bodies = seed_error_bodies(prefix)
    assert bodies, "seed should contain error bodies"
    for body in bodies:
        err = ArmError.from_response(400, {}, body)
        assert err.code.startswith("UserError")
        assert err.arm_message
        assert err.recommended_action


# -- long-running operations and jobs of the examples and seeds ---------------------------------------


def test_prefers_azure_async_operation_and_reads_retry_after_string():
    ex = load_json("dataprotection/examples/BackupInstanceOperations/ValidateForBackup.json")
    op = async_operation_from(202, ex["responses"]["202"]["headers"])
    assert op is not None
    assert op.poll_kind == "status"
    assert "operationStatus" in str(op.poll_url)
    assert "operationResults" in str(op.result_url)
    assert op.retry_after_seconds == 60


def test_inprogress_with_placeholder_end_time():
    doc = load_json(
        "dataprotection/docs-postgresql/pg02_ValidateForBackup_202_then_OperationStatus_Inprogress.json"
    )
    state = interpret_operation_status(doc["poll"]["intermediate_response"]["body"])
    assert state.status == "Inprogress"
    assert not state.done and state.end_time is None


@pytest.mark.parametrize(
    "path",
    [
        "dataprotection/docs-postgresql/pg04_OperationStatus_Succeeded_ValidateForBackup.json",
        "dataprotection/docs-postgresql/pgr03_ValidateForRestore_OperationStatus_Succeeded.json",
        "dataprotection/examples/GetOperationStatus.json",
    ],
)
def test_succeeded_status_bodies(path):
    doc = load_json(path)
    body = doc["response"]["body"] if "response" in doc else doc["responses"]["200"]["body"]
    state = interpret_operation_status(body)
    assert state.done and state.succeeded and state.error is None
    assert state.end_time is not None


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003"])
def test_every_seed_status_body(prefix):
    bodies = seed_status_bodies(prefix)
    assert bodies
    for body in bodies:
        check_status_body(body)


def test_job_id_full_arm_id_last_segment():
    bodies = seed_status_bodies("003")
    body = next(b for b in bodies if b.get("properties"))
    state = interpret_operation_status(body)
    assert state.job_name == "c4bd49a1-0645-4eec-b207-feb818962852"
    assert str(state.job_id).startswith("/subscriptions/")


def test_recovery_services_placeholder_with_fraction():
    ex = load_json("recoveryservicesbackup/examples/Common/ProtectedItem_Delete_OperationStatus.json")
    body = ex["responses"]["200"]["body"]
    assert body["endTime"].startswith("0001")  # the example this test exists for
    state = interpret_operation_status(body)
    assert state.end_time is None


def test_job_examples():
    dp_job = load_json("dataprotection/examples/JobCRUD/GetJob.json")["responses"]["200"]["body"]
    rs_job = load_json("recoveryservicesbackup/examples/Common/GetJobDetails.json")["responses"]["200"][
        "body"
    ]
    for body in (dp_job, rs_job):
        state = interpret_job(body)
        assert state.status == body["properties"]["status"]
        assert state.phase is job_phase(body["properties"]["status"])
