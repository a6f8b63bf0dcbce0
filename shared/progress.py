"""The status documents of long-running requests (restores, backups now, protection changes): one vocabulary.

Each such request runs as an orchestration that keeps a progress record, publishes its ``view()`` as custom
status and output, and ``status_document`` merges it with the durable instance's metadata for the request's
``GET``. The raw durable status never reaches a caller.

Phases: ``validating`` -> ``starting`` -> ``running`` -> ``succeeded`` | ``failed``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

VALIDATING = "validating"
STARTING = "starting"
RUNNING = "running"
SUCCEEDED = "succeeded"
FAILED = "failed"
PHASES = (VALIDATING, STARTING, RUNNING, SUCCEEDED, FAILED)
TERMINAL = frozenset({SUCCEEDED, FAILED})
_RUNTIME_FAILED = {"Failed", "Terminated", "Canceled"}


def error_view(error: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """``{code, message, recommendedAction}`` from any error dict of our hierarchy (ArmError.to_dict ...)."""
    if not error:
        return None
    actions = error.get("recommendedAction") or []
    return {
        "code": str(error.get("code") or error.get("kind") or "Unknown"),
        "message": str(error.get("message") or error.get("code") or "unknown error")[:2000],
        "recommendedAction": [str(a) for a in actions] if isinstance(actions, list) else [str(actions)],
    }


def status_document(
    instance_id: str,
    runtime_status: str | None,
    custom_status: Any,
    output: Any,
    created_time: str | None,
    last_updated_time: str | None,
    *,
    what: str,
    initial: str = VALIDATING,
) -> dict[str, Any]:
    """Our view of request ``instance_id`` (a ``what``: "restore", ...) from its orchestration's status;
    ``initial``: its phase before the orchestration has said anything."""
    source = output if isinstance(output, Mapping) and output.get("phase") else custom_status
    view: dict[str, Any] = (
        dict(source) if isinstance(source, Mapping) else {"id": instance_id, "phase": initial}
    )
    view["id"] = instance_id
    if view.get("phase") not in PHASES:
        view["phase"] = initial
    if runtime_status in _RUNTIME_FAILED and view["phase"] not in TERMINAL:
        view["phase"] = FAILED
        view["error"] = view.get("error") or {
            "code": f"Orchestration{runtime_status}",
            "message": f"the {what} orchestration ended {runtime_status}",
            "recommendedAction": [f"Check the function app logs for this {what} id, then retry the {what}."],
        }
    view["createdTime"] = created_time
    view["lastUpdatedTime"] = last_updated_time
    return view
