"""The Event Grid webhook reads a body as the extension does, and binds each event as the worker does."""

from __future__ import annotations

import json
from typing import Any

import azure.functions as func
import pytest

from local.app_loader import FunctionSpec
from local.host.eventgrid import MAX_DEPTH, EventGridBodyError, read_events, takes_text, to_event
from local.host.queues import QueueBindingError, decode, encode_bytes


def nested(depth: int) -> Any:
    value: Any = 0
    for _ in range(depth):
        value = [value]
    return value


def test_an_object_is_a_batch_of_one_and_an_array_a_batch() -> None:
    assert read_events(b'{"id": "a"}') == [{"id": "a"}]
    assert read_events(b'[{"id": "a"}, 5, "x"]') == [{"id": "a"}, 5, "x"]  # each element is dispatched
    assert read_events(b'\xef\xbb\xbf[{"id": "bom"}]') == [{"id": "bom"}]  # ReadAsStringAsync drops a BOM


def test_ill_formed_utf8_becomes_replacement_characters_as_the_host_reads_it() -> None:
    assert read_events(b'[{"id": "a\xffb"}]') == [{"id": "a\ufffdb"}]


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"{not json", "not JSON"),
        (b"", "not JSON"),
        (b"\xff\xfe\xfd", "not JSON"),
        (b"null", "must be a JSON object or array, not NoneType"),
        (b'"x"', "must be a JSON object or array, not str"),
        (json.dumps(nested(MAX_DEPTH + 1)).encode(), f"nested deeper than {MAX_DEPTH} levels"),
        (b"[" * 5000 + b"]" * 5000, f"nested deeper than {MAX_DEPTH} levels"),
    ],
)
def test_a_body_the_reader_cannot_read_is_refused_with_the_reason(body: bytes, why: str) -> None:
    with pytest.raises(EventGridBodyError) as info:
        read_events(body)
    assert why in str(info.value)


def test_the_deepest_body_the_reader_reads() -> None:
    assert read_events(json.dumps(nested(MAX_DEPTH)).encode()) == [nested(MAX_DEPTH - 1)]


def _spec(function: Any) -> FunctionSpec:
    trigger = {"type": "eventGridTrigger", "name": "event", "direction": "IN"}
    return FunctionSpec("f", trigger, (trigger,), function)


def test_a_str_parameter_gets_the_json_text_otherwise_the_workers_converter() -> None:
    def as_text(event: str) -> None: ...

    def as_event(event: func.EventGridEvent) -> None: ...

    assert takes_text(_spec(as_text)) is True
    assert takes_text(_spec(as_event)) is False
    with pytest.raises(ValueError):  # the converter fails the invocation on a time it cannot read
        to_event({"id": "x", "eventType": "t", "eventTime": "2026-13-45", "data": {}})


def test_queue_bodies_are_decoded_as_the_extension_does() -> None:
    assert decode(encode_bytes(b'{"a": "\xed\xa0\x80"}', "base64"), "base64") == '{"a": "\ufffd\ufffd\ufffd"}'
    with pytest.raises(QueueBindingError):
        decode("not base64!", "base64")
    assert decode("plain", "none") == "plain"
