"""Bulk loading for benchmarks: many storage accounts across many subscriptions, written straight into the
store (``seeding`` goes through the ARM pipeline: right for a tenant of tens of resources, too slow for
100,000).

Each account body is the one a storage account PUT stores (``storage.build_account``), provisioned
(``Succeeded``), so Resource Graph and ARM reads see exactly what they would after real creates. Not done,
on purpose: no ``ResourceWriteSuccess`` events (auto-protect would start for every account), and no default
``blobServices``/``fileServices`` children (nothing reads them), unless ``sharesPerAccount`` asks for file
shares (``share0`` ...: the default file service and its shares as a share PUT stores them), which a sweep
lists through ARM.

Python: ``load_storage_accounts(cloud, StorageAccountBatch(subscriptions=100, per_subscription=1000))``.
HTTP: ``POST /_admin/bulk/storageAccounts`` with the batch as JSON (camelCase keys: ``subscriptions``,
``accountsPerSubscription``, ``firstSubscription``, ``resourceGroup``, ``location``, ``namePrefix``,
``kind``, ``sku``, ``tags``, ``sharesPerAccount``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from .core import Cloud, iso
from .providers.resources import add_resource_group, add_subscription
from .providers.storage import ACCOUNT_TYPE, build_account


def bulk_subscription_id(index: int) -> str:
    """The id of the ``index``-th bulk subscription (distinct in its first 8 characters)."""
    return f"{index:08x}-0000-4000-8000-{index:012x}"


@dataclass(frozen=True)
class StorageAccountBatch:
    subscriptions: int = 100
    per_subscription: int = 1000
    #: Index of the first subscription (``bulk_subscription_id``), so batches can be added side by side.
    first_subscription: int = 1
    resource_group: str = "rg-bulk"
    location: str = "westeurope"
    #: Account names are ``{prefix}{subscription index:04d}{account index:06d}`` (3-24 lower-case letters).
    name_prefix: str = "st"
    kind: str = "StorageV2"
    sku: str = "Standard_LRS"
    tags: dict[str, str] = field(default_factory=dict)
    shares_per_account: int = 0

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> StorageAccountBatch:
        return cls(
            subscriptions=int(body.get("subscriptions", 100)),
            per_subscription=int(body.get("accountsPerSubscription", 1000)),
            first_subscription=int(body.get("firstSubscription", 1)),
            resource_group=str(body.get("resourceGroup", "rg-bulk")),
            location=str(body.get("location", "westeurope")),
            name_prefix=str(body.get("namePrefix", "st")),
            kind=str(body.get("kind", "StorageV2")),
            sku=str(body.get("sku", "Standard_LRS")),
            tags={str(k): str(v) for k, v in (body.get("tags") or {}).items()},
            shares_per_account=int(body.get("sharesPerAccount", 0)),
        )


@dataclass(frozen=True)
class BulkResult:
    subscriptions: list[str]
    accounts: int
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return {"subscriptions": self.subscriptions, "created": self.accounts, "seconds": self.seconds}


def load_storage_accounts(cloud: Cloud, batch: StorageAccountBatch) -> BulkResult:
    started = time.perf_counter()
    name_length = len(batch.name_prefix) + 10
    if not 3 <= name_length <= 24 or not batch.name_prefix.isalnum() or not batch.name_prefix.islower():
        raise ValueError("namePrefix must be 1-14 lower-case letters or digits (account names are 3-24).")
    if batch.per_subscription > 999_999 or batch.first_subscription + batch.subscriptions > 10_000:
        raise ValueError("at most 999,999 accounts per subscription and subscription indexes below 10,000")
    request = {
        "location": batch.location,
        "kind": batch.kind,
        "sku": {"name": batch.sku},
        "tags": batch.tags,
        "properties": {},
    }
    subscriptions: list[str] = []
    created = cloud.clock.seconds()
    for index in range(batch.first_subscription, batch.first_subscription + batch.subscriptions):
        sub = bulk_subscription_id(index)
        subscriptions.append(sub)
        add_subscription(cloud, sub, f"Bulk {index}")
        add_resource_group(cloud, sub, batch.resource_group, batch.location)
        group = f"/subscriptions/{sub}/resourceGroups/{batch.resource_group}"
        for number in range(batch.per_subscription):
            rid = f"{group}/providers/{ACCOUNT_TYPE}/{batch.name_prefix}{index:04d}{number:06d}"
            body = build_account(cloud, rid, {**request, "properties": {}})
            body["properties"]["provisioningState"] = "Succeeded"
            cloud.store.put(rid, ACCOUNT_TYPE, body, created)
            _add_shares(cloud, rid, batch.shares_per_account, created)
    accounts = batch.subscriptions * batch.per_subscription
    return BulkResult(subscriptions, accounts, time.perf_counter() - started)


FILE_SERVICE_TYPE = f"{ACCOUNT_TYPE}/fileServices"
SHARE_TYPE = f"{FILE_SERVICE_TYPE}/shares"


def _add_shares(cloud: Cloud, account_id: str, count: int, created: float) -> None:
    """The account's default file service and ``count`` SMB shares, in the shape a share PUT stores."""
    if count <= 0:
        return
    service = f"{account_id}/fileServices/default"
    body = {"id": service, "name": "default", "type": FILE_SERVICE_TYPE, "properties": {}}
    cloud.store.put(service, FILE_SERVICE_TYPE, body, created)
    for number in range(count):
        sid = f"{service}/shares/share{number}"
        properties = {
            "lastModifiedTime": iso(cloud.clock.now()),
            "shareQuota": 5120,
            "enabledProtocols": "SMB",
        }
        share = {"id": sid, "name": f"share{number}", "type": SHARE_TYPE, "properties": properties}
        share["etag"] = f'"0x{int(created * 1000):X}"'
        cloud.store.put(sid, SHARE_TYPE, share, created)
