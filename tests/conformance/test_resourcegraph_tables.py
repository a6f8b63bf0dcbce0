"""The emulator's Resource Graph rows against the corpus: the 2024-04-01 ``Resources`` examples' envelope
and row shape, and the backup rows' ``properties`` against the Data Protection (2025-09-01) and Recovery
Services (2025-08-01) swaggers, including the enums the seeded situations use.

Known deviations, listed rather than hidden:

* ``protectionStatus.status`` of an instance in ``ProtectionError`` is ``ProtectionError``: the swagger's
  ``Status`` enum (``modelAsString``) lists no error value (see ``seeded_state``).
* A file-share protected item carries ``healthStatus``, which the swagger declares for VM items only (the
  sweep does not read it: it judges a share's item by ``protectionState``, ``protectionStatus``,
  ``kpisHealths`` and ``lastBackupStatus``, which ``AzureFileshareProtectedItem`` declares).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from local.cloud.providers.dataprotection.seeded_state import JOB_STATUSES as DP_JOB_STATUSES
from local.cloud.providers.dataprotection.seeded_state import STATUS_OF
from local.cloud.providers.recoveryservices import seeding as rs_seeding
from local.cloud.resourcegraph.tables import COLUMNS
from tests.conformance.swagger_schema import schema_errors, swagger, unknown_properties
from tests.paths import AZURE_SPECS
from tests.unit.cloud.compliance_fixtures import (
    BI_TYPE,
    DP_JOB_TYPE,
    PROD,
    RS_ITEM_TYPE,
    RS_JOB_TYPE,
    compliance_tenant,
    graph,
    rows,
)

# ``corpus``: the session's corpus gate (tests/conftest.py) skips these without ``../shared``; the skipif
# says the same on its own.
pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(
        not AZURE_SPECS.is_dir(),
        reason="the shared corpus (../shared/azure-specs beside the repository) is absent",
    ),
]

EXAMPLES = AZURE_SPECS / "resourcegraph" / "examples"
#: Documented exceptions (module docstring).
EXTRA_STATUSES = {"ProtectionError"}
EXTRA_ITEM_PROPERTIES = {"healthStatus"}


def example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / name).read_text())
    return data


def bms_definitions() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((AZURE_SPECS / "recoveryservicesbackup" / "bms.json").read_text())
    return data["definitions"]


def bms_properties(name: str) -> set[str]:
    defs = bms_definitions()
    props = set(defs[name].get("properties", {}))
    for part in defs[name].get("allOf", []):
        props |= bms_properties(part["$ref"].split("/")[-1])
    return props


def without_nulls(value: Any) -> Any:
    """Azure writes absent optional values as null (``"details": null``); swagger has no nullable."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


def dp_enum(name: str) -> list[str]:
    values: list[str] = swagger()["definitions"][name]["enum"]
    return values


async def test_basic_query_answer_has_the_example_envelope_and_row_shape() -> None:
    sample = example("ResourcesBasicQuery.json")
    expected = sample["responses"]["200"]["body"]
    request = {**sample["parameters"]["query"], "subscriptions": [PROD]}
    async with compliance_tenant() as c:
        body = await graph(c, request["query"], subscriptions=request["subscriptions"])
    assert list(body) == list(expected)
    assert body["count"] == len(body["data"]) == 3 and body["resultTruncated"] == expected["resultTruncated"]
    for row, sample_row in zip(body["data"], expected["data"], strict=True):
        assert list(row) == list(sample_row)
        assert row["type"] == row["type"].lower() and sample_row["type"] == sample_row["type"].lower()
        assert isinstance(row["tags"], dict) and row["id"].startswith(
            f"/subscriptions/{PROD}/resourceGroups/"
        )


async def test_a_paged_answer_has_the_first_page_example_envelope() -> None:
    sample = example("ResourcesFirstPageQuery.json")
    expected = sample["responses"]["200"]["body"]
    async with compliance_tenant() as c:
        body = await graph(c, "Resources | project id, name, type, location", options={"$top": 3})
    assert set(body) == set(expected) and body["count"] == expected["count"]
    assert isinstance(body["$skipToken"], str) and body["resultTruncated"] == "false"
    assert [list(r) for r in body["data"]] == [list(r) for r in expected["data"]]


async def test_backup_instance_and_job_properties_follow_the_data_protection_swagger() -> None:
    async with compliance_tenant() as c:
        instances = await rows(c, f"RecoveryServicesResources | where type == '{BI_TYPE}'")
        deleted = await rows(
            c,
            "RecoveryServicesResources | where type endswith '/deletedbackupinstances'",
        )
        jobs = await rows(c, f"RecoveryServicesResources | where type == '{DP_JOB_TYPE}'")
    assert len(instances) == 9 and len(deleted) == 1 and len(jobs) == 4
    for row in instances:
        props = row["properties"]
        assert unknown_properties("BackupInstance", props) == [], row["name"]
        errors = schema_errors("BackupInstance", without_nulls(props))
        documented = [e for e in errors if e.startswith("protectionStatus/status: 'ProtectionError' ")]
        assert errors == documented, row["name"]
        assert props["currentProtectionState"] in dp_enum("CurrentProtectionState")
        assert props["protectionStatus"]["status"] in {*dp_enum("Status"), *EXTRA_STATUSES}
        details = props["protectionStatus"].get("errorDetails")
        if details is not None:
            assert unknown_properties("UserFacingError", details) == []
            assert isinstance(details["code"], str) and isinstance(details["recommendedAction"], list)
    assert unknown_properties("DeletedBackupInstance", deleted[0]["properties"]) == []
    for row in jobs:
        assert unknown_properties("AzureBackupJob", row["properties"]) == []
        assert schema_errors("AzureBackupJob", without_nulls(row["properties"])) == []


def test_seedable_data_protection_vocabulary_is_the_swaggers() -> None:
    assert set(STATUS_OF) <= set(dp_enum("CurrentProtectionState"))
    assert set(STATUS_OF.values()) - set(dp_enum("Status")) == EXTRA_STATUSES
    described = swagger()["definitions"]["AzureBackupJob"]["properties"]["status"]["description"]
    assert {s for s in DP_JOB_STATUSES if s != "Started"} == set(described.split("like ")[1].split("/"))


def test_seedable_recovery_services_vocabulary_is_the_swaggers() -> None:
    defs = bms_definitions()
    assert list(rs_seeding.PROTECTION_STATES) == defs["ProtectionState"]["enum"]
    assert list(rs_seeding.HEALTH_STATUSES) == defs["HealthStatus"]["enum"]
    assert list(rs_seeding.JOB_STATUSES) == defs["JobStatus"]["enum"]
    assert list(rs_seeding.JOB_OPERATIONS) == defs["JobOperationType"]["enum"]


async def test_protected_item_and_job_properties_follow_the_recovery_services_swagger() -> None:
    async with compliance_tenant() as c:
        items = await rows(c, f"RecoveryServicesResources | where type == '{RS_ITEM_TYPE}'")
        jobs = await rows(c, f"RecoveryServicesResources | where type == '{RS_JOB_TYPE}'")
    declared_items = bms_properties("AzureFileshareProtectedItem")
    declared_jobs = bms_properties("AzureStorageJob")
    assert len(items) == 5 and len(jobs) == 2
    for item in items:
        assert set(item["properties"]) - declared_items == EXTRA_ITEM_PROPERTIES
        assert item["properties"]["protectionState"] in bms_definitions()["ProtectionState"]["enum"]
    for job in jobs:
        assert set(job["properties"]) <= declared_jobs | {"jobType"}
        for error in job["properties"]["errorDetails"] or []:
            assert set(error) <= bms_properties("AzureStorageErrorInfo")


async def test_every_row_has_the_columns_the_examples_project_from() -> None:
    projected: set[str] = set()
    for name in ("ResourcesBasicQuery.json", "ResourcesFirstPageQuery.json", "ResourcesNextPageQuery.json"):
        for row in example(name)["responses"]["200"]["body"]["data"]:
            projected |= set(row)
    assert projected <= set(COLUMNS)
