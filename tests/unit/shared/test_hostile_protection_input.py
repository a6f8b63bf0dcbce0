"""Hostile input at the protection pipeline's two entry points, in process: the Event Grid decision (both
schemas) never raises and names what it cannot use; the queue parser accepts only what can be carried to the
end; ``start_protection`` poisons with the reason, at once for a malformed message, on the last delivery
for any other failure."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from azure.durable_functions.models.DurableOrchestrationStatus import DurableOrchestrationStatus
from azure.functions.queue import QueueMessage

from functions.protection import queues, triggers
from shared.errors import InvalidRequestError
from shared.protection.messages import ProtectionRequest, check_text, printable
from shared.protection.resource_events import (
    RESOURCE_WRITE_SUCCESS,
    Rejection,
    parse_event_time,
    request_from_event,
    request_from_event_json,
)

SA = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct1"


def eventgrid(**overrides: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "id": "e1",
        "topic": "/subscriptions/s",
        "subject": SA,
        "eventType": RESOURCE_WRITE_SUCCESS,
        "eventTime": "2026-01-02T03:04:05.1234567Z",
        "dataVersion": "2",
        "metadataVersion": "1",
        "data": {
            "resourceUri": SA,
            "operationName": "Microsoft.Storage/storageAccounts/write",
            "status": "Succeeded",
            "correlationId": "c0ffee00-0000-0000-0000-000000000001",
        },
    }
    event.update(overrides)
    return event


def cloudevent(**overrides: Any) -> dict[str, Any]:
    base = eventgrid()
    event: dict[str, Any] = {
        "specversion": "1.0",
        "id": "ce1",
        "source": "/subscriptions/s",
        "type": RESOURCE_WRITE_SUCCESS,
        "subject": SA,
        "time": "2026-01-02T03:04:05Z",
        "data": base["data"],
    }
    event.update(overrides)
    return event


def reason(event: Any) -> str:
    outcome = request_from_event_json(event if isinstance(event, str) else json.dumps(event))
    assert isinstance(outcome, Rejection), outcome
    assert outcome.reason
    return outcome.reason


def test_a_valid_event_of_either_schema_is_a_request_start_protection_accepts() -> None:
    untimed = {k: v for k, v in cloudevent().items() if k != "time"}  # "time" is optional in CloudEvents
    for event in (eventgrid(), cloudevent(), untimed):
        outcome = request_from_event_json(json.dumps(event))
        assert isinstance(outcome, ProtectionRequest), outcome
        assert outcome.datasource_id == SA
        assert outcome.correlation_id == "c0ffee00-0000-0000-0000-000000000001"
        assert ProtectionRequest.from_dict(outcome.to_message()) == outcome


@pytest.mark.parametrize(
    ("moment", "why"),
    [
        ("0001-01-01T00:00:00+01:00", "outside the range"),
        ("9999-12-31T23:30:00-01:00", "outside the range"),
        ("2026-13-45", "not an RFC 3339 timestamp"),
        ("2026-02-30T00:00:00Z", "not a valid date and time"),
        ("\u00b2026-01-01T00:00:00Z", "not an RFC 3339 timestamp"),
        ("\u0662\u0660\u0662\u0666-01-01T00:00:00Z", "not an RFC 3339 timestamp"),
        ("2026-01-01T00:00:0\u0665Z", "not an RFC 3339 timestamp"),
        ("2026-01-01T24:00:00Z", "not a valid date and time"),
        ("2026-01-01T23:59:60Z", "not a valid date and time"),
        ("2026-01-01T00:00:00+24:00", "not a valid date and time"),
        ("2026-01-01T00:00:00+01:75", "not a valid date and time"),
        ("2026-01-01T00:00:00", "not an RFC 3339 timestamp"),
    ],
)
def test_an_unusable_event_time_is_a_rejection_naming_it(moment: str, why: str) -> None:
    assert why in reason(eventgrid(eventTime=moment))
    assert reason(cloudevent(time=moment)).startswith("time ")


def test_event_times_that_are_instants_are_read_as_utc() -> None:
    assert (
        parse_event_time("2026-01-02T03:04:05.1234567+01:30").isoformat()
        == "2026-01-02T01:34:05.123456+00:00"
    )
    assert parse_event_time("0001-01-01T00:00:00Z").year == 1
    assert parse_event_time("9999-12-31T23:59:59-00:00").year == 9999


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ("{not json", "event: not valid JSON"),
        ("[" * 3000 + "]" * 3000, "event: nested too deeply to be read"),
        ("[1, 2]", "the event is not a JSON object but an array"),
        ("null", "the event is not a JSON object but null"),
        (eventgrid(id=5), "id must be a non-empty string"),
        (eventgrid(id="\ud800"), "id: is not well-formed Unicode text"),
        (eventgrid(id="x" * 201), "id: longer than 200 characters"),
        (eventgrid(eventType=None), "eventType must be a non-empty string"),
        (eventgrid(eventTime=20260101), "eventTime must be an RFC 3339 timestamp string"),
        (eventgrid(subject=["x"]), "subject must be a string"),
        (cloudevent(specversion="0.3"), "specversion must be '1.0'"),
        (cloudevent(source=None), "source must be a non-empty string"),
        (eventgrid(data={**eventgrid()["data"], "status": 1}), "data.status must be a string"),
        (
            eventgrid(data={**eventgrid()["data"], "resourceUri": SA + "\ud800"}),
            "data.resourceUri: is not well",
        ),
        (eventgrid(data={"operationName": "x/write"}, subject=SA + "\x85"), "subject: contains control"),
        (eventgrid(data={**eventgrid()["data"], "correlationId": "a\r\nb"}), "data.correlationId: contains"),
        (eventgrid(data={**eventgrid()["data"], "correlationId": "caf\u00e9"}), "must be printable ASCII"),
        (
            eventgrid(data={**eventgrid()["data"], "operationName": "x" * 5000}),
            "data.operationName: longer than",
        ),
        (eventgrid(data={**eventgrid()["data"], "operationName": "x/delete"}), "is not a write"),
    ],
)
def test_every_unusable_field_is_a_rejection_with_its_reason(event: Any, expected: str) -> None:
    got = reason(event)
    assert expected in got
    assert len(got) <= 1000


def test_a_rejection_keeps_what_identifies_the_event_and_fits_a_queue_message() -> None:
    event = eventgrid(eventTime="2026-13-45", subject="\ud800" * 50_000, id="e-huge")
    outcome = request_from_event(event)
    assert isinstance(outcome, Rejection)
    assert (outcome.event_id, outcome.event_type) == ("e-huge", RESOURCE_WRITE_SUCCESS)
    assert len(json.dumps(outcome.to_dict())) < 48_000  # base64 of it fits a 64 KiB queue message
    assert outcome.subject is not None and len(outcome.subject) == 2048


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ("[" * 3000 + "]" * 3000, "message"),
        ('{"datasource_id": "\\ud800"}', "datasource_id"),
        (b'{"datasource_id": "\xed\xa0\x80"}', "datasource_id"),  # json.loads reads bytes surrogatepass
        ({"datasource_id": SA, "correlation_id": "\ud800"}, "correlation_id"),
        ({"datasource_id": SA, "correlation_id": "a\r\nb"}, "correlation_id"),
        ({"datasource_id": SA, "correlation_id": "with space"}, "correlation_id"),
        ({"datasource_id": SA, "source_event_id": "\udfff"}, "source_event_id"),
        ({"datasource_id": SA, "requested_at": "\x00"}, "requested_at"),
        ({"datasource_id": SA, "origin": "\ud800"}, "origin"),
        ('{"datasource_id": 1' + "0" * 5000 + "}", "message"),
    ],
)
def test_queue_messages_that_cannot_be_carried_to_the_end_are_clear_errors(message: Any, field: str) -> None:
    with pytest.raises(InvalidRequestError) as info:
        ProtectionRequest.from_dict(message)
    assert info.value.field == field


def test_text_checks_and_printable() -> None:
    assert check_text("fuzz-corr-1", "c", header=True) == "fuzz-corr-1"
    assert (
        check_text("na\u00efve \u0665", "t") == "na\u00efve \u0665"
    )  # non-ASCII text is fine where no header
    assert printable("a\ud800b\r\n" + "x" * 500, 10) == "a\\ud800b\\x0d\\x0axxxxx"
    assert printable(None) == "None"


def test_the_queue_constants_match_host_json() -> None:
    host_json = json.loads((Path(__file__).resolve().parents[3] / "host.json").read_text())
    assert host_json["extensions"]["queues"]["maxDequeueCount"] == queues.MAX_DEQUEUE_COUNT


def test_a_poison_entry_always_fits_a_queue_message() -> None:
    small = json.loads(triggers.poison_entry("why", "m1", "body"))
    assert small == {"reason": "why", "messageId": "m1", "message": "body"}
    big = json.loads(triggers.poison_entry("why " * 1000, "m2", "\u00e9" * 48_000))
    assert len(triggers.poison_entry("why " * 1000, "m2", "\u00e9" * 48_000)) <= queues.MAX_POISON_ENTRY
    assert big["truncated"] is True and big["messageLength"] == 48_000
    assert big["message"] == "\u00e9" * len(big["message"]) and big["reason"].startswith("why why")


class _Out:
    def __init__(self) -> None:
        self.value: str | None = None

    def set(self, value: str) -> None:
        self.value = value


class _DownClient:
    async def get_status(self, instance_id: str, show_input: bool = False) -> Any:
        raise RuntimeError("the durable engine is down")


def _run(body: str, dequeue_count: int) -> _Out:
    start = triggers.start_protection._function._func.__wrapped__  # the function as written
    poison = _Out()
    message = QueueMessage(id="m-1", body=body.encode(), dequeue_count=dequeue_count)
    asyncio.run(start(msg=message, poison=poison, client=_DownClient()))
    return poison


def test_start_protection_poisons_a_malformed_message_at_once_with_its_reason() -> None:
    poison = _run("[" * 3000 + "]" * 3000, 1)
    assert poison.value is not None
    entry = json.loads(poison.value)
    assert entry["reason"] == "message: nested too deeply to be read" and entry["messageId"] == "m-1"


def test_start_protection_retries_a_failure_then_poisons_it_with_the_last_error() -> None:
    body = json.dumps({"datasource_id": SA})
    with pytest.raises(RuntimeError):
        _run(body, queues.MAX_DEQUEUE_COUNT - 1)  # raised: the host delivers it again
    poison = _run(body, queues.MAX_DEQUEUE_COUNT)
    assert poison.value is not None
    entry = json.loads(poison.value)
    assert entry["reason"] == (
        f"failed on each of {queues.MAX_DEQUEUE_COUNT} deliveries; "
        "last error: RuntimeError: the durable engine is down"
    )
    assert entry["message"] == body


def _status(created: str, runtime: str = "Completed") -> Any:
    return DurableOrchestrationStatus(
        name="protect_datasource",
        instanceId="i",
        createdTime=created,
        lastUpdatedTime=created,
        runtimeStatus=runtime,
        output={"kind": "skipped"},
    )


class _RacingClient:
    """The instance finished before; between our read and our start, another request restarted it."""

    def __init__(self, after: Any) -> None:
        self.reads = [_status("2026-01-01T00:00:00Z"), after]

    async def get_status(self, instance_id: str, show_input: bool = False) -> Any:
        return self.reads.pop(0)

    async def start_new(self, name: str, instance_id: str, start: Any) -> str:
        raise Exception(f"An Orchestration instance {instance_id} was just created.")


def _start_with(client: Any, monkeypatch: pytest.MonkeyPatch) -> _Out:
    monkeypatch.setattr(triggers, "_options", lambda: None)
    start = triggers.start_protection._function._func.__wrapped__
    poison = _Out()
    message = QueueMessage(id="m-2", body=json.dumps({"datasource_id": SA}).encode(), dequeue_count=1)
    asyncio.run(start(msg=message, poison=poison, client=client))
    return poison


def test_a_start_that_lost_the_race_joins_the_one_that_won(monkeypatch: pytest.MonkeyPatch) -> None:
    for after in (_status("2026-01-01T00:00:05Z"), _status("2026-01-01T00:00:05Z", "Running")):
        assert _start_with(_RacingClient(after), monkeypatch).value is None  # joined: no error, no poison


def test_a_start_refused_for_another_reason_is_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(Exception, match="was just created"):
        _start_with(_RacingClient(_status("2026-01-01T00:00:00Z")), monkeypatch)  # nobody else started it


def test_a_file_share_write_is_a_protection_request_for_the_share() -> None:
    share = f"{SA}/fileServices/default/shares/projects"
    data = {
        "resourceUri": share,
        "operationName": "Microsoft.Storage/storageAccounts/fileServices/shares/write",
        "status": "Succeeded",
        "correlationId": "c0ffee00-0000-0000-0000-000000000002",
    }

    outcome = request_from_event_json(json.dumps(eventgrid(subject=share, data=data)))

    assert isinstance(outcome, ProtectionRequest), outcome
    assert (outcome.datasource_id, outcome.resource_type) == (
        share,
        "Microsoft.Storage/storageAccounts/fileServices/shares",
    )
    assert outcome.correlation_id == data["correlationId"]
    assert outcome.instance_id() != ProtectionRequest(SA, "Microsoft.Storage/storageAccounts").instance_id()
