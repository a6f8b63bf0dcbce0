"""``backup_now`` and ``change_protection`` for an Azure file share (Recovery Services), replayed by the
Durable SDK over histories of ours: the same orchestrators as for a Backup vault, with the activities the
service picks.

backup_now: the vault's Backup jobs of the share -> ``rs_backup_trigger`` (+ track) -> the job read from the
Recovery Services vault on durable timers -> lock released -> completion event.
change_protection: ``rs_protection_change_call`` (the item's PUT or DELETE, + track) -> the item's state read
(``rs_read_protection_state``: soft delete is seen on the item itself) -> lock -> event.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

from functions.lifecycle import orchestrator
from shared.arm.operations import AsyncOperation, JobPhase, JobState
from shared.arm.steps import OperationPoll, OperationStarted
from shared.jobs import JobCategory, JobIds, JobRead, JobReadRequest, JobsRequest
from shared.lifecycle.messages import BackupStart, ChangeStart, InstanceCall, InstanceState, StateRead
from shared.lifecycle.status import LifecycleProgress, LifecycleStatus
from shared.locks import LockOwner
from shared.protection.kinds import BackupService
from shared.services import recoveryservices as rs
from tests.unit.functions.history import Call, Failed, History, Played, play
from tests.unit.functions.share_cloud import ACCOUNT_ID, ITEM_ID, POLICY, RS_VAULT, SHARE_ID

RS = BackupService.RECOVERY_SERVICES
JOB = "5ad7e4b6-0000-4000-8000-00000000000b"
BODY = rs.backup_request_body("2026-03-31T12:00:00.000Z")
OP = AsyncOperation("http://arm.local/rs/backup/operationsStatus/1", None, 5.0)
TRANSIENT = "503 ServiceUnavailable after 8 attempts"


def _fn(name: str) -> Callable[[Any], Generator[Any, Any, Any]]:
    return getattr(orchestrator, name)._function._func.orchestrator_function  # type: ignore[no-any-return,unused-ignore]


def _progress(operation: str, request_id: str, state: str) -> LifecycleProgress:
    return LifecycleProgress(
        id=request_id,
        operation=operation,
        backup_instance_id=ITEM_ID,
        datasource_id=SHARE_ID,
        vault_id=RS_VAULT,
        state_before=state,
        correlation_id="c-s",
    )


def _job(status: str, phase: JobPhase) -> JobRead:
    end = None if phase is JobPhase.RUNNING else "2026-03-01T12:03:00Z"
    return JobRead(job=JobState(JOB, status, phase, "Backup", "2026-03-01T12:00:00Z", end, []))


class ShareLifecycleCloud:
    """Answers like a Recovery Services vault would (scripted per test); Backup-vault activities fail."""

    def __init__(
        self,
        *,
        listed: list[list[str]] | None = None,
        trigger: list[Any] | None = None,
        jobs: list[JobRead] | None = None,
        states: list[InstanceState] | None = None,
    ) -> None:
        self.listed = listed or [[]]
        self.trigger = trigger or [OperationStarted(202, operation=OP)]
        self.jobs = jobs or [_job("Completed", JobPhase.SUCCEEDED)]
        self.states = states or [InstanceState(found=True, state="ProtectionStopped")]

    @staticmethod
    def _take(answers: list[Any]) -> Any:
        return answers.pop(0) if len(answers) > 1 else answers[0]

    def __call__(self, call: Call) -> Any:
        payload = call.input
        match call.name:
            case "list_backup_jobs":
                assert payload == JobsRequest(RS_VAULT, ITEM_ID, JobCategory.BACKUP, "c-s", RS, SHARE_ID)
                return JobIds(self._take(self.listed))
            case "rs_backup_trigger":
                assert payload == InstanceCall(ITEM_ID, "POST", None, BODY, "c-s")
                return self._take(self.trigger)
            case "poll_operation":
                return OperationPoll(done=True, succeeded=True, job_id=JOB)
            case "read_backup_job":
                assert isinstance(payload, JobReadRequest) and payload.service is RS
                assert payload.vault_id == RS_VAULT
                return self._take(self.jobs)
            case "rs_protection_change_call":
                assert isinstance(payload, InstanceCall) and payload.backup_instance_id == ITEM_ID
                return OperationStarted(202, operation=OP)
            case "rs_read_protection_state":
                assert payload == StateRead(ITEM_ID, "c-s")
                return self._take(self.states)
            case "release_instance_lock":
                assert payload == LockOwner(ITEM_ID, payload.owner_id)
                return True
            case "lifecycle_publish_outcome":
                assert isinstance(payload, LifecycleStatus)
                return None
        raise AssertionError(f"unexpected activity {call.name}")


def _published(played: Played) -> LifecycleStatus:
    (status,) = played.inputs("lifecycle_publish_outcome")
    assert isinstance(status, LifecycleStatus)
    return status


def _backup(cloud: ShareLifecycleCloud) -> Played:
    start = BackupStart(_progress("backup", "backup-s", "Protected"), BODY, 10, RS)
    return play(_fn("backup_now"), History(orchestrator.BACKUP_ORCHESTRATOR, start), cloud)


def test_a_share_backup_now_is_listed_triggered_in_its_vault_and_its_job_followed_to_its_end() -> None:
    played = _backup(
        ShareLifecycleCloud(
            jobs=[_job("InProgress", JobPhase.RUNNING), _job("Completed", JobPhase.SUCCEEDED)]
        )
    )

    assert played.names == [
        "list_backup_jobs",
        "rs_backup_trigger",
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
    assert (status.phase, status.job_id, status.job_status) == ("succeeded", JOB, "Completed")
    assert status.backup_instance_id == ITEM_ID and status.datasource_id == SHARE_ID


def test_a_share_backup_post_of_unknown_outcome_takes_the_job_it_started_instead_of_posting_again() -> None:
    lost = Failed(f"Activity function 'rs_backup_trigger' failed: {TRANSIENT}", "Traceback (...)")
    played = _backup(ShareLifecycleCloud(listed=[["old"], ["old", JOB]], trigger=[lost]))

    assert played.names.count("rs_backup_trigger") == 1
    assert played.names[:4] == ["list_backup_jobs", "rs_backup_trigger", "timer", "list_backup_jobs"]
    assert [r.job_id for r in played.inputs("read_backup_job")] == [JOB]
    assert _published(played).phase == "succeeded"


def test_a_share_backup_whose_attempts_all_fail_without_a_job_fails_saying_so() -> None:
    lost = Failed(f"Activity function 'rs_backup_trigger' failed: {TRANSIENT}", "Traceback (...)")
    played = _backup(ShareLifecycleCloud(listed=[["old"]], trigger=[lost]))

    assert played.names.count("rs_backup_trigger") == 3 and "read_backup_job" not in played.names
    status = _published(played)
    assert status.phase == "failed" and status.error is not None
    assert status.error["code"] == "BackupNotStarted"


def _change(
    cloud: ShareLifecycleCloud,
    state: str,
    op: str,
    method: str | None,
    action: str | None,
    expected: list[str],
    body: dict[str, Any] | None,
) -> Played:
    start = ChangeStart(_progress(op, f"change-{op}", state), method, action, expected, RS, body)
    return play(_fn("change_protection"), History(orchestrator.CHANGE_ORCHESTRATOR, start), cloud)


def test_a_share_stop_is_its_item_s_put_tracked_then_its_state_read_from_the_item() -> None:
    body = rs.protection_change_body(ACCOUNT_ID, "", rs.STOPPED)
    played = _change(
        ShareLifecycleCloud(), "Protected", "stop", "PUT", rs.STOPPED, ["ProtectionStopped"], body
    )

    assert played.names == [
        "rs_protection_change_call",
        "timer",
        "poll_operation",
        "rs_read_protection_state",
        "release_instance_lock",
        "lifecycle_publish_outcome",
    ]
    assert played.inputs("rs_protection_change_call") == [
        InstanceCall(ITEM_ID, "PUT", rs.STOPPED, body, "c-s")
    ]
    status = _published(played)
    assert (status.phase, status.changed, status.state_before, status.state_after) == (
        "succeeded",
        True,
        "Protected",
        "ProtectionStopped",
    )


def test_a_resumed_share_settles_protected_or_pending_after_reads_on_timers() -> None:
    body = rs.protection_change_body(ACCOUNT_ID, POLICY, None)
    lagging = [
        InstanceState(found=True, state="ProtectionStopped"),
        InstanceState(found=True, state="IRPending"),
    ]
    played = _change(
        ShareLifecycleCloud(states=lagging),
        "ProtectionStopped",
        "resume",
        "PUT",
        None,
        ["IRPending", "Protected"],
        body,
    )

    assert played.names.count("rs_read_protection_state") == 2
    assert _published(played).state_after == "IRPending" and _published(played).phase == "succeeded"


def test_a_share_delete_reports_the_soft_delete_and_its_purge_time_read_from_the_item_itself() -> None:
    kept = InstanceState(found=True, state="SoftDeleted", purge_time="2026-03-15T12:00:00Z")
    soft = _change(
        ShareLifecycleCloud(states=[kept]),
        "Protected",
        "delete",
        "DELETE",
        None,
        ["Deleted", "SoftDeleted"],
        None,
    )
    hard = _change(
        ShareLifecycleCloud(states=[InstanceState(found=False)]),
        "Protected",
        "delete",
        "DELETE",
        None,
        ["Deleted", "SoftDeleted"],
        None,
    )

    assert "read_deleted_instance" not in soft.names + hard.names  # a Backup vault's second read
    assert (_published(soft).state_after, _published(soft).purge_time) == (
        "SoftDeleted",
        "2026-03-15T12:00:00Z",
    )
    assert soft.output["purgeTime"] == "2026-03-15T12:00:00Z"
    assert (_published(hard).state_after, _published(hard).phase) == ("Deleted", "succeeded")


def test_a_share_already_in_the_asked_state_gets_no_call() -> None:
    played = _change(
        ShareLifecycleCloud(states=[InstanceState(found=True, state="SoftDeleted")]),
        "SoftDeleted",
        "delete",
        None,
        None,
        ["SoftDeleted"],
        None,
    )

    assert played.names[0] == "rs_read_protection_state"
    assert (_published(played).phase, _published(played).changed) == ("succeeded", False)
