"""The real function_app.py, introspected once: every protection / resource-event binding as declared."""

from __future__ import annotations

import ast
import inspect
from typing import Any

import pytest

from functions import tracking
from functions.protection import orchestrator, queues, run, triggers
from functions.protection.flows import dataprotection, recoveryservices
from local.app_loader import LoadedApp, load_app
from local.azurite import REPO_ROOT

PROTECTION_ACTIVITIES = {
    "read_resource",
    "read_and_plan",
    "validate_for_backup",
    "create_backup_instance",
    "poll_operation",
    "read_backup_instance",
    "list_blob_containers",
    "read_protection_state",  # PROTECTION_STOP_ORPHANS: the lifecycle activities
    "protection_change_call",
    "list_recovery_points",  # PROTECTION_FIRST_BACKUP
    "find_protection_holder",
    "read_vault_principal",
    "assign_role",
    "publish_protection_outcome",
    "rs_refresh_containers",
    "rs_find_protectable_container",
    "rs_find_registered_container",
    "rs_register_container",
    "rs_inquire",
    "rs_find_protectable_share",
    "rs_find_protected_share",
    "rs_protect_share",
    "rs_read_protected_item",
    "find_share_holder",
}


@pytest.fixture(scope="module")
def app() -> LoadedApp:
    return load_app(REPO_ROOT)  # get_functions() may be called only once per app object


def _bindings(app: LoadedApp, name: str) -> dict[str, dict[str, Any]]:
    return {b["name"]: b for b in app.functions[name].bindings}


def test_event_grid_trigger_writes_requests_and_rejects(app: LoadedApp) -> None:
    bindings = _bindings(app, "on_resource_written")

    assert app.functions["on_resource_written"].trigger["type"] == "eventGridTrigger"
    assert set(bindings) == {"event", "requests", "rejects"}
    assert bindings["requests"] == {
        "type": "queue",
        "direction": "OUT",
        "name": "requests",
        "queueName": queues.PROTECTION_REQUESTS,
        "connection": "AzureWebJobsStorage",
    }
    assert bindings["rejects"]["queueName"] == "protection-rejects"
    assert bindings["rejects"]["connection"] == "AzureWebJobsStorage"


def test_queue_trigger_starts_orchestrations_and_poisons_malformed_messages(app: LoadedApp) -> None:
    bindings = _bindings(app, "start_protection")

    assert bindings["msg"]["type"] == "queueTrigger"
    assert bindings["msg"]["queueName"] == "protection-requests"
    assert bindings["msg"]["connection"] == "AzureWebJobsStorage"
    assert bindings["poison"]["type"] == "queue" and bindings["poison"]["direction"] == "OUT"
    assert bindings["poison"]["queueName"] == "protection-requests-poison"
    assert bindings["client"]["type"] == "durableClient"
    assert app.functions[triggers.ORCHESTRATOR].trigger["type"] == "orchestrationTrigger"


def test_protection_activities_are_declared(app: LoadedApp) -> None:
    activities = {name for name, spec in app.functions.items() if spec.trigger["type"] == "activityTrigger"}

    assert activities >= PROTECTION_ACTIVITIES
    for name in PROTECTION_ACTIVITIES:
        assert app.functions[name].trigger["name"] == "payload"


def _activities_called_by(*modules: object) -> set[str]:
    """String literals passed as the activity name to ``call(context, "<name>", ...)``, to
    ``run.call("<name>", ...)`` or to ``run.start_and_track("<name>", ...)`` (an activity that starts an
    operation, then tracks it), and the modules' ``*_ACTIVITY`` constants."""
    names: set[str] = set()
    for module in modules:
        names.update(v for k, v in vars(module).items() if k.endswith("_ACTIVITY") and isinstance(v, str))
        for node in ast.walk(ast.parse(inspect.getsource(module))):  # type: ignore[arg-type]
            if not isinstance(node, ast.Call):
                continue
            target = None
            if getattr(node.func, "id", None) == "call" and len(node.args) >= 2:
                target = node.args[1]
            elif getattr(node.func, "attr", None) in ("call", "start_and_track") and node.args:
                target = node.args[0]
            if isinstance(target, ast.Constant) and isinstance(target.value, str):
                names.add(target.value)
    return names


def test_every_activity_the_orchestrator_calls_exists(app: LoadedApp) -> None:
    called = _activities_called_by(orchestrator, run, dataprotection, recoveryservices)
    called |= {tracking.POLL_ACTIVITY}

    assert called == PROTECTION_ACTIVITIES
    for name in called:
        assert app.functions[name].trigger["type"] == "activityTrigger", name


def test_every_http_route_needs_a_function_key_except_the_openapi_document(app: LoadedApp) -> None:
    routes = {
        name: spec.trigger for name, spec in app.functions.items() if spec.trigger["type"] == "httpTrigger"
    }
    for name, trigger in routes.items():
        if trigger.get("route", "").startswith("openapi"):
            assert trigger["methods"] == ["GET"], name
            continue
        assert trigger["authLevel"] == "FUNCTION", f"{name} ({trigger.get('route')}) must need a key"


def test_the_openapi_document_describes_exactly_the_http_routes_the_app_serves(app: LoadedApp) -> None:
    from functions.openapi import openapi_document

    served = {
        (method.lower(), "/api/" + spec.trigger["route"])
        for spec in app.functions.values()
        if spec.trigger["type"] == "httpTrigger"
        for method in spec.trigger["methods"]
    }
    documented = {(method, path) for path, item in openapi_document()["paths"].items() for method in item}
    assert served == documented
    assert ("post", "/api/backups") in served and ("post", "/api/protection-changes") in served


def test_every_function_has_exactly_one_trigger(app: LoadedApp) -> None:
    for name, spec in app.functions.items():
        triggers_ = [b for b in spec.bindings if b["type"].endswith("Trigger")]
        assert len(triggers_) == 1, name


def test_host_json_queue_settings_bound_retries(app: LoadedApp) -> None:
    queues_json = app.host_json["extensions"]["queues"]

    assert queues_json["maxDequeueCount"] == 5
    assert queues_json["messageEncoding"] == "base64"
    assert app.host_json["extensions"]["durableTask"]["hubName"] == "BackupAutopilot"
