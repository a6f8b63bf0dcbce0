from __future__ import annotations

import json

import pytest

from shared.arm.operations import (
    AsyncOperation,
    JobPhase,
    OperationState,
    PollPolicy,
    async_operation_from,
    interpret_job,
    interpret_location_poll,
    interpret_operation_status,
    job_phase,
)
from shared.arm.retry_after import parse_retry_after
from shared.errors import Classification
from tests.unit.shared.helpers import DP, load_json, seed_status_bodies


def test_prefers_azure_async_operation_and_reads_retry_after_string():
    ex = load_json("dataprotection/examples/BackupInstanceOperations/ValidateForBackup.json")
    op = async_operation_from(202, ex["responses"]["202"]["headers"])
    assert op is not None
    assert op.poll_kind == "status"
    assert "operationStatus" in str(op.poll_url)
    assert "operationResults" in str(op.result_url)
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
    doc = load_json(
        "dataprotection/docs-postgresql/pg02_ValidateForBackup_202_then_OperationStatus_Inprogress.json"
    )
    state = interpret_operation_status(doc["poll"]["intermediate_response"]["body"])
    assert state.status == "Inprogress"
    assert not state.done and state.end_time is None


@pytest.mark.parametrize(
    "path",
    [
        "dataprotection/docs-postgresql/pg04_OperationStatus_Succeeded_ValidateForBackup.json",
        "dataprotection/docs-postgresql/pgr03_ValidateForRestore_OperationStatus_Succeeded.json",
        "dataprotection/examples/GetOperationStatus.json",
    ],
)
def test_succeeded_status_bodies(path):
    doc = load_json(path)
    body = doc["response"]["body"] if "response" in doc else doc["responses"]["200"]["body"]
    state = interpret_operation_status(body)
    assert state.done and state.succeeded and state.error is None
    assert state.end_time is not None


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003"])
def test_every_seed_status_body(prefix):
    bodies = seed_status_bodies(prefix)
    assert bodies
    for body in bodies:
        state = interpret_operation_status(body)
        assert state.done == (body["status"].lower() in ("succeeded", "failed", "canceled"))
        if body["status"] == "Failed":
            assert state.arm_error is not None
            assert state.arm_error.classification is Classification.USER_FIXABLE
        assert OperationState.from_dict(json.loads(json.dumps(state.to_dict()))) == state


def test_job_id_full_arm_id_last_segment():
    bodies = seed_status_bodies("003")
    body = next(b for b in bodies if b.get("properties"))
    state = interpret_operation_status(body)
    assert state.job_name == "c4bd49a1-0645-4eec-b207-feb818962852"
    assert str(state.job_id).startswith("/subscriptions/")


@pytest.mark.parametrize("status", ["InProgress", "inprogress", "Running", "Accepted", "Whatever", "", None])
def test_unknown_or_running_statuses_are_not_terminal(status):
    assert not interpret_operation_status({"status": status}).done


def test_canceled_without_error_still_produces_error():
    state = interpret_operation_status({"status": "canceled"})
    assert state.done and not state.succeeded
    assert state.error is not None and state.error["code"] == "OperationCanceled"


def test_recovery_services_placeholder_with_fraction():
    ex = load_json("recoveryservicesbackup/examples/Common/ProtectedItem_Delete_OperationStatus.json")
    body = ex["responses"]["200"]["body"]
    state = interpret_operation_status(body)
    if body["endTime"].startswith("0001"):
        assert state.end_time is None


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


def test_job_examples():
    dp_job = load_json("dataprotection/examples/JobCRUD/GetJob.json")["responses"]["200"]["body"]
    rs_job = load_json("recoveryservicesbackup/examples/Common/GetJobDetails.json")["responses"]["200"][
        "body"
    ]
    for body in (dp_job, rs_job):
        state = interpret_job(body)
        assert state.status == body["properties"]["status"]
        assert state.phase is job_phase(body["properties"]["status"])
    assert DP.exists()
