"""Shared builders for the DataProtection unit tests (a seeded tenant and request bodies)."""

from __future__ import annotations

from typing import Any

import httpx

SUB = "00000000-0000-0000-0000-00000000000a"
RG = f"/subscriptions/{SUB}/resourceGroups/rg-data"
VAULT = f"/subscriptions/{SUB}/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/bv"
ACCOUNT = f"{RG}/providers/Microsoft.Storage/storageAccounts/stdata"
PG_SERVER = f"{RG}/providers/Microsoft.DBforPostgreSQL/servers/pg1"
PG_DB = f"{PG_SERVER}/databases/orders"
FLEX = f"{RG}/providers/Microsoft.DBforPostgreSQL/flexibleServers/pgflex"
KV = f"{RG}/providers/Microsoft.KeyVault/vaults/kvpg"
V = "?api-version=2025-09-01"
ROLE_DEFS = "providers/Microsoft.Authorization/roleDefinitions"
PRINCIPAL = "aaaaaaaa-0000-0000-0000-00000000000a"

SEED = f"""
subscriptions:
  - id: {SUB}
    resourceGroups:
      - name: rg-backup
        location: westeurope
        backupVaults:
          - name: bv
            principalId: {PRINCIPAL}
            policies:
              - {{name: blobop, template: blob_operational}}
              - {{name: blobvault, template: blob_vaulted}}
              - {{name: pg, template: postgresql}}
              - {{name: flex, template: postgresql_flex}}
      - name: rg-data
        location: westeurope
        storageAccounts:
          - {{name: stdata, containers: [c1]}}
          - {{name: stvault, containers: [invoices, reports]}}
          - {{name: stpremium, kind: BlockBlobStorage, sku: Premium_LRS}}
          - {{name: sthns, isHnsEnabled: true}}
        postgresqlServers:
          - {{name: pg1, databases: [orders]}}
        flexibleServers:
          - {{name: pgflex}}
        keyVaults:
          - {{name: kvpg, secrets: [conn]}}
      - name: rg-us
        location: eastus
        storageAccounts:
          - {{name: stus}}
"""


def datasource(resource_id: str, ds_type: str, resource_type: str) -> dict[str, Any]:
    name = resource_id.rstrip("/").split("/")[-1]
    return {
        "datasourceType": ds_type,
        "objectType": "Datasource",
        "resourceID": resource_id,
        "resourceLocation": "westeurope",
        "resourceName": name,
        "resourceType": resource_type,
        "resourceUri": "",
    }


def blob_instance(
    account: str = ACCOUNT, policy: str = "blobop", containers: list[str] | None = None
) -> dict[str, Any]:
    policy_info: dict[str, Any] = {"policyId": f"{VAULT}/backupPolicies/{policy}"}
    if containers is not None:  # vaulted blob backup: the containers to back up
        parameters = {"objectType": "BlobBackupDatasourceParameters", "containersList": containers}
        policy_info["policyParameters"] = {"backupDatasourceParametersList": [parameters]}
    return {
        "properties": {
            "objectType": "BackupInstance",
            "dataSourceInfo": datasource(
                account, "Microsoft.Storage/storageAccounts/blobServices", "Microsoft.Storage/storageAccounts"
            ),
            "policyInfo": policy_info,
        }
    }


def pg_instance() -> dict[str, Any]:
    ds = datasource(
        PG_DB, "Microsoft.DBforPostgreSQL/servers/databases", "Microsoft.DBforPostgreSQL/servers/databases"
    )
    ds_set = {
        **datasource(
            PG_SERVER, "Microsoft.DBforPostgreSQL/servers/databases", "Microsoft.DBforPostgreSQL/servers"
        ),
        "objectType": "DatasourceSet",
    }
    return {
        "properties": {
            "objectType": "BackupInstance",
            "dataSourceInfo": ds,
            "dataSourceSetInfo": ds_set,
            "policyInfo": {"policyId": f"{VAULT}/backupPolicies/pg"},
            "datasourceAuthCredentials": {
                "objectType": "SecretStoreBasedAuthCredentials",
                "secretStoreResource": {
                    "secretStoreType": "AzureKeyVault",
                    "uri": "https://kvpg.vault.azure.net/secrets/conn",
                },
            },
        }
    }


def flex_instance() -> dict[str, Any]:
    ds = datasource(
        FLEX, "Microsoft.DBforPostgreSQL/flexibleServers", "Microsoft.DBforPostgreSQL/flexibleServers"
    )
    return {
        "properties": {
            "objectType": "BackupInstance",
            "dataSourceInfo": ds,
            "dataSourceSetInfo": {**ds, "objectType": "DatasourceSet"},
            "policyInfo": {"policyId": f"{VAULT}/backupPolicies/flex"},
        }
    }


async def grant(c: httpx.AsyncClient, scope: str, role: str, name: str) -> None:
    response = await c.put(
        f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}?api-version=2022-04-01",
        json={
            "properties": {
                "roleDefinitionId": f"/subscriptions/{SUB}/{ROLE_DEFS}/{role}",
                "principalId": PRINCIPAL,
                "principalType": "ServicePrincipal",
            }
        },
    )
    assert response.status_code == 201, response.text


async def settle(c: httpx.AsyncClient, seconds: float = 5.0) -> None:
    """Advance emulated time so running operations and jobs finish."""
    await c.post("/_admin/clock/advance", json={"seconds": seconds})


async def wait_status(c: httpx.AsyncClient, response: httpx.Response) -> dict[str, Any]:
    url = response.headers["Azure-AsyncOperation"]
    await settle(c)
    status = await c.get(url)
    assert status.status_code == 200
    body: dict[str, Any] = status.json()
    return body
