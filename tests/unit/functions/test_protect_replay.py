"""``protect_datasource`` replayed by the Durable SDK (``Orchestrator.create``) over a hand-built history."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import azure.durable_functions as df

from functions.protection import orchestrator
from local.durable.episode import UPPER_SCHEMA_VERSION, UPPER_SCHEMA_VERSION_NEW
from local.durable.history import EventType, event, format_time
from shared.protection.messages import ProtectionRequest
from shared.protection.plan import plan_protection
from tests.unit.functions.test_protect_orchestrator import ACCOUNT, DATASOURCE, RULES

T0 = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
INSTANCE = "protect-replay"


def _played(kind: EventType, when: datetime, event_id: int = -1, **fields: Any) -> dict[str, Any]:
    return {**event(kind, when, event_id, **fields), "IsPlayed": True}


def _completed_task(
    history: list[dict[str, Any]], task_id: int, name: str, result: Any, when: datetime
) -> None:
    history.append(_played(EventType.TASK_SCHEDULED, when, task_id, Name=name, Version=""))
    history.append(_played(EventType.ORCHESTRATOR_COMPLETED, when))
    history.append(_played(EventType.ORCHESTRATOR_STARTED, when + timedelta(seconds=1)))
    history.append(
        _played(EventType.TASK_COMPLETED, when, TaskScheduledId=task_id, Result=json.dumps(result))
    )


def _replay(history: list[dict[str, Any]], request: dict[str, Any]) -> dict[str, Any]:
    handle = df.Orchestrator.create(orchestrator.protect_datasource._function._func.orchestrator_function)
    body = {
        "history": history,
        "input": json.dumps(request),
        "instanceId": INSTANCE,
        "isReplaying": False,
        "parentInstanceId": None,
        "upperSchemaVersion": UPPER_SCHEMA_VERSION,
        "upperSchemaVersionNew": UPPER_SCHEMA_VERSION_NEW,
    }
    return dict(json.loads(handle(json.dumps(body))))


def _history_until_validation_started(retry_after: float) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    request = ProtectionRequest(DATASOURCE, "Microsoft.Storage/storageAccounts").to_dict()
    plan = plan_protection(ProtectionRequest.from_dict(request), ACCOUNT, RULES)
    history = [
        _played(EventType.ORCHESTRATOR_STARTED, T0),
        _played(
            EventType.EXECUTION_STARTED, T0, Name="protect_datasource", Version="", Input=json.dumps(request)
        ),
    ]
    _completed_task(history, 0, "read_resource", {"found": True, "resource": ACCOUNT}, T0)
    planned = {"plan": plan.to_dict(), "grant_roles": False, "role_propagation_seconds": 60.0}
    _completed_task(history, 1, "plan_protection", planned, T0 + timedelta(seconds=1))
    started = {
        "status": 202,
        "body": None,
        "operation": {
            "status_url": "http://arm/op/1",
            "result_url": None,
            "retry_after_seconds": retry_after,
        },
    }
    _completed_task(history, 2, "validate_for_backup", started, T0 + timedelta(seconds=2))
    # The new episode: the SDK's current_utc_datetime is this OrchestratorStarted's timestamp.
    history[-1]["IsPlayed"] = False
    history.insert(-1, {**history.pop(-2), "IsPlayed": False})
    return history, request


CALL_ACTIVITY_WITH_RETRY = 1
CREATE_TIMER = 5


def _flatten(items: Any) -> list[dict[str, Any]]:
    """Actions as the SDK reports them (schema v2 nests each in ``compoundActions``), flattened."""
    if isinstance(items, list):
        return [a for item in items for a in _flatten(item)]
    if isinstance(items, dict) and "compoundActions" in items:
        return _flatten(items["compoundActions"])
    return [items]


def _new_actions(result: dict[str, Any]) -> list[dict[str, Any]]:
    return _flatten(result["actions"])


def test_the_poll_timer_fires_after_the_retry_after_of_the_operation() -> None:
    history, request = _history_until_validation_started(retry_after=45.0)
    episode_start = T0 + timedelta(seconds=3)

    result = _replay(history, request)

    assert result["isDone"] is False
    actions = _new_actions(result)
    assert [a["actionType"] for a in actions] == [CALL_ACTIVITY_WITH_RETRY] * 3 + [CREATE_TIMER]
    timer = actions[-1]
    assert timer["fireAt"].startswith(format_time(episode_start + timedelta(seconds=45))[:19])
    assert result["customStatus"] == {"phase": "validating", "datasourceId": DATASOURCE, "attempt": 1}


def test_replayed_activities_carry_their_names_inputs_and_retry_options() -> None:
    history, request = _history_until_validation_started(retry_after=10.0)

    actions = _new_actions(_replay(history, request))

    names = [a.get("functionName") for a in actions if a["actionType"] == CALL_ACTIVITY_WITH_RETRY]
    assert names == ["read_resource", "plan_protection", "validate_for_backup"]
    read = actions[0]
    assert json.loads(read["input"]) == {"resource_id": DATASOURCE, "api_version": "2023-05-01"}
    assert read["retryOptions"]["maxNumberOfAttempts"] == 8
    assert read["retryOptions"]["firstRetryIntervalInMilliseconds"] == 10_000
