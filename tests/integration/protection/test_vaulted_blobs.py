"""Vaulted blob backup end to end: the rule's containers, and containers created later joining the backup.

One LocalStack for the module; the demo tenant gains a vaulted blob policy in bv-weu, and two rules (by tag)
protect accounts with it: every container, or the containers whose names start with ``invoices``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from local.stack import LocalStack
from shared.services import dataprotection as dp
from tests.fixtures.dataprotection import VAULTED_BLOB_POLICY
from tests.integration.protection.support import (
    PROD,
    Outcomes,
    account_body,
    account_id,
    backup_instances,
    put_account,
    rules_file,
    stack_config,
)

VAULT = f"/subscriptions/{PROD}/resourceGroups/rg-backup-weu/providers/{dp.VAULT_TYPE}/bv-weu"
POLICY = "blob-vaulted"
RULES = [
    {
        "name": "vaulted-all",
        "match": {"resourceTypes": ["Microsoft.Storage/storageAccounts"], "tags": {"tier": "vault-all"}},
        "vault": {"id": VAULT, "location": "westeurope"},
        "policy": POLICY,
    },
    {
        "name": "vaulted-invoices",
        "match": {"resourceTypes": ["Microsoft.Storage/storageAccounts"], "tags": {"tier": "vault-invoices"}},
        "vault": {"id": VAULT, "location": "westeurope"},
        "policy": POLICY,
        "blobContainers": {"prefixes": ["invoices"]},
    },
]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    rules = rules_file(tmp_path_factory.mktemp("rules"), RULES)
    with LocalStack(stack_config("vaulted", rules)) as running:
        made = running.arm(
            "PUT", f"{VAULT}/backupPolicies/{POLICY}", VAULTED_BLOB_POLICY, api_version=dp.API_VERSION
        )
        assert made.status_code in (200, 201), made.text
        yield running


@pytest.fixture(scope="module")
def outcomes(stack: LocalStack) -> Outcomes:
    return Outcomes(stack)


def _container(stack: LocalStack, account: str, name: str) -> None:
    made = stack.arm("PUT", f"{account}/blobServices/default/containers/{name}", {"properties": {}})
    assert made.status_code in (200, 201), made.text


def _containers_of(stack: LocalStack, account: str) -> list[str] | None:
    (instance,) = backup_instances(stack)[account.lower()]
    return dp.blob_containers_of(stack.arm("GET", instance, api_version=dp.API_VERSION).json())


def _next(outcomes: Outcomes, account: str, act: Any) -> dict[str, Any]:
    start = outcomes.mark()
    act()
    return outcomes.wait_for([account], start=start)[account]


def test_an_account_is_protected_with_its_first_container_and_later_ones_join(
    stack: LocalStack, outcomes: Outcomes
) -> None:
    account = account_id(PROD, "rg-data-weu", "e2evaultall")
    created = _next(
        outcomes, account, lambda: put_account(stack, account, account_body(tags={"tier": "vault-all"}))
    )
    first = _next(outcomes, account, lambda: _container(stack, account, "invoices"))
    protected_with = _containers_of(stack, account)
    grown = _next(outcomes, account, lambda: _container(stack, account, "reports"))

    assert created["kind"] == "skipped" and "no container matches every container yet" in created["reason"]
    assert first["kind"] == "protected" and first["rule"] == "vaulted-all", first
    assert protected_with == ["invoices"]
    assert grown["kind"] == "protected" and "containers updated (added reports)" in grown["reason"], grown
    assert _containers_of(stack, account) == ["invoices", "reports"]
    assert len(backup_instances(stack)[account.lower()]) == 1


def test_a_selection_backs_up_only_the_containers_it_names(stack: LocalStack, outcomes: Outcomes) -> None:
    account = account_id(PROD, "rg-data-weu", "e2evaultsel")
    _next(
        outcomes, account, lambda: put_account(stack, account, account_body(tags={"tier": "vault-invoices"}))
    )
    unmatched = _next(outcomes, account, lambda: _container(stack, account, "reports"))
    matched = _next(outcomes, account, lambda: _container(stack, account, "invoices-2025"))
    _container(stack, account, "logs")  # not selected: a re-check, nothing changes, nothing published
    joined = _next(outcomes, account, lambda: _container(stack, account, "invoices-2026"))

    assert unmatched["kind"] == "skipped" and "containers invoices*" in unmatched["reason"]
    assert matched["kind"] == "protected", matched
    assert joined["kind"] == "protected" and "added invoices-2026" in joined["reason"], joined
    assert _containers_of(stack, account) == ["invoices-2025", "invoices-2026"]
