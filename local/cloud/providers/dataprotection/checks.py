"""The checks a backup instance goes through, with the service's error codes and shapes.

Documented in the seeds: ``UserErrorDppDatasourceAlreadyProtected`` (400, synchronous, additionalInfo
UserFacingError) and ``UserErrorMissingRequiredPermissions`` (operation ends Failed). The others have
no captured example; each names the nearest real code and says so.
"""

from __future__ import annotations

from typing import Any

from ...core import Cloud, CloudError, Resource, ResourceId, norm
from ..authorization import has_role
from ..authorization.roles import KEY_VAULT_SECRETS_USER
from ..keyvault import find_vault_by_uri
from .kinds import DatasourceKind, kind_for, unsupported_account_reason
from .state import DataProtectionState
from .vaults import is_vaulted


def user_facing_info(
    code: str, message: str, actions: list[str], activity: str, inner: Any = None
) -> dict[str, Any]:
    """A ``UserFacingError`` object (swagger definition), as the service nests it in errors and statuses."""
    info: dict[str, Any] = {
        "message": message,
        "recommendedAction": actions,
        "code": code,
        "target": "",
        "innerError": inner,
        "isRetryable": False,
        "isUserError": False,
        "properties": {"ActivityId": activity},
    }
    if inner is None:
        info["details"] = None
    return info


def user_facing_error(
    code: str, message: str, actions: list[str], activity: str, inner: Any = None
) -> dict[str, Any]:
    info = user_facing_info(code, message, actions, activity, inner)
    return {"additionalInfo": [{"type": "UserFacingError", "info": info}], "code": code, "message": message}


def bad_input(message: str) -> CloudError:
    # No captured example for malformed backup-instance bodies: "UserErrorInvalidInput"-style 400 under
    # ARM's generic BadRequest code, the nearest real one.
    return CloudError(400, "BadRequest", message)


def instance_properties(body: dict[str, Any]) -> dict[str, Any]:
    props = body.get("properties") if "properties" in body else body
    if not isinstance(props, dict):
        raise bad_input("The backup instance properties are missing.")
    # The docs capture spells it "datasourceinfo"; the service is case-insensitive on property names.
    for key in list(props):
        if key.lower() == "datasourceinfo" and key != "dataSourceInfo":
            props["dataSourceInfo"] = props.pop(key)
    if not isinstance(props.get("dataSourceInfo"), dict) or not props["dataSourceInfo"].get("resourceID"):
        raise bad_input("dataSourceInfo.resourceID is required.")
    if not (props.get("policyInfo") or {}).get("policyId"):
        raise bad_input("policyInfo.policyId is required.")
    props.setdefault("objectType", "BackupInstance")
    return props


def check_instance(
    cloud: Cloud, vault: Resource, props: dict[str, Any], instance_id: str | None, activity: str
) -> tuple[DatasourceKind, Resource, Resource]:
    """Synchronous checks: kind, policy, datasource, region, supported shape, not protected elsewhere."""
    ds = props["dataSourceInfo"]
    kind = kind_for(str(ds.get("datasourceType", "")))
    if kind is None:
        raise bad_input(f"Datasource type '{ds.get('datasourceType')}' is not supported by this emulator.")
    policy_id = str(props["policyInfo"]["policyId"])
    policy = cloud.store.get(policy_id)
    if policy is None or not norm(policy_id).startswith(norm(vault.id) + "/"):
        # Nearest documented: ARM's ResourceNotFound for a policy that is not in this vault.
        raise CloudError(
            404, "ResourceNotFound", f"The backup policy '{policy_id}' was not found in vault '{vault.name}'."
        )
    ds_id = str(ds["resourceID"])
    datasource = cloud.require(ds_id)
    ds_location = str(datasource.location or _server_location(cloud, ds_id) or "")
    if (
        ds_location
        and vault.location
        and ds_location.replace(" ", "").lower() != vault.location.replace(" ", "").lower()
    ):
        # Not captured; the service refuses cross-region protection with this user error.
        raise CloudError(
            400,
            "UserErrorDatasourceAndVaultLocationMismatch",
            f"The datasource is in '{ds_location}' but the Backup vault is in '{vault.location}'. "
            "Datasource and Backup vault must be in the same region.",
        )
    if kind.key == "blob":
        reason = unsupported_account_reason(datasource, is_vaulted(policy))
        if reason:
            raise CloudError(400, "UserErrorUnsupportedStorageAccountType", reason)  # nearest: not captured
        if is_vaulted(policy):
            check_vaulted_containers(cloud, ds_id, props)
    owner = cloud.state(DataProtectionState).protected.get(norm(ds_id))
    if owner is not None and (instance_id is None or norm(owner) != norm(instance_id)):
        owner_vault = owner.rsplit("/backupInstances/", 1)[0] if "/backupInstances/" in owner else owner
        bi_name = owner.rstrip("/").split("/")[-1]
        message = f"Datasource is already protected under the Backup vault {owner_vault}."
        body = user_facing_error(
            "UserErrorDppDatasourceAlreadyProtected",
            message,
            [
                f"Delete the backup instance {bi_name} from the Backup vault {owner_vault} to re-protect the "
                "datasource in any other vault."
            ],
            activity,
        )
        raise CloudError(
            400, body["code"], message, additional_info=body["additionalInfo"], extra={"target": None}
        )
    return kind, policy, datasource


BLOB_CONTAINER_TYPE = "Microsoft.Storage/storageAccounts/blobServices/containers"


def vaulted_containers(props: dict[str, Any]) -> list[str] | None:
    """The ``containersList`` of a blob instance's ``BlobBackupDatasourceParameters`` (None: not given)."""
    parameters = ((props.get("policyInfo") or {}).get("policyParameters") or {}).get(
        "backupDatasourceParametersList"
    ) or []
    for item in parameters:
        if isinstance(item, dict) and item.get("objectType") in (
            "BlobBackupDatasourceParameters",
            "AdlsBlobBackupDatasourceParameters",
        ):
            return [str(c) for c in item.get("containersList") or []]
    return None


def check_vaulted_containers(cloud: Cloud, account_id: str, props: dict[str, Any]) -> None:
    """Vaulted blob backup needs the containers to back up, and each must exist in the account."""
    containers = vaulted_containers(props)
    if not containers:
        # The code the service answers (the capture); the message is the nearest documented one.
        raise CloudError(
            400,
            "UserErrorNoContainersSelectedForOperation",
            "No containers are selected for the operation. Select at least one container in "
            "backupDatasourceParametersList (BlobBackupDatasourceParameters.containersList).",
        )
    existing = {
        norm(c.name)
        for c in cloud.store.list_children(f"{account_id}/blobServices/default", BLOB_CONTAINER_TYPE)
    }
    missing = [c for c in containers if norm(c) not in existing]
    if missing:
        raise CloudError(
            400,
            "UserErrorContainerNotFound",  # nearest; not captured
            f"Containers {', '.join(missing)} were not found in the storage account.",
        )


def _server_location(cloud: Cloud, ds_id: str) -> str | None:
    if "/databases/" in ds_id.lower():
        server = cloud.store.get(ds_id.rsplit("/databases/", 1)[0])
        return server.location if server else None
    return None


def missing_permissions(
    cloud: Cloud, vault: Resource, kind: DatasourceKind, props: dict[str, Any]
) -> list[str]:
    """What the vault's identity still lacks (empty when everything is granted and propagated)."""
    principal = str((vault.body.get("identity") or {}).get("principalId", ""))
    ds_id = str(props["dataSourceInfo"]["resourceID"])
    missing = [
        label
        for role, scope_of, label in kind.roles
        if not principal or not has_role(cloud, principal, role, scope_of(ds_id))
    ]
    if kind.needs_key_vault:
        creds = props.get("datasourceAuthCredentials") or {}
        uri = str((creds.get("secretStoreResource") or {}).get("uri", ""))
        key_vault = find_vault_by_uri(cloud, uri) if uri else None
        if key_vault is not None and not _can_read_secrets(cloud, key_vault, principal):
            missing.append("Key Vault Secrets User (or get/list secret access policy) on the key vault")
    return missing


def _can_read_secrets(cloud: Cloud, key_vault: Resource, principal: str) -> bool:
    if key_vault.properties.get("enableRbacAuthorization"):
        return has_role(cloud, principal, KEY_VAULT_SECRETS_USER, key_vault.id)
    for policy in key_vault.properties.get("accessPolicies", []):
        secrets = [p.lower() for p in (policy.get("permissions") or {}).get("secrets", [])]
        if str(policy.get("objectId", "")).lower() == principal.lower() and {"get", "list"} <= set(
            secrets
        ) | ({"get", "list"} if "all" in secrets else set()):
            return True
    return has_role(cloud, principal, KEY_VAULT_SECRETS_USER, key_vault.id)


def permissions_error(
    vault: Resource, props: dict[str, Any], missing: list[str], activity: str, action: str
) -> CloudError:
    principal = str((vault.body.get("identity") or {}).get("principalId", ""))
    ds_id = str(props["dataSourceInfo"]["resourceID"])
    parsed = ResourceId.parse(ds_id)
    scope = (
        ds_id
        if parsed.type != "Microsoft.DBforPostgreSQL/servers/databases"
        else ds_id.rsplit("/databases/", 1)[0]
    )
    detail = (
        f"{action} failed. Exception Message: The client '{principal}' with object id '{principal}' does not "
        f"have authorization to perform action 'Microsoft.Authorization/roleAssignments/read' over scope "
        f"'{scope}/providers/Microsoft.Authorization' or the scope is invalid. "
        "If access was recently granted, "
        f"please refresh your credentials. Missing: {'; '.join(missing)}."
    )
    message = "Appropriate permissions to perform the operation is missing."
    inner = {
        "code": "UserErrorMissingRequiredPermissions",
        "additionalInfo": {"DetailedNonLocalisedMessage": detail},
    }
    body = user_facing_error(
        "UserErrorMissingRequiredPermissions",
        message,
        [
            "Grant appropriate permissions to perform this operation as mentioned at "
            "https://aka.ms/UserErrorMissingRequiredPermissions and retry the operation."
        ],
        activity,
        inner,
    )
    return CloudError(400, body["code"], message, additional_info=body["additionalInfo"])
