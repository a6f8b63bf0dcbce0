# ruff: noqa: E501 - ARM ids are long by nature
"""A generated tenant for the protection benchmarks: S subscriptions, each with a vault, a blob policy and the
roles its vault needs on the data resource group; and the rules that map each subscription to its vault."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

LOCATION = "westeurope"


def subscription_id(index: int) -> str:
    # Distinct first 8 characters: LocalStack names its Event Grid subscriptions after them.
    return f"{index:08x}-b000-0000-0000-000000000000"


def vault_id(subscription: str) -> str:
    return f"/subscriptions/{subscription}/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/bv"


def account_id(subscription: str, name: str) -> str:
    return f"/subscriptions/{subscription}/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/{name}"


def seed_document(subscriptions: int, accounts_per_subscription: int = 0) -> dict[str, Any]:
    """``accounts_per_subscription`` pre-creates accounts ``stbase0..`` (for the SDK baseline)."""
    subs: list[dict[str, Any]] = []
    roles: list[dict[str, Any]] = []
    for index in range(1, subscriptions + 1):
        sub = subscription_id(index)
        principal = f"bbbbbbbb-0000-0000-0000-{index:012d}"
        data_group: dict[str, Any] = {"name": "rg-data", "location": LOCATION}
        if accounts_per_subscription:
            data_group["storageAccounts"] = [{"name": f"stbase{i}"} for i in range(accounts_per_subscription)]
        subs.append(
            {
                "id": sub,
                "displayName": f"Bench {index}",
                "resourceGroups": [
                    {
                        "name": "rg-backup",
                        "location": LOCATION,
                        "backupVaults": [
                            {
                                "name": "bv",
                                "principalId": principal,
                                "policies": [{"name": "blob-operational", "template": "blob_operational"}],
                            }
                        ],
                    },
                    data_group,
                ],
            }
        )
        roles.append(
            {
                "scope": f"/subscriptions/{sub}/resourceGroups/rg-data",
                "role": "Storage Account Backup Contributor",
                "principalId": principal,
            }
        )
    return {"subscriptions": subs, "roleAssignments": roles}


def rules_document(subscriptions: int) -> dict[str, Any]:
    return {
        "version": 1,
        "rules": [
            {
                "name": f"bench-{index}",
                "match": {
                    "resourceTypes": ["Microsoft.Storage/storageAccounts"],
                    "subscriptions": [subscription_id(index)],
                },
                "vault": {"id": vault_id(subscription_id(index)), "location": LOCATION},
                "policy": "blob-operational",
            }
            for index in range(1, subscriptions + 1)
        ],
    }


def write(folder: Path, subscriptions: int) -> tuple[Path, Path]:
    """Write ``seed.yaml`` and ``rules.yaml`` under ``folder``; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    seed, rules = folder / "seed.yaml", folder / "rules.yaml"
    seed.write_text(yaml.safe_dump(seed_document(subscriptions), sort_keys=False), encoding="utf-8")
    rules.write_text(yaml.safe_dump(rules_document(subscriptions), sort_keys=False), encoding="utf-8")
    return seed, rules
