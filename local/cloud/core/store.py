"""Resource store: every tracked ARM resource by normalised id, indexed by parent for listing.

Scoped by subscription through the ids themselves (``/subscriptions/{s}/...``): ``list_children`` and
``list_by_type`` never cross a subscription unless asked to. Providers keep their non-resource state
(jobs, recovery points, operations) in typed per-provider state objects (``Cloud.provider_state``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .ids import ResourceId, norm


@dataclass
class Resource:
    """One ARM resource: its canonical id (as created), type, and the JSON body ARM returns."""

    id: str
    type: str
    body: dict[str, Any]
    #: Emulated-clock seconds when created; providers may keep private data in ``extra``.
    created: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return ResourceId.parse(self.id).name

    @property
    def parsed(self) -> ResourceId:
        return ResourceId.parse(self.id)

    @property
    def location(self) -> str | None:
        loc = self.body.get("location")
        return str(loc) if loc is not None else None

    @property
    def properties(self) -> dict[str, Any]:
        props = self.body.setdefault("properties", {})
        assert isinstance(props, dict)
        return props

    def view(self) -> dict[str, Any]:
        """A copy of the body safe to hand to a client (a JSON round trip: bodies are JSON, and this is
        several times faster than ``copy.deepcopy``)."""
        copied: dict[str, Any] = json.loads(json.dumps(self.body))
        return copied


class ResourceStore:
    """In-memory resources keyed by ``norm(id)`` with a (parent, type) index for listing."""

    def __init__(self) -> None:
        self._by_id: dict[str, Resource] = {}
        self._children: dict[tuple[str, str], dict[str, Resource]] = {}

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Iterator[Resource]:
        return iter(list(self._by_id.values()))

    @staticmethod
    def _index_key(resource_id: str, resource_type: str) -> tuple[str, str]:
        parsed = ResourceId.parse(resource_id)
        parts = [p for p in norm(resource_id).split("/") if p]
        if parsed.types and len(parsed.types) > 1:
            parent = "/" + "/".join(parts[:-2])
        elif parsed.types:
            parent = "/" + "/".join(parts[:-4])  # drop providers/NS/type/name
        else:
            parent = "/" + "/".join(parts[:-2])
        return parent if parent != "/" else "/", resource_type.lower()

    def get(self, resource_id: str) -> Resource | None:
        return self._by_id.get(norm(resource_id))

    def exists(self, resource_id: str) -> bool:
        return norm(resource_id) in self._by_id

    def put(
        self, resource_id: str, resource_type: str, body: dict[str, Any], created: float = 0.0
    ) -> tuple[Resource, bool]:
        """Create or replace; returns the resource and whether it was created. The stored id keeps
        the casing of the first PUT (as ARM does)."""
        key = norm(resource_id)
        existing = self._by_id.get(key)
        if existing is not None:
            body["id"] = existing.id
            existing.body = body
            return existing, False
        resource = Resource(resource_id, resource_type, body, created)
        body.setdefault("id", resource_id)
        self._by_id[key] = resource
        self._children.setdefault(self._index_key(resource_id, resource_type), {})[key] = resource
        return resource, True

    def delete(self, resource_id: str, *, cascade: bool = True) -> Resource | None:
        key = norm(resource_id)
        resource = self._by_id.pop(key, None)
        if resource is None:
            return None
        bucket = self._children.get(self._index_key(resource.id, resource.type))
        if bucket is not None:
            bucket.pop(key, None)
        if cascade:
            prefix = key + "/"
            for child_key in [k for k in self._by_id if k.startswith(prefix)]:
                self.delete(self._by_id[child_key].id, cascade=False)
        return resource

    def list_children(self, parent_id: str, resource_type: str) -> list[Resource]:
        """Direct children of ``parent_id`` with the given full type (e.g. a group's storage accounts)."""
        bucket = self._children.get((norm(parent_id), resource_type.lower()), {})
        return list(bucket.values())

    def top_level_in(self, group_id: str) -> list[Resource]:
        """Every top-level resource (any type) of a resource group, from the parent index."""
        parent = norm(group_id)
        return [r for (p, _), bucket in self._children.items() if p == parent for r in bucket.values()]

    def list_by_type(self, resource_type: str, *, within: str | None = None) -> list[Resource]:
        """Every resource of a type, optionally only under a scope (subscription, group, ...)."""
        wanted = resource_type.lower()
        prefix = norm(within) + "/" if within else None
        return [
            r
            for r in self._by_id.values()
            if r.type.lower() == wanted and (prefix is None or norm(r.id).startswith(prefix))
        ]

    def clear(self) -> None:
        self._by_id.clear()
        self._children.clear()
