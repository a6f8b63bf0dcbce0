"""Built-in role definitions the backup flows need, and the role check with propagation delay.

GUIDs are Azure's built-in role ids (Reader and the flexible-server LTR role as in
``azure-specs/dataprotection/pgflex``; Storage Account Backup Contributor as documented for blob backup).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ...core import Cloud, iso, norm, parent_scopes

OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
STORAGE_ACCOUNT_BACKUP_CONTRIBUTOR = "e5e2a7ff-d759-4cd2-bb51-3152d37e2eb1"
PG_FLEX_LTR_BACKUP = "c088a766-074b-43ba-90d4-1fb21feae531"
KEY_VAULT_SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"
USER_ACCESS_ADMINISTRATOR = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"
STORAGE_BLOB_DATA_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"

BUILT_IN_ROLES: dict[str, tuple[str, str]] = {
    OWNER: ("Owner", "Grants full access to manage all resources, including the ability to assign roles."),
    CONTRIBUTOR: (
        "Contributor",
        "Grants full access to manage all resources, but does not allow you to assign roles.",
    ),
    READER: ("Reader", "View all resources, but does not allow you to make any changes."),
    STORAGE_ACCOUNT_BACKUP_CONTRIBUTOR: (
        "Storage Account Backup Contributor",
        "Lets you perform backup and restore operations using Azure Backup on the storage account.",
    ),
    PG_FLEX_LTR_BACKUP: (
        "PostgreSQL Flexible Server Long Term Retention Backup Role",
        "Role to allow backup vault to access PostgreSQL Flexible Server Resource APIs for Long Term "
        "Retention Backup.",
    ),
    KEY_VAULT_SECRETS_USER: ("Key Vault Secrets User", "Read secret contents."),
    USER_ACCESS_ADMINISTRATOR: (
        "User Access Administrator",
        "Lets you manage user access to Azure resources.",
    ),
    STORAGE_BLOB_DATA_CONTRIBUTOR: (
        "Storage Blob Data Contributor",
        "Read, write and delete Azure Storage blobs.",
    ),
}

#: Roles that imply others for the checks the emulator makes (Owner/Contributor cover control-plane roles).
IMPLIED_BY: dict[str, set[str]] = {
    READER: {OWNER, CONTRIBUTOR},
    STORAGE_ACCOUNT_BACKUP_CONTRIBUTOR: {OWNER},
    PG_FLEX_LTR_BACKUP: {OWNER, CONTRIBUTOR},
}


@dataclass
class RoleAssignment:
    id: str
    name: str
    scope: str
    role_definition_id: str
    principal_id: str
    principal_type: str
    created: float
    created_on: str
    created_by: str

    @property
    def role_guid(self) -> str:
        return self.role_definition_id.rstrip("/").split("/")[-1].lower()

    def body(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "type": "Microsoft.Authorization/roleAssignments",
            "properties": {
                "roleDefinitionId": self.role_definition_id,
                "principalId": self.principal_id,
                "principalType": self.principal_type,
                "scope": self.scope,
                "condition": None,
                "conditionVersion": None,
                "createdOn": self.created_on,
                "updatedOn": self.created_on,
                "createdBy": self.created_by,
                "updatedBy": self.created_by,
                "delegatedManagedIdentityResourceId": None,
                "description": None,
            },
        }


@dataclass
class AuthorizationState:
    assignments: dict[str, RoleAssignment] = field(default_factory=dict)


def role_definition_body(scope: str, guid: str) -> dict[str, Any]:
    name, description = BUILT_IN_ROLES[guid]
    prefix = "" if scope in {"", "/"} else scope.rstrip("/")
    return {
        "id": f"{prefix}/providers/Microsoft.Authorization/roleDefinitions/{guid}",
        "name": guid,
        "type": "Microsoft.Authorization/roleDefinitions",
        "properties": {
            "roleName": name,
            "type": "BuiltInRole",
            "description": description,
            "assignableScopes": ["/"],
            "permissions": [
                {
                    "actions": ["*"] if guid == OWNER else [],
                    "notActions": [],
                    "dataActions": [],
                    "notDataActions": [],
                }
            ],
        },
    }


def add_assignment(
    cloud: Cloud,
    scope: str,
    name: str,
    role_definition_id: str,
    principal_id: str,
    principal_type: str = "ServicePrincipal",
    created_by: str = "anonymous",
) -> RoleAssignment:
    state = cloud.state(AuthorizationState)
    scope_text = scope.rstrip("/") if scope not in {"", "/"} else ""
    rid = f"{scope_text}/providers/Microsoft.Authorization/roleAssignments/{name}"
    if "/" not in role_definition_id:
        prefix = f"/subscriptions/{_sub_of(scope)}/providers/Microsoft.Authorization/roleDefinitions"
        role_definition_id = f"{prefix}/{role_definition_id}"
    assignment = RoleAssignment(
        rid,
        name,
        scope_text or "/",
        role_definition_id,
        principal_id,
        principal_type,
        cloud.clock.seconds(),
        iso(cloud.clock.now()),
        created_by,
    )
    state.assignments[norm(rid)] = assignment
    return assignment


def _sub_of(scope: str) -> str:
    match = re.match(r"/subscriptions/([^/]+)", scope, re.IGNORECASE)
    return match.group(1) if match else ""


def has_role(cloud: Cloud, principal_id: str, role_guid: str, scope: str) -> bool:
    """True when ``principal_id`` holds ``role_guid`` (or a role implying it) at ``scope`` or above,
    and the assignment has propagated (``durations["role_propagation"]`` emulated seconds)."""
    wanted = {role_guid.lower(), *IMPLIED_BY.get(role_guid.lower(), set())}
    scopes = set(parent_scopes(scope))
    now = cloud.clock.seconds()
    delay = cloud.config.duration("role_propagation")
    for assignment in cloud.state(AuthorizationState).assignments.values():
        if (
            assignment.principal_id.lower() == principal_id.lower()
            and assignment.role_guid in wanted
            and norm(assignment.scope) in scopes
            and assignment.created + delay <= now
        ):
            return True
    return False
