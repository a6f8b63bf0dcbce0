"""Decide, from a resource as read from ARM and the rules, what protecting it means. Pure: no I/O.

The plan is plain data (it crosses activity boundaries): the action (protect, skip, dry run), the reason,
the vault, policy and the service's request body (``instance``), and exactly the role assignments the vault
identity needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.arm.ids import parse_resource_id
from shared.arm.steps import ResourceRead
from shared.errors import BackupAutopilotError
from shared.protection.kinds import BackupService, DatasourceKind, ProtectionTarget, kind_for_type
from shared.protection.messages import ProtectionRequest
from shared.protection.rules import Rules, SkipReason
from shared.records import Record
from shared.services import dataprotection as dp

PROTECT = "protect"
SKIP = "skip"
DRY_RUN = "dry_run"


@dataclass(frozen=True)
class ProtectionPlan(Record):
    action: str
    reason: str
    datasource_id: str
    kind: str | None = None
    skip_reason: str | None = None
    rule: str | None = None
    vault_id: str | None = None
    policy_id: str | None = None
    backup_instance_name: str | None = None
    backup_instance_id: str | None = None
    instance: dict[str, Any] | None = None
    roles: list[dict[str, str]] = field(default_factory=list)  # RoleAssignmentNeed.to_dict() each
    #: Vaulted blob backup: the rule's container selection ({"names": [...], "prefixes": [...]}; None: all).
    containers: dict[str, list[str]] | None = None


@dataclass(frozen=True)
class PlanRead(Record):
    """GET ``resource_id`` and plan the protection over what was read (the ``read_and_plan`` activity): the
    datasource itself, or, with ``datasource`` given (as read before), the resource it is located by."""

    request: ProtectionRequest
    resource_id: str
    api_version: str
    datasource: dict[str, Any] | None = None
    dry_run: bool = False


@dataclass(frozen=True)
class PlannedRead(Record):
    """The read, and the plan once everything it needs was read (None: an error, not found, or the
    resource the datasource is located by is still to be read)."""

    read: ResourceRead
    plan: ProtectionPlan | None = None


def located_by_to_read(kind: DatasourceKind, datasource_id: str, resource: Mapping[str, Any]) -> str | None:
    """The resource to read before planning, when the datasource carries no location of its own (a
    PostgreSQL single-server database: its server; a file share: its storage account); None: plan now."""
    return None if _location(resource) else kind.located_by_id(datasource_id)


def plan_after_read(payload: PlanRead, read: ResourceRead, rules: Rules) -> PlannedRead:
    """``read`` (of ``payload.resource_id``) with the plan, once it completes the plan's inputs."""
    if read.error is not None:
        return PlannedRead(read)
    if payload.datasource is None:  # the datasource itself
        kind = kind_for_type(payload.request.resource_type)
        resource = read.resource or {}
        if not read.found or kind is None or located_by_to_read(kind, payload.resource_id, resource):
            return PlannedRead(read)
        datasource, parent = resource, None
    else:  # the resource it is located by (gone: planned without it, over what the datasource says)
        datasource, parent = payload.datasource, read.resource
    plan = plan_protection(payload.request, datasource, rules, parent=parent, dry_run=payload.dry_run)
    return PlannedRead(read, plan)


def _tags(resource: Mapping[str, Any] | None) -> dict[str, str]:
    raw = (resource or {}).get("tags")
    return {str(k): str(v) for k, v in raw.items()} if isinstance(raw, Mapping) else {}


def _location(resource: Mapping[str, Any] | None) -> str | None:
    value = (resource or {}).get("location")
    return value if isinstance(value, str) and value else None


def plan_protection(
    request: ProtectionRequest,
    resource: Mapping[str, Any],
    rules: Rules,
    *,
    parent: Mapping[str, Any] | None = None,
    dry_run: bool = False,
) -> ProtectionPlan:
    """The plan for one datasource. ``parent`` is the resource its kind is located by
    (``DatasourceKind.located_by``): a PostgreSQL single-server database and a file share carry no location
    or tags of their own in ARM; they take their server's and their storage account's.
    """
    datasource_id = request.datasource_id
    kind = kind_for_type(request.resource_type)
    if kind is None:
        return ProtectionPlan(
            SKIP,
            f"resource type {request.resource_type} is not supported",
            datasource_id,
            skip_reason=SkipReason.UNSUPPORTED.value,
        )
    unsupported = kind.eligibility(resource)
    if unsupported:
        return ProtectionPlan(
            SKIP, unsupported, datasource_id, kind=kind.name, skip_reason=SkipReason.UNSUPPORTED.value
        )
    location = _location(resource) or _location(parent)
    tags = {**_tags(parent), **_tags(resource)}
    decision = rules.evaluate(
        resource_id=datasource_id, resource_type=request.resource_type, location=location, tags=tags
    )
    if not decision.protect:
        return ProtectionPlan(
            SKIP,
            decision.reason,
            datasource_id,
            kind=kind.name,
            skip_reason=decision.skip_reason.value if decision.skip_reason else None,
            rule=decision.rule,
        )
    assert decision.vault_id and decision.policy_id and location
    try:
        instance = _build(kind, datasource_id, location, decision.policy_id, decision.secret_uri, parent)
        roles = [need.to_dict() for need in kind.role_assignments(datasource_id, decision.key_vault_id)]
    except BackupAutopilotError as exc:
        return ProtectionPlan(
            SKIP,
            f"cannot build the request: {exc.message}",
            datasource_id,
            kind=kind.name,
            skip_reason=SkipReason.INVALID.value,
            rule=decision.rule,
        )
    # A Backup vault's instance is named by us (stable, so a second request finds the first); a Recovery
    # Services item is named by the service (its name comes from the protectable-items answer).
    name = dp.backup_instance_name(datasource_id) if kind.service is BackupService.DATA_PROTECTION else None
    return ProtectionPlan(
        DRY_RUN if (dry_run or request.dry_run or decision.dry_run or rules.dry_run) else PROTECT,
        decision.reason,
        datasource_id,
        kind=kind.name,
        rule=decision.rule,
        vault_id=decision.vault_id,
        policy_id=decision.policy_id,
        backup_instance_name=name,
        backup_instance_id=dp.backup_instance_id(decision.vault_id, name) if name else None,
        instance=instance,
        roles=roles,
        containers=decision.containers,
    )


def _build(
    kind: DatasourceKind,
    datasource_id: str,
    location: str,
    policy_id: str,
    secret_uri: str | None,
    parent: Mapping[str, Any] | None,
) -> dict[str, Any]:
    target = ProtectionTarget(
        datasource_id=parse_resource_id(datasource_id).canonical(),
        location=location,
        policy_id=policy_id,
        secret_uri=secret_uri,
        parent_location=_location(parent),
    )
    return kind.build_request(target)
