"""Where sweeps keep what they read and what they write: blob storage in Azure, a folder on a workstation.

Paths (in the ``COMPLIANCE_REPORT_CONTAINER`` container, or below the workstation's output folder):

- ``sweeps/{id}/pages/{source}/{batch:03d}-{page:05d}.json``: the reduced rows of one answer, as read;
- ``sweeps/{id}/report.json``, ``report.csv``, ``gaps.json``: the report (:mod:`shared.compliance.report`);
- ``latest.json``: ``{"sweepId", "finishedAt"}`` of the newest finished sweep (what ``.../latest/...`` reads).

Large documents are written in blocks (``BlockWriter``), so a report of any size is never held whole.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Protocol

from shared.config import Settings
from shared.storage import blob_container, ensure

LATEST = "latest.json"
BLOCK_BYTES = 4 * 1024 * 1024


def sweep_path(sweep_id: str, name: str) -> str:
    return f"sweeps/{sweep_id}/{name}"


def page_path(sweep_id: str, source: str, batch: int, page: int) -> str:
    return f"sweeps/{sweep_id}/pages/{source}/{batch:03d}-{page:05d}.json"


def pages_prefix(sweep_id: str, source: str) -> str:
    return f"sweeps/{sweep_id}/pages/{source}/"


class BlockWriter(Protocol):
    async def write(self, chunk: bytes) -> None: ...

    async def close(self) -> None: ...


class Store(Protocol):
    async def put(self, path: str, data: bytes, content_type: str = "application/json") -> None: ...

    async def get(self, path: str) -> bytes | None: ...

    def names(self, prefix: str) -> AsyncIterator[str]: ...

    def writer(self, path: str, content_type: str) -> BlockWriter: ...

    async def close(self) -> None: ...


async def put_json(store: Store, path: str, value: Any) -> None:
    await store.put(path, json.dumps(value).encode())


async def get_json(store: Store, path: str) -> Any:
    data = await store.get(path)
    return None if data is None else json.loads(data)


async def pages(store: Store, prefix: str) -> AsyncIterator[list[dict[str, Any]]]:
    """The staged pages under ``prefix``, one at a time, in name order."""
    names = sorted([name async for name in store.names(prefix)])
    for name in names:
        rows = await get_json(store, name)
        yield rows if isinstance(rows, list) else []


class FolderStore:
    """A folder on this machine (the workstation sweep, and tests)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _file(self, path: str) -> Path:
        target = (self.root / path).resolve()
        root = self.root.resolve()
        if target != root and root not in target.parents:
            raise ValueError(f"{path!r} is outside the store")
        return target

    async def put(self, path: str, data: bytes, content_type: str = "application/json") -> None:
        target = self._file(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)

    async def get(self, path: str) -> bytes | None:
        target = self._file(path)
        return target.read_bytes() if target.is_file() else None

    async def names(self, prefix: str) -> AsyncIterator[str]:
        base = self._file(prefix.rstrip("/") or ".")
        if base.is_dir():
            for file in sorted(base.rglob("*")):
                if file.is_file():
                    yield file.relative_to(self.root.resolve()).as_posix()

    def writer(self, path: str, content_type: str) -> BlockWriter:
        return _FileWriter(self._file(path))

    async def close(self) -> None:
        return None


class _FileWriter:
    def __init__(self, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        self._file = target.open("wb")

    async def write(self, chunk: bytes) -> None:
        self._file.write(chunk)

    async def close(self) -> None:
        self._file.close()


class BlobStore:
    """One blob container (azure-storage-blob, async); created on first use."""

    def __init__(self, container: Any) -> None:
        self._container = container
        self._ready = False

    @classmethod
    def from_settings(cls, settings: Settings) -> BlobStore:
        return cls(blob_container(settings, settings.compliance_report_container))

    async def _ensure(self) -> None:
        if not self._ready:
            await ensure(self._container)
            self._ready = True

    async def put(self, path: str, data: bytes, content_type: str = "application/json") -> None:
        from azure.storage.blob import ContentSettings

        await self._ensure()
        await self._container.upload_blob(
            path, data, overwrite=True, content_settings=ContentSettings(content_type=content_type)
        )

    async def get(self, path: str) -> bytes | None:
        from azure.core.exceptions import ResourceNotFoundError

        await self._ensure()
        try:
            downloader = await self._container.download_blob(path)
        except ResourceNotFoundError:
            return None
        data: bytes = await downloader.readall()
        return data

    async def names(self, prefix: str) -> AsyncIterator[str]:
        await self._ensure()
        async for name in self._container.list_blob_names(name_starts_with=prefix):
            yield str(name)

    def writer(self, path: str, content_type: str) -> BlockWriter:
        return _BlobWriter(self, path, content_type)

    async def close(self) -> None:
        await self._container.close()


class _BlobWriter:
    """Stages blocks of ``BLOCK_BYTES`` and commits them as one blob."""

    def __init__(self, store: BlobStore, path: str, content_type: str) -> None:
        self._store = store
        self._path = path
        self._content_type = content_type
        self._buffer = bytearray()
        self._blocks: list[str] = []

    async def write(self, chunk: bytes) -> None:
        self._buffer += chunk
        if len(self._buffer) >= BLOCK_BYTES:
            await self._stage()

    async def _stage(self) -> None:
        await self._store._ensure()
        block_id = f"{len(self._blocks):08d}"
        blob = self._store._container.get_blob_client(self._path)
        await blob.stage_block(block_id, bytes(self._buffer))
        self._blocks.append(block_id)
        self._buffer.clear()

    async def close(self) -> None:
        from azure.storage.blob import BlobBlock, ContentSettings

        if self._buffer or not self._blocks:
            await self._stage()
        blob = self._store._container.get_blob_client(self._path)
        await blob.commit_block_list(
            [BlobBlock(block_id=b) for b in self._blocks],
            content_settings=ContentSettings(content_type=self._content_type),
        )
