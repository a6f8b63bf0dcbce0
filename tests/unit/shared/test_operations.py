from __future__ import annotations

import pytest

from shared.arm.operations import (
    AsyncOperation,
    JobPhase,
    PollPolicy,
    async_operation_from,
    interpret_job,
    interpret_location_poll,
    interpret_operation_status,
    job_phase,
)
from shared.arm.retry_after import parse_retry_after
from tests.fixtures import dataprotection as fx
from tests.fixtures import recoveryservices as rs
from tests.fixtures.operation_shapes import check_status_body


def test_prefers_azure_async_operation_and_reads_retry_after_string():
    headers = fx.VALIDATE_FOR_BACKUP_202_HEADERS
    assert isinstance(headers["Retry-After"], str)
    op = async_operation_from(202, headers)
    assert op is not None
    assert op.poll_kind == "status"
    assert op.poll_url == headers["Azure-AsyncOperation"] and "operationStatus" in str(op.poll_url)
    assert op.result_url == headers["Location"] and "operationResults" in str(op.result_url)
    assert op.retry_after_seconds == 60


def test_location_only_and_numeric_retry_after():
    op = async_operation_from(202, {"Location": "https://m/x/operationResults/1", "Retry-After": 60})
    assert op == AsyncOperation(None, "https://m/x/operationResults/1", 60.0)
    assert op.poll_kind == "location"


def _wait(headers, policy):
    op = async_operation_from(202, headers, policy)
    assert op is not None
    return op.retry_after_seconds


def test_default_and_bounds_for_retry_after():
    policy = PollPolicy(default_seconds=60, min_seconds=5, max_seconds=120)
    assert _wait({"Location": "u"}, policy) == 60
    assert _wait({"Location": "u", "Retry-After": "1"}, policy) == 5
    assert _wait({"Location": "u", "Retry-After": "9999"}, policy) == 120


def test_synchronous_completion_has_no_operation():
    assert async_operation_from(200, {}) is None
    assert async_operation_from(200, {"Location": "x"}) is None
    assert async_operation_from(201, {"Azure-AsyncOperation": "u"}) is not None


def test_retry_after_forms():
    assert parse_retry_after("10") == 10
    assert parse_retry_after(17) == 17
    assert parse_retry_after("") is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


def test_inprogress_with_placeholder_end_time():
    state = interpret_operation_status(fx.STATUS_INPROGRESS)
    assert state.status == "Inprogress"
    assert not state.done and state.end_time is None
    assert state.start_time == fx.STATUS_INPROGRESS["startTime"]


@pytest.mark.parametrize("body", [fx.STATUS_SUCCEEDED, fx.STATUS_SUCCEEDED_WITH_JOB], ids=["plain", "job"])
def test_succeeded_status_bodies(body):
    state = interpret_operation_status(body)
    assert state.done and state.succeeded and state.error is None
    assert state.end_time == body["endTime"]


@pytest.mark.parametrize(
    "body", fx.STATUS_BODIES, ids=lambda b: b["status"] + ("+job" if "properties" in b else "")
)
def test_every_contract_status_body(body):
    check_status_body(body)


def test_status_bodies_cover_every_outcome():
    assert {b["status"] for b in fx.STATUS_BODIES} == {"Inprogress", "Succeeded", "Failed"}


def test_job_id_full_arm_id_last_segment():
    state = interpret_operation_status(fx.STATUS_SUCCEEDED_WITH_JOB)
    assert state.job_name == fx.JOB_NAME
    assert state.job_id == f"{fx.VAULT}/backupJobs/{fx.JOB_NAME}"
    assert str(state.job_id).startswith("/subscriptions/")


@pytest.mark.parametrize("status", ["InProgress", "inprogress", "Running", "Accepted", "Whatever", "", None])
def test_unknown_or_running_statuses_are_not_terminal(status):
    assert not interpret_operation_status({"status": status}).done


def test_canceled_without_error_still_produces_error():
    state = interpret_operation_status({"status": "canceled"})
    assert state.done and not state.succeeded
    assert state.error is not None and state.error["code"] == "OperationCanceled"


def test_recovery_services_placeholder_with_fraction():
    body = rs.OPERATION_STATUS_INPROGRESS
    assert body["endTime"].startswith("0001-01-01T00:00:00.")
    state = interpret_operation_status(body)
    assert state.end_time is None
    assert state.status == "InProgress" and not state.done


def test_location_poll():
    assert not interpret_location_poll(202, {"Retry-After": "10"}, None).done
    assert interpret_location_poll(202, {"Retry-After": "10"}, None).retry_after_seconds == 10
    done = interpret_location_poll(200, {}, {})
    assert done.done and done.body == {}
    assert interpret_location_poll(204, {}, None).done


@pytest.mark.parametrize(
    ("status", "phase"),
    [
        ("Completed", JobPhase.SUCCEEDED),
        ("Succeeded", JobPhase.SUCCEEDED),
        ("CompletedWithWarnings", JobPhase.SUCCEEDED_WITH_WARNINGS),
        ("failed", JobPhase.FAILED),
        ("Cancelled", JobPhase.CANCELLED),
        ("InProgress", JobPhase.RUNNING),
        ("Started", JobPhase.RUNNING),
        ("Cancelling", JobPhase.RUNNING),
        ("Paused", JobPhase.RUNNING),
        ("SomethingNew", JobPhase.RUNNING),
    ],
)
def test_job_phase_vocabulary(status, phase):
    assert job_phase(status) is phase


@pytest.mark.parametrize("body", [fx.BACKUP_JOB, rs.BACKUP_JOB], ids=["dataprotection", "recoveryservices"])
def test_job_bodies(body):
    state = interpret_job(body)
    assert state.status == body["properties"]["status"]
    assert state.phase is job_phase(body["properties"]["status"]) and state.phase is JobPhase.RUNNING
    assert state.job_id == body["id"]
    assert state.operation == "Backup"
    assert state.start_time == body["properties"]["startTime"] and state.end_time is None
