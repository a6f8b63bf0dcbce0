"""``restore_backup_instance``: validateRestore -> restore -> job id -> poll the job -> completion event.

Input: ``{"request": {backup_instance_id, vault_id, body}, "progress": RestoreProgress}``. The job poll loop
runs at most ``POLLS_PER_GENERATION`` polls per execution, then ``continue_as_new`` carries ``progress``
forward: the history of one execution stays bounded whatever the job's length (a six-hour job costs per poll
what a one-minute job costs). Every wait is a durable timer honouring Retry-After; every ARM call an activity.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import azure.durable_functions as df

from functions.restore.blueprint import bp
from functions.tracking import call, track_operation, wait
from shared.arm.operations import JobPhase
from shared.restore.status import (
    FAILED,
    RUNNING,
    STARTING,
    SUCCEEDED,
    VALIDATING,
    RestoreProgress,
    error_view,
    job_error,
)

ORCHESTRATOR = "restore_backup_instance"
POLLS_PER_GENERATION = 10  # default; the trigger passes RESTORE_POLLS_PER_GENERATION in the input
DONE, CONTINUED = "done", "continued"
Flow = Generator[Any, Any, Any]


class _Restore:
    def __init__(self, context: df.DurableOrchestrationContext) -> None:
        self.context = context
        data: dict[str, Any] = context.get_input()
        self.request: dict[str, Any] = data["request"]
        self.progress = RestoreProgress.from_dict(data["progress"])

    def now(self) -> str:
        return self.context.current_utc_datetime.strftime("%Y-%m-%dT%H:%M:%SZ")

    def publish(self) -> None:
        self.context.set_custom_status(self.progress.view())

    def fail(self, error: dict[str, Any] | None, what: str) -> str:
        view = error_view(error) or {"code": "Unknown", "message": what, "recommendedAction": []}
        view["message"] = f"{what}: {view['message']}"
        self.progress.phase = FAILED
        self.progress.error = view
        return DONE

    def start_and_track(self, activity: str) -> Generator[Any, Any, dict[str, Any]]:
        """Run a starting activity and follow its operation; ``{"error"}`` or the last poll result."""
        started = yield call(
            self.context,
            activity,
            {"backup_instance_id": self.request["backup_instance_id"], "body": self.request["body"]},
        )
        if started.get("error") is not None or not started.get("operation"):
            return {"error": started.get("error"), "body": started.get("body"), "retry_after_seconds": None}
        result: dict[str, Any] = yield from track_operation(self.context, started["operation"])
        return result

    def validate_and_start(self) -> Generator[Any, Any, str | None]:
        p = self.progress
        p.phase = VALIDATING
        self.publish()
        validated = yield from self.start_and_track("restore_validate")
        if validated.get("error"):
            return self.fail(validated["error"], "validateRestore refused the restore")
        p.phase = STARTING
        self.publish()
        started = yield from self.start_and_track("restore_trigger")
        if started.get("error"):
            return self.fail(started["error"], "triggering the restore failed")
        job_id = started.get("job_id") or (started.get("body") or {}).get("jobId")
        if not job_id:
            return self.fail(
                {"code": "RestoreJobIdMissing", "message": "the restore operation reported no job id"},
                "triggering the restore failed",
            )
        p.job_id = str(job_id)
        p.phase = RUNNING
        p.next_delay_seconds = started.get("retry_after_seconds")
        self.publish()
        return None

    def follow_job(self) -> Generator[Any, Any, str]:
        p = self.progress
        for _ in range(int(self.request.get("polls_per_generation") or POLLS_PER_GENERATION)):
            yield wait(self.context, float(p.next_delay_seconds or 60.0))
            read = yield call(
                self.context,
                "restore_read_job",
                {
                    "vault_id": self.request["vault_id"],
                    "job_id": p.job_id,
                    "previous_delay_seconds": p.next_delay_seconds,
                },
            )
            p.polls += 1
            if read.get("error"):
                return self.fail(read["error"], "reading the restore job failed")
            job = read["job"]
            p.job_status = job.get("status")
            p.job_start_time = job.get("start_time") or p.job_start_time
            p.job_end_time = job.get("end_time")
            p.percent_complete = read.get("percent_complete")
            if read.get("done"):
                succeeded = job.get("phase") in (
                    JobPhase.SUCCEEDED.value,
                    JobPhase.SUCCEEDED_WITH_WARNINGS.value,
                )
                p.phase = SUCCEEDED if succeeded else FAILED
                p.error = None if succeeded else job_error(job)
                return DONE
            p.next_delay_seconds = read.get("next_delay_seconds")
            self.publish()
        return CONTINUED

    def run(self) -> Flow:
        if self.progress.phase in (VALIDATING, STARTING):
            self.progress.started_at = self.progress.started_at or self.now()
            ended = yield from self.validate_and_start()
            if ended is not None:
                return ended
        self.publish()
        return (yield from self.follow_job())


@bp.orchestration_trigger(context_name="context")
def restore_backup_instance(context: df.DurableOrchestrationContext) -> Flow:
    restore = _Restore(context)
    try:
        ended = yield from restore.run()
    except Exception as exc:  # an activity failed after its transient retries: still an outcome
        ended = restore.fail(
            {"code": "TransientFailuresExhausted", "message": str(exc)[:2000]},
            "gave up after repeated failures",
        )
    p = restore.progress
    if ended == CONTINUED:
        p.generation += 1
        restore.publish()
        context.continue_as_new({"request": restore.request, "progress": p.to_dict()})
        return None
    p.finished_at = restore.now()
    restore.publish()
    yield call(context, "restore_publish_outcome", p.event_status().to_dict())
    return p.view()
