"""Backup jobs of a Backup vault: what a restore and an on-demand backup are followed by.

A restore POST and a backup-now POST each start an asynchronous operation whose result names a *job*; the
job then runs for minutes to hours. Both capabilities follow it the same way, so it lives here once:

- ``list_jobs``: the jobs of one backup instance in one category (``Restore``, ``Backup``): what tells
  whether a non-idempotent POST of unknown outcome took effect (a job that was not there before is its job).
- ``read_job``: one GET of a job, with the Retry-After to honour.
- ``next_poll_delay``: honour Retry-After; without one, back off up to the policy's maximum.
- ``JobProgress``: the job fields a status document shows, advanced by ``apply``.

Same error policy as :mod:`shared.arm.steps`: a transient ``ArmError`` is raised; every other error is the
result's ``error``. Results are records: they cross activity boundaries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from shared.arm.client import ArmClient
from shared.arm.ids import parse_resource_id
from shared.arm.operations import JobPhase, JobState, PollPolicy, interpret_job, job_name_from
from shared.arm.retry_after import parse_retry_after
from shared.arm.steps import answers_errors, list_pages
from shared.errors import BackupAutopilotError
from shared.parsing import parse_instant
from shared.protection.kinds import BackupService
from shared.records import Record
from shared.services import dataprotection as dp

MAX_JOB_PAGES = 20
BACKOFF = 1.5  # without Retry-After, the wait between job polls grows by this factor up to the policy's max


class JobCategory(StrEnum):
    """``operationCategory`` of a Data Protection job (the ones this app starts)."""

    RESTORE = "Restore"
    BACKUP = "Backup"


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class JobsRequest(Record):
    """The jobs of one backup instance in ``category``; a Recovery Services vault's are found by the share
    (``datasource_id``)."""

    vault_id: str
    backup_instance_id: str
    category: JobCategory
    correlation_id: str | None = None
    service: BackupService = BackupService.DATA_PROTECTION
    datasource_id: str = ""


@dataclass(frozen=True)
class JobIds(Record):
    """The names of an instance's jobs of one category: what tells whether a POST took effect."""

    job_ids: list[str] = field(default_factory=list)
    error: BackupAutopilotError | None = None


@answers_errors(lambda error: JobIds(error=error))
async def list_jobs(arm: ArmClient, request: JobsRequest) -> JobIds:
    """Every job of the vault in ``category`` that belongs to the backup instance (bounded pages)."""
    wanted = parse_resource_id(request.backup_instance_id).key()
    category = request.category.value.lower()
    found: list[str] = []
    async for item in list_pages(arm, dp.backup_jobs_path(request.vault_id), dp.API_VERSION, MAX_JOB_PAGES):
        props = _dict(item.get("properties"))
        instance = str(props.get("backupInstanceId") or "")
        if str(props.get("operationCategory") or "").lower() == category and instance.lower() == wanted:
            found.append(job_name_from(item.get("name") or item.get("id")) or "")
    return JobIds(sorted(j for j in found if j))


@dataclass(frozen=True)
class JobReadRequest(Record):
    vault_id: str
    job_id: str
    previous_delay_seconds: float | None = None
    correlation_id: str | None = None
    service: BackupService = BackupService.DATA_PROTECTION


@dataclass(frozen=True)
class JobRead(Record):
    """One GET of a backup job; ``retry_after_seconds`` is None when the service gave no Retry-After."""

    job: JobState | None = None
    retry_after_seconds: float | None = None
    percent_complete: float | None = None
    next_delay_seconds: float | None = None
    error: BackupAutopilotError | None = None

    @property
    def done(self) -> bool:
        return self.job is not None and self.job.done


@answers_errors(lambda error: JobRead(error=error))
async def read_job(arm: ArmClient, vault_id: str, job_id: str, policy: PollPolicy) -> JobRead:
    """GET the backup job once: its state and the Retry-After to honour."""
    name = job_name_from(job_id) or job_id
    response = await arm.get(dp.backup_job_path(vault_id, name), api_version=dp.API_VERSION)
    retry_after = parse_retry_after(response.header("retry-after"))
    pct = _dict(_dict(response.body).get("properties")).get("progressPercentage")
    return JobRead(
        job=interpret_job(response.body),
        retry_after_seconds=policy.clamp(retry_after) if retry_after is not None else None,
        percent_complete=float(pct) if isinstance(pct, int | float) and not isinstance(pct, bool) else None,
    )


def next_poll_delay(previous: float | None, retry_after: float | None, policy: PollPolicy) -> float:
    """Honour the service's Retry-After; without one back off from the policy default up to its maximum."""
    if retry_after is not None:
        return policy.clamp(retry_after)
    if previous is None:
        return policy.clamp(None)
    return policy.clamp(min(previous * BACKOFF, policy.max_seconds))


def job_error(job: JobState, category: JobCategory) -> dict[str, Any] | None:
    """The error of a finished job that did not succeed (Failed / Cancelled): ``{code, message, ...}``."""
    if job.phase in (JobPhase.SUCCEEDED, JobPhase.SUCCEEDED_WITH_WARNINGS, JobPhase.RUNNING):
        return None
    first = job.error_details[0] if job.error_details else {}
    ended = "Cancelled" if job.phase is JobPhase.CANCELLED else "Failed"
    code = first.get("code") or first.get("errorCode") or f"{category.value}Job{ended}"
    # DataProtection: code / message / recommendedAction; Recovery Services: errorString / recommendations.
    message = (
        first.get("message")
        or first.get("errorString")
        or f"the {category.value.lower()} job ended {job.status}"
    )
    actions = (
        first.get("recommendedAction")
        or first.get("recommendedActions")
        or first.get("recommendations")
        or []
    )
    return {"code": str(code), "message": str(message), "recommendedAction": actions}


def seconds_between(start: str | None, end: str | None) -> float | None:
    a, b = parse_instant(start), parse_instant(end)
    return round((b - a).total_seconds(), 3) if a and b else None


@dataclass(kw_only=True)
class JobProgress(Record):
    """The job part of a status document (plain data, carried across ``continue_as_new``)."""

    job_id: str | None = None
    job_status: str | None = None
    job_start_time: str | None = None
    job_end_time: str | None = None
    percent_complete: float | None = None
    polls: int = 0
    next_delay_seconds: float | None = None

    def apply(self, read: JobRead) -> JobState | None:
        """Take one job read into the progress; the job's state (None when the read failed)."""
        self.polls += 1
        job = read.job
        if read.error is not None or job is None:
            return None
        self.job_status = job.status
        self.job_start_time = job.start_time or self.job_start_time
        self.job_end_time = job.end_time
        self.percent_complete = read.percent_complete
        self.next_delay_seconds = read.next_delay_seconds
        return job

    def job_duration_seconds(self) -> float | None:
        return seconds_between(self.job_start_time, self.job_end_time)

    def job_view(self, terminal: bool) -> dict[str, Any]:
        return {
            "id": self.job_id,
            "status": self.job_status,
            "startTime": self.job_start_time,
            "endTime": self.job_end_time,
            "durationSeconds": self.job_duration_seconds() if terminal else None,
            "progress": {"polls": self.polls, "percentComplete": self.percent_complete},
        }
