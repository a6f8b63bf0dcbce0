"""The Durable SDK speed-ups change what is cached, never what the SDK computes."""

from __future__ import annotations

import pytest
from azure.durable_functions.models.TaskOrchestrationExecutor import TaskOrchestrationExecutor
from dateutil.parser import parse as dateutil_parse

from local.durable import sdk_speedups


def test_the_executor_reuses_one_payload_class_with_the_same_values() -> None:
    sdk_speedups.install()
    assert sdk_speedups.installed()
    first, second = TaskOrchestrationExecutor(), TaskOrchestrationExecutor()
    payloads = list(first.event_to_SetTaskValuePayload.values())
    assert type(payloads[0]) is type(next(iter(second.event_to_SetTaskValuePayload.values())))
    assert first.event_to_SetTaskValuePayload == second.event_to_SetTaskValuePayload
    assert {(p.is_success, p.task_id_key) for p in payloads} >= {
        (True, "TaskScheduledId"),
        (False, "TaskScheduledId"),
    }


def test_other_namedtuples_are_made_as_collections_makes_them() -> None:
    made = sdk_speedups.memo_namedtuple("Pair", "left right", defaults=(0,))
    assert made._fields == ("left", "right") and made(1).right == 0


@pytest.mark.parametrize(
    "value",
    [
        "2026-12-01T23:20:16.1290000Z",
        "2026-12-01T23:20:16.1234567Z",
        "2026-12-01T23:20:16.9999999Z",
        "2026-12-01T23:20:16.5Z",
        "2026-12-01T23:20:16Z",
        "2026-02-28T00:00:00.0000001Z",
        "2026-12-01T23:20:16.129+01:00",
        "2026-12-01 23:20:16",
        "0001-01-01T00:00:00Z",
    ],
)
def test_timestamps_parse_exactly_as_dateutil_parses_them(value: str) -> None:
    mine, theirs = sdk_speedups.parse_time(value), dateutil_parse(value)
    assert (mine, mine.tzinfo, mine.utcoffset()) == (theirs, theirs.tzinfo, theirs.utcoffset())
    assert mine.isoformat() == theirs.isoformat()
