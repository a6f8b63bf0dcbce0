"""Vaulted blob backup in the emulator: the containers to back up are required and must exist, a PUT
updates them, and a restore names backed-up containers (optionally prefixes) into an existing account."""

from __future__ import annotations

from typing import Any

from local.cloud.app import create_app
from local.cloud.providers.authorization.roles import STORAGE_ACCOUNT_BACKUP_CONTRIBUTOR
from local.cloud.testing import client, fast_config

from .dp_fixtures import ACCOUNT, RG, SEED, VAULT, V, blob_instance, datasource, grant, settle, wait_status

VAULTED = f"{RG}/providers/Microsoft.Storage/storageAccounts/stvault"
G1 = "20000000-0000-0000-0000-0000000000a1"


def _restore(point: str, criteria: list[dict[str, Any]], target: str = VAULTED) -> dict[str, Any]:
    return {
        "objectType": "AzureBackupRecoveryPointBasedRestoreRequest",
        "recoveryPointId": point,
        "sourceDataStoreType": "VaultStore",
        "sourceResourceId": VAULTED,
        "restoreTargetInfo": {
            "objectType": "ItemLevelRestoreTargetInfo",
            "recoveryOption": "FailIfExists",
            "restoreLocation": "westeurope",
            "restoreCriteria": criteria,
            "datasourceInfo": datasource(
                target, "Microsoft.Storage/storageAccounts/blobServices", "Microsoft.Storage/storageAccounts"
            ),
        },
    }


def _container(name: str, *prefixes: str) -> dict[str, Any]:
    item: dict[str, Any] = {"objectType": "ItemPathBasedRestoreCriteria", "itemPath": name}
    item["isPathRelativeToBackupItem"] = True
    if prefixes:
        item["subItemPathPrefix"] = list(prefixes)
    return item


async def test_vaulted_blob_backup_needs_existing_containers_and_a_put_updates_them() -> None:
    app = create_app(fast_config())
    bi = f"{VAULT}/backupInstances/bivault{V}"
    async with client(app) as c:
        await c.post("/_admin/seed", content=SEED.encode())
        await grant(c, VAULTED, STORAGE_ACCOUNT_BACKUP_CONTRIBUTOR, G1)
        none = await c.put(bi, json=blob_instance(VAULTED, "blobvault"))
        empty = await c.put(bi, json=blob_instance(VAULTED, "blobvault", []))
        unknown = await c.put(bi, json=blob_instance(VAULTED, "blobvault", ["invoices", "nosuch"]))
        created = await c.put(bi, json=blob_instance(VAULTED, "blobvault", ["invoices"]))
        status = await wait_status(c, created)
        updated = await c.put(bi, json=blob_instance(VAULTED, "blobvault", ["invoices", "reports"]))
        read = (await c.get(bi)).json()
    for refused in (none, empty):
        assert refused.status_code == 400
        assert refused.json()["error"]["code"] == "UserErrorNoContainersSelectedForOperation"
    assert unknown.status_code == 400 and "nosuch" in unknown.json()["error"]["message"]
    assert created.status_code == 201 and status["status"] == "Succeeded"
    assert updated.status_code == 200
    (parameters,) = read["properties"]["policyInfo"]["policyParameters"]["backupDatasourceParametersList"]
    assert parameters["containersList"] == ["invoices", "reports"]


async def test_a_vaulted_restore_names_backed_up_containers_into_an_existing_account() -> None:
    app = create_app(fast_config())
    bi = f"{VAULT}/backupInstances/bivault"
    async with client(app) as c:
        await c.post("/_admin/seed", content=SEED.encode())
        await grant(c, VAULTED, STORAGE_ACCOUNT_BACKUP_CONTRIBUTOR, G1)
        await wait_status(c, await c.put(f"{bi}{V}", json=blob_instance(VAULTED, "blobvault", ["invoices"])))
        await settle(c)
        point = (await c.get(f"{bi}/recoveryPoints{V}")).json()["value"][0]["name"]
        not_backed_up = await c.post(f"{bi}/restore{V}", json=_restore(point, [_container("reports")]))
        no_account = await c.post(
            f"{bi}/restore{V}", json=_restore(point, [_container("invoices")], target=VAULTED + "x")
        )
        other = await c.post(
            f"{bi}/restore{V}", json=_restore(point, [_container("invoices", "2025/")], ACCOUNT)
        )
        done = await wait_status(c, other)
    assert not_backed_up.status_code == 400 and "reports" in not_backed_up.json()["error"]["message"]
    assert no_account.status_code == 404
    assert other.status_code == 202 and done["status"] == "Succeeded"
