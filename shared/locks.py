"""One request (restore, backup now, protection change) per backup instance at a time, made atomic.

Checking "is something running?" and then starting is a race: two identical requests at the same instant
both see none and both start a job. Instead the request that starts first *creates* the lock blob of the
backup instance (``If-None-Match: *``: storage lets exactly one creator win); the others are refused. The
request's orchestration deletes the lock when it has ended (only if it still holds it).

A lock whose request is no longer running (it ended without releasing it, or was terminated) is stale: a
later request takes it over, atomically too (the replace is conditional on the ETag it read). A lock younger
than ``START_GRACE_SECONDS`` is never stale: its orchestration may not have been started yet.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shared.arm.ids import parse_resource_id
from shared.parsing import parse_instant
from shared.records import Record
from shared.storage import ensure

CONTAINER = "instance-locks"
START_GRACE_SECONDS = 60.0
_KEY_NAMESPACE = uuid.UUID("4b1d6a52-0f7e-4a36-9c1f-5e2d8b7a3c90")  # fixed: lock names must stay stable


def lock_key(backup_instance_id: str) -> str:
    """The lock's name for a backup instance (ids compare case-insensitively)."""
    return str(uuid.uuid5(_KEY_NAMESPACE, parse_resource_id(backup_instance_id).key()))


@dataclass(frozen=True)
class LockOwner(Record):
    """Request ``owner_id`` and the backup instance whose lock it takes or frees (an activity's input)."""

    backup_instance_id: str
    owner_id: str


@dataclass(frozen=True)
class Holder:
    """Who holds a lock: the request's id, since when, and the blob's ETag (to replace it conditionally)."""

    owner_id: str
    since: datetime | None
    etag: str

    def young(self, now: datetime) -> bool:
        return self.since is not None and (now - self.since).total_seconds() < START_GRACE_SECONDS


class InstanceLocks:
    def __init__(self, container: Any) -> None:
        self._container = container
        self._ready = False

    async def _blob(self, key: str) -> Any:
        if not self._ready:
            await ensure(self._container)
            self._ready = True
        return self._container.get_blob_client(f"{key}.json")

    @staticmethod
    def _body(owner_id: str) -> bytes:
        return json.dumps({"ownerId": owner_id, "since": datetime.now(UTC).isoformat()}).encode()

    async def acquire(self, key: str, owner_id: str) -> Holder | None:
        """Take the lock (None), or the holder when another request has it."""
        from azure.core.exceptions import ResourceExistsError

        blob = await self._blob(key)
        try:
            await blob.upload_blob(self._body(owner_id), overwrite=False)  # If-None-Match: *
        except ResourceExistsError:
            holder = await self.holder(key)
            if holder is None:  # released in between: try once more
                return await self.acquire(key, owner_id)
            return holder
        return None

    async def holder(self, key: str) -> Holder | None:
        from azure.core.exceptions import ResourceNotFoundError

        blob = await self._blob(key)
        try:
            download = await blob.download_blob()
            data = json.loads(await download.readall())
        except ResourceNotFoundError:
            return None
        return Holder(
            str(data.get("ownerId") or ""), parse_instant(data.get("since")), download.properties.etag
        )

    async def take_over(self, key: str, stale: Holder, owner_id: str) -> bool:
        """Replace a stale lock, unless someone changed it since it was read (then: False)."""
        from azure.core import MatchConditions
        from azure.core.exceptions import ResourceModifiedError, ResourceNotFoundError

        blob = await self._blob(key)
        try:
            await blob.upload_blob(
                self._body(owner_id),
                overwrite=True,
                etag=stale.etag,
                match_condition=MatchConditions.IfNotModified,
            )
        except (ResourceModifiedError, ResourceNotFoundError):
            return False
        return True

    async def release(self, key: str, owner_id: str) -> bool:
        """Delete the lock if ``owner_id`` still holds it (conditional on its ETag)."""
        from azure.core import MatchConditions
        from azure.core.exceptions import ResourceModifiedError, ResourceNotFoundError

        holder = await self.holder(key)
        if holder is None or holder.owner_id != owner_id:
            return False
        blob = await self._blob(key)
        try:
            await blob.delete_blob(etag=holder.etag, match_condition=MatchConditions.IfNotModified)
        except (ResourceModifiedError, ResourceNotFoundError):
            return False
        return True
