"""Recovery Services private state: discovered/registered containers, protected items, recovery points,
backup jobs and the operations behind ``operationResults`` / ``operationsStatus`` / ``backupOperations``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class RsOperation:
    id: str
    vault_id: str
    status: str  # InProgress -> Succeeded | Failed (OperationStatusValues)
    start_time: str
    end_time: str | None = None
    job_id: str | None = None
    error: dict[str, Any] | None = None
    http_status: int = 400
    #: When done, a Location poll answers 204, or 200 with the body of this resource id (container/item).
    result_id: str | None = None


@dataclass
class Container:
    name: str  # StorageContainer;Storage;{rg};{account}
    vault_id: str
    account_id: str
    friendly_name: str
    registration_status: str = "NotRegistered"  # Registering -> Registered
    #: Emulated seconds when the last inquire ended (None: never inquired).
    inquired_at: float | None = None


@dataclass
class ProtectedItem:
    id: str
    vault_id: str
    container_name: str
    name: str  # AzureFileShare;{share}
    share_name: str
    account_id: str
    policy_id: str
    protection_state: str = "IRPending"
    protection_status: str = "Healthy"
    health_status: str = "Passed"
    last_backup_status: str = ""
    last_backup_time: str | None = None
    last_recovery_point: str | None = None
    recovery_points: list[dict[str, Any]] = field(default_factory=list)
    #: Soft delete: when the item was deleted (ISO), while the vault keeps it; its retention in days.
    deferred_delete_time: str | None = None
    soft_delete_days: int = 14


@dataclass
class RecoveryServicesState:
    #: vault id (normalised) -> account ids (normalised) found by refreshContainers
    discovered: dict[str, set[str]] = field(default_factory=dict)
    #: (vault id, container name), both normalised -> container
    containers: dict[tuple[str, str], Container] = field(default_factory=dict)
    #: (vault id, container name, item name), normalised -> item
    items: dict[tuple[str, str, str], ProtectedItem] = field(default_factory=dict)
    operations: dict[str, RsOperation] = field(default_factory=dict)
    #: job id -> job body (the JobResource shape)
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
