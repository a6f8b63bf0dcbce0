"""Every compliance situation is seedable, visible through ARM as well as Resource Graph, and checked."""

from __future__ import annotations

import pytest

from local.cloud.app import create_app
from local.cloud.testing import client, fast_config

from .compliance_fixtures import BV, DATA, DP_V, PROD, RSV, compliance_tenant
from .dp_fixtures import datasource

RS_V = "?api-version=2025-08-01"


def blob_instance(account: str) -> dict[str, object]:
    ds = datasource(
        f"{DATA}/providers/Microsoft.Storage/storageAccounts/{account}",
        "Microsoft.Storage/storageAccounts/blobServices",
        "Microsoft.Storage/storageAccounts",
    )
    return {
        "properties": {
            "objectType": "BackupInstance",
            "dataSourceInfo": ds,
            "policyInfo": {"policyId": f"{BV}/backupPolicies/blob-operational"},
        }
    }


async def test_arm_sees_the_seeded_instances_jobs_and_items() -> None:
    async with compliance_tenant() as c:
        listed = (await c.get(f"{BV}/backupInstances{DP_V}")).json()["value"]
        deleted = await c.get(f"{BV}/backupInstances/bi-stsoftdeleted{DP_V}")
        jobs = (await c.get(f"{BV}/backupJobs{DP_V}")).json()["value"]
        orphan_source = await c.get(f"{DATA}/providers/Microsoft.Storage/storageAccounts/storphan{DP_V}")
        items = (await c.get(f"{RSV}/backupProtectedItems{RS_V}")).json()["value"]
        rs_jobs = (await c.get(f"{RSV}/backupJobs{RS_V}")).json()["value"]
        points = await c.get(f"{BV}/backupInstances/bi-ststopped/recoveryPoints{DP_V}")
    names = {i["name"] for i in listed}
    assert "bi-stsoftdeleted" not in names and {"bi-stprotected", "bi-storphan", "bi-sterror"} <= names
    assert deleted.status_code == 404
    assert orphan_source.status_code == 404
    failed = [j for j in jobs if j["properties"]["status"] == "Failed"]
    assert [j["properties"]["backupInstanceFriendlyName"] for j in failed] == ["stjobfailed"]
    assert {i["properties"]["protectionState"] for i in items} == {
        "Protected",
        "ProtectionStopped",
        "ProtectionError",
    }
    assert {j["properties"]["status"] for j in rs_jobs} == {"Completed", "Failed"}
    assert points.status_code == 200  # an operational blob instance: no points, but the call works


async def test_situations_keep_the_protection_index_as_the_service_does() -> None:
    """Stopped/suspended/errored instances still hold their datasource; a soft-deleted one still blocks
    protecting it again in its vault (until undeleted or purged)."""
    async with compliance_tenant() as c:
        again_stopped = await c.put(f"{BV}/backupInstances/bi-new1{DP_V}", json=blob_instance("ststopped"))
        again_deleted = await c.put(
            f"{BV}/backupInstances/bi-new2{DP_V}", json=blob_instance("stsoftdeleted")
        )
        nfs = await c.put(f"{BV}/backupInstances/bi-new3{DP_V}", json=blob_instance("stnfs"))
    assert again_stopped.status_code == 400
    assert again_stopped.json()["error"]["code"] == "UserErrorDppDatasourceAlreadyProtected"
    assert again_deleted.status_code == 409
    assert again_deleted.json()["error"]["code"] == "UserErrorBackupInstanceSoftDeleted"
    assert nfs.status_code == 400 and nfs.json()["error"]["code"] == "UserErrorUnsupportedStorageAccountType"


VAULT_SEED = f"""
subscriptions:
  - id: {PROD}
    resourceGroups:
      - name: rg
        location: westeurope
        storageAccounts: [{{name: st1}}]
        backupVaults:
          - {{name: bv, policies: [{{name: p, template: blob_operational}}]}}
        recoveryServicesVaults:
          - {{name: rsv}}
"""
BI = (
    f"{{vault: /subscriptions/{PROD}/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/bv, "
    f"name: bi, policy: p, datasource: /subscriptions/{PROD}/resourceGroups/rg/providers/"
    "Microsoft.Storage/storageAccounts/st1"
)
SHARE = (
    f"{{vault: /subscriptions/{PROD}/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/rsv, "
    f"storageAccount: /subscriptions/{PROD}/resourceGroups/rg/providers/Microsoft.Storage/"
    "storageAccounts/st1, "
    "share: s1"
)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (f"backupInstances: [{BI}, state: Protected}}]", "state 'Protected' is not one of"),
        (f"backupInstances: [{BI}, protectionError: {{code: X}}}}]", "protectionError needs a state"),
        (
            f"backupInstances: [{BI}, state: ProtectionStopped, protectionError: {{code: X}}}}]",
            "protectionError needs a state",
        ),
        (f"backupInstances: [{BI}, jobs: [{{status: Succeeded}}]}}]", "job status 'Succeeded'"),
        (f"protectedFileShares: [{SHARE}, state: Healthy}}]", "state 'Healthy' is not one of"),
        (f"protectedFileShares: [{SHARE}, healthStatus: Good}}]", "healthStatus 'Good'"),
        (f"protectedFileShares: [{SHARE}, jobs: [{{operation: Snapshot}}]}}]", "job operation 'Snapshot'"),
        ("managementGroups: [{name: a, parent: b}]", "its parent 'b' must come first"),
        (
            "managementGroups: [{name: a, subscriptions: [99999999-0000-0000-0000-000000000000]}]",
            "could not be found",
        ),
    ],
)
async def test_seed_situations_are_checked_against_the_api_vocabulary(extra: str, message: str) -> None:
    app = create_app(fast_config())
    async with client(app) as c:
        answer = await c.post("/_admin/seed", content=(VAULT_SEED + extra).encode())
    assert answer.status_code == 400
    assert message in answer.json()["error"]["message"]


async def test_failed_configuration_defaults_to_missing_permissions_and_fails_provisioning() -> None:
    app = create_app(fast_config())
    async with client(app) as c:
        seeded = await c.post(
            "/_admin/seed",
            content=(VAULT_SEED + f"backupInstances: [{BI}, state: ConfiguringProtectionFailed}}]").encode(),
        )
        instance = (
            await c.get(
                f"/subscriptions/{PROD}/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/bv"
                f"/backupInstances/bi{DP_V}"
            )
        ).json()
    assert seeded.status_code == 200
    props = instance["properties"]
    assert props["currentProtectionState"] == "ConfiguringProtectionFailed"
    assert props["provisioningState"] == "Failed"
    assert props["protectionStatus"]["errorDetails"]["code"] == "UserErrorMissingRequiredPermissions"
    assert props["protectionErrorDetails"] == props["protectionStatus"]["errorDetails"]
