"""A local stack for the restore and lifecycle tests: the demo tenant, protected datasources, an HTTP helper.

One stack per test session (``restore_stack`` fixture): Azurite + emulated cloud + host, time factor 3600 so
that an hours-long restore job passes in seconds while every wait stays a real durable timer.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from local.azurite import REPO_ROOT
from local.stack import LocalStack, StackConfig

DEMO = REPO_ROOT / "local" / "demo"
PROD = "/subscriptions/11111111-1111-1111-1111-111111111111"
DEV = "/subscriptions/22222222-2222-2222-2222-222222222222"
RG = f"{PROD}/resourceGroups/rg-data-weu"
ALLOWED_SCOPE = RG
ACCOUNT = f"{RG}/providers/Microsoft.Storage/storageAccounts/strestoresrc"
SECOND_ACCOUNT = f"{RG}/providers/Microsoft.Storage/storageAccounts/strestorelong"
DEV_ACCOUNT = f"{DEV}/resourceGroups/rg-dev/providers/Microsoft.Storage/storageAccounts/strestoredev"
PG_FLEX = f"{RG}/providers/Microsoft.DBforPostgreSQL/flexibleServers/pgflex-restore"
# Datasources of the lifecycle tests (stopped, suspended, deleted, backed up now: not the restores' ones).
LIFE_ACCOUNT = f"{RG}/providers/Microsoft.Storage/storageAccounts/stlifecycle"
LIFE_DELETED = f"{RG}/providers/Microsoft.Storage/storageAccounts/stlifedelete"
LIFE_PG_FLEX = f"{RG}/providers/Microsoft.DBforPostgreSQL/flexibleServers/pgflex-backupnow"
TIME_FACTOR = 3600.0
POLLS_PER_GENERATION = 2  # small, so that a few emulated hours already span several executions


def _account_body(location: str = "westeurope") -> dict[str, Any]:
    return {"location": location, "kind": "StorageV2", "sku": {"name": "Standard_LRS"}, "properties": {}}


def _flex_body() -> dict[str, Any]:
    return {
        "location": "westeurope",
        "sku": {"name": "Standard_D2ds_v4", "tier": "GeneralPurpose"},
        "properties": {"version": "16", "storage": {"storageSizeGB": 64}},
    }


CREATIONS: list[tuple[str, str, dict[str, Any]]] = [
    (ACCOUNT, "2023-05-01", _account_body()),
    (SECOND_ACCOUNT, "2023-05-01", _account_body()),
    (DEV_ACCOUNT, "2023-05-01", _account_body()),
    (PG_FLEX, "2022-12-01", _flex_body()),
    (LIFE_ACCOUNT, "2023-05-01", _account_body()),
    (LIFE_DELETED, "2023-05-01", _account_body()),
    (LIFE_PG_FLEX, "2022-12-01", _flex_body()),
]


@dataclass
class RestoreApi:
    """The app's restore API over real HTTP with the function key."""

    stack: LocalStack

    @property
    def base(self) -> str:
        assert self.stack.host is not None
        return self.stack.host.base_url

    @property
    def key(self) -> dict[str, str]:
        assert self.stack.host is not None
        return {"x-functions-key": self.stack.host.function_key}

    def post(self, body: Any, route: str = "restores", **params: str) -> httpx.Response:
        return httpx.post(f"{self.base}/api/{route}", json=body, params=params, headers=self.key, timeout=60)

    def get(self, path: str, **params: str) -> httpx.Response:
        return httpx.get(f"{self.base}/api{path}", params=params, headers=self.key, timeout=60)

    def points(self, resource_id: str) -> dict[str, Any]:
        response = self.get("/restore-points", resourceId=resource_id)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def wait_until_done(
        self, restore_id: str, timeout: float = 60.0, route: str = "restores"
    ) -> tuple[dict[str, Any], list[str]]:
        """Follow the status until succeeded/failed: (final document, phases seen in order)."""
        phases: list[str] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            response = self.get(f"/{route}/{restore_id}")
            assert response.status_code == 200, response.text
            doc = dict(response.json())
            if not phases or phases[-1] != doc["phase"]:
                phases.append(doc["phase"])
            if doc["phase"] in ("succeeded", "failed"):
                return doc, phases
            time.sleep(0.1)
        raise AssertionError(f"{route} {restore_id} did not finish in {timeout}s (phases {phases})")


def point_in_range(points: dict[str, Any], fraction: float = 0.5) -> str:
    """An instant inside the (first) restorable range, as ISO 8601."""
    from datetime import datetime

    span = points["restorableTimeRanges"][0]

    def parse(text: str) -> datetime:
        head, _, tail = text.rstrip("Z").partition(".")
        return datetime.fromisoformat(head + "." + (tail[:6] or "0").ljust(6, "0") + "+00:00")

    low, high = parse(span["startTime"]), parse(span["endTime"])
    return (low + (high - low) * fraction).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def wait_protected(stack: LocalStack, ids: list[str], timeout: float = 90.0) -> None:
    wanted = {i.lower() for i in ids}
    for event in stack.follow_events(timeout=timeout, poll=1.0):
        data = event.get("data") or {}
        subject = str(data.get("datasource_id") or event.get("subject") or "").lower()
        if subject in wanted:
            assert data.get("kind") == "protected", f"{subject} was not protected: {data}"
            wanted.discard(subject)
        if not wanted:
            return
    raise AssertionError(f"not protected in time: {sorted(wanted)}")


_shared: list[LocalStack] = []
_users: list[int] = [0]


def shared_restore_stack() -> Iterator[LocalStack]:
    """One stack for every session fixture that asks (e2e, fuzz): the first starts it, the last stops it."""
    if not _shared:
        starting = start_restore_stack()
        _shared.append(next(starting))
        _shared_generators.append(starting)
    _users[0] += 1
    try:
        yield _shared[0]
    finally:
        _users[0] -= 1
        if _users[0] == 0:
            _shared.clear()
            for generator in _shared_generators:
                generator.close()  # leaves the LocalStack context: stops host, cloud, Azurite by pid
            _shared_generators.clear()


_shared_generators: list[Generator[LocalStack, None, None]] = []


def start_restore_stack(name: str = "restore") -> Generator[LocalStack, None, None]:
    config = StackConfig(
        seed=DEMO / "tenant.yaml",
        rules=DEMO / "rules.yaml",
        time_factor=TIME_FACTOR,
        name=name,
        host_env={
            "RESTORE_ALLOWED_SCOPES": ALLOWED_SCOPE,
            "LIFECYCLE_ALLOWED_SCOPES": ALLOWED_SCOPE,
            "RESTORE_POLLS_PER_GENERATION": str(POLLS_PER_GENERATION),
        },
    )
    with LocalStack(config) as stack:
        # The dev vault has what it needs; grant it nothing else. Create the datasources, wait for protection.
        for path, version, body in CREATIONS:
            response = stack.arm("PUT", path, body, api_version=version)
            assert response.status_code in (200, 201, 202), response.text
        wait_protected(stack, [c[0] for c in CREATIONS])
        time.sleep(0.5)  # a few emulated minutes of restorable history
        yield stack
