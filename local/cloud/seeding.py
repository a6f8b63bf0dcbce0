"""Seed a tenant from YAML/JSON. Every resource is created through the emulator's own ARM handlers
(so seeded state is exactly what clients would have built), with operation durations at zero.

Format (all keys optional except ids/names)::

    config: {time_factor: 1, retry_after_seconds: 1, durations: {restore_job: 5}}   # CloudConfig changes
    subscriptions:
      - id: 00000000-0000-0000-0000-000000000001
        displayName: Contoso Dev
        resourceGroups:
          - name: rg-data
            location: westeurope
            tags: {env: dev}
            storageAccounts:
              - {name: stcontoso01, kind: StorageV2, sku: Standard_LRS, isHnsEnabled: false,
                 tags: {backup: "true"}, containers: [images, logs], fileShares: [share1]}
            postgresqlServers:            # single servers (Microsoft.DBforPostgreSQL/servers)
              - {name: pg-orders, databases: [orders, billing]}
            flexibleServers:              # Microsoft.DBforPostgreSQL/flexibleServers
              - {name: pgflex-crm, databases: [crm]}
            keyVaults:
              - {name: kv-contoso, secrets: [pg-orders-conn], enableRbacAuthorization: false}
            backupVaults:
              - name: bv-weu
                principalId: 11111111-...   # optional: fix the system-assigned identity's id
                storageType: LocallyRedundant
                policies:
                  - {name: blob-operational, template: blob_operational}   # or properties: {...}
                  - {name: pg-weekly, template: postgresql}
            recoveryServicesVaults: [...]   # handled by cloud.seed_sections["recoveryServicesVaults"]
    roleAssignments:
      - scope: /subscriptions/.../resourceGroups/rg-data
        role: Reader                      # built-in role name or GUID
        principalId: vault:/subscriptions/.../backupVaults/bv-weu   # or a GUID
    backupInstances:                      # optional: already-protected datasources
      - {vault: /subscriptions/.../backupVaults/bv-weu, name: bi-1, policy: blob-operational,
         datasource: /subscriptions/.../storageAccounts/stcontoso01,
         datasourceType: Microsoft.Storage/storageAccounts/blobServices}
      # optional, to put the instance in a given situation (providers/dataprotection/seeded_state.py):
      #   state: ProtectionConfigured | ProtectionError | ConfiguringProtectionFailed | ProtectionStopped
      #          | BackupSchedulesSuspended | RetentionSchedulesSuspended | SoftDeleted
      #   protectionError: {code, message, recommendedAction: [...]}   # with ProtectionError / ...Failed
      #   datasourceDeleted: true                                       # orphan: the datasource is gone
      #   jobs: [{operation: Backup, status: Failed, hoursAgo: 6, durationMinutes: 5,
      #           isUserTriggered: false, errorCode, errorMessage, recommendedAction: [...]}]
    managementGroups: [...]               # providers/management.py
    protectedFileShares: [...]            # providers/recoveryservices/seeding.py

Storage accounts also take ``isNfsV3Enabled: true``; PostgreSQL servers ``sku: {name, tier}``. A PostgreSQL
backup instance gets ``dataSourceSetInfo`` (the server) like the service's own.

Any other top-level key (or resource-group key) registered in ``cloud.seed_sections`` is handed to
that provider's handler as ``handler(cloud, {"subscriptionId", "resourceGroup", "location", "items"})``
(resource-group level) or ``handler(cloud, items)`` (top level).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import yaml

from .core import Cloud, CloudError
from .core.pipeline import ArmApp
from .providers.authorization.roles import BUILT_IN_ROLES
from .providers.dataprotection.policy_templates import policy_properties
from .providers.dataprotection.seeded_state import apply_seeded_state

API = "2025-09-01"
ROLE_DEFS = "providers/Microsoft.Authorization/roleDefinitions"
RG_KEYS = {
    "name",
    "location",
    "tags",
    "storageAccounts",
    "postgresqlServers",
    "flexibleServers",
    "keyVaults",
    "backupVaults",
}


class SeedError(Exception):
    """The seed document is malformed or a resource in it was refused."""


def parse_seed(text: str | bytes) -> dict[str, Any]:
    data = yaml.safe_load(text) if text else {}
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SeedError("the seed document must be a mapping")
    return data


class _Seeder:
    def __init__(self, app: ArmApp) -> None:
        self.app = app
        self.cloud: Cloud = app.cloud
        self.created: list[str] = []

    async def call(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        raw = json.dumps(body).encode() if body is not None else b""
        headers = {"authorization": "Bearer seed", "content-type": "application/json", "host": "seed.local"}
        response = await self.app.handle_arm(
            {"scheme": "http"}, method, path, {"api-version": API}, headers, raw, internal=True
        )
        self.cloud.scheduler.flush()
        if response.status >= 400:
            raise SeedError(f"{method} {path}: {response.status} {response.body}")
        self.created.append(path)
        return response.body if isinstance(response.body, dict) else {}

    async def apply(self, doc: dict[str, Any]) -> None:
        if "config" in doc:
            self.cloud.apply_config(dict(doc["config"]))
        for sub in doc.get("subscriptions") or []:
            await self.subscription(sub)
        for assignment in doc.get("roleAssignments") or []:
            await self.role_assignment(assignment)
        for bi in doc.get("backupInstances") or []:
            await self.backup_instance(bi)
        for key, value in doc.items():
            if key not in {"config", "subscriptions", "roleAssignments", "backupInstances"}:
                handler = self.cloud.seed_sections.get(key)
                if handler is None:
                    raise SeedError(f"unknown seed section {key!r}")
                handler(self.cloud, value)

    async def subscription(self, sub: dict[str, Any]) -> None:
        from .providers.resources import add_subscription

        sub_id = str(sub["id"])
        add_subscription(self.cloud, sub_id, sub.get("displayName"))
        for group in sub.get("resourceGroups") or []:
            await self.resource_group(sub_id, group)

    async def resource_group(self, sub: str, group: dict[str, Any]) -> None:
        name, location = str(group["name"]), str(group.get("location", "westeurope"))
        rg = f"/subscriptions/{sub}/resourceGroups/{name}"
        await self.call("PUT", rg, {"location": location, "tags": group.get("tags") or {}})
        for acct in group.get("storageAccounts") or []:
            path = f"{rg}/providers/Microsoft.Storage/storageAccounts/{acct['name']}"
            await self.call(
                "PUT",
                path,
                {
                    "location": acct.get("location", location),
                    "kind": acct.get("kind", "StorageV2"),
                    "sku": {"name": acct.get("sku", "Standard_LRS")},
                    "tags": acct.get("tags") or {},
                    "properties": {
                        "isHnsEnabled": bool(acct.get("isHnsEnabled", False)),
                        **({"isNfsV3Enabled": True} if acct.get("isNfsV3Enabled") else {}),
                    },
                },
            )
            for container in acct.get("containers") or []:
                await self.call("PUT", f"{path}/blobServices/default/containers/{container}", {})
            for share in acct.get("fileShares") or []:
                await self.call("PUT", f"{path}/fileServices/default/shares/{share}", {})
        for kind, key in (("servers", "postgresqlServers"), ("flexibleServers", "flexibleServers")):
            for server in group.get(key) or []:
                path = f"{rg}/providers/Microsoft.DBforPostgreSQL/{kind}/{server['name']}"
                await self.call(
                    "PUT",
                    path,
                    {
                        "location": server.get("location", location),
                        "tags": server.get("tags") or {},
                        **({"sku": dict(server["sku"])} if server.get("sku") else {}),
                        "properties": {"administratorLogin": server.get("administratorLogin", "pgadmin")},
                    },
                )
                for db in server.get("databases") or []:
                    await self.call("PUT", f"{path}/databases/{db}", {"properties": {}})
        for kv in group.get("keyVaults") or []:
            path = f"{rg}/providers/Microsoft.KeyVault/vaults/{kv['name']}"
            await self.call(
                "PUT",
                path,
                {
                    "location": kv.get("location", location),
                    "properties": {
                        "tenantId": "72f988bf-86f1-41af-91ab-2d7cd011db47",
                        "sku": {"family": "A", "name": "standard"},
                        "accessPolicies": kv.get("accessPolicies") or [],
                        "enableRbacAuthorization": bool(kv.get("enableRbacAuthorization", False)),
                    },
                },
            )
            for secret in kv.get("secrets") or []:
                await self.call("PUT", f"{path}/secrets/{secret}", {"properties": {}})
        for vault in group.get("backupVaults") or []:
            await self.backup_vault(rg, location, vault)
        for key, value in group.items():
            if key not in RG_KEYS:
                handler = self.cloud.seed_sections.get(key)
                if handler is None:
                    raise SeedError(f"unknown resource-group seed key {key!r}")
                handler(
                    self.cloud,
                    {"subscriptionId": sub, "resourceGroup": name, "location": location, "items": value},
                )

    async def backup_vault(self, rg: str, location: str, vault: dict[str, Any]) -> None:
        path = f"{rg}/providers/Microsoft.DataProtection/backupVaults/{vault['name']}"
        await self.call(
            "PUT",
            path,
            {
                "location": vault.get("location", location),
                "tags": vault.get("tags") or {},
                "identity": {"type": "SystemAssigned"},
                "properties": {
                    "storageSettings": [
                        {"datastoreType": "VaultStore", "type": vault.get("storageType", "LocallyRedundant")}
                    ]
                },
            },
        )
        if vault.get("principalId"):
            stored = self.cloud.store.get(path)
            assert stored is not None
            stored.body["identity"]["principalId"] = str(vault["principalId"])
        for policy in vault.get("policies") or []:
            props = policy.get("properties") or policy_properties(
                str(policy.get("template", "blob_operational"))
            )
            await self.call("PUT", f"{path}/backupPolicies/{policy['name']}", {"properties": props})

    async def role_assignment(self, item: dict[str, Any]) -> None:
        role = str(item["role"])
        guid = (
            role.lower()
            if role.lower() in BUILT_IN_ROLES
            else next((g for g, (n, _) in BUILT_IN_ROLES.items() if n.lower() == role.lower()), None)
        )
        if guid is None:
            raise SeedError(f"unknown role {role!r}")
        principal = str(item["principalId"])
        if principal.startswith("vault:"):
            vault = self.cloud.store.get(principal[len("vault:") :])
            if vault is None:
                raise SeedError(f"no vault {principal}")
            principal = str(vault.body["identity"]["principalId"])
        scope = str(item["scope"]).rstrip("/")
        sub = scope.split("/")[2] if scope.lower().startswith("/subscriptions/") else ""
        await self.call(
            "PUT",
            f"{scope}/providers/Microsoft.Authorization/roleAssignments/{item.get('name') or uuid.uuid4()}",
            {
                "properties": {
                    "roleDefinitionId": f"/subscriptions/{sub}/{ROLE_DEFS}/{guid}",
                    "principalId": principal,
                    "principalType": item.get("principalType", "ServicePrincipal"),
                }
            },
        )

    async def backup_instance(self, item: dict[str, Any]) -> None:
        vault, ds = str(item["vault"]), str(item["datasource"])
        ds_type = str(item.get("datasourceType", "Microsoft.Storage/storageAccounts/blobServices"))
        resource = self.cloud.store.get(ds)
        # a database is located where its server is
        server_id = ds.rsplit("/databases/", 1)[0]
        holder = self.cloud.store.get(server_id) if server_id != ds else resource
        info = {
            "objectType": "Datasource",
            "resourceID": ds,
            "resourceName": ds.rstrip("/").split("/")[-1],
            "resourceType": resource.type if resource else "",
            "resourceLocation": (holder.location if holder else "") or "",
            "resourceUri": ds,
            "datasourceType": ds_type,
        }
        body = {
            "properties": {
                "objectType": "BackupInstance",
                "dataSourceInfo": info,
                "policyInfo": {"policyId": f"{vault}/backupPolicies/{item['policy']}"},
            }
        }
        if ds_type.lower().startswith("microsoft.dbforpostgresql/"):
            body["properties"]["dataSourceSetInfo"] = {
                **info,
                "objectType": "DatasourceSet",
                "resourceID": server_id,
                "resourceName": server_id.rstrip("/").split("/")[-1],
                "resourceType": holder.type if holder else "",
                "resourceUri": server_id,
            }
        if item.get("secretUri"):
            body["properties"]["datasourceAuthCredentials"] = {
                "objectType": "SecretStoreBasedAuthCredentials",
                "secretStoreResource": {"secretStoreType": "AzureKeyVault", "uri": item["secretUri"]},
            }
        path = f"{vault}/backupInstances/{item.get('name') or uuid.uuid4()}"
        await self.call("PUT", path, body)
        instance = self.cloud.store.get(path)
        if instance is not None:
            apply_seeded_state(self.cloud, instance, item)


async def apply_seed(app: ArmApp, doc: dict[str, Any]) -> list[str]:
    """Create everything in ``doc``; returns the paths created. Durations are zero while seeding."""
    cloud = app.cloud
    saved = dict(cloud.config.durations)
    cloud.config.durations = {k: 0.0 for k in saved}
    seeder = _Seeder(app)
    try:
        await seeder.apply(doc)
    except CloudError as exc:
        raise SeedError(str(exc)) from exc
    finally:
        cloud.config.durations = saved | {
            k: v for k, v in cloud.config.durations.items() if v and k not in saved
        }
    return seeder.created


def apply_seed_sync(app: ArmApp, doc: dict[str, Any]) -> list[str]:
    return asyncio.run(apply_seed(app, doc))
