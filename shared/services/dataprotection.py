"""Microsoft.DataProtection: URL paths (api-version 2025-09-01) and backup request bodies.

Bodies follow the seeds (000 blob, 001/002 PostgreSQL) and the 2025-09-01 swagger examples:
``ValidateForBackupRequest`` = ``{"backupInstance": BackupInstance}``; the backup-instance PUT body is
``BackupInstanceResource`` = ``{"properties": BackupInstance}``. Restore bodies: ``shared.restore.bodies``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from shared.arm.ids import ResourceId, parse_resource_id, quote_segment
from shared.services import recoveryservices as rs

API_VERSION = "2025-09-01"
VAULT_TYPE = "Microsoft.DataProtection/backupVaults"
_NAME_NAMESPACE = uuid.UUID("6f1f3a5e-7c4b-4c1e-9a55-2f0a3b7d9e10")  # fixed: names must stay stable forever
MAX_BACKUP_INSTANCE_NAME = 150
#: A Recovery Services protected item (a file share's "backup instance"), accepted where a request names one.
RS_PROTECTED_ITEM_TYPE = "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems"


# -- paths ----------------------------------------------------------------------------------------


def _vault(vault_id: str | ResourceId) -> ResourceId:
    rid = vault_id if isinstance(vault_id, ResourceId) else parse_resource_id(vault_id)
    if rid.type.lower() != VAULT_TYPE.lower():
        from shared.errors import InvalidResourceIdError

        raise InvalidResourceIdError(rid.raw, f"not a backup vault id (type {rid.type})", field="vaultId")
    return rid


def vault_path(vault_id: str | ResourceId) -> str:
    return _vault(vault_id).url_path()


def validate_for_backup_path(vault_id: str | ResourceId) -> str:
    return f"{vault_path(vault_id)}/validateForBackup"


def backup_instances_path(vault_id: str | ResourceId) -> str:
    return f"{vault_path(vault_id)}/backupInstances"


def backup_instance_path(vault_id: str | ResourceId, name: str) -> str:
    return f"{backup_instances_path(vault_id)}/{quote_segment(name)}"


def backup_instance_id(vault_id: str | ResourceId, name: str) -> str:
    return f"{_vault(vault_id).canonical()}/backupInstances/{name}"


def policy_id(vault_id: str | ResourceId, policy_name: str) -> str:
    return f"{_vault(vault_id).canonical()}/backupPolicies/{policy_name}"


def _instance(backup_instance_id_: str | ResourceId) -> ResourceId:
    rid = (
        backup_instance_id_
        if isinstance(backup_instance_id_, ResourceId)
        else parse_resource_id(backup_instance_id_)
    )
    if rid.type.lower() != (VAULT_TYPE + "/backupInstances").lower():
        from shared.errors import InvalidResourceIdError

        raise InvalidResourceIdError(rid.raw, "not a backup instance id", field="backupInstanceId")
    return rid


def instance_reference(data: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """Exactly one of ``resourceId`` (the datasource) / ``backupInstanceId``, each validated and canonical."""
    resource_id, instance_id = data.get("resourceId"), data.get("backupInstanceId")
    if (resource_id is None) == (instance_id is None):
        from shared.errors import InvalidRequestError

        raise InvalidRequestError("resourceId", "give exactly one of resourceId or backupInstanceId")
    if resource_id is not None:
        return parse_resource_id(resource_id).canonical(), None
    assert instance_id is not None
    rid = parse_resource_id(instance_id)
    if rid.type.lower() != rs.ITEM_TYPE.lower():  # a file share's protected item (Recovery Services), or
        _instance(rid)  # raises InvalidResourceIdError unless a backup instance id
    return None, rid.canonical()


def validate_restore_path(backup_instance_id_: str | ResourceId) -> str:
    return f"{_instance(backup_instance_id_).url_path()}/validateRestore"


def adhoc_backup_path(backup_instance_id_: str | ResourceId) -> str:
    return f"{_instance(backup_instance_id_).url_path()}/backup"


def instance_action_path(backup_instance_id_: str | ResourceId, action: str | None) -> str:
    """The instance itself (``action`` None: its DELETE), or one of its actions (``stopProtection`` ...)."""
    path = _instance(backup_instance_id_).url_path()
    return f"{path}/{action}" if action else path


def deleted_backup_instance_path(backup_instance_id_: str | ResourceId) -> str:
    """Where the vault keeps the instance once soft-deleted: ``deletedBackupInstances/{name}``."""
    rid = _instance(backup_instance_id_)
    vault = rid.parent
    assert vault is not None
    return f"{vault.url_path()}/deletedBackupInstances/{quote_segment(rid.name)}"


def restore_path(backup_instance_id_: str | ResourceId) -> str:
    return f"{_instance(backup_instance_id_).url_path()}/restore"


def find_restorable_time_ranges_path(backup_instance_id_: str | ResourceId) -> str:
    return f"{_instance(backup_instance_id_).url_path()}/findRestorableTimeRanges"


def recovery_points_path(backup_instance_id_: str | ResourceId) -> str:
    return f"{_instance(backup_instance_id_).url_path()}/recoveryPoints"


def backup_jobs_path(vault_id: str | ResourceId) -> str:
    return f"{vault_path(vault_id)}/backupJobs"


def backup_job_path(vault_id: str | ResourceId, job_name: str) -> str:
    return f"{backup_jobs_path(vault_id)}/{quote_segment(job_name)}"


def backup_instances_of_resource_path(datasource_id: str | ResourceId) -> str:
    """``GET /{resourceId}/providers/Microsoft.DataProtection/backupInstances`` (extension listing)."""
    rid = datasource_id if isinstance(datasource_id, ResourceId) else parse_resource_id(datasource_id)
    return f"{rid.url_path()}/providers/Microsoft.DataProtection/backupInstances"


# -- names ----------------------------------------------------------------------------------------


def backup_instance_name(datasource_id: str | ResourceId) -> str:
    """Unique, stable name: the resource name chain + a GUID derived from the datasource id.

    Seeds show ``msblobbackup-f2df34eb-...`` and ``testpostgresql-empdb11-957d23b1-...`` (resource
    name(s) + a GUID). The GUID here is a UUIDv5 of the lower-cased canonical id, so the same datasource
    always gets the same name and a second request can never create a second instance.
    """
    rid = datasource_id if isinstance(datasource_id, ResourceId) else parse_resource_id(datasource_id)
    guid = uuid.uuid5(_NAME_NAMESPACE, rid.key())
    prefix = "-".join(rid.names)
    room = MAX_BACKUP_INSTANCE_NAME - len(str(guid)) - 1
    return f"{prefix[:room]}-{guid}"


# -- bodies ---------------------------------------------------------------------------------------


def datasource_info(
    resource_id: str | ResourceId,
    *,
    datasource_type: str,
    location: str,
    object_type: str = "Datasource",
    resource_uri: str = "",
) -> dict[str, Any]:
    """``Datasource`` / ``DatasourceSet`` as the seeds send it."""
    rid = resource_id if isinstance(resource_id, ResourceId) else parse_resource_id(resource_id)
    return {
        "datasourceType": datasource_type,
        "objectType": object_type,
        "resourceID": rid.canonical(),
        "resourceLocation": location,
        "resourceName": rid.name,
        "resourceType": rid.type,
        "resourceUri": resource_uri,
    }


def secret_store_credentials(secret_uri: str) -> dict[str, Any]:
    """``SecretStoreBasedAuthCredentials`` pointing at a Key Vault secret (URI only, never a value)."""
    return {
        "objectType": "SecretStoreBasedAuthCredentials",
        "secretStoreResource": {"secretStoreType": "AzureKeyVault", "uri": secret_uri},
    }


def policy_info(policy_id_: str, policy_parameters: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"policyId": policy_id_}
    if policy_parameters:
        out["policyParameters"] = policy_parameters
    return out


def backup_instance(
    *,
    data_source_info: dict[str, Any],
    policy: dict[str, Any],
    data_source_set_info: dict[str, Any] | None = None,
    auth_credentials: dict[str, Any] | None = None,
    friendly_name: str | None = None,
) -> dict[str, Any]:
    """``BackupInstance`` (the object under ``backupInstance`` / ``properties``)."""
    body: dict[str, Any] = {"dataSourceInfo": data_source_info}
    if data_source_set_info is not None:
        body["dataSourceSetInfo"] = data_source_set_info
    if auth_credentials is not None:
        body["datasourceAuthCredentials"] = auth_credentials
    if friendly_name:
        body["friendlyName"] = friendly_name
    body["policyInfo"] = policy
    body["objectType"] = "BackupInstance"
    return body


def validate_for_backup_body(instance: dict[str, Any]) -> dict[str, Any]:
    return {"backupInstance": instance}


def backup_instance_resource_body(instance: dict[str, Any]) -> dict[str, Any]:
    return {"properties": instance}


def protection_state(resource: Any) -> tuple[str | None, str | None, Any]:
    """(``currentProtectionState``, ``protectionStatus.status``, ``protectionStatus.errorDetails``)."""
    props = resource.get("properties") if isinstance(resource, dict) else None
    if not isinstance(props, dict):
        return None, None, None
    raw = props.get("protectionStatus")
    status: dict[str, Any] = raw if isinstance(raw, dict) else {}
    state = props.get("currentProtectionState")
    return (state if isinstance(state, str) else None, status.get("status"), status.get("errorDetails"))


def protection_status(resource: Any) -> tuple[str | None, str | None]:
    """(``properties.protectionStatus.status``, ``properties.provisioningState``) of a backup instance."""
    props = resource.get("properties") if isinstance(resource, dict) else None
    if not isinstance(props, dict):
        return None, None
    status = props.get("protectionStatus")
    return (
        status.get("status") if isinstance(status, dict) else None,
        props.get("provisioningState") if isinstance(props.get("provisioningState"), str) else None,
    )


# -- vaulted blob backup ----------------------------------------------------------------------------

BLOB_PARAMETERS = "BlobBackupDatasourceParameters"


def is_vaulted_policy(policy: Any) -> bool:
    """A policy that backs up to the vault (an ``AzureBackupRule`` with a ``VaultStore`` data store)."""
    props = policy.get("properties") if isinstance(policy, dict) else None
    rules = props.get("policyRules") if isinstance(props, dict) else None
    for rule in rules if isinstance(rules, list) else []:
        store = (rule.get("dataStore") or {}).get("dataStoreType") if isinstance(rule, dict) else None
        if rule.get("objectType") == "AzureBackupRule" and str(store).lower() == "vaultstore":
            return True
    return False


def blob_containers_of(instance: Any) -> list[str] | None:
    """The ``containersList`` of a (blob) backup instance body or resource; None when it has none."""
    body = instance.get("properties", instance) if isinstance(instance, dict) else {}
    policy = body.get("policyInfo") if isinstance(body, dict) else None
    parameters = ((policy or {}).get("policyParameters") or {}).get("backupDatasourceParametersList") or []
    for item in parameters if isinstance(parameters, list) else []:
        if isinstance(item, dict) and item.get("objectType") == BLOB_PARAMETERS:
            return [str(c) for c in item.get("containersList") or []]
    return None


def with_blob_containers(instance: dict[str, Any], containers: list[str]) -> dict[str, Any]:
    """The ``BackupInstance`` body backing up exactly ``containers`` (``BlobBackupDatasourceParameters``)."""
    policy = dict(instance.get("policyInfo") or {})
    parameters = dict(policy.get("policyParameters") or {})
    parameters["backupDatasourceParametersList"] = [
        {"objectType": BLOB_PARAMETERS, "containersList": containers}
    ]
    policy["policyParameters"] = parameters
    return {**instance, "policyInfo": policy}
