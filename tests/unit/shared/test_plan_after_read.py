"""``plan_after_read``: the plan rides on the read that completes its inputs, and only on that one."""

from __future__ import annotations

from shared.arm.steps import ResourceRead
from shared.errors import ArmError
from shared.protection.messages import ProtectionRequest
from shared.protection.plan import PROTECT, PlanRead, plan_after_read, plan_protection
from tests.unit.functions.protection_cloud import ACCOUNT, DATASOURCE, RULES, STORAGE
from tests.unit.functions.share_cloud import ACCOUNT as SHARE_ACCOUNT
from tests.unit.functions.share_cloud import ACCOUNT_ID, SHARE, SHARE_ID, SHARE_TYPE

ACCOUNT_REQUEST = ProtectionRequest(DATASOURCE, STORAGE, correlation_id="c-1")
SHARE_REQUEST = ProtectionRequest(SHARE_ID, SHARE_TYPE, correlation_id="c-1")


def test_a_datasource_with_its_own_location_is_planned_with_its_read() -> None:
    read = ResourceRead(found=True, resource=ACCOUNT)

    planned = plan_after_read(PlanRead(ACCOUNT_REQUEST, DATASOURCE, "2023-05-01"), read, RULES)

    assert planned.read == read
    assert planned.plan == plan_protection(ACCOUNT_REQUEST, ACCOUNT, RULES)
    assert planned.plan is not None and planned.plan.action == PROTECT


def test_a_share_waits_for_its_account_then_is_planned_over_both() -> None:
    first = plan_after_read(
        PlanRead(SHARE_REQUEST, SHARE_ID, "2023-05-01"), ResourceRead(found=True, resource=SHARE), RULES
    )
    assert first.plan is None  # no location of its own: its storage account is still to be read

    parent = ResourceRead(found=True, resource=SHARE_ACCOUNT)
    second = plan_after_read(PlanRead(SHARE_REQUEST, ACCOUNT_ID, "2023-05-01", SHARE), parent, RULES)

    assert second.plan == plan_protection(SHARE_REQUEST, SHARE, RULES, parent=SHARE_ACCOUNT)
    assert second.plan is not None and second.plan.action == PROTECT


def test_a_dry_run_travels_into_the_plan() -> None:
    read = ResourceRead(found=True, resource=ACCOUNT)

    planned = plan_after_read(PlanRead(ACCOUNT_REQUEST, DATASOURCE, "2023-05-01", dry_run=True), read, RULES)

    assert planned.plan == plan_protection(ACCOUNT_REQUEST, ACCOUNT, RULES, dry_run=True)


def test_a_failed_or_missing_read_is_not_planned() -> None:
    payload = PlanRead(ACCOUNT_REQUEST, DATASOURCE, "2023-05-01")
    refused = ResourceRead(error=ArmError(status=403, code="AuthorizationFailed", message="no"))

    assert plan_after_read(payload, refused, RULES).plan is None
    assert plan_after_read(payload, ResourceRead(found=False, reason="ResourceNotFound"), RULES).plan is None
