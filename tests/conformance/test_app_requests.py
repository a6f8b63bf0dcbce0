"""The request bodies the protection activities send, built exactly as ``functions/protection/activities.py``
builds them (``plan_protection`` over a resource as ARM returns it, then the dataprotection body helpers),
validate against the DataProtection 2025-09-01 swagger (when the corpus is present) and the official SDK's
models (always), with no property either does not define."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shared.arm.ids import parse_resource_id
from shared.protection.messages import ProtectionRequest
from shared.protection.plan import PROTECT, plan_protection
from shared.protection.rules import load_rules
from shared.services import dataprotection as dp
from tests.conformance.body_checkers import CHECKERS, Checker

RULES = load_rules(str(Path(__file__).resolve().parents[2] / "local" / "demo" / "rules.yaml"))
PROD = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-data-weu/providers"
SERVER = {"id": f"{PROD}/Microsoft.DBforPostgreSQL/servers/pg-orders", "location": "westeurope", "tags": {}}
CASES: dict[str, tuple[dict[str, Any], dict[str, Any] | None]] = {
    "blob": (
        {
            "id": f"{PROD}/Microsoft.Storage/storageAccounts/stconf",
            "location": "westeurope",
            "kind": "StorageV2",
            "sku": {"name": "Standard_LRS"},
            "tags": {},
            "properties": {"isHnsEnabled": False},
        },
        None,
    ),
    "postgresql": ({"id": f"{SERVER['id']}/databases/orders", "properties": {}}, SERVER),
    "postgresql_flexible": (
        {
            "id": f"{PROD}/Microsoft.DBforPostgreSQL/flexibleServers/pgflex",
            "location": "westeurope",
            "tags": {},
            "properties": {"version": "16"},
        },
        None,
    ),
}


def _plan(kind: str) -> Any:
    resource, parent = CASES[kind]
    rid = parse_resource_id(resource["id"])
    request = ProtectionRequest(rid.canonical(), rid.type)
    plan = plan_protection(request, resource, RULES, parent=parent)
    assert plan.action == PROTECT, plan.reason
    assert plan.instance is not None
    return plan


@pytest.mark.parametrize("checker", CHECKERS)
@pytest.mark.parametrize("kind", sorted(CASES))
def test_create_backup_instance_body(kind: str, checker: Checker) -> None:
    body = dp.backup_instance_resource_body(_plan(kind).instance)

    assert checker("BackupInstanceResource", body) == []


@pytest.mark.parametrize("checker", CHECKERS)
@pytest.mark.parametrize("kind", sorted(CASES))
def test_validate_for_backup_body(kind: str, checker: Checker) -> None:
    body = dp.validate_for_backup_body(_plan(kind).instance)

    assert checker("ValidateForBackupRequest", body) == []
