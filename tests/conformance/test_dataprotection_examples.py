"""Conformance: replay every Microsoft.DataProtection example (azure-specs 2025-09-01, the docs-postgresql
captures and the pgflex quickstart bodies) against the emulator and compare status, poll headers and body
shape (``test_dataprotection_shapes.shape_diff``). Each example gets the tenant it presupposes (vault,
policy, datasource, role assignments, backup instance), built through the emulator's own API.

Known deviations (accepted, asserted nowhere else):
- PUT backupInstances: the 2025-09-01 examples return ``protectionStatus: NotProtected`` while provisioning
  and an ``Azure-AsyncOperation`` under ``Microsoft.Resources/deployments/.../operationStatuses``;
  the emulator
  returns ``ConfiguringProtection`` (as the docs capture pg05 does) and a DataProtection ``operationStatus``
  URL. A first PUT answers 201 (the example's 200 is the answer to a re-PUT).
- Server-assigned names (operation ids, job ids, recovery-point ids) are the emulator's own: the replay
  uses them in place of the example's, as a client following the returned URLs would.
- ValidateForBackup / ValidateForRestore results carry a jobId that names no job resource.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest

from local.cloud.app import create_app
from local.cloud.core import norm, parse_iso
from local.cloud.core.pipeline import ArmApp
from local.cloud.providers.dataprotection.state import DataProtectionState, RecoveryPoint
from local.cloud.testing import client, fast_config
from tests.paths import AZURE_SPECS

from .test_dataprotection_shapes import check_poll_header, shape_diff

pytestmark = pytest.mark.corpus

DP = AZURE_SPECS / "dataprotection"
V = "?api-version=2025-09-01"
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
DPV = "providers/Microsoft.DataProtection/backupVaults"
FLEX_RG = "/subscriptions/f1e2d3c4-0000-0000-0000-000000000001/resourceGroups/rg"
POLL_HEADERS = ("Azure-AsyncOperation", "Location", "Retry-After")


def _examples() -> Iterator[Path]:
    yield from sorted((DP / "examples").rglob("*.json"))
    yield from sorted((DP / "examples-2025-07-01").rglob("*.json"))


@cache
def _swagger() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DP / "dataprotection.json").read_text())
    return data


def _path_for(operation_id: str, params: dict[str, Any]) -> tuple[str, str]:
    for template, methods in _swagger()["paths"].items():
        for method, op in methods.items():
            if isinstance(op, dict) and op.get("operationId") == operation_id:
                path = re.sub(r"\{(\w+)\}", lambda m: str(params[m.group(1)]), template)
                return method.upper(), path
    raise KeyError(operation_id)


class World:
    """Builds the tenant an example presupposes, through the emulator's API."""

    def __init__(self, app: ArmApp, c: httpx.AsyncClient) -> None:
        self.app, self.c = app, c

    async def ok(self, method: str, url: str, body: Any = None) -> httpx.Response:
        response = await self.c.request(method, url + ("" if "?" in url else V), json=body)
        assert response.status_code < 300, f"{method} {url}: {response.status_code} {response.text}"
        return response

    async def subscription(self, sub: str) -> None:
        if self.app.cloud.store.get(f"/subscriptions/{sub}") is None:
            await self.c.post("/_admin/seed", json={"subscriptions": [{"id": sub}]})

    async def group(self, resource_id: str) -> None:
        parts = resource_id.split("/")
        await self.subscription(parts[2])
        rg = "/".join(parts[:5])
        if self.app.cloud.store.get(rg) is None:
            await self.ok("PUT", rg, {"location": "westus"})

    async def vault(self, vault_id: str, body: dict[str, Any] | None = None) -> str:
        await self.group(vault_id)
        existing = self.app.cloud.store.get(vault_id)
        if existing is None:
            body = body or {
                "location": "westus",
                "identity": {"type": "SystemAssigned"},
                "properties": {
                    "storageSettings": [{"datastoreType": "VaultStore", "type": "LocallyRedundant"}]
                },
            }
            body.setdefault("identity", {"type": "SystemAssigned"})
            await self.ok("PUT", vault_id, body)
            await self.settle()
            existing = self.app.cloud.store.get(vault_id)
        assert existing is not None
        return str(existing.body["identity"]["principalId"])

    async def datasource(self, ds: dict[str, Any], principal: str) -> None:
        rid = str(ds["resourceID"])
        await self.group(rid)
        await self.ok(
            "PUT",
            f"/subscriptions/{rid.split('/')[2]}/providers/Microsoft.Authorization/roleAssignments/"
            f"{_guid(principal + rid.split('/')[2])}",
            {"properties": {"roleDefinitionId": OWNER, "principalId": principal}},
        )
        if self.app.cloud.store.get(rid) is not None:
            return
        lower = rid.lower()
        if "/storageaccounts/" in lower:
            await self.ok(
                "PUT", rid, {"location": "westus", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}}
            )
        elif "/flexibleservers/" in lower:
            await self.ok("PUT", rid.split("/databases/")[0], {"location": "westus"})
        elif "/servers/" in lower:
            await self.ok("PUT", rid.split("/databases/")[0], {"location": "westus"})
            if "/databases/" in lower:
                await self.ok("PUT", rid, {"properties": {}})

    async def policy(self, policy_id: str, ds_type: str, properties: dict[str, Any] | None = None) -> None:
        if self.app.cloud.store.get(policy_id) is not None:
            return
        from local.cloud.providers.dataprotection.policy_templates import policy_properties

        kind = ds_type.lower()
        template = (
            "blob_operational"
            if "storage" in kind
            else "postgresql_flex"
            if "flexible" in kind
            else "postgresql"
        )
        await self.ok("PUT", policy_id, {"properties": properties or policy_properties(template)})

    async def instance(self, vault_id: str, name: str, props: dict[str, Any]) -> str:
        principal = await self.vault(vault_id)
        ds = props["dataSourceInfo"]
        await self.datasource(ds, principal)
        policy_id = (
            f"{vault_id}/backupPolicies/{str(props['policyInfo']['policyId']).rstrip('/').split('/')[-1]}"
        )
        await self.policy(policy_id, str(ds["datasourceType"]))
        props = {**props, "policyInfo": {**props["policyInfo"], "policyId": policy_id}}
        bi = f"{vault_id}/backupInstances/{name}"
        if self.app.cloud.store.get(bi) is None:
            await self.ok("PUT", bi, {"properties": props})
            await self.settle()
        return bi

    async def settle(self, seconds: float = 30) -> None:
        await self.c.post("/_admin/clock/advance", json={"seconds": seconds})


def _guid(seed: str) -> str:
    import uuid

    return str(uuid.uuid5(uuid.NAMESPACE_URL, seed))


def _vault_id(p: dict[str, Any]) -> str:
    group = f"/subscriptions/{p['subscriptionId']}/resourceGroups/{p['resourceGroupName']}"
    return f"{group}/{DPV}/{p['vaultName']}"


def _blob_props(vault_id: str, account: str) -> dict[str, Any]:
    rid = f"{vault_id.split('/providers/')[0]}/providers/Microsoft.Storage/storageAccounts/{account}"
    return {
        "objectType": "BackupInstance",
        "policyInfo": {"policyId": f"{vault_id}/backupPolicies/blobpolicy"},
        "dataSourceInfo": {
            "datasourceType": "Microsoft.Storage/storageAccounts/blobServices",
            "objectType": "Datasource",
            "resourceID": rid,
            "resourceName": account,
            "resourceType": "Microsoft.Storage/storageAccounts",
            "resourceLocation": "westus",
            "resourceUri": rid,
        },
    }


def _pg_props() -> dict[str, Any]:
    example = json.loads((DP / "examples/BackupInstanceOperations/GetBackupInstance.json").read_text())
    return dict(example["responses"]["200"]["body"]["properties"])


@pytest.fixture
async def world() -> Any:
    app = create_app(fast_config())
    async with client(app) as c:
        yield World(app, c)


def _assert_response(example: dict[str, Any], response: httpx.Response) -> None:
    expected = example["responses"].get(str(response.status_code))
    assert expected is not None, (
        f"status {response.status_code} not in example {sorted(example['responses'])}: {response.text}"
    )
    for name in POLL_HEADERS:
        if name in (expected.get("headers") or {}):
            assert name in response.headers, f"missing header {name}"
            assert check_poll_header(name, response.headers[name]) == []
    if "body" in expected:
        assert shape_diff(expected["body"], response.json()) == []


@pytest.mark.parametrize("path", list(_examples()), ids=lambda p: p.stem)
async def test_spec_example(path: Path, world: Any) -> None:
    example = json.loads(path.read_text())  # noqa: ASYNC240 - small local file
    # The 2025-07-01 vault example has no operationId: it is BackupVaults_Get.
    op, params = example.get("operationId", "BackupVaults_Get"), dict(example["parameters"])
    body = params.get("parameters")
    for sub in {params.get("subscriptionId")} - {None}:
        await world.subscription(str(sub))
    if op == "OperationStatus_Get":
        vault = f"/subscriptions/{params['subscriptionId']}/resourceGroups/rg/{DPV}/v"
        bi = await world.instance(vault, "bi", _blob_props(vault, "stop"))
        deleted = await world.ok("DELETE", bi)
        params["operationId"] = deleted.headers["Location"].split("/operationResults/")[1].split("?")[0]
        await world.settle()
    vault_id = _vault_id(params) if "vaultName" in params else None
    bi_name = params.get("backupInstanceName")
    if op == "BackupVaults_Get":
        expected = example["responses"]["200"]["body"]
        await world.vault(
            str(vault_id),
            {k: expected[k] for k in ("location", "tags", "properties", "identity") if k in expected},
        )
    elif op in {"BackupPolicies_Get", "BackupPolicies_List"}:
        await world.vault(str(vault_id))
        policies = example["responses"]["200"]["body"]
        for item in policies.get("value", [policies]):
            await world.ok(
                "PUT", f"{vault_id}/backupPolicies/{item['name']}", {"properties": item["properties"]}
            )
    elif op in {"BackupInstances_CreateOrUpdate", "BackupInstances_ValidateForBackup"}:
        assert body is not None
        props = body["properties"] if op.endswith("Update") else body["backupInstance"]
        principal = await world.vault(str(vault_id))
        await world.datasource(props["dataSourceInfo"], principal)
        await world.policy(
            str(props["policyInfo"]["policyId"]), str(props["dataSourceInfo"]["datasourceType"])
        )
    elif op in {"Jobs_Get", "Jobs_List"}:
        bi = await world.instance(str(vault_id), "pgbi", _pg_props())
        accepted = await world.ok(
            "POST", f"{bi}/backup", {"backupRuleOptions": {"ruleName": "BackupWeekly", "triggerOption": {}}}
        )
        await world.settle()
        job = (await world.c.get(accepted.headers["Location"])).json()["jobId"].rsplit("/", 1)[-1]
        if op == "Jobs_Get":
            jobs = world.app.cloud.state(DataProtectionState).jobs
            vault_of, job_body = jobs.pop(job)
            job_body["name"] = params["jobId"]
            jobs[params["jobId"]] = (vault_of, job_body)
    elif op == "BackupVaults_CreateOrUpdate":
        await world.group(str(vault_id))
    elif (bi_name is not None or op == "BackupInstances_List") and op != "BackupInstances_CreateOrUpdate":
        if (
            op == "BackupInstances_List"
            or "ADLS" in path.stem
            or (bi_name == "testInstance1" and op == "BackupInstances_Get")
        ):
            source = example["responses"]["200"]["body"]
            item = source["value"][0] if "value" in source else source
            name = item["name"] if op == "BackupInstances_List" else bi_name
            props = dict(item["properties"])
        elif op == "RestorableTimeRanges_Find":
            props, name = _blob_props(str(vault_id), "zblob"), bi_name
        else:
            props, name = _pg_props(), bi_name
        bi = await world.instance(str(vault_id), name, props)
        instance = world.app.cloud.store.get(bi)
        assert instance is not None
        # The examples restore to points in 2020/2021: protection started before them in this world.
        instance.extra["protected_since"] = world.app.cloud.clock.to_seconds(
            parse_iso("2020-01-01T00:00:00Z")
        )
        request = (body or {}).get("restoreRequestObject", body) or {}
        if request.get("recoveryPointId"):
            world.app.cloud.state(DataProtectionState).recovery_points[norm(bi)] = [
                RecoveryPoint(str(request["recoveryPointId"]), world.app.cloud.clock.seconds(), "policy")
            ]
    method, url = _path_for(op, params)
    response = await world.c.request(method, url + V, json=body if method in {"PUT", "POST"} else None)
    _assert_response(example, response)
    if response.status_code == 202 and "200" in example["responses"]:
        await world.settle()
        final = await world.c.get(response.headers["Location"])
        assert final.status_code == 200, final.text
        assert shape_diff(example["responses"]["200"]["body"], final.json()) == []


def _docs(name: str) -> dict[str, Any]:
    return json.loads((DP / "docs-postgresql" / name).read_text())


def _local(url: str) -> str:
    return re.sub(r"^https://management\.azure\.com", "", url).split("?")[0]


async def _pg_world(world: World, request_body: dict[str, Any], vault_id: str) -> dict[str, Any]:
    props = request_body["properties"]
    principal = await world.vault(vault_id)
    await world.datasource(props["dataSourceInfo"], principal)
    await world.policy(f"{vault_id}/backupPolicies/osspol3", "Microsoft.DBforPostgreSQL/servers/databases")
    return {**props, "policyInfo": {"policyId": f"{vault_id}/backupPolicies/osspol3"}}


async def test_docs_postgresql_validate_then_status_inprogress_then_succeeded(world: World) -> None:
    capture, done = (
        _docs("pg02_ValidateForBackup_202_then_OperationStatus_Inprogress.json"),
        _docs("pg04_OperationStatus_Succeeded_ValidateForBackup.json"),
    )
    pg05 = _docs("pg05_BackupInstances_CreateOrUpdate_201_PostgreSQL.json")
    vault_id = _local(capture["request"]["url"]).rsplit("/validateForBackup", 1)[0]
    props = await _pg_world(world, pg05["request"]["body"], vault_id)
    accepted = await world.c.post(_local(capture["request"]["url"]) + V, json={"backupInstance": props})
    assert accepted.status_code == capture["response"]["status"]
    for name in POLL_HEADERS:
        if name in capture["response"]["headers"]:
            assert check_poll_header(name, accepted.headers[name]) == []
    running = (await world.c.get(accepted.headers["Azure-AsyncOperation"])).json()
    assert shape_diff(capture["poll"]["intermediate_response"]["body"], running) == []
    assert running["status"] == "Inprogress" and running["endTime"].startswith("0001-01-01T00:00:00")
    await world.settle()
    final = (await world.c.get(accepted.headers["Azure-AsyncOperation"])).json()
    assert shape_diff(done["response"]["body"], final) == [] and final["status"] == "Succeeded"


async def test_docs_postgresql_backup_instance_201_and_recovery_points(world: World) -> None:
    capture = _docs("pg05_BackupInstances_CreateOrUpdate_201_PostgreSQL.json")
    url = _local(capture["request"]["url"])
    props = await _pg_world(world, capture["request"]["body"], url.split("/backupInstances/")[0])
    created = await world.c.put(url + V, json={**capture["request"]["body"], "properties": props})
    assert created.status_code == 201
    assert check_poll_header("Azure-AsyncOperation", created.headers["Azure-AsyncOperation"]) == []
    assert shape_diff(capture["response"]["body"], created.json()) == []
    await world.settle(7 * 86400)
    points = (await world.c.get(f"{url}/recoveryPoints{V}")).json()
    assert shape_diff(_docs("pgr06_RecoveryPoints_List_first_item.json")["response"]["body"], points) == []
    rp = points["value"][0]["properties"]["recoveryPointId"]
    restore = {
        "objectType": "AzureBackupRecoveryPointBasedRestoreRequest",
        "recoveryPointId": rp,
        "sourceDataStoreType": "VaultStore",
        "restoreTargetInfo": {
            "objectType": "RestoreTargetInfo",
            "recoveryOption": "FailIfExists",
            "restoreLocation": "westus",
            "datasourceInfo": props["dataSourceInfo"],
        },
    }
    accepted = await world.c.post(f"{url}/validateRestore{V}", json={"restoreRequestObject": restore})
    await world.settle()
    status = (await world.c.get(accepted.headers["Azure-AsyncOperation"])).json()
    assert (
        shape_diff(
            _docs("pgr03_ValidateForRestore_OperationStatus_Succeeded.json")["response"]["body"], status
        )
        == []
    )


async def test_pgflex_policy_and_backup_instance(world: World) -> None:
    capture = json.loads(
        (DP / "pgflex/PostgreSQLFlexibleServer_policy_and_backupInstance_from_quickstart.json").read_text()
    )
    text = json.dumps(capture["backupPolicy"]["properties"])
    text = text.replace("[variables('repeatingTimeInterval')]", "R/2021-05-20T22:00:00+00:00/PT12H")
    text = text.replace("[variables('retentionDuration')]", "P30D").replace(
        "[variables('dataSourceType')]", "Microsoft.DBforPostgreSQL/flexibleServers"
    )
    vault_id = f"{FLEX_RG}/{DPV}/pgflexvault"
    principal = await world.vault(vault_id)
    policy = await world.c.put(
        f"{vault_id}/backupPolicies/pgflexpolicy{V}", json={"properties": json.loads(text)}
    )
    assert policy.status_code == 200
    server = f"{FLEX_RG}/providers/Microsoft.DBforPostgreSQL/flexibleServers/pgflex1"
    ds = {
        "objectType": "Datasource",
        "resourceID": server,
        "resourceName": "pgflex1",
        "resourceType": "Microsoft.DBforPostgreSQL/flexibleServers",
        "resourceUri": server,
        "resourceLocation": "westus",
        "datasourceType": "Microsoft.DBforPostgreSQL/flexibleServers",
    }
    await world.datasource(ds, principal)
    created = await world.c.put(
        f"{vault_id}/backupInstances/pgflex1{V}",
        json={
            "properties": {
                "objectType": "BackupInstance",
                "dataSourceInfo": ds,
                "policyInfo": {"policyId": f"{vault_id}/backupPolicies/pgflexpolicy", "name": "pgflexpolicy"},
            }
        },
    )
    assert created.status_code == 201
    await world.settle()  # protection configured now; the schedule ticks every 12 hours from here
    await world.settle(13 * 3600)
    instance = (await world.c.get(f"{vault_id}/backupInstances/pgflex1{V}")).json()
    points = (await world.c.get(f"{vault_id}/backupInstances/pgflex1/recoveryPoints{V}")).json()["value"]
    assert instance["properties"]["protectionStatus"]["status"] == "ProtectionConfigured"
    assert len(points) == 2  # protection time + one 12-hour schedule tick
