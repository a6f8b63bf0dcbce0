"""Baseline: what a user would otherwise write. A plain sequential script with the official
``azure-mgmt-dataprotection`` SDK (validate, create, wait for each poller), per storage account, against an
in-process emulator over TLS with the same time factor, durations and throttling as the burst benchmark.

    .venv/bin/python -m tests.bench.protection_baseline --resources 50
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from azure.core.credentials import AccessToken
from azure.mgmt.dataprotection import DataProtectionMgmtClient
from azure.mgmt.dataprotection import models as m

from local.azurite import free_port
from local.cloud.app import create_app
from local.cloud.core import CloudConfig
from local.cloud.seeding import apply_seed, parse_seed
from local.cloud.testing import ServerThread
from tests.bench import protection_seed as seeds


class _Token:
    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("bench-token", int(time.time()) + 3600)


def _scale_retry_after(factor: float) -> Any:
    """Emulated time runs ``factor`` times faster: a Retry-After of 60 means 60/factor real seconds.

    The SDK reads Retry-After as an int, so the scaled wait goes in ``retry-after-ms`` (which azure-core's
    pollers and retry policy honour when Retry-After is absent)."""

    def hook(response: Any) -> None:
        headers = response.http_response.headers
        value = headers.pop("Retry-After", None)
        if value is not None:
            try:
                headers["retry-after-ms"] = str(int(float(value) * 1000 / factor))
            except ValueError:
                headers["Retry-After"] = value

    return hook


def _instance(subscription: str, account: str) -> m.BackupInstance:
    rid = seeds.account_id(subscription, account)
    return m.BackupInstance(
        object_type="BackupInstance",
        data_source_info=m.Datasource(
            resource_id=rid,
            datasource_type="Microsoft.Storage/storageAccounts/blobServices",
            resource_type="Microsoft.Storage/storageAccounts",
            resource_name=account,
            resource_location=seeds.LOCATION,
            object_type="Datasource",
        ),
        policy_info=m.PolicyInfo(policy_id=f"{seeds.vault_id(subscription)}/backupPolicies/blob-operational"),
    )


def run(resources: int, subscriptions: int, time_factor: float) -> dict[str, float]:
    import trustme
    import yaml

    per_sub = max(1, resources // subscriptions)
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    folder = Path(tempfile.mkdtemp(prefix="bench-baseline-"))
    ca_file, cert_file, key_file = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    cert.private_key_pem.write_to_path(str(key_file))
    app = create_app(CloudConfig(time_factor=time_factor, throttling=True))
    seed = yaml.safe_dump(seeds.seed_document(subscriptions, per_sub))
    asyncio.run(apply_seed(app, parse_seed(seed)))
    server = ServerThread(app, free_port(), certfile=cert_file, keyfile=key_file).start()
    hook = _scale_retry_after(time_factor)
    poll = 60.0 / time_factor  # what the service's Retry-After of 60 s means at this time factor
    clients = {
        seeds.subscription_id(i): DataProtectionMgmtClient(
            _Token(),
            seeds.subscription_id(i),
            base_url=server.url,
            connection_verify=str(ca_file),
            raw_response_hook=hook,
        )
        for i in range(1, subscriptions + 1)
    }
    httpx.delete(f"{server.url}/_admin/counters", verify=str(ca_file))
    done = 0
    started = time.monotonic()
    try:
        for index in range(per_sub):
            for subscription, client in clients.items():
                instance = _instance(subscription, f"stbase{index}")
                client.backup_instances.begin_validate_for_backup(
                    "rg-backup",
                    "bv",
                    m.ValidateForBackupRequest(backup_instance=instance),
                    polling_interval=poll,
                ).result()
                client.backup_instances.begin_create_or_update(
                    "rg-backup",
                    "bv",
                    f"stbase{index}-bi",
                    m.BackupInstanceResource(properties=instance),
                    polling_interval=poll,
                ).result()
                done += 1
        elapsed = time.monotonic() - started
        counters = httpx.get(f"{server.url}/_admin/counters", verify=str(ca_file)).json()
    finally:
        for client in clients.values():
            client.close()
        server.stop()
    return {
        "resources": done,
        "seconds": elapsed,
        "seconds_per_resource": elapsed / max(done, 1),
        "arm_calls_per_resource": counters["total_calls"] / max(done, 1),
        "throttled": counters["total_throttled"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.protection_baseline", description=__doc__)
    parser.add_argument("--resources", type=int, default=50)
    parser.add_argument("--subscriptions", type=int, default=5)
    parser.add_argument("--time-factor", type=float, default=120.0)
    args = parser.parse_args(argv)
    figures = run(args.resources, args.subscriptions, args.time_factor)
    print(
        f"SDK sequential baseline: {figures['resources']:.0f} resources in {figures['seconds']:.1f}s "
        f"({figures['seconds_per_resource']:.2f}s each), {figures['arm_calls_per_resource']:.1f} ARM calls "
        f"per resource, {figures['throttled']:.0f} 429s (time factor {args.time_factor:g})",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
