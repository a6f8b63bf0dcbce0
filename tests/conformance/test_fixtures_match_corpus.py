"""The contract fixtures (``tests/fixtures``) still say what the corpus says.

Unit tests trust the fixtures; this keeps the fixtures honest: each one has the shape of the official
example, docs capture or seed body it stands for (same keys, same JSON types, same discriminators), and
the same contract constants (datasource types, object types, error codes, statuses ...). Only ids, names,
times and free text differ.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conformance.corpus import load_json, seed_error_bodies, seed_json_blocks, seed_status_bodies
from tests.fixtures import dataprotection as fx
from tests.fixtures import recoveryservices as rs

from .test_dataprotection_shapes import check_poll_header, shape_diff

pytestmark = pytest.mark.corpus

# Values that are part of the contract, not of the tenant: they must match wherever both bodies have them.
CONSTANT_KEYS = frozenset(
    {
        "objectType",
        "datasourceType",
        "resourceType",
        "recoveryOption",
        "sourceDataStoreType",
        "restoreTargetLocationType",
        "secretStoreType",
        "code",
        "status",
        "type",
        "operation",
    }
)


def constants_diff(corpus: Any, fixture: Any, path: str = "$") -> list[str]:
    problems: list[str] = []
    if isinstance(corpus, dict) and isinstance(fixture, dict):
        for key in corpus.keys() & fixture.keys():
            a, b = corpus[key], fixture[key]
            if key in CONSTANT_KEYS and isinstance(a, str) and isinstance(b, str):
                if a != b:
                    problems.append(f"{path}.{key}: fixture {b!r} != corpus {a!r}")
            else:
                problems += constants_diff(a, b, f"{path}.{key}")
    elif isinstance(corpus, list) and isinstance(fixture, list) and corpus and fixture:
        problems += constants_diff(corpus[0], fixture[0], f"{path}[0]")
    return problems


def same_shape(corpus: Any, fixture: Any) -> list[str]:
    """Both ways: every corpus key is in the fixture and every fixture key is in the corpus."""
    return (
        [f"fixture lacks {p}" for p in shape_diff(corpus, fixture)]
        + [f"corpus lacks {p}" for p in shape_diff(fixture, corpus)]
        + constants_diff(corpus, fixture)
    )


def fixture_within(corpus: Any, fixture: Any) -> list[str]:
    """One way: the fixture is a subset of the corpus body (it keeps only the fields we read)."""
    return [f"corpus lacks {p}" for p in shape_diff(fixture, corpus)] + constants_diff(corpus, fixture)


def _dp_example(relative: str, *keys: str) -> Callable[[], Any]:
    def load() -> Any:
        value = load_json(f"dataprotection/{relative}")
        for key in keys:
            value = value[key]
        return value

    return load


def _seed_block(prefix: str, keep: Callable[[Any], bool]) -> Callable[[], Any]:
    return lambda: next(b for b in seed_json_blocks(prefix) if keep(b))


def _seed_status(prefix: str, keep: Callable[[dict[str, Any]], bool]) -> Callable[[], Any]:
    return lambda: next(b for b in seed_status_bodies(prefix) if keep(b))


def _restore_target(body: Any) -> str:
    request = body.get("restoreRequestObject", body) if isinstance(body, dict) else {}
    return str(request.get("restoreTargetInfo", {}).get("objectType", ""))


@dataclass(frozen=True)
class Case:
    name: str
    corpus: Callable[[], Any]
    fixture: Any
    check: Callable[[Any, Any], list[str]] = same_shape


CASES = [
    Case(
        "blob validateForBackup body (seed 000)",
        _seed_block("000", lambda b: "backupInstance" in b),
        fx.BLOB_VALIDATE_FOR_BACKUP,
    ),
    Case(
        "backup instance PUT body (docs capture pg05)",
        _dp_example(
            "docs-postgresql/pg05_BackupInstances_CreateOrUpdate_201_PostgreSQL.json", "request", "body"
        ),
        fx.PG_BACKUP_INSTANCE_PUT_DOCUMENTED,
    ),
    Case(
        "blob validateRestore, whole account (seed 003)",
        _seed_block(
            "003", lambda b: "restoreRequestObject" in b and _restore_target(b) == "RestoreTargetInfo"
        ),
        fx.BLOB_VALIDATE_RESTORE_WHOLE,
    ),
    Case(
        "blob restore of containers (seed 003)",
        _seed_block(
            "003",
            lambda b: "restoreRequestObject" not in b and _restore_target(b) == "ItemLevelRestoreTargetInfo",
        ),
        fx.BLOB_RESTORE_CONTAINERS,
    ),
    Case(
        "restore as files (TriggerRestoreAsFiles example)",
        _dp_example(
            "examples/BackupInstanceOperations/TriggerRestoreAsFiles.json", "parameters", "parameters"
        ),
        fx.PG_RESTORE_AS_FILES,
    ),
    Case(
        "restore as database (TriggerRestore example)",
        _dp_example("examples/BackupInstanceOperations/TriggerRestore.json", "parameters", "parameters"),
        fx.PG_RESTORE_AS_DATABASE_DOCUMENTED,
    ),
    Case(
        "operation status Inprogress (docs capture pg02)",
        _dp_example(
            "docs-postgresql/pg02_ValidateForBackup_202_then_OperationStatus_Inprogress.json",
            "poll",
            "intermediate_response",
            "body",
        ),
        fx.STATUS_INPROGRESS,
    ),
    Case(
        "operation status Succeeded (docs capture pg04)",
        _dp_example(
            "docs-postgresql/pg04_OperationStatus_Succeeded_ValidateForBackup.json", "response", "body"
        ),
        fx.STATUS_SUCCEEDED,
    ),
    Case(
        "operation status Succeeded with a job (seed 003)",
        _seed_status("003", lambda b: bool(b.get("properties"))),
        fx.STATUS_SUCCEEDED_WITH_JOB,
    ),
    Case(
        "operation status Failed, missing permissions (seed 000)",
        _seed_status("000", lambda b: b["status"] == "Failed"),
        fx.STATUS_FAILED_MISSING_PERMISSIONS,
    ),
    Case(
        "error: datasource already protected (seed 000)",
        lambda: next(b for b in seed_error_bodies("000") if "status" not in b),
        fx.ALREADY_PROTECTED_ERROR,
    ),
    Case(
        "DataProtection job (GetJob example)",
        _dp_example("examples/JobCRUD/GetJob.json", "responses", "200", "body"),
        fx.BACKUP_JOB,
        fixture_within,
    ),
    Case(
        "Recovery Services job (GetJobDetails example)",
        lambda: load_json("recoveryservicesbackup/examples/Common/GetJobDetails.json")["responses"]["200"][
            "body"
        ],
        {
            **rs.BACKUP_JOB,
            "properties": {k: v for k, v in rs.BACKUP_JOB["properties"].items() if k != "jobType"},
        },
        fixture_within,  # jobType is the one discriminator that differs: ours is a file-share job
    ),
    Case(
        "Recovery Services operation status (ProtectedItem_Delete_OperationStatus example)",
        lambda: load_json("recoveryservicesbackup/examples/Common/ProtectedItem_Delete_OperationStatus.json")[
            "responses"
        ]["200"]["body"],
        rs.OPERATION_STATUS_INPROGRESS,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_fixture_has_the_corpus_shape(case: Case) -> None:
    assert case.check(case.corpus(), case.fixture) == []


def test_the_checks_catch_a_drifted_fixture() -> None:
    corpus = seed_json_blocks("000")[0]
    renamed = {"backupInstance": {**fx.BLOB_VALIDATE_FOR_BACKUP["backupInstance"]}}
    renamed["backupInstance"]["datasourceinfo"] = renamed["backupInstance"].pop("dataSourceInfo")
    assert any("dataSourceInfo" in p for p in same_shape(corpus, renamed))
    wrong_type = {
        "backupInstance": {
            **fx.BLOB_VALIDATE_FOR_BACKUP["backupInstance"],
            "dataSourceInfo": {**fx.BLOB_DATASOURCE, "datasourceType": "Microsoft.Storage/storageAccounts"},
        }
    }
    assert any("datasourceType" in p for p in same_shape(corpus, wrong_type))


def test_postgresql_validate_body_is_the_seed_plus_the_example_credentials() -> None:
    seed = seed_json_blocks("001")[0]
    example = load_json("dataprotection/examples/BackupInstanceOperations/ValidateForBackup.json")
    credentials = example["parameters"]["parameters"]["backupInstance"]["datasourceAuthCredentials"]
    ours = fx.PG_VALIDATE_FOR_BACKUP["backupInstance"]
    without = {k: v for k, v in ours.items() if k != "datasourceAuthCredentials"}
    # The seed also sends an empty policyInfo.policyVersion (the service fills it in); we leave it out.
    assert seed["backupInstance"]["policyInfo"].pop("policyVersion") == ""
    assert same_shape(seed["backupInstance"], without) == []
    assert same_shape(credentials, ours["datasourceAuthCredentials"]) == []


def test_flexible_server_datasource_has_the_quickstart_keys() -> None:
    doc = load_json(
        "dataprotection/pgflex/PostgreSQLFlexibleServer_policy_and_backupInstance_from_quickstart.json"
    )
    template = doc["backupInstance"]["properties"]["dataSourceInfo"]
    assert set(fx.PG_FLEX_DATASOURCE) == set(template)
    assert fx.PG_FLEX_DATASOURCE["datasourceType"] == doc["resolved_variables"]["dataSourceType"]
    assert fx.PG_FLEX_DATASOURCE["resourceType"] == doc["resolved_variables"]["resourceType"]
    assert "dataSourceSetInfo" not in doc["backupInstance"]["properties"]


def test_validate_for_backup_202_headers_follow_the_example() -> None:
    example = load_json("dataprotection/examples/BackupInstanceOperations/ValidateForBackup.json")
    headers = example["responses"]["202"]["headers"]
    ours = fx.VALIDATE_FOR_BACKUP_202_HEADERS
    assert set(ours) == set(headers)
    assert {k: type(v) for k, v in ours.items()} == {k: type(v) for k, v in headers.items()}
    for name, value in ours.items():
        assert check_poll_header(name, value) == [], name
    assert (
        "/operationStatus/" in ours["Azure-AsyncOperation"]
        and "/operationStatus/" in headers["Azure-AsyncOperation"]
    )
    assert "/operationResults/" in ours["Location"] and "/operationResults/" in headers["Location"]


def test_placeholder_end_times_are_spelt_as_the_services_spell_them() -> None:
    pg02 = _dp_example(
        "docs-postgresql/pg02_ValidateForBackup_202_then_OperationStatus_Inprogress.json",
        "poll",
        "intermediate_response",
        "body",
    )()
    assert fx.STATUS_INPROGRESS["endTime"] == pg02["endTime"]
    rs_status = load_json("recoveryservicesbackup/examples/Common/ProtectedItem_Delete_OperationStatus.json")
    assert rs.OPERATION_STATUS_INPROGRESS["endTime"] == rs_status["responses"]["200"]["body"]["endTime"]


def test_every_seed_error_code_has_a_fixture() -> None:
    codes = {b["error"]["code"] for prefix in ("000", "001", "002") for b in seed_error_bodies(prefix)}
    assert codes == {b["error"]["code"] for b in fx.ERROR_BODIES}
