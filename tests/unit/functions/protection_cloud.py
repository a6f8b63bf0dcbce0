"""A scripted cloud for ``protect_datasource``: typed activity answers, for the fake driver and for replays.

``Cloud.answer(name, payload)`` answers one activity call with the record the real activity would return
(plans are made by the real ``plan_protection`` over the demo rules); ``for_driver`` and ``for_replay``
adapt it to :mod:`tests.unit.functions.driver` and :func:`tests.unit.functions.history.play`.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from functions.protection import orchestrator
from functions.protection.activities import BackupInstanceState, ContainerNames, VaultPrincipal
from functions.tracking import PollRequest
from shared.arm.operations import AsyncOperation, JobPhase, JobState
from shared.arm.steps import OperationPoll, OperationStarted, ResourceRead, RoleAssigned
from shared.errors import ArmError, BackupAutopilotError
from shared.jobs import JobIds, JobRead
from shared.lifecycle.messages import InstanceCall, InstanceState, StateRead
from shared.locks import LockOwner
from shared.protection.holder import Holder
from shared.protection.messages import (
    ProtectionOptions,
    ProtectionRequest,
    ProtectionStart,
    ReadRequest,
)
from shared.protection.plan import PlanRead, plan_after_read
from shared.protection.rules import load_rules
from shared.restore.steps import RecoveryPoints
from tests.unit.functions.driver import Activity, Raise
from tests.unit.functions.history import Call, Failed

RULES = load_rules(str(Path(__file__).resolve().parents[3] / "local" / "demo" / "rules.yaml"))
SUBSCRIPTION = "/subscriptions/11111111-1111-1111-1111-111111111111"
DATASOURCE = f"{SUBSCRIPTION}/resourceGroups/rg-data-weu/providers/Microsoft.Storage/storageAccounts/stunit"
STORAGE = "Microsoft.Storage/storageAccounts"
VAULT = f"{SUBSCRIPTION}/resourceGroups/rg-backup-weu/providers/Microsoft.DataProtection/backupVaults/bv-weu"
RULE = "prod-blobs-westeurope"
ACCOUNT: dict[str, Any] = {
    "id": DATASOURCE,
    "location": "westeurope",
    "kind": "StorageV2",
    "sku": {"name": "Standard_LRS"},
    "tags": {},
    "properties": {"isHnsEnabled": False},
}
ROLE = {
    "scopeId": DATASOURCE,
    "roleName": "Storage Account Backup Contributor",
    "roleDefinitionGuid": "e5e2a7ff-d759-4cd2-bb51-3152d37e2eb1",
}
VALIDATE_URL = "http://arm.local/op/validate"
CREATE_URL = "http://arm.local/op/create"
TRANSIENT = "503 ServiceUnavailable after 8 attempts"


def missing_permissions() -> ArmError:
    return ArmError(
        status=400,
        code="UserErrorMissingRequiredPermissions",
        message="Appropriate permissions to perform the operation is missing.",
    )


def already_protected() -> ArmError:
    return ArmError(
        status=400,
        code="UserErrorDppDatasourceAlreadyProtected",
        message="Datasource is already protected under the Backup vault bv.",
    )


def protect_fn() -> Callable[[Any], Generator[Any, Any, Any]]:
    """The orchestrator generator function behind the ``protect_datasource`` trigger."""
    return orchestrator.protect_datasource._function._func.orchestrator_function  # type: ignore[no-any-return,unused-ignore]


def start(
    *,
    grant: bool = False,
    propagation: float = 60.0,
    dry_run: bool = False,
    datasource: str = DATASOURCE,
    resource_type: str = STORAGE,
    origin: str = "event",
    stop_orphans: bool = False,
) -> ProtectionStart:
    request = ProtectionRequest(datasource, resource_type, correlation_id="c-1", origin=origin)
    return ProtectionStart(request, ProtectionOptions(grant, propagation, dry_run, stop_orphans))


@dataclass(frozen=True)
class Fail:
    """The activity raises (a transient failure that outlived its retries)."""

    message: str


class Cloud:
    """Scripted activity answers; ``validations`` is the sequence of validation results (None = passes)."""

    def __init__(
        self,
        *,
        validations: list[BackupAutopilotError | None] | None = None,
        resource: dict[str, Any] | None = None,
        read: ResourceRead | None = None,
        create_error: BackupAutopilotError | None = None,
        create_poll_error: BackupAutopilotError | None = None,
        assign_error: BackupAutopilotError | None = None,
        protection_status: str = "ProtectionConfigured",
        instance: BackupInstanceState | None = None,
        retry_after: float = 30.0,
        create_retry_after: float = 30.0,
        flaky: set[str] | None = None,
        instances: list[BackupInstanceState] | None = None,
        create_polls: list[OperationPoll] | None = None,
        holder: Holder | None = None,
        soft_deleted: InstanceState | None = None,
        policy: dict[str, Any] | None = None,
        containers: list[str] | None = None,
        protection_state: str = "ProtectionConfigured",
        lock_holder: str | None = None,
    ) -> None:
        self.validations = list(validations or [None])
        self.read = read or ResourceRead(found=True, resource=resource or ACCOUNT)
        self.create_error = create_error
        self.create_poll_error = create_poll_error
        self.assign_error = assign_error
        self.instance = instance or BackupInstanceState(found=True, protection_status=protection_status)
        self.retry_after = retry_after
        self.create_retry_after = create_retry_after
        self.flaky = flaky or set()
        self.instances = list(instances or [])  # reads of the instance in turn (then ``instance``)
        self.create_polls = list(create_polls or [])  # polls of the create operation in turn (then the rest)
        self.holder = holder or Holder()  # who Resource Graph says protects it (default: unknown)
        self.soft_deleted = soft_deleted or InstanceState(found=False)  # deletedBackupInstances/{name}
        self.policy = policy or OPERATIONAL_POLICY
        self.containers = containers or []  # the account's blob containers
        self.protection_state = protection_state  # a deleted datasource's instance (PROTECTION_STOP_ORPHANS)
        self.lock_holder = lock_holder  # the request holding that instance's lock (None: free)

    def answer(self, name: str, payload: Any) -> Any:
        if name in self.flaky:
            return Fail(TRANSIENT)
        match name:
            case "read_resource":
                assert isinstance(payload, ReadRequest)
                if "/backupPolicies/" in payload.resource_id:
                    return ResourceRead(found=True, resource=self.policy)
                return self.read
            case "read_and_plan":
                assert isinstance(payload, PlanRead)
                return plan_after_read(payload, self.read, RULES)
            case "validate_for_backup":
                return OperationStarted(202, operation=AsyncOperation(VALIDATE_URL, None, self.retry_after))
            case "poll_operation":
                assert isinstance(payload, PollRequest)
                if payload.operation.status_url == CREATE_URL and self.create_polls:
                    return self.create_polls.pop(0)
                if payload.operation.status_url == BACKUP_URL:
                    return OperationPoll(done=True, succeeded=True, job_id=BACKUP_JOB)
                if payload.operation.status_url == CREATE_URL:
                    error = self.create_poll_error
                else:
                    error = self.validations.pop(0) if self.validations else None
                return OperationPoll(done=True, succeeded=error is None, error=error)
            case "create_backup_instance":
                if self.create_error is not None:
                    return OperationStarted(400, error=self.create_error)
                return OperationStarted(
                    201, operation=AsyncOperation(CREATE_URL, None, self.create_retry_after)
                )
            case "read_backup_instance":
                return self.instances.pop(0) if self.instances else self.instance
            case "find_protection_holder":
                return self.holder
            case "list_blob_containers":
                return ContainerNames(self.containers)
            case "read_protection_state":
                assert isinstance(payload, StateRead)
                return InstanceState(found=True, state=self.protection_state)
            case "backup_trigger":
                assert isinstance(payload, InstanceCall) and payload.body is not None
                return OperationStarted(202, operation=AsyncOperation(BACKUP_URL, None, self.retry_after))
            case "list_backup_jobs":
                return JobIds([])
            case "read_backup_job":
                done = JobState(BACKUP_JOB, "Completed", JobPhase.SUCCEEDED, "Backup", None, None, [])
                return JobRead(job=done, next_delay_seconds=30.0)
            case "list_recovery_points":
                return RecoveryPoints([{"id": "rp-first", "time": "2025-03-01T12:10:00Z"}])
            case "take_instance_lock":
                assert isinstance(payload, LockOwner)
                return self.lock_holder
            case "release_instance_lock":
                assert isinstance(payload, LockOwner)
                return True
            case "protection_change_call":
                assert isinstance(payload, InstanceCall) and payload.action == "stopProtection"
                return OperationStarted(202, operation=AsyncOperation(STOP_URL, None, self.retry_after))
            case "read_deleted_instance":
                assert isinstance(payload, StateRead)
                return self.soft_deleted
            case "read_vault_principal":
                return VaultPrincipal(principal_id="p-1")
            case "assign_role":
                return RoleAssigned(error=self.assign_error)
            case "publish_protection_outcome":
                return None
        raise AssertionError(f"unexpected activity {name}")

    def for_driver(self, task: Activity) -> Any:
        result = self.answer(task.name, task.payload)
        return Raise(f"{task.name}: {result.message}") if isinstance(result, Fail) else result

    def for_replay(self, call: Call) -> Any:
        result = self.answer(call.name, call.input)
        if isinstance(result, Fail):
            # As the extension records a failed Python activity: its exception as Reason, trace as Details.
            return Failed(f"Activity function '{call.name}' failed: {result.message}", "Traceback (...)")
        return result


# The activities (and timers) of a protection that goes as planned, in order.
OPERATIONAL_POLICY: dict[str, Any] = {
    "properties": {
        "objectType": "BackupPolicy",
        "policyRules": [{"name": "Default", "objectType": "AzureRetentionRule", "isDefault": True}],
    }
}
VAULTED_POLICY: dict[str, Any] = {
    "properties": {
        "objectType": "BackupPolicy",
        "policyRules": [
            {
                "name": "BackupDaily",
                "objectType": "AzureBackupRule",
                "dataStore": {"objectType": "DataStoreInfoBase", "dataStoreType": "VaultStore"},
            }
        ],
    }
}

STOP_URL = "http://arm.local/op/stop-protection"
BACKUP_URL = "http://arm.local/op/backup-now"
BACKUP_JOB = (
    "/subscriptions/x/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/v/backupJobs/j1"
)

HAPPY = [
    "read_and_plan",
    "read_resource",  # the blob policy: does it back up to the vault (then: which containers)?
    "validate_for_backup",
    "timer",
    "poll_operation",
    "create_backup_instance",
    "timer",
    "poll_operation",
    "read_backup_instance",
    "publish_protection_outcome",
]
