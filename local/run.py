"""The main job (``make run``): Backup Autopilot at work on the emulated cloud.

Starts Azurite, the emulated Azure control plane (seeded with ``local/demo/tenant.yaml``) and the local
Functions host running ``function_app.py``; creates storage accounts, a file share and PostgreSQL databases
through ARM as a user would; then prints each outcome event the app publishes as it arrives, and a summary;
restores a blob range; and runs a compliance sweep that finds what existed before the app and protects it.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from typing import Any

from local.azurite import REPO_ROOT
from local.run_lifecycle import LIFECYCLE_HOST_ENV, lifecycle_demo
from local.run_restore import RESTORE_HOST_ENV, restore_demo
from local.run_sweep import SWEEP_HOST_ENV, sweep_demo
from local.stack import LocalStack, StackConfig

DEMO = REPO_ROOT / "local" / "demo"
PROD = "/subscriptions/11111111-1111-1111-1111-111111111111"
DEV = "/subscriptions/22222222-2222-2222-2222-222222222222"
STORAGE_API = "2023-05-01"


@dataclass(frozen=True)
class Creation:
    """A resource the job creates, and the outcome a user should expect (for the summary)."""

    path: str
    api_version: str
    body: dict[str, Any]
    expected: str
    why: str


def creations() -> list[Creation]:
    def account(
        rg: str,
        name: str,
        location: str,
        expected: str,
        why: str,
        *,
        sub: str = PROD,
        kind: str = "StorageV2",
        sku: str = "Standard_LRS",
        tags: dict[str, str] | None = None,
        hns: bool = False,
    ) -> Creation:
        body = {
            "location": location,
            "kind": kind,
            "sku": {"name": sku},
            "tags": tags or {},
            "properties": {"isHnsEnabled": hns, "minimumTlsVersion": "TLS1_2"},
        }
        path = f"{sub}/resourceGroups/{rg}/providers/Microsoft.Storage/storageAccounts/{name}"
        return Creation(path, STORAGE_API, body, expected, why)

    pg_server = f"{PROD}/resourceGroups/rg-data-weu/providers/Microsoft.DBforPostgreSQL/servers/pg-orders"
    invoices = (
        f"{PROD}/resourceGroups/rg-data-weu/providers/Microsoft.Storage/storageAccounts/stcontosoinvoices"
    )
    return [
        account(
            "rg-data-weu", "stcontosoinvoices", "westeurope", "protected", "covered by prod-blobs-westeurope"
        ),
        Creation(
            f"{invoices}/fileServices/default/shares/invoices-archive",
            STORAGE_API,
            {"properties": {"shareQuota": 100}},
            "protected",
            "file share: Recovery Services vault rsv-weu (seeds/004)",
        ),
        account(
            "rg-data-weu",
            "stcontosoreports",
            "westeurope",
            "protected",
            "a second account, same rule",
            tags={"costcenter": "finance"},
        ),
        account(
            "rg-data-weu",
            "stcontosotemp",
            "westeurope",
            "skipped",
            "tagged backup=off",
            tags={"backup": "off"},
        ),
        account("rg-data-weu", "stcontosolake", "westeurope", "skipped", "hierarchical namespace", hns=True),
        account(
            "rg-data-weu",
            "stcontosopremium",
            "westeurope",
            "skipped",
            "premium block blob",
            kind="BlockBlobStorage",
            sku="Premium_LRS",
        ),
        account("rg-data-weu", "stcontosoeast", "eastus", "skipped", "no vault in East US"),
        account(
            "rg-data-neu",
            "stcontosoneu",
            "northeurope",
            "failed",
            "the North Europe vault lacks Storage Account Backup Contributor",
        ),
        account("rg-dev", "stcontosodev", "westeurope", "protected", "covered by dev-blobs", sub=DEV),
        Creation(
            f"{pg_server}/databases/orders",
            "2017-12-01",
            {"properties": {"charset": "UTF8", "collation": "English_United States.1252"}},
            "protected",
            "single-server database, secret in Key Vault",
        ),
        Creation(
            f"{PROD}/resourceGroups/rg-data-weu/providers/Microsoft.DBforPostgreSQL/flexibleServers/pgflex-crm",
            "2022-12-01",
            {
                "location": "westeurope",
                "sku": {"name": "Standard_D2ds_v4", "tier": "GeneralPurpose"},
                "properties": {"version": "16", "storage": {"storageSizeGB": 64}},
            },
            "protected",
            "flexible server",
        ),
    ]


def _short(resource_id: str) -> str:
    return resource_id.rsplit("/providers/", 1)[-1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local run", description=__doc__)
    parser.add_argument(
        "--time-factor",
        type=float,
        default=60.0,
        help="emulated time runs F times faster (Retry-After 60 s waits 60/F s)",
    )
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for every outcome")
    parser.add_argument("--grant-roles", action="store_true", help="let the app assign missing roles")
    parser.add_argument("--no-restore", action="store_true", help="skip the restore demonstration")
    parser.add_argument("--no-lifecycle", action="store_true", help="skip backup now and stop / resume")
    parser.add_argument("--no-sweep", action="store_true", help="skip the compliance sweep demonstration")
    args = parser.parse_args(argv)

    config = StackConfig(
        seed=DEMO / "tenant.yaml",
        rules=DEMO / "rules.yaml",
        time_factor=args.time_factor,
        grant_roles=args.grant_roles,
        name="run",
        host_env={**RESTORE_HOST_ENV, **LIFECYCLE_HOST_ENV, **SWEEP_HOST_ENV},
    )
    print("Starting Azurite, the emulated Azure control plane and the local Functions host ...", flush=True)
    with LocalStack(config) as stack:
        assert stack.host is not None
        print(f"  emulated ARM: {stack.cloud_url}   function host: {stack.host.base_url}", flush=True)
        status = _protect_demo(stack, creations(), args.timeout)
        if not args.no_restore:
            print("\nRestore: a range of blobs in a protected account, back to a point in time", flush=True)
            status = restore_demo(stack, creations()[0].path, timeout=args.timeout) or status
        if not args.no_lifecycle:
            print("\nLifecycle: backups now, then stop and resume a protection", flush=True)
            flex = next(c.path for c in creations() if c.path.endswith("/flexibleServers/pgflex-crm"))
            share = next(c.path for c in creations() if "/fileServices/default/shares/" in c.path)
            backed_up = [flex, share]
            status = lifecycle_demo(stack, backed_up, creations()[0].path, timeout=args.timeout) or status
        if not args.no_sweep:
            print("\nCompliance sweep: what was there before the app, found and protected", flush=True)
            status = sweep_demo(stack, timeout=args.timeout) or status
        return status


def _protect_demo(stack: LocalStack, wanted: list[Creation], timeout: float) -> int:
    print(
        f"\nCreating {len(wanted)} resources through ARM (each write emits ResourceWriteSuccess):", flush=True
    )
    started = time.monotonic()
    for creation in wanted:
        response = stack.arm("PUT", creation.path, creation.body, api_version=creation.api_version)
        print(f"  PUT {_short(creation.path):<75} -> {response.status_code}", flush=True)
    print("\nOutcomes, as the app publishes them:", flush=True)
    expected = {c.path.lower(): c for c in wanted}
    outcomes: dict[str, dict[str, Any]] = {}
    for event in stack.follow_events(timeout=timeout, poll=2.0):
        data = event.get("data") or {}
        subject = str(event.get("subject") or data.get("datasource_id") or "")
        if subject.lower() not in expected or subject.lower() in outcomes:
            continue
        outcomes[subject.lower()] = data
        elapsed = time.monotonic() - started
        print(
            f"  [{elapsed:6.1f}s] {data.get('kind', '?'):<17} {_short(subject):<60} {data.get('reason', '')}",
            flush=True,
        )
        if len(outcomes) == len(expected):
            break
    return _summary(wanted, outcomes, time.monotonic() - started)


def _summary(wanted: list[Creation], outcomes: dict[str, dict[str, Any]], elapsed: float) -> int:
    print(f"\nSummary after {elapsed:.1f}s:", flush=True)
    counts: dict[str, int] = {}
    unexpected = 0
    for creation in wanted:
        outcome = outcomes.get(creation.path.lower())
        kind = outcome.get("kind", "?") if outcome else "no outcome"
        counts[kind] = counts.get(kind, 0) + 1
        mark = "ok" if kind == creation.expected else "UNEXPECTED"
        unexpected += mark != "ok"
        expectation = f"(expected {creation.expected}: {creation.why})"
        print(f"  {mark:<10} {kind:<17} {_short(creation.path):<60} {expectation}")
    print("  " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())), flush=True)
    return 1 if unexpected else 0


if __name__ == "__main__":
    raise SystemExit(main())
