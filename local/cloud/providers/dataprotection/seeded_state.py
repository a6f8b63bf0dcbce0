"""What a seed can say about a backup instance beyond creating it: the state it is in now, why it errs,
that it was soft-deleted, that its datasource is gone, and its past jobs.

A seeded instance is first created through the real PUT (so every check applies), then moved to the
stated situation. The vocabulary is the swagger's (``dataprotection.json`` 2025-09-01):

* ``state`` is a ``CurrentProtectionState``; ``protectionStatus.status`` follows ``STATUS_OF``. The
  ``Status`` enum is extensible (``modelAsString``) and lists no error value: for ``ProtectionError`` the
  emulator reports ``ProtectionError`` (the value Az CLI / PowerShell Resource Graph filters use, not found
  in the corpus), with ``protectionStatus.errorDetails`` and ``protectionErrorDetails`` (``UserFacingError``).
* ``SoftDeleted`` moves the instance to ``.../deletedBackupInstances/{name}`` (``DeletedBackupInstance``
  with ``deletionInfo``): it is no longer a backup instance of the vault, and its datasource cannot be
  protected again in that vault until it is undeleted or purged (:mod:`.softdelete`).
* ``datasourceDeleted: true`` deletes the datasource after protecting it (an orphaned instance).
* ``jobs`` are finished (or running) ``AzureBackupJob`` records; ``status`` is one of ``JOB_STATUSES``
  (the swagger's description of ``AzureBackupJob.status``, plus ``Started`` from its examples).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from ...core import Cloud, CloudError, Resource, iso, norm
from .checks import user_facing_info
from .kinds import kind_for
from .operations import job_body
from .recovery import start_recovery_points
from .softdelete import soft_delete
from .state import DataProtectionState

#: The seedable ``currentProtectionState`` values -> the ``protectionStatus.status`` reported with each.
STATUS_OF = {
    "ProtectionConfigured": "ProtectionConfigured",
    "ProtectionError": "ProtectionError",
    "ConfiguringProtectionFailed": "ConfiguringProtectionFailed",
    "ProtectionStopped": "ProtectionStopped",
    "BackupSchedulesSuspended": "ProtectionStopped",
    "RetentionSchedulesSuspended": "ProtectionStopped",
    "SoftDeleted": "SoftDeleted",
}
ERROR_STATES = ("ProtectionError", "ConfiguringProtectionFailed")
#: States of an instance that was protected once (it has recovery points).
WAS_PROTECTED = ("ProtectionConfigured", "ProtectionError", "ProtectionStopped", "BackupSchedulesSuspended")
JOB_STATUSES = (
    "Started",
    "InProgress",
    "Completed",
    "CompletedWithWarnings",
    "Failed",
    "Cancelled",
    "Cancelling",
    "Paused",
)
DEFAULT_ERROR = {
    "code": "UserErrorMissingRequiredPermissions",
    "message": "Appropriate permissions to perform the operation is missing.",
    "recommendedAction": [
        "Grant appropriate permissions to perform this operation as mentioned at "
        "https://aka.ms/UserErrorMissingRequiredPermissions and retry the operation."
    ],
}


def invalid(message: str) -> CloudError:
    return CloudError(400, "InvalidSeed", message)


def apply_seeded_state(cloud: Cloud, instance: Resource, item: dict[str, Any]) -> None:
    """Move a freshly created instance to the situation ``item`` describes (see the module docstring)."""
    for job in item.get("jobs") or []:
        add_seeded_job(cloud, instance, job)
    state = item.get("state")
    if state is None:
        if item.get("protectionError"):
            raise invalid(f"{instance.name}: protectionError needs a state among {ERROR_STATES}")
    else:
        _set_state(cloud, instance, str(state), item.get("protectionError"))
    if item.get("datasourceDeleted"):
        cloud.store.delete(str(instance.properties["dataSourceInfo"]["resourceID"]))


def _set_state(cloud: Cloud, instance: Resource, state: str, error: Any) -> None:
    if state not in STATUS_OF:
        raise invalid(f"{instance.name}: state {state!r} is not one of {sorted(STATUS_OF)}")
    props = instance.properties
    if state in WAS_PROTECTED and "protected_since" not in instance.extra:
        _start_history(cloud, instance)
    props["currentProtectionState"] = state
    status: dict[str, Any] = {"status": STATUS_OF[state]}
    if state in ERROR_STATES:
        details = _error_details(error, instance)
        status["errorDetails"] = details
        props["protectionErrorDetails"] = details
    elif error:
        raise invalid(f"{instance.name}: protectionError needs a state among {ERROR_STATES}")
    props["protectionStatus"] = status
    if state == "ConfiguringProtectionFailed":
        props["provisioningState"] = "Failed"
    if state == "SoftDeleted":
        soft_delete(cloud, instance)


def _start_history(cloud: Cloud, instance: Resource) -> None:
    policy = cloud.store.get(str(instance.properties["policyInfo"]["policyId"]))
    kind = kind_for(str(instance.properties["dataSourceInfo"].get("datasourceType", "")))
    if policy is None or kind is None:
        return
    instance.extra["protected_since"] = cloud.clock.seconds()
    start_recovery_points(cloud, instance, policy, kind)


def _error_details(error: Any, instance: Resource) -> dict[str, Any]:
    given = dict(DEFAULT_ERROR, **(error or {}))
    actions = given["recommendedAction"]
    return user_facing_info(
        str(given["code"]),
        str(given["message"]),
        [str(a) for a in (actions if isinstance(actions, list) else [actions])],
        str(uuid.uuid5(uuid.NAMESPACE_URL, norm(instance.id))),
    )


def add_seeded_job(cloud: Cloud, instance: Resource, job: dict[str, Any]) -> None:
    """A job of ``instance`` that started ``hoursAgo`` and (unless running) ran ``durationMinutes``."""
    status = str(job.get("status", "Completed"))
    if status not in JOB_STATUSES:
        raise invalid(f"{instance.name}: job status {status!r} is not one of {JOB_STATUSES}")
    vault = cloud.require(instance.id.rsplit("/backupInstances/", 1)[0])
    started = cloud.clock.now() - timedelta(hours=float(job.get("hoursAgo", 1)))
    job_id = str(job.get("id") or uuid.uuid4())
    body = job_body(
        vault=vault,
        instance=instance,
        operation=str(job.get("operation", "Backup")),
        job_id=job_id,
        started=started,
        is_user_triggered=bool(job.get("isUserTriggered", False)),
    )
    props = body["properties"]
    props["status"] = status
    task = props["extendedInfo"]["subTasks"][0]
    if status not in ("Started", "InProgress"):
        minutes = float(job.get("durationMinutes", 5))
        props["endTime"] = iso(started + timedelta(minutes=minutes))
        props["duration"] = f"PT{minutes * 60:.7f}S"
        task["taskStatus"] = status
    if status == "Failed":
        props["errorDetails"] = [
            _error_details(
                {
                    "code": job.get("errorCode", "UserErrorGenericError"),
                    "message": job.get("errorMessage", "The backup job failed."),
                    "recommendedAction": job.get("recommendedAction") or ["Retry the operation."],
                },
                instance,
            )
        ]
    cloud.state(DataProtectionState).jobs[job_id.lower()] = (vault.id, body)
