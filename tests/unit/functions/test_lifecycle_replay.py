"""``backup_now`` and ``change_protection`` replayed by the Durable SDK over histories of ours.

backup_now: list the instance's Backup jobs -> POST backup (+ track) -> job polls on durable timers ->
``continue_as_new`` every ``polls_per_generation`` polls -> lock released -> completion event.
change_protection: the planned call (+ track) -> state reads until the expected state -> lock -> event.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

from functions.lifecycle import orchestrator
from shared.arm.operations import AsyncOperation, JobPhase, JobState
from shared.arm.steps import OperationPoll, OperationStarted
from shared.errors import ArmError
from shared.jobs import JobCategory, JobIds, JobRead, JobsRequest
from shared.lifecycle.messages import BackupStart, ChangeStart, InstanceCall, InstanceState, StateRead
from shared.lifecycle.status import LifecycleProgress, LifecycleStatus
from shared.locks import LockOwner
from tests.unit.functions.history import Call, ContinueAsNew, Failed, History, Played, play

SUB = "/subscriptions/11111111-1111-1111-1111-111111111111"
DATASOURCE = f"{SUB}/resourceGroups/rg-data/providers/Microsoft.DBforPostgreSQL/flexibleServers/pgflex"
VAULT = f"{SUB}/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/bv"
INSTANCE = f"{VAULT}/backupInstances/pgflex-1"
JOB_ID = f"{VAULT}/backupJobs/0b7c1d2e-0000-4000-8000-000000000001"
BODY = {
    "backupRuleOptions": {"ruleName": "BackupDaily", "triggerOption": {"retentionTagOverride": "Default"}}
}
OP = AsyncOperation("http://arm.local/op/1", None, 5.0)
TRANSIENT = "503 ServiceUnavailable after 8 attempts"


def _fn(name: str) -> Callable[[Any], Generator[Any, Any, Any]]:
    return getattr(orchestrator, name)._function._func.orchestrator_function  # type: ignore[no-any-return,unused-ignore]


def _progress(operation: str, request_id: str, state: str = "ProtectionConfigured") -> LifecycleProgress:
    return LifecycleProgress(
        id=request_id,
        operation=operation,
        backup_instance_id=INSTANCE,
        datasource_id=DATASOURCE,
        vault_id=VAULT,
        state_before=state,
        correlation_id="c-l",
    )


def _job(status: str, phase: JobPhase, delay: float = 20.0) -> JobRead:
    state = JobState(JOB_ID, status, phase, "Backup", "2025-03-01T12:00:10Z", None, [])
    if phase is not JobPhase.RUNNING:
        state = JobState(JOB_ID, status, phase, "Backup", "2025-03-01T12:00:10Z", "2025-03-01T12:05:10Z", [])
    return JobRead(job=state, next_delay_seconds=delay)


class Cloud:
    """Answers the lifecycle activities like the service would (scripted per test)."""

    def __init__(
        self,
        *,
        jobs: list[JobRead] | None = None,
        listed: list[list[str]] | None = None,
        trigger: list[Any] | None = None,
        states: list[InstanceState] | None = None,
        deleted: InstanceState | None = None,
        change_error: ArmError | None = None,
    ) -> None:
        self.jobs = jobs or [_job("Completed", JobPhase.SUCCEEDED)]
        self.listed = listed or [[]]
        self.trigger = trigger or [OperationStarted(202, operation=OP)]
        self.states = states or [InstanceState(found=True, state="ProtectionStopped")]
        self.deleted = deleted or InstanceState(found=False)
        self.change_error = change_error

    def __call__(self, call: Call) -> Any:
        payload = call.input
        match call.name:
            case "list_backup_jobs":
                assert payload == JobsRequest(VAULT, INSTANCE, JobCategory.BACKUP, "c-l")
                return JobIds(self.listed.pop(0) if len(self.listed) > 1 else self.listed[0])
            case "backup_trigger":
                assert payload == InstanceCall(INSTANCE, "POST", None, BODY, "c-l")
                return self.trigger.pop(0) if len(self.trigger) > 1 else self.trigger[0]
            case "poll_operation":
                if self.change_error is not None:
                    return OperationPoll(done=True, error=self.change_error)
                return OperationPoll(done=True, succeeded=True, job_id=JOB_ID)
            case "read_backup_job":
                return self.jobs.pop(0) if len(self.jobs) > 1 else self.jobs[0]
            case "protection_change_call":
                assert isinstance(payload, InstanceCall) and payload.body is None
                return OperationStarted(202, operation=OP)
            case "read_protection_state":
                assert payload == StateRead(INSTANCE, "c-l")
                return self.states.pop(0) if len(self.states) > 1 else self.states[0]
            case "read_deleted_instance":
                return self.deleted
            case "release_instance_lock":
                assert isinstance(payload, LockOwner) and payload.backup_instance_id == INSTANCE
                return True
            case "lifecycle_publish_outcome":
                assert isinstance(payload, LifecycleStatus)
                return None
        raise AssertionError(f"unexpected activity {call.name}")


def _published(played: Played) -> LifecycleStatus:
    (status,) = played.inputs("lifecycle_publish_outcome")
    assert isinstance(status, LifecycleStatus)
    return status


def _backup(cloud: Cloud, polls: int = 10) -> Played:
    start = BackupStart(_progress("backup", "backup-1"), BODY, polls)
    return play(_fn("backup_now"), History(orchestrator.BACKUP_ORCHESTRATOR, start), cloud)


def test_a_backup_now_is_listed_triggered_tracked_and_followed_to_its_end() -> None:
    played = _backup(
        Cloud(jobs=[_job("InProgress", JobPhase.RUNNING), _job("Completed", JobPhase.SUCCEEDED)])
    )

    assert played.names == [
        "list_backup_jobs",
        "backup_trigger",
        "timer",
        "poll_operation",
        "timer",
        "read_backup_job",
        "timer",
        "read_backup_job",
        "release_instance_lock",
        "lifecycle_publish_outcome",
    ]
    status = _published(played)
    assert (status.phase, status.job_id, status.job_status, status.operation) == (
        "succeeded",
        JOB_ID,
        "Completed",
        "backup",
    )
    assert played.output["job"]["durationSeconds"] == 300.0


def test_a_backup_post_of_unknown_outcome_is_not_sent_again_when_it_started_a_job() -> None:
    lost = Failed(f"Activity function 'backup_trigger' failed: {TRANSIENT}", "Traceback (...)")
    played = _backup(Cloud(listed=[["old-job"], ["old-job", "new-job"]], trigger=[lost]))

    assert played.names.count("backup_trigger") == 1
    assert played.names[:4] == ["list_backup_jobs", "backup_trigger", "timer", "list_backup_jobs"]
    assert [r.job_id for r in played.inputs("read_backup_job")] == ["new-job"]
    assert _published(played).phase == "succeeded"


def test_a_long_backup_job_continues_as_new_with_its_progress() -> None:
    running = _job("InProgress", JobPhase.RUNNING)
    played = _backup(Cloud(jobs=[running, running, running]), polls=2)

    step = played.last.continued_as_new
    assert isinstance(step, ContinueAsNew)
    carried = step.input
    assert isinstance(carried, BackupStart)
    assert (carried.progress.job_id, carried.progress.polls, carried.progress.generation) == (JOB_ID, 2, 2)
    assert "lifecycle_publish_outcome" not in played.names


def test_a_failed_backup_job_publishes_the_job_error() -> None:
    failed = JobRead(
        job=JobState(
            JOB_ID, "Failed", JobPhase.FAILED, "Backup", None, None, [{"code": "UserErrorX", "message": "m"}]
        )
    )
    status = _published(_backup(Cloud(jobs=[failed])))
    assert status.phase == "failed" and status.error is not None and status.error["code"] == "UserErrorX"


def _change(
    cloud: Cloud, method: str | None, action: str | None, expected: list[str], op: str = "stop"
) -> Played:
    start = ChangeStart(_progress(op, "change-1"), method, action, expected)
    return play(_fn("change_protection"), History(orchestrator.CHANGE_ORCHESTRATOR, start), cloud)


def test_a_stop_is_one_call_tracked_then_its_state_confirmed() -> None:
    played = _change(Cloud(), "POST", "stopProtection", ["ProtectionStopped"])

    assert played.names == [
        "protection_change_call",
        "timer",
        "poll_operation",
        "read_protection_state",
        "release_instance_lock",
        "lifecycle_publish_outcome",
    ]
    (sent,) = played.inputs("protection_change_call")
    assert sent == InstanceCall(INSTANCE, "POST", "stopProtection", None, "c-l")
    status = _published(played)
    assert (status.phase, status.changed, status.state_before, status.state_after) == (
        "succeeded",
        True,
        "ProtectionConfigured",
        "ProtectionStopped",
    )


def test_asking_for_the_state_the_instance_is_in_calls_nothing_and_succeeds_unchanged() -> None:
    played = _change(Cloud(), None, None, ["ProtectionStopped"])

    assert "protection_change_call" not in played.names
    status = _published(played)
    assert (status.phase, status.changed) == ("succeeded", False)


def test_a_state_that_lags_is_read_again_on_timers_and_an_unsettled_one_fails_bounded() -> None:
    lagging = [
        InstanceState(found=True, state="ProtectionConfigured"),
        InstanceState(found=True, state="ProtectionStopped"),
    ]
    settled = _change(Cloud(states=lagging), "POST", "stopProtection", ["ProtectionStopped"])
    assert settled.names.count("read_protection_state") == 2 and _published(settled).phase == "succeeded"

    never = _change(
        Cloud(states=[InstanceState(found=True, state="ProtectionConfigured")]),
        "POST",
        "stopProtection",
        ["ProtectionStopped"],
    )
    assert never.names.count("read_protection_state") == orchestrator.SETTLE_READS
    status = _published(never)
    assert status.phase == "failed" and status.error is not None
    assert status.error["code"] == "ProtectionChangeNotSettled"


def test_a_delete_ends_soft_deleted_when_the_vault_keeps_the_instance_or_deleted_when_it_does_not() -> None:
    gone = [InstanceState(found=False)]
    soft = _change(
        Cloud(states=gone, deleted=InstanceState(found=True, state="SoftDeleted")),
        "DELETE",
        None,
        ["Deleted", "SoftDeleted"],
        op="delete",
    )
    hard = _change(Cloud(states=gone), "DELETE", None, ["Deleted", "SoftDeleted"], op="delete")
    assert soft.names[-4:-2] == ["read_protection_state", "read_deleted_instance"]
    assert _published(soft).state_after == "SoftDeleted"
    assert _published(hard).state_after == "Deleted" and _published(hard).phase == "succeeded"


def test_a_refused_change_operation_fails_with_arm_s_error_verbatim() -> None:
    refused = ArmError(status=400, code="UserErrorInvalidOperationForCurrentState", message="not now")
    played = _change(
        Cloud(change_error=refused), "POST", "suspendBackups", ["BackupSchedulesSuspended"], op="suspend"
    )
    status = _published(played)
    assert "read_protection_state" not in played.names
    assert status.phase == "failed" and status.error is not None
    assert status.error["code"] == "UserErrorInvalidOperationForCurrentState"
    assert status.changed is None
