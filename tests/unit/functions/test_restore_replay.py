"""``restore_backup_instance`` replayed by the Durable SDK (``Orchestrator.create``) over histories of ours.

validateRestore (+ track) -> restore (+ track) -> job id -> job polls on durable timers honouring
``next_delay_seconds`` -> ``continue_as_new`` every ``polls_per_generation`` polls, carrying the progress ->
the terminal phase, published as a :class:`RestoreStatus`.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from azure.durable_functions.models.actions.ActionType import ActionType
from azure.durable_functions.models.history.HistoryEventType import HistoryEventType as Event

from functions import jobs
from functions.restore import orchestrator
from functions.tracking import TRANSIENT_RETRY, PollRequest
from shared.arm.operations import AsyncOperation, JobPhase, JobState
from shared.arm.steps import OperationPoll, OperationStarted
from shared.errors import ArmError, BackupAutopilotError
from shared.jobs import JobCategory, JobIds, JobRead, JobReadRequest, JobsRequest, seconds_between
from shared.locks import LockOwner
from shared.protection.kinds import BackupService
from shared.restore.messages import RestoreCall, RestoreJobRequest, RestoreStart
from shared.restore.status import RestoreProgress, RestoreStatus
from tests.unit.functions.history import (
    Call,
    ContinueAsNew,
    Failed,
    History,
    Played,
    Timer,
    play,
)

NAME = orchestrator.ORCHESTRATOR
SUBSCRIPTION = "/subscriptions/11111111-1111-1111-1111-111111111111"
DATASOURCE = f"{SUBSCRIPTION}/resourceGroups/rg-data-weu/providers/Microsoft.Storage/storageAccounts/stunit"
VAULT = f"{SUBSCRIPTION}/resourceGroups/rg-backup-weu/providers/Microsoft.DataProtection/backupVaults/bv-weu"
INSTANCE = f"{VAULT}/backupInstances/stunit-7364bc7d-ce52-5433-b223-1fadba1b4214"
JOB_ID = f"{VAULT}/backupJobs/5a0c2a4e-8f3b-4bcb-9f55-0d5c3c1e2a77"
BODY: dict[str, Any] = {
    "objectType": "AzureBackupRecoveryTimeBasedRestoreRequest",
    "recoveryPointTime": "2025-02-28T10:00:00.0000000Z",
    "sourceDataStoreType": "OperationalStore",
}
VALIDATE_URL = "http://arm.local/op/validate-restore"
TRIGGER_URL = "http://arm.local/op/restore"
JOB_START = "2025-03-01T12:01:00.0000000Z"
JOB_END = "2025-03-01T12:09:30.0000000Z"
TRANSIENT = "503 ServiceUnavailable after 8 attempts"


def restore_fn() -> Callable[[Any], Generator[Any, Any, Any]]:
    return orchestrator.restore_backup_instance._function._func.orchestrator_function  # type: ignore[no-any-return,unused-ignore]


def start(polls_per_generation: int = 10) -> RestoreStart:
    request = RestoreJobRequest(INSTANCE, VAULT, BODY, polls_per_generation)
    progress = RestoreProgress(
        id="restore-1",
        kind="blobPointInTime",
        backup_instance_id=INSTANCE,
        datasource_id=DATASOURCE,
        restore_point={"pointInTime": "2025-02-28T10:00:00Z"},
        destination=DATASOURCE,
        correlation_id="c-r",
    )
    return RestoreStart(request, progress)


def job(
    status: str, phase: JobPhase, *, end: str | None = None, errors: list[dict[str, Any]] | None = None
) -> JobState:
    return JobState(JOB_ID, status, phase, "Restore", JOB_START, end, errors or [])


def running(next_delay: float = 30.0, percent: float | None = None) -> JobRead:
    return JobRead(
        job=job("InProgress", JobPhase.RUNNING), percent_complete=percent, next_delay_seconds=next_delay
    )


def finished(status: str = "Completed", phase: JobPhase = JobPhase.SUCCEEDED, **extra: Any) -> JobRead:
    return JobRead(
        job=job(status, phase, end=JOB_END, **extra), percent_complete=100.0, next_delay_seconds=30.0
    )


class RestoreCloud:
    """Scripted answers; ``jobs`` is the sequence of job reads (the last one repeats)."""

    def __init__(
        self,
        *,
        jobs: list[JobRead] | None = None,
        refuse: BackupAutopilotError | None = None,
        refuse_operation: BackupAutopilotError | None = None,
        trigger_error: BackupAutopilotError | None = None,
        trigger: OperationStarted | None = None,
        trigger_result: OperationPoll | None = None,
        validate_retry_after: float = 20.0,
        trigger_retry_after: float = 15.0,
        job_retry_after: float = 25.0,
        flaky: set[str] | None = None,
        job_lists: list[list[str]] | None = None,
        trigger_answers: list[Any] | None = None,
    ) -> None:
        self.jobs = list(jobs or [finished()])
        self.refuse = refuse
        self.refuse_operation = refuse_operation
        self.trigger_error = trigger_error
        self.trigger = trigger or OperationStarted(
            202, operation=AsyncOperation(TRIGGER_URL, None, trigger_retry_after)
        )
        self.trigger_result = trigger_result or OperationPoll(
            done=True,
            succeeded=True,
            status="Succeeded",
            retry_after_seconds=job_retry_after,
            operation=AsyncOperation(TRIGGER_URL, None, job_retry_after),
            job_id=JOB_ID,
        )
        self.validate_retry_after = validate_retry_after
        self.flaky = flaky or set()
        self.job_lists = list(
            job_lists or [[]]
        )  # the instance's Restore jobs, list after list (last repeats)
        self.trigger_answers = list(trigger_answers or [])  # answers to the POST before self.trigger

    def __call__(self, call: Call) -> Any:
        if call.name in self.flaky:
            return Failed(f"Activity function '{call.name}' failed: {TRANSIENT}", "Traceback (...)")
        payload = call.input
        match call.name:
            case "restore_validate":
                assert isinstance(payload, RestoreCall)
                if self.refuse is not None:
                    return OperationStarted(400, error=self.refuse)
                return OperationStarted(
                    202, operation=AsyncOperation(VALIDATE_URL, None, self.validate_retry_after)
                )
            case "restore_trigger":
                assert isinstance(payload, RestoreCall)
                if self.trigger_error is not None:
                    return OperationStarted(400, error=self.trigger_error)
                return self.trigger_answers.pop(0) if self.trigger_answers else self.trigger
            case "list_backup_jobs":
                assert isinstance(payload, JobsRequest)
                assert (payload.vault_id, payload.backup_instance_id) == (VAULT, INSTANCE)
                assert payload.category is JobCategory.RESTORE
                listed = self.job_lists.pop(0) if len(self.job_lists) > 1 else self.job_lists[0]
                return JobIds(listed)
            case "poll_operation":
                assert isinstance(payload, PollRequest)
                if payload.operation.status_url == VALIDATE_URL:
                    error = self.refuse_operation
                    return OperationPoll(done=True, succeeded=error is None, error=error)
                return self.trigger_result
            case "read_backup_job":
                assert isinstance(payload, JobReadRequest)
                return self.jobs.pop(0) if len(self.jobs) > 1 else self.jobs[0]
            case "release_instance_lock":
                assert payload == LockOwner(INSTANCE, "restore-1")
                return True
            case "restore_publish_outcome":
                assert isinstance(payload, RestoreStatus)
                return None
        raise AssertionError(f"unexpected activity {call.name}")


def _play(begin: RestoreStart, cloud: RestoreCloud, history: History | None = None) -> Played:
    return play(restore_fn(), history or History(NAME, begin), cloud)


def _published(played: Played) -> RestoreStatus:
    (status,) = played.inputs("restore_publish_outcome")
    assert isinstance(status, RestoreStatus)
    return status


def _clock(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


HAPPY = [
    "restore_validate",
    "timer",
    "poll_operation",
    "list_backup_jobs",
    "restore_trigger",
    "timer",
    "poll_operation",
    "timer",
    "read_backup_job",
    "release_instance_lock",
    "restore_publish_outcome",
]


# -- single steps, over hand-built histories ---------------------------------------------------------


def test_the_first_episode_validates_the_restore_with_the_transient_retry_options() -> None:
    replay = History(NAME, start()).replay(restore_fn())

    assert replay.done is False
    (first,) = replay.steps
    assert isinstance(first, Call) and first.name == "restore_validate"
    assert first.input == RestoreCall(INSTANCE, BODY, "c-r")
    assert first.retry == TRANSIENT_RETRY.to_json()
    status = replay.custom_status
    assert (status["phase"], status["startedAt"], status["history"]) == (
        "validating",
        "2025-03-01T12:00:00Z",
        {"generation": 1, "polls": 0},
    )


def test_the_validate_restore_operation_is_polled_at_now_plus_its_retry_after() -> None:
    history = History(NAME, start())
    history.completed(
        "restore_validate", OperationStarted(202, operation=AsyncOperation(VALIDATE_URL, None, 42.0))
    )

    replay = history.replay(restore_fn())

    assert replay.steps[-1] == Timer(history.now + timedelta(seconds=42))


def test_the_restore_is_triggered_once_validate_restore_succeeded() -> None:
    history = History(NAME, start())
    history.completed(
        "restore_validate", OperationStarted(202, operation=AsyncOperation(VALIDATE_URL, None, 10.0))
    )
    history.timer_fired(history.now + timedelta(seconds=10))
    history.completed("poll_operation", OperationPoll(done=True, succeeded=True))

    listing = history.replay(restore_fn()).steps[-1]
    assert isinstance(listing, Call) and listing.name == "list_backup_jobs"
    assert listing.input == JobsRequest(VAULT, INSTANCE, JobCategory.RESTORE, "c-r")
    history.completed("list_backup_jobs", JobIds(["an-earlier-restore"]))
    replay = history.replay(restore_fn())

    trigger = replay.steps[-1]
    assert isinstance(trigger, Call) and trigger.name == "restore_trigger"
    assert trigger.input == RestoreCall(INSTANCE, BODY, "c-r")
    assert trigger.retry is None  # not idempotent: never re-sent by a retry policy
    assert replay.custom_status["phase"] == "starting"


# -- whole runs --------------------------------------------------------------------------------------


def test_validate_then_restore_then_job_polls_until_the_job_succeeds() -> None:
    played = _play(start(), RestoreCloud(jobs=[running(40.0, 35.0), finished()]))

    assert played.names == [*HAPPY[:-2], "timer", "read_backup_job", *HAPPY[-2:]]
    phases = [s["phase"] for s in played.statuses]
    assert phases[:3] == ["validating", "validating", "validating"]
    assert "starting" in phases and "running" in phases
    assert phases.index("starting") < phases.index("running") < phases.index("succeeded")
    running_status = next(s for s in played.statuses if s["job"]["progress"]["percentComplete"] == 35.0)
    assert running_status["job"]["id"] == JOB_ID
    assert running_status["job"]["status"] == "InProgress"
    assert played.output["phase"] == "succeeded"


def test_operation_timers_honour_the_retry_after_of_each_operation() -> None:
    played = _play(start(), RestoreCloud(validate_retry_after=20.0, trigger_retry_after=15.0))

    assert played.waits()[:2] == [timedelta(seconds=20), timedelta(seconds=15)]


def test_the_first_job_poll_waits_the_retry_after_of_the_restore_operation() -> None:
    played = _play(start(), RestoreCloud(job_retry_after=25.0))

    assert played.waits()[2] == timedelta(seconds=25)
    assert played.inputs("read_backup_job") == [JobReadRequest(VAULT, JOB_ID, 25.0, "c-r")]


def test_job_polls_wait_the_next_delay_seconds_of_the_previous_read() -> None:
    played = _play(
        start(), RestoreCloud(job_retry_after=25.0, jobs=[running(40.0), running(90.0), finished()])
    )

    assert played.waits()[2:] == [timedelta(seconds=s) for s in (25, 40, 90)]
    assert [r.previous_delay_seconds for r in played.inputs("read_backup_job")] == [25.0, 40.0, 90.0]
    assert played.output["job"]["progress"]["polls"] == 3


@pytest.mark.parametrize(
    ("trigger", "trigger_result"),
    [
        pytest.param(None, None, id="operation-status-jobId"),
        pytest.param(
            OperationStarted(202, operation=AsyncOperation(None, "http://arm.local/location/1", 15.0)),
            OperationPoll(
                done=True,
                succeeded=True,
                retry_after_seconds=25.0,
                operation=AsyncOperation(None, "http://arm.local/location/1", 25.0),
                body={"objectType": "OperationJobExtendedInfo", "jobId": JOB_ID},
            ),
            id="location-result-body",
        ),
    ],
)
def test_the_job_id_comes_from_the_restore_operation(
    trigger: OperationStarted | None, trigger_result: OperationPoll | None
) -> None:
    played = _play(start(), RestoreCloud(trigger=trigger, trigger_result=trigger_result))

    assert [r.job_id for r in played.inputs("read_backup_job")] == [JOB_ID]
    assert played.output["job"]["id"] == JOB_ID


def test_a_synchronous_restore_takes_the_job_id_from_its_body_and_polls_after_sixty_seconds() -> None:
    synchronous = OperationStarted(200, body={"objectType": "OperationJobExtendedInfo", "jobId": JOB_ID})
    played = _play(start(), RestoreCloud(trigger=synchronous))

    assert played.names == [
        "restore_validate",
        "timer",
        "poll_operation",
        "list_backup_jobs",
        "restore_trigger",
        "timer",
        "read_backup_job",
        "release_instance_lock",
        "restore_publish_outcome",
    ]
    assert played.waits()[-1] == timedelta(seconds=60)
    assert played.inputs("read_backup_job") == [JobReadRequest(VAULT, JOB_ID, None, "c-r")]


def test_continue_as_new_after_polls_per_generation_carries_the_progress_forward() -> None:
    begin = start(polls_per_generation=3)
    jobs = [running(40.0, 10.0), running(50.0, 20.0), running(70.0, 30.0)]
    played = _play(begin, RestoreCloud(jobs=jobs))

    assert played.last.done is True
    assert played.output is None
    assert played.names.count("read_backup_job") == 3
    assert "restore_publish_outcome" not in played.names
    step = played.steps[-1]
    assert isinstance(step, ContinueAsNew)
    carried = step.input
    assert isinstance(carried, RestoreStart)
    assert carried.request == begin.request
    progress = carried.progress
    assert (progress.phase, progress.generation, progress.polls) == ("running", 2, 3)
    assert (progress.job_id, progress.job_status, progress.job_start_time) == (
        JOB_ID,
        "InProgress",
        JOB_START,
    )
    assert (progress.next_delay_seconds, progress.percent_complete) == (70.0, 30.0)
    assert progress.started_at == "2025-03-01T12:00:00Z"
    assert progress.finished_at is None and progress.error is None
    assert (progress.id, progress.correlation_id, progress.restore_point) == (
        "restore-1",
        "c-r",
        {"pointInTime": "2025-02-28T10:00:00Z"},
    )
    assert played.last.custom_status == progress.view()
    assert played.last.custom_status["history"] == {"generation": 2, "polls": 3}


def test_the_next_generation_resumes_job_polling_from_the_carried_progress() -> None:
    cloud = RestoreCloud(jobs=[running(40.0), running(80.0), finished()])
    first = _play(start(polls_per_generation=2), cloud)
    following = first.history.continue_as_new(first.last.continued_as_new)

    played = _play(start(), cloud, following)

    assert played.names == ["timer", "read_backup_job", "release_instance_lock", "restore_publish_outcome"]
    assert played.waits() == [timedelta(seconds=80)]
    assert played.inputs("read_backup_job") == [JobReadRequest(VAULT, JOB_ID, 80.0, "c-r")]
    assert played.output["phase"] == "succeeded"
    assert played.output["history"] == {"generation": 2, "polls": 3}
    assert played.output["startedAt"] == "2025-03-01T12:00:00Z"


@pytest.mark.parametrize("status", ["Completed", "CompletedWithWarnings"])
def test_a_succeeded_job_publishes_a_succeeded_restore_status(status: str) -> None:
    phase = JobPhase.SUCCEEDED if status == "Completed" else JobPhase.SUCCEEDED_WITH_WARNINGS
    played = _play(start(), RestoreCloud(jobs=[finished(status, phase)]))

    assert played.names == HAPPY
    finished_at = _clock(played.scheduled_at[-2])  # the clock of the episode that ended the restore
    assert _published(played) == RestoreStatus(
        backup_instance_id=INSTANCE,
        phase="succeeded",
        job_id=JOB_ID,
        job_status=status,
        error=None,
        updated_at=finished_at,
        restore_id="restore-1",
        kind="blobPointInTime",
        datasource_id=DATASOURCE,
        restore_point={"pointInTime": "2025-02-28T10:00:00Z"},
        destination=DATASOURCE,
        started_at=JOB_START,
        finished_at=JOB_END,
        duration_seconds=seconds_between(JOB_START, JOB_END),
    )
    assert played.output["phase"] == "succeeded"
    assert played.output["finishedAt"] == finished_at
    assert played.output["job"]["durationSeconds"] == 510.0
    assert played.output == played.last.custom_status


@pytest.mark.parametrize(
    ("status", "phase", "errors", "expected"),
    [
        pytest.param(
            "Failed",
            JobPhase.FAILED,
            [
                {
                    "code": "UserErrorRestoreTargetLocked",
                    "message": "the target is locked",
                    "recommendedAction": ["Unlock it."],
                }
            ],
            {
                "code": "UserErrorRestoreTargetLocked",
                "message": "the target is locked",
                "recommendedAction": ["Unlock it."],
            },
            id="failed",
        ),
        pytest.param(
            "Cancelled",
            JobPhase.CANCELLED,
            [],
            {
                "code": "RestoreJobCancelled",
                "message": "the restore job ended Cancelled",
                "recommendedAction": [],
            },
            id="cancelled",
        ),
    ],
)
def test_a_failed_job_publishes_a_failed_restore_status_with_the_job_error(
    status: str, phase: JobPhase, errors: list[dict[str, Any]], expected: dict[str, Any]
) -> None:
    played = _play(start(), RestoreCloud(jobs=[running(), finished(status, phase, errors=errors)]))

    published = _published(played)
    assert (published.phase, published.job_status, published.error) == ("failed", status, expected)
    assert played.output["phase"] == "failed"
    assert played.output["error"] == expected


def _refusal() -> ArmError:
    return ArmError(
        status=400,
        code="UserErrorRestoreTargetExists",
        message="A blob with the same name exists at the target.",
        recommended_action=["Choose another target."],
    )


@pytest.mark.parametrize("where", ["request", "operation"])
def test_a_validate_restore_refusal_fails_without_triggering_the_restore(where: str) -> None:
    refusal = _refusal()
    cloud = RestoreCloud(refuse=refusal) if where == "request" else RestoreCloud(refuse_operation=refusal)
    played = _play(start(), cloud)

    end = ["release_instance_lock", "restore_publish_outcome"]
    expected_names = ["restore_validate", *end]
    if where == "operation":
        expected_names = ["restore_validate", "timer", "poll_operation", *end]
    assert played.names == expected_names
    error = {
        "code": "UserErrorRestoreTargetExists",
        "message": "validateRestore refused the restore: A blob with the same name exists at the target.",
        "recommendedAction": ["Choose another target."],
    }
    published = _published(played)
    assert (published.phase, published.error, published.job_id) == ("failed", error, None)
    assert played.output["phase"] == "failed"
    assert played.output["error"] == error


def test_a_refused_restore_fails_with_the_arm_error() -> None:
    played = _play(start(), RestoreCloud(trigger_error=_refusal()))

    assert "read_backup_job" not in played.names
    assert played.output["phase"] == "failed"
    assert played.output["error"]["message"] == (
        "triggering the restore failed: A blob with the same name exists at the target."
    )
    assert _published(played).phase == "failed"


def test_a_restore_operation_without_a_job_id_fails() -> None:
    no_job = OperationPoll(done=True, succeeded=True, operation=AsyncOperation(TRIGGER_URL, None, 10.0))
    played = _play(start(), RestoreCloud(trigger_result=no_job))

    assert "read_backup_job" not in played.names
    assert played.output["error"] == {
        "code": "RestoreJobIdMissing",
        "message": "triggering the restore failed: the operation reported no job id",
        "recommendedAction": [],
    }
    published = _published(played)
    assert (published.phase, published.job_id) == ("failed", None)


def test_a_job_read_error_fails_the_restore() -> None:
    gone = ArmError(status=404, code="ResourceNotFound", message="the job was not found")
    played = _play(start(), RestoreCloud(jobs=[running(), JobRead(error=gone)]))

    assert played.names.count("read_backup_job") == 2
    assert played.output["phase"] == "failed"
    assert played.output["error"]["code"] == "ResourceNotFound"
    assert played.output["error"]["message"] == "reading the restore job failed: the job was not found"
    assert played.output["job"]["progress"]["polls"] == 2
    assert _published(played).phase == "failed"


@pytest.mark.parametrize(
    "activity", ["restore_validate", "poll_operation", "list_backup_jobs", "read_backup_job"]
)
def test_an_activity_failing_after_its_retries_ends_failed_and_is_published(activity: str) -> None:
    played = _play(start(), RestoreCloud(flaky={activity}))

    assert len(played.history.of_type(Event.TASK_FAILED)) == TRANSIENT_RETRY.max_number_of_attempts
    assert played.names[-3:] == [activity, "release_instance_lock", "restore_publish_outcome"]
    error = played.output["error"]
    assert error["code"] == "TransientFailuresExhausted"
    assert error["message"].startswith(
        f"gave up after repeated failures: Activity function '{activity}' failed: {TRANSIENT}"
    )
    published = _published(played)
    assert (published.phase, published.error) == ("failed", error)
    assert played.output["phase"] == "failed"


def test_every_activity_call_carries_the_transient_retry_options() -> None:
    played = _play(start(), RestoreCloud(jobs=[running(), finished()]))

    calls = [c for c in played.calls() if c.name != "restore_trigger"]
    assert {c.name for c in calls} == {
        "restore_validate",
        "poll_operation",
        "list_backup_jobs",
        "read_backup_job",
        "release_instance_lock",
        "restore_publish_outcome",
    }
    assert all(c.action_type == ActionType.CALL_ACTIVITY_WITH_RETRY for c in calls)
    assert all(c.retry == TRANSIENT_RETRY.to_json() for c in calls)
    (trigger,) = [c for c in played.calls() if c.name == "restore_trigger"]
    assert trigger.action_type == ActionType.CALL_ACTIVITY and trigger.retry is None


UNANSWERED = Failed(f"Activity function 'restore_trigger' failed: {TRANSIENT}", "Traceback (...)")


def test_a_restore_post_of_unknown_outcome_is_not_sent_again_when_it_started_a_job() -> None:
    cloud = RestoreCloud(job_lists=[["old-job"], ["old-job", "5a0c2a4e-new"]], trigger_answers=[UNANSWERED])
    played = _play(start(), cloud)

    assert played.names.count("restore_trigger") == 1  # the job it started was found: no second POST
    assert played.names[3:7] == ["list_backup_jobs", "restore_trigger", "timer", "list_backup_jobs"]
    assert played.waits()[1] == timedelta(seconds=jobs.UNKNOWN_OUTCOME_WAIT_SECONDS)
    assert [r.job_id for r in played.inputs("read_backup_job")] == ["5a0c2a4e-new"]
    assert played.output["phase"] == "succeeded"


def test_a_restore_post_of_unknown_outcome_that_started_nothing_is_sent_again() -> None:
    cloud = RestoreCloud(job_lists=[["old-job"]], trigger_answers=[UNANSWERED])
    played = _play(start(), cloud)

    assert played.names.count("restore_trigger") == 2
    assert played.names.count("list_backup_jobs") == 2
    assert [r.job_id for r in played.inputs("read_backup_job")] == [JOB_ID]
    assert played.output["phase"] == "succeeded"


def test_a_restore_that_never_gets_an_answer_fails_after_bounded_attempts_without_a_job() -> None:
    cloud = RestoreCloud(trigger_answers=[UNANSWERED] * jobs.MAX_START_ATTEMPTS)
    played = _play(start(), cloud)

    assert played.names.count("restore_trigger") == jobs.MAX_START_ATTEMPTS
    assert "read_backup_job" not in played.names
    assert played.output["error"]["code"] == "RestoreNotStarted"
    assert _published(played).phase == "failed"


# -- a file share (Recovery Services): no validation, the service's activities, the point in the call -----

RS_VAULT = f"{SUBSCRIPTION}/resourceGroups/rg-backup-weu/providers/Microsoft.RecoveryServices/vaults/rsv-weu"
RS_ITEM = (
    f"{RS_VAULT}/backupFabrics/Azure/protectionContainers/StorageContainer;Storage;rg;st"
    "/protectedItems/AzureFileShare;s"
)
SHARE = f"{DATASOURCE}/fileServices/default/shares/s"


class ShareRestoreCloud(RestoreCloud):
    """The same answers; the trigger under its Recovery Services name, the jobs of the share's vault."""

    def __call__(self, call: Call) -> Any:
        if call.name == "rs_restore_trigger":
            assert isinstance(call.input, RestoreCall) and call.input.recovery_point_id == "9328866"
            call = replace(call, name="restore_trigger")
        if call.name == "list_backup_jobs":
            assert isinstance(call.input, JobsRequest) and call.input.datasource_id == SHARE
            assert call.input.service is BackupService.RECOVERY_SERVICES
            return JobIds(self.job_lists[0])
        if call.name == "read_backup_job":
            assert isinstance(call.input, JobReadRequest)
            assert call.input.service is BackupService.RECOVERY_SERVICES
        if call.name == "release_instance_lock":
            assert call.input == LockOwner(RS_ITEM, "restore-1")
            return True
        assert call.name != "restore_validate", call.name
        return super().__call__(call)


def test_a_file_share_restore_runs_the_recovery_services_activities_without_validation() -> None:
    request = RestoreJobRequest(
        RS_ITEM, RS_VAULT, {"properties": {}}, 10, BackupService.RECOVERY_SERVICES, "9328866", SHARE
    )
    progress = RestoreProgress(
        "restore-1", "fileShareFull", RS_ITEM, SHARE, {"recoveryPointId": "9328866"}, SHARE
    )

    played = _play(RestoreStart(request, progress), ShareRestoreCloud(jobs=[running(), finished()]))

    assert played.names[:4] == ["list_backup_jobs", "rs_restore_trigger", "timer", "poll_operation"]
    assert "restore_validate" not in played.names
    assert played.names.count("read_backup_job") == 2
    status = _published(played)
    assert (status.phase, status.job_status, status.kind) == ("succeeded", "Completed", "fileShareFull")
