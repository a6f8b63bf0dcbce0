"""The sweep orchestration's file-share step, driven with a fake context: the plan, then one list per page of
each planned account, at most ``FAN_OUT`` in flight, following ``nextLink``; an account whose list failed is
reported (a problem) and returned as unlisted, so no orphan is claimed for it."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from functions.compliance.orchestrator import FAN_OUT, SweepStart, _Sweep
from shared.compliance.report import SweepInfo
from shared.compliance.shares import ShareListRequest, ShareListResult, SharePlan, SharePlanRequest
from shared.errors import ArmError
from shared.services.resourcegraph import GraphScope
from tests.unit.functions.driver import Activity, All, drive

GROUP = "/subscriptions/0000aaaa-0000-4000-8000-00000000aaaa/resourceGroups/rg/providers"
ACCOUNTS = [f"{GROUP}/Microsoft.Storage/storageAccounts/st{n:02d}" for n in range(25)]
PAGED, BROKEN = ACCOUNTS[3], ACCOUNTS[21]
START = SweepStart(SweepInfo("sweep-1", "2026-12-01T12:00:00Z", "request"), [GraphScope(["0000aaaa"])])


def answer(task: Activity) -> Any:
    if task.name == "sweep_plan_shares":
        assert task.payload == SharePlanRequest("sweep-1")
        return SharePlan(ACCOUNTS)
    assert task.name == "sweep_list_shares"
    request: ShareListRequest = task.payload
    if request.account_id == BROKEN:
        return ShareListResult(
            error=ArmError(status=403, code="AuthorizationFailed", message="no read on the account")
        )
    if request.account_id == PAGED and request.page < 2:
        return ShareListResult(1000, f"https://management.azure.com/next?page={request.page + 1}")
    return ShareListResult(2)


def shares_step(context: Any) -> Generator[Any, Any, Any]:
    sweep = _Sweep(context)
    unlisted = yield from sweep.shares()
    return unlisted, sweep.status


def test_every_page_of_every_planned_account_is_listed_at_most_fan_out_at_once() -> None:
    run = drive(shares_step, START, answer)
    unlisted, status = run.output

    fan_outs = [s for s in run.steps if isinstance(s, All)]
    assert all(len(s.tasks) <= FAN_OUT for s in fan_outs)
    lists: list[ShareListRequest] = run.payloads("sweep_list_shares")
    assert {r.account_id for r in lists if r.page == 0} == set(ACCOUNTS)
    assert all(r.correlation_id == "sweep:sweep-1" and r.index == ACCOUNTS.index(r.account_id) for r in lists)
    paged = [(r.page, r.next_link) for r in lists if r.account_id == PAGED]
    assert paged == [
        (0, None),
        (1, "https://management.azure.com/next?page=1"),
        (2, "https://management.azure.com/next?page=2"),
    ]
    assert len(lists) == 25 + 2
    assert unlisted == [BROKEN]
    assert status["problems"] == [
        {"source": "shares", "accountId": BROKEN, "message": "no read on the account"}
    ]
    assert status["progress"]["shareLists"] == 27


def test_a_plan_without_accounts_lists_nothing() -> None:
    def empty(task: Activity) -> Any:
        assert task.name == "sweep_plan_shares"
        return SharePlan([])

    run = drive(shares_step, START, empty)
    assert run.activities == ["sweep_plan_shares"] and run.output[0] == []
