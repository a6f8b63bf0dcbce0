"""Hostile input against the protection pipeline's entry points, on the real stack (Azurite, the emulated
cloud, the local host running ``function_app.py``).

Hypothesis generates Event Grid batches in both schemas (Event Grid and CloudEvents 1.0) and queue messages
for ``start_protection``: valid ones mixed with mutated ones whose fields are lone surrogates, huge strings,
documents nested as deep as the host reads, extreme and unparsable dates (``0001-01-01T00:00:00+01:00``,
``9999-12-31T23:30:00-01:00``, ``2026-13-45``), non-ASCII digits (superscript two, Arabic-Indic five and
others), values of the wrong type or missing, and events that are not objects at all. What must hold:

- the webhook never answers 5xx: a batch is 202 (every event handled), a body the host cannot read is 400;
- nothing is lost: every generated event ends either as a protection request or on ``protection-rejects``
  with a non-empty reason (counted through the host's own records of each invocation and output binding);
  every valid event becomes a request;
- every generated queue message ends either as a started orchestration (its instance exists) or on the
  poison queue wrapped with its reason, at once (the messages named in issue 12 among them);
- afterwards the host still serves: a real resource write is still protected.

Bounded: about 200 events per schema and 100 queue messages (``derandomize=True``, no example database).
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from functions.protection.queues import PROTECTION_REJECTS, PROTECTION_REQUESTS, PROTECTION_REQUESTS_POISON
from local.stack import LocalStack
from shared.errors import InvalidRequestError
from shared.protection.messages import ProtectionRequest, printable
from tests.integration.protection.support import (
    PROD,
    Outcomes,
    account_body,
    account_id,
    host_log,
    put_account,
    queue,
    stack_config,
    webhook_url,
)

pytestmark = pytest.mark.integration

DEMO_RULES = Path(__file__).resolve().parents[2] / "local" / "demo" / "rules.yaml"
RWS = "Microsoft.Resources.ResourceWriteSuccess"
BATCHES_PER_SCHEMA = 60  # of 1 to 6 events: about 200 events per schema
MESSAGES = 100
EVENT_RESOURCES = [account_id(PROD, "rg-data-weu", f"stfuzzev{i}") for i in range(4)]  # none exists
DELETE = object()  # a mutation that removes the field

FUZZ_SETTINGS = settings(
    deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)


# -- strategies --------------------------------------------------------------------------------------


def nested(depth: int, opener: str) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = [value] if opener == "[" else {"k": value}
    return value


@dataclass(frozen=True)
class Deep:
    """A document nested ``depth`` deep, kept as its JSON text (too deep for ``json.dumps`` to write)."""

    depth: int
    opener: str

    def text(self) -> str:
        if self.opener == "[":
            return "[" * self.depth + '"leaf"' + "]" * self.depth
        return '{"k": ' * self.depth + '"leaf"' + "}" * self.depth


def to_json(value: Any) -> str:
    """``json.dumps``, except that a :class:`Deep` value is written as its text."""
    if isinstance(value, Deep):
        return value.text()
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))}: {to_json(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


SURROGATES = st.text(
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, categories=["Cs"]), min_size=1, max_size=4
)
ODD_DIGITS = st.sampled_from(
    [
        "\u00b2",
        "\u0665",
        "\u0660\u0661\u0662\u0663",
        "\uff12\uff10\uff12\uff16",
        "\u07c0",
        "\U0001d7d8\U0001d7d9",
        "\u00b9\u00b2\u00b3",
    ]
)
CONTROL = st.sampled_from(["\r\n", "\x00", "a\tb", "\x7f", "\x85", "line\nbreak"])


def huge(max_reps: int) -> st.SearchStrategy[str]:
    pieces = st.sampled_from(["a", "é", "\ud800", "/", "%2f", "😀", "../"])
    return st.builds(lambda piece, n: piece * n, pieces, st.integers(max_reps // 4, max_reps))


def texts(max_reps: int) -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(max_size=30),
        SURROGATES,
        ODD_DIGITS,
        CONTROL,
        huge(max_reps),
        st.builds(lambda a, b: a + b, st.sampled_from(EVENT_RESOURCES), st.one_of(SURROGATES, ODD_DIGITS)),
    )


def wrong_types(max_depth: int, deep: Any = nested) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=True, allow_infinity=True),
        st.lists(st.integers(), max_size=3),
        st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
        st.builds(deep, st.integers(2, max_depth), st.sampled_from(["[", "{"])),
    )


def hostile(max_reps: int = 20_000, max_depth: int = 55, deep: Any = nested) -> st.SearchStrategy[Any]:
    return st.one_of(texts(max_reps), wrong_types(max_depth, deep))


BAD_DATES = [
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:30:00-01:00",
    "2026-13-45",
    "2026-02-30T00:00:00Z",
    "\u00b2026-01-01T00:00:00Z",
    "\u0662\u0660\u0662\u0666-\u0660\u0661-\u0660\u0661T00:00:00Z",
    "2026-01-01T24:00:00Z",
    "2026-01-01T23:59:60Z",
    "2026-01-01T00:00:00+24:00",
    "2026-01-01T00:00:00",
    "2026-01-01",
    "",
    "now",
]
VALID_TIMES = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)).map(
    lambda moment: moment.isoformat() + "Z"
)
DATES = st.one_of(st.sampled_from(BAD_DATES), VALID_TIMES, hostile())

EVENT_FIELDS = {
    "eventgrid": [
        "id",
        "eventType",
        "subject",
        "eventTime",
        "topic",
        "dataVersion",
        "metadataVersion",
        "data",
    ],
    "cloudevents": ["specversion", "id", "source", "type", "time", "subject", "datacontenttype", "data"],
}
DATA_FIELDS = ["data.resourceUri", "data.operationName", "data.status", "data.correlationId", "data.extra"]
TIME_FIELDS = {"eventTime", "time"}


def _mutation(path: str) -> st.SearchStrategy[tuple[str, Any]]:
    values = DATES if path in TIME_FIELDS else hostile()
    return st.tuples(st.just(path), st.one_of(st.just(DELETE), values))


@dataclass(frozen=True)
class EventCase:
    kind: str  # valid | mutated | replaced
    resource: str
    moment: str
    mutations: tuple[tuple[str, Any], ...] = ()
    replacement: Any = None


def event_cases(schema: str) -> st.SearchStrategy[EventCase]:
    paths = st.sampled_from(EVENT_FIELDS[schema] + DATA_FIELDS)
    return st.builds(
        EventCase,
        kind=st.sampled_from(["valid", "valid", "mutated", "mutated", "mutated", "replaced"]),
        resource=st.sampled_from(EVENT_RESOURCES),
        moment=VALID_TIMES,
        mutations=st.lists(paths.flatmap(_mutation), min_size=1, max_size=3).map(tuple),
        replacement=hostile(),
    )


def build_event(schema: str, case: EventCase, event_id: str) -> Any:
    if case.kind == "replaced":
        return case.replacement
    data = {
        "resourceUri": case.resource,
        "operationName": "Microsoft.Storage/storageAccounts/write",
        "status": "Succeeded",
        "subscriptionId": PROD,
        "correlationId": f"corr-{event_id}",
    }
    event: dict[str, Any]
    if schema == "eventgrid":
        event = {
            "id": event_id,
            "topic": f"/subscriptions/{PROD}",
            "subject": case.resource,
            "eventType": RWS,
            "eventTime": case.moment,
            "dataVersion": "2",
            "metadataVersion": "1",
            "data": data,
        }
    else:
        event = {
            "specversion": "1.0",
            "id": event_id,
            "source": f"/subscriptions/{PROD}",
            "type": RWS,
            "subject": case.resource,
            "time": case.moment,
            "datacontenttype": "application/json",
            "data": data,
        }
    if case.kind == "mutated":
        for path, value in case.mutations:
            target: Any = event
            keys = path.split(".")
            for key in keys[:-1]:
                target = target.get(key) if isinstance(target, dict) else None
            if not isinstance(target, dict):
                continue  # its parent was replaced by an earlier mutation
            if value is DELETE:
                target.pop(keys[-1], None)
            else:
                target[keys[-1]] = value
    return event


MESSAGE_FIELDS = [
    "datasource_id",
    "resource_type",
    "source_event_id",
    "correlation_id",
    "requested_at",
    "dry_run",
    "origin",
    "extra",
]


@dataclass(frozen=True)
class MessageCase:
    kind: str  # valid | mutated | raw | bytes
    origin: str
    dry_run: bool
    mutations: tuple[tuple[str, Any], ...] = ()
    raw: str = ""


MESSAGE_VALUES = hostile(1_000, 3_000, Deep)  # three huge values still fit in one queue message
RAW_TEXTS = st.one_of(
    st.text(max_size=50),
    huge(3_000),
    st.builds(
        lambda depth, opener: Deep(depth, opener).text(), st.integers(50, 3_000), st.sampled_from("[{")
    ),
    st.builds(lambda value: to_json({"datasource_id": value}), MESSAGE_VALUES),
    st.builds(to_json, wrong_types(3_000, Deep)),
)


def message_cases() -> st.SearchStrategy[MessageCase]:
    paths = st.sampled_from(MESSAGE_FIELDS)
    return st.builds(
        MessageCase,
        kind=st.sampled_from(["valid"] * 4 + ["mutated"] * 4 + ["raw"] * 3 + ["bytes"]),
        origin=st.sampled_from(["event", "sweep", "manual"]),
        dry_run=st.booleans(),
        mutations=st.lists(
            st.tuples(paths, st.one_of(st.just(DELETE), MESSAGE_VALUES)), min_size=1, max_size=3
        ).map(tuple),
        raw=RAW_TEXTS,
    )


def build_message(case: MessageCase, n: int) -> bytes:
    if case.kind == "raw":
        return case.raw.encode("utf-8", "surrogatepass")
    if case.kind == "bytes":  # not UTF-8 at all: lone surrogates written raw, a stray byte
        return (
            b'{"datasource_id": "\xed\xa0\x80' + case.raw[:100].encode("utf-8", "surrogatepass") + b'\xff"}'
        )
    message: dict[str, Any] = {
        "datasource_id": account_id(PROD, "rg-data-weu", f"stfuzzq{n}"),
        "resource_type": "Microsoft.Storage/storageAccounts",
        "source_event_id": f"fuzz-{n}",
        "correlation_id": f"fuzz-corr-{n}",
        "requested_at": "2026-01-01T00:00:00Z",
        "dry_run": case.dry_run,
        "origin": case.origin,
    }
    if case.kind == "mutated":
        for key, value in case.mutations:
            if value is DELETE:
                message.pop(key, None)
            else:
                message[key] = value
    return to_json(message).encode()


# -- the stack and its records ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with LocalStack(stack_config("fuzz", DEMO_RULES)) as running:
        yield running


def records(stack: LocalStack, since: int) -> list[dict[str, Any]]:
    """The host's JSON log records written after character ``since`` of its log."""
    out = []
    for line in host_log(stack)[since:].splitlines():
        if line.startswith("{"):
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
    return out


def drain(stack: LocalStack, name: str) -> list[Any]:
    """Remove and return every message of a queue nobody consumes (decoded; JSON when it is)."""
    client = queue(stack, name)
    out: list[Any] = []
    while True:
        batch = list(client.receive_messages(messages_per_page=32, max_messages=32, visibility_timeout=300))
        if not batch:
            return out
        for message in batch:
            text = base64.b64decode(str(message.content)).decode("utf-8", errors="replace")
            try:
                out.append(json.loads(text))
            except (ValueError, RecursionError):
                out.append(text)
            client.delete_message(message)


def settle(stack: LocalStack, timeout: float = 90.0) -> None:
    """Wait until ``start_protection`` has taken every request (visible or in flight) off its queue."""
    client = queue(stack, PROTECTION_REQUESTS)
    deadline = time.monotonic() + timeout
    while client.get_queue_properties().approximate_message_count:
        assert time.monotonic() < deadline, "protection requests still queued"
        time.sleep(0.5)


def post(stack: LocalStack, body: bytes, schema: str) -> httpx.Response:
    headers = (
        {"aeg-event-type": "Notification", "content-type": "application/json"}
        if schema == "eventgrid"
        else {"content-type": "application/cloudevents-batch+json; charset=utf-8"}
    )
    return httpx.post(webhook_url(stack), content=body, headers=headers, timeout=120)


@dataclass
class Tally:
    events: int = 0
    batches: int = 0
    valid_ids: list[str] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)


# -- events ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("schema", ["eventgrid", "cloudevents"])
def test_every_generated_event_is_requested_or_rejected_with_its_reason(
    stack: LocalStack, schema: str
) -> None:
    drain(stack, PROTECTION_REJECTS)
    since = len(host_log(stack))
    tally = Tally()
    named = EventCase("replaced", EVENT_RESOURCES[0], "2026-01-01T00:00:00Z")

    @given(batch=st.lists(event_cases(schema), min_size=1, max_size=6))
    @example(
        batch=[
            EventCase("mutated", r, "x", (("eventTime" if schema == "eventgrid" else "time", d),))
            for r, d in zip(EVENT_RESOURCES * 4, BAD_DATES, strict=False)
        ]
        + [EventCase("valid", EVENT_RESOURCES[1], "2026-01-01T00:00:00.1234567Z")]
    )
    @example(
        batch=[
            EventCase(
                "mutated",
                EVENT_RESOURCES[2],
                "2026-01-01T00:00:00Z",
                (("id", "\ud800"), ("subject", "\udfff" * 3)),
            ),
            EventCase("valid", EVENT_RESOURCES[2], "2026-01-01T00:00:00Z"),
            named,
        ]
    )
    @settings(FUZZ_SETTINGS, max_examples=BATCHES_PER_SCHEMA)
    def deliver(batch: list[EventCase]) -> None:
        events = []
        for case in batch:
            tally.events += 1
            event_id = f"fz-{schema}-{tally.events}"
            events.append(build_event(schema, case, event_id))
            if case.kind == "valid":
                tally.valid_ids.append(event_id)
        tally.batches += 1
        response = post(stack, json.dumps(events).encode(), schema)
        tally.statuses.append(response.status_code)
        assert response.status_code == 202, (response.status_code, response.text[:300])

    deliver()

    logs = records(stack, since)
    mine = [r for r in logs if r.get("functionName") == "on_resource_written"]
    executed = [r for r in mine if str(r.get("message", "")).startswith("Executed 'on_resource_written'")]
    wrote = [str(r.get("message", "")) for r in mine if r.get("logger") == "local.host.dispatcher"]
    enqueued = sum(
        m == f"on_resource_written wrote 1 message(s) to queue {PROTECTION_REQUESTS}" for m in wrote
    )
    rejected = sum(
        m == f"on_resource_written wrote 1 message(s) to queue {PROTECTION_REJECTS}" for m in wrote
    )
    rejects = drain(stack, PROTECTION_REJECTS)
    print(
        f"{schema}: {tally.events} events in {tally.batches} batches ({len(tally.valid_ids)} built valid): "
        f"{enqueued} enqueued, {rejected} rejected"
    )
    assert tally.events >= 150
    assert set(tally.statuses) == {202}
    assert len(executed) == tally.events
    assert all("(Succeeded" in str(r["message"]) for r in executed)
    assert enqueued + rejected == tally.events  # nothing lost
    assert len(rejects) == rejected
    assert all(isinstance(r, dict) and isinstance(r.get("reason"), str) and r["reason"] for r in rejects)
    requested = {
        str(r["message"]).split(" ")[1].rstrip(":")
        for r in mine
        if str(r.get("message", "")).startswith("event ") and "protection requested for" in str(r["message"])
    }
    assert set(tally.valid_ids) <= requested  # every valid event became a request
    assert not {r.get("event_id") for r in rejects} & set(tally.valid_ids)
    assert rejected >= tally.events // 3 and enqueued >= len(tally.valid_ids)


@pytest.mark.parametrize(
    "body",
    [
        b"{this is not json",
        b"",
        b"\xff\xfe\xfd",
        b"null",
        b"5",
        b'"an event"',
        b"[" * 65 + b"]" * 65,
        b"[" * 5000 + b"]" * 5000,
        json.dumps([nested(64, "{")]).encode(),
    ],
)
def test_a_body_the_host_cannot_read_is_a_400_and_reaches_no_function(stack: LocalStack, body: bytes) -> None:
    since = len(host_log(stack))
    response = post(stack, body, "eventgrid")
    assert response.status_code == 400, response.text
    assert response.text  # the reason
    assert not [r for r in records(stack, since) if r.get("functionName") == "on_resource_written"]


def test_ill_formed_utf8_in_an_event_is_replaced_as_the_host_reads_it(stack: LocalStack) -> None:
    drain(stack, PROTECTION_REJECTS)
    body = b'[{"id": "bad-\xff\xfe-utf8", "eventType": "' + RWS.encode() + b'", "subject": "x\xed\xa0\x80"}]'
    response = post(stack, body, "eventgrid")
    assert response.status_code == 202, response.text
    (rejection,) = drain(stack, PROTECTION_REJECTS)
    assert rejection["event_id"] == "bad-\ufffd\ufffd-utf8"
    assert rejection["reason"] == "eventTime must be an RFC 3339 timestamp string"


# -- queue messages ----------------------------------------------------------------------------------


def test_every_generated_message_starts_an_orchestration_or_is_poisoned_with_its_reason(
    stack: LocalStack,
) -> None:
    settle(stack)  # the events' requests are all taken: none of them can land on the poison queue below
    assert drain(stack, PROTECTION_REQUESTS_POISON) == []  # and none of them did
    requests = queue(stack, PROTECTION_REQUESTS)
    sent: dict[str, bytes] = {}

    @given(case=message_cases())
    @example(case=MessageCase("raw", "event", False, raw="[" * 3000 + "]" * 3000))
    @example(case=MessageCase("raw", "event", False, raw='{"datasource_id": "\\ud800"}'))
    @example(case=MessageCase("mutated", "event", False, (("correlation_id", "\ud800"),)))
    @example(case=MessageCase("mutated", "event", False, (("correlation_id", "a\r\nb"),)))
    @example(case=MessageCase("bytes", "event", False, raw="\ud800"))
    @settings(FUZZ_SETTINGS, max_examples=MESSAGES)
    def send(case: MessageCase) -> None:
        body = build_message(case, len(sent))
        assert len(body) <= 48_000  # a queue message holds 64 KiB of base64
        message = requests.send_message(base64.b64encode(body).decode())
        sent[message.id] = body

    send()

    expected_poison: dict[str, str] = {}
    expected_started: dict[str, str] = {}
    for message_id, body in sent.items():
        try:  # what start_protection sees: the body as text, ill-formed UTF-8 replaced (as the host reads it)
            expected_started[message_id] = ProtectionRequest.from_dict(
                body.decode("utf-8", "replace")
            ).instance_id()
        except InvalidRequestError as exc:
            expected_poison[message_id] = exc.message

    poisoned: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + 90
    while len(poisoned) < len(expected_poison) and time.monotonic() < deadline:
        for entry in drain(stack, PROTECTION_REQUESTS_POISON):
            assert isinstance(entry, dict), f"a poison entry without its reason: {str(entry)[:300]}"
            poisoned[str(entry.get("messageId"))] = entry
        time.sleep(0.5)
    print(
        f"queue: {len(sent)} messages: {len(expected_started)} valid, {len(expected_poison)} malformed; "
        f"{len(poisoned)} poisoned"
    )
    assert len(sent) >= MESSAGES
    unexpected = {key: entry["reason"] for key, entry in poisoned.items() if key not in expected_poison}
    assert not unexpected, unexpected
    assert set(poisoned) == set(expected_poison)
    for message_id, entry in poisoned.items():
        assert entry["reason"] == printable(expected_poison[message_id], 2000)
        assert "truncated" in entry or entry["message"] == sent[message_id].decode("utf-8", "replace")
    assert len(expected_started) >= 15 and len(expected_poison) >= 20

    missing = set(expected_started.values())
    deadline = time.monotonic() + 90
    while missing and time.monotonic() < deadline:
        missing = {instance for instance in missing if stack.durable_status(instance) is None}
        time.sleep(0.5)
    assert not missing, f"{len(missing)} valid messages started no orchestration"
    time.sleep(1.0)  # nothing arrives late: no message went to poison after its retries
    assert drain(stack, PROTECTION_REQUESTS_POISON) == []


# -- afterwards ------------------------------------------------------------------------------------


def test_the_host_still_serves_a_real_write_is_still_protected(stack: LocalStack) -> None:
    outcomes = Outcomes(stack)
    start = outcomes.mark()
    resource = account_id(PROD, "rg-data-weu", "stfuzzafter")
    put_account(stack, resource, account_body())
    got = outcomes.wait_for([resource], timeout=90, start=start)[resource]
    assert got["kind"] == "protected", got
    assert stack.host is not None and stack.host.process is not None and stack.host.process.poll() is None
