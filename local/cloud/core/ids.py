"""ARM resource ids: parse, compare case-insensitively, find parents and scopes."""

from __future__ import annotations

from dataclasses import dataclass


def norm(resource_id: str) -> str:
    """The key under which an id is stored: lower-case, no trailing slash, leading slash."""
    text = resource_id.strip().rstrip("/").lower()
    return text if text.startswith("/") else "/" + text


@dataclass(frozen=True)
class ResourceId:
    """A parsed ARM id (``/subscriptions/s/resourceGroups/g/providers/NS/t1/n1/t2/n2``)."""

    raw: str
    subscription: str | None
    resource_group: str | None
    namespace: str | None
    types: tuple[str, ...]
    names: tuple[str, ...]

    @classmethod
    def parse(cls, resource_id: str) -> ResourceId:
        parts = [p for p in resource_id.strip().split("/") if p]
        subscription = group = namespace = None
        types: list[str] = []
        names: list[str] = []
        i = 0
        while i < len(parts):
            key = parts[i].lower()
            if key == "subscriptions" and i + 1 < len(parts) and subscription is None:
                subscription = parts[i + 1]
                i += 2
            elif key == "resourcegroups" and i + 1 < len(parts) and group is None:
                group = parts[i + 1]
                i += 2
            elif key == "providers" and i + 1 < len(parts):
                namespace = parts[i + 1]
                i += 2
                while i + 1 < len(parts) and parts[i].lower() != "providers":
                    types.append(parts[i])
                    names.append(parts[i + 1])
                    i += 2
            else:
                i += 1
        return cls(resource_id, subscription, group, namespace, tuple(types), tuple(names))

    @property
    def type(self) -> str:
        """Full type, e.g. ``Microsoft.Storage/storageAccounts/blobServices``."""
        if self.namespace is None:
            if self.resource_group is not None:
                return "Microsoft.Resources/resourceGroups"
            return "Microsoft.Resources/subscriptions"
        return "/".join([self.namespace, *self.types])

    @property
    def name(self) -> str:
        if self.names:
            return self.names[-1]
        return self.resource_group or self.subscription or ""


def parent_scopes(resource_id: str) -> list[str]:
    """Every scope that contains ``resource_id`` (itself first, then upward), normalised.

    ``/subscriptions/s/resourceGroups/g/providers/NS/a/x/b/y`` gives itself, ``.../a/x``, the group,
    the subscription and ``/`` (the root, for tenant-wide assignments).
    """
    parts = [p for p in norm(resource_id).split("/") if p]
    scopes: list[str] = []
    # Walk back two segments at a time, skipping the "providers/NS" pair.
    while parts:
        scopes.append("/" + "/".join(parts))
        if len(parts) >= 2 and parts[-2] == "providers":
            parts = parts[:-2]
            continue
        if len(parts) >= 4 and parts[-4] == "providers":
            parts = parts[:-4]
            continue
        parts = parts[:-2]
    scopes.append("/")
    return scopes


def is_within(child: str, scope: str) -> bool:
    """True when ``child`` is ``scope`` or below it (case-insensitive)."""
    c, s = norm(child), norm(scope)
    return s == "/" or c == s or c.startswith(s + "/")
