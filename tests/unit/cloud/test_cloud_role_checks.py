"""Role checks: validateForBackup / backup-instance creation fail with UserErrorMissingRequiredPermissions
until the vault identity holds the roles (inherited from parent scopes, after the propagation delay)."""

from __future__ import annotations

from local.cloud.app import create_app
from local.cloud.providers.authorization.roles import (
    PG_FLEX_LTR_BACKUP,
    READER,
    STORAGE_ACCOUNT_BACKUP_CONTRIBUTOR,
)
from local.cloud.testing import client, fast_config

from .dp_fixtures import (
    ACCOUNT,
    FLEX,
    PG_SERVER,
    RG,
    SEED,
    VAULT,
    V,
    blob_instance,
    flex_instance,
    grant,
    pg_instance,
    wait_status,
)

G1, G2, G3 = (
    "10000000-0000-0000-0000-000000000001",
    "10000000-0000-0000-0000-000000000002",
    "10000000-0000-0000-0000-000000000003",
)


async def _validate(c, body):
    response = await c.post(f"{VAULT}/validateForBackup{V}", json={"backupInstance": body["properties"]})
    assert response.status_code == 202
    assert response.headers["Retry-After"] == "0"
    return await wait_status(c, response)


async def test_blob_validation_fails_until_role_granted_on_parent_scope() -> None:
    app = create_app(fast_config())
    async with client(app) as c:
        await c.post("/_admin/seed", content=SEED.encode())
        failed = await _validate(c, blob_instance())
        await grant(c, RG, STORAGE_ACCOUNT_BACKUP_CONTRIBUTOR, G1)  # resource-group scope: inherited
        passed = await _validate(c, blob_instance())
    assert failed["status"] == "Failed"
    assert failed["error"]["code"] == "UserErrorMissingRequiredPermissions"
    assert failed["error"]["message"] == "Appropriate permissions to perform the operation is missing."
    assert failed["error"]["additionalInfo"][0]["type"] == "UserFacingError"
    assert passed["status"] == "Succeeded"
    assert passed["properties"]["objectType"] == "OperationJobExtendedInfo"


async def test_role_propagation_delay() -> None:
    app = create_app(fast_config(durations={"role_propagation": 30.0}))
    async with client(app) as c:
        await c.post("/_admin/seed", content=SEED.encode())
        await grant(c, ACCOUNT, STORAGE_ACCOUNT_BACKUP_CONTRIBUTOR, G1)
        too_soon = await _validate(c, blob_instance())  # wait_status advances 5 s only
        await c.post("/_admin/clock/advance", json={"seconds": 30})
        later = await _validate(c, blob_instance())
    assert too_soon["status"] == "Failed"
    assert later["status"] == "Succeeded"


async def test_postgresql_needs_reader_on_server_and_key_vault_access() -> None:
    app = create_app(fast_config())
    async with client(app) as c:
        await c.post("/_admin/seed", content=SEED.encode())
        await grant(c, PG_SERVER, READER, G1)
        no_vault_access = await _validate(c, pg_instance())
        kv = f"{RG}/providers/Microsoft.KeyVault/vaults/kvpg"
        await grant(c, kv, "4633458b-17de-408a-b874-0445c86b69e6", G2)
        ok = await _validate(c, pg_instance())
    assert no_vault_access["status"] == "Failed"
    assert (
        "key vault"
        in no_vault_access["error"]["additionalInfo"][0]["info"]["innerError"]["additionalInfo"][
            "DetailedNonLocalisedMessage"
        ]
    )
    assert ok["status"] == "Succeeded"


async def test_flexible_server_needs_ltr_role_and_reader_on_group() -> None:
    app = create_app(fast_config())
    async with client(app) as c:
        await c.post("/_admin/seed", content=SEED.encode())
        await grant(c, FLEX, PG_FLEX_LTR_BACKUP, G1)
        only_ltr = await _validate(c, flex_instance())
        await grant(c, RG, READER, G3)
        both = await _validate(c, flex_instance())
    assert only_ltr["status"] == "Failed"
    assert both["status"] == "Succeeded"


async def test_role_assignment_list_filters() -> None:
    app = create_app(fast_config())
    async with client(app) as c:
        await c.post("/_admin/seed", content=SEED.encode())
        await grant(c, RG, READER, G1)
        await grant(c, ACCOUNT, STORAGE_ACCOUNT_BACKUP_CONTRIBUTOR, G2)
        at_account = await c.get(
            f"{ACCOUNT}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01"
            "&$filter=atScope()"
        )
        at_group = await c.get(
            f"{RG}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01"
            "&$filter=principalId eq 'aaaaaaaa-0000-0000-0000-00000000000a'"
        )
        duplicate = await c.put(
            f"{RG}/providers/Microsoft.Authorization/roleAssignments/{G3}?api-version=2022-04-01",
            json={
                "properties": {
                    "roleDefinitionId": READER,
                    "principalId": "aaaaaaaa-0000-0000-0000-00000000000a",
                }
            },
        )
    assert {a["name"] for a in at_account.json()["value"]} == {G1, G2}  # inherited + own
    assert {a["name"] for a in at_group.json()["value"]} == {G1, G2}  # includes below the scope
    assert duplicate.status_code == 409 and duplicate.json()["error"]["code"] == "RoleAssignmentExists"
