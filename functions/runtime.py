"""What the functions share in one process, built on first use (never at import time).

Settings come from the environment once (``Settings.from_env``); the ARM client and the event publisher are
made per event loop (async functions and activities run on the worker's loop), so the client-side rate
limiter is shared by every activity of the process, as it must be to keep a burst under ARM's limits.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from shared.arm.client import ArmClient
from shared.arm.credentials import make_credential
from shared.arm.operations import PollPolicy
from shared.compliance.store import BlobStore
from shared.config import Settings
from shared.events import EventPublisher, make_publisher
from shared.locks import CONTAINER as LOCKS_CONTAINER
from shared.locks import InstanceLocks
from shared.protection.rules import Rules, load_rules
from shared.storage import blob_container

APP_ROOT = Path(__file__).resolve().parent.parent


@cache
def settings() -> Settings:
    return Settings.from_env(os.environ)


@cache
def rules() -> Rules:
    """The protection rules (``PROTECTION_RULES``: a path relative to the app root, or inline)."""
    return load_rules(settings().protection_rules, base_dir=APP_ROOT)


def poll_policy() -> PollPolicy:
    s = settings()
    return PollPolicy(
        default_seconds=s.poll_default_seconds, min_seconds=s.poll_min_seconds, max_seconds=s.poll_max_seconds
    )


@dataclass
class _LoopClients:
    arm: ArmClient
    publisher: EventPublisher


_clients: dict[int, _LoopClients] = {}


def _for_loop() -> _LoopClients:
    loop = asyncio.get_running_loop()
    clients = _clients.get(id(loop))
    if clients is None:
        s = settings()
        clients = _LoopClients(ArmClient.from_settings(s, make_credential(s)), make_publisher(s))
        _clients[id(loop)] = clients
    return clients


def arm() -> ArmClient:
    return _for_loop().arm


def publisher() -> EventPublisher:
    return _for_loop().publisher


_stores: dict[int, BlobStore] = {}
_locks: dict[int, InstanceLocks] = {}


def instance_locks() -> InstanceLocks:
    """The one-request-per-backup-instance locks (blobs in the app's storage), per event loop."""
    loop = id(asyncio.get_running_loop())
    found = _locks.get(loop)
    if found is None:
        found = _locks[loop] = InstanceLocks(blob_container(settings(), LOCKS_CONTAINER))
    return found


def store() -> BlobStore:
    """Where sweeps stage pages and keep their reports (the app's storage account), per event loop."""
    loop = id(asyncio.get_running_loop())
    found = _stores.get(loop)
    if found is None:
        found = _stores[loop] = BlobStore.from_settings(settings())
    return found
