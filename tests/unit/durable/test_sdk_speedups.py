"""The Durable SDK speed-ups change what is cached, never what the SDK computes."""

from __future__ import annotations

from azure.durable_functions.models.TaskOrchestrationExecutor import TaskOrchestrationExecutor

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
