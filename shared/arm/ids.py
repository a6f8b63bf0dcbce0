"""ARM resource ids: parse, validate (no path tricks), compare case-insensitively, quote for URLs.

A resource id looks like
``/subscriptions/{sub}/resourceGroups/{rg}/providers/{Namespace}/{type}/{name}[/{childType}/{childName}...]``.
Subscription- and resource-group-level ids are accepted too (``parse_scope``), but ``parse_resource_id``
requires a provider resource.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote as _urlquote

from shared.errors import InvalidResourceIdError

MAX_ID_LENGTH = 2048
_FORBIDDEN_SUBSTRINGS = ("%2f", "%5c", "%2e", "%00", "\\", "?", "#")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_NAMESPACE = re.compile(r"^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z0-9]+)+$")
_SEGMENT = re.compile(r"^[^/<>%&:*?\\]+$")


@dataclass(frozen=True)
class ResourceId:
    subscription: str
    resource_group: str | None
    namespace: str | None
    types: tuple[str, ...]
    names: tuple[str, ...]
    raw: str

    @property
    def type(self) -> str:
        """``Microsoft.Storage/storageAccounts`` or ``Microsoft.DBforPostgreSQL/servers/databases``."""
        if self.namespace is None:
            return (
                "Microsoft.Resources/resourceGroups"
                if self.resource_group
                else "Microsoft.Resources/subscriptions"
            )
        return "/".join((self.namespace, *self.types))

    @property
    def name(self) -> str:
        if self.names:
            return self.names[-1]
        return self.resource_group or self.subscription

    @property
    def parent(self) -> ResourceId | None:
        """The parent resource (server for a database), or None for a top-level resource."""
        if len(self.names) <= 1:
            return None
        return ResourceId(
            self.subscription,
            self.resource_group,
            self.namespace,
            self.types[:-1],
            self.names[:-1],
            raw=_build(
                self.subscription, self.resource_group, self.namespace, self.types[:-1], self.names[:-1]
            ),
        )

    @property
    def resource_group_id(self) -> str:
        if not self.resource_group:
            raise InvalidResourceIdError(self.raw, "id has no resource group")
        return f"/subscriptions/{self.subscription}/resourceGroups/{self.resource_group}"

    @property
    def subscription_id(self) -> str:
        return f"/subscriptions/{self.subscription}"

    def canonical(self) -> str:
        """The id rebuilt with canonical keyword casing (names keep their casing)."""
        return _build(self.subscription, self.resource_group, self.namespace, self.types, self.names)

    def key(self) -> str:
        """Case-insensitive comparison key (ARM ids are case-insensitive)."""
        return self.canonical().lower()

    def is_within(self, scope: ResourceId | str) -> bool:
        """True when this id equals ``scope`` or lies beneath it."""
        scope_key = (scope if isinstance(scope, ResourceId) else parse_scope(scope)).key()
        mine = self.key()
        return mine == scope_key or mine.startswith(scope_key + "/")

    def url_path(self) -> str:
        """The id as a URL path, each segment percent-encoded (``;`` and spaces included)."""
        return "/" + "/".join(quote_segment(s) for s in self.canonical().strip("/").split("/"))

    def __str__(self) -> str:
        return self.canonical()


def quote_segment(segment: str) -> str:
    """Percent-encode one path segment for a URL (Recovery Services names contain ``;``)."""
    return _urlquote(segment, safe="-._~()'!*@,=+$")


def _build(
    sub: str, rg: str | None, namespace: str | None, types: tuple[str, ...], names: tuple[str, ...]
) -> str:
    out = f"/subscriptions/{sub}"
    if rg is not None:
        out += f"/resourceGroups/{rg}"
    if namespace is not None:
        out += f"/providers/{namespace}"
        for t, n in zip(types, names, strict=True):
            out += f"/{t}/{n}"
    return out


def _check_raw(value: object) -> str:
    if not isinstance(value, str):
        raise InvalidResourceIdError(repr(value)[:200], "resource id must be a string")
    if not value:
        raise InvalidResourceIdError(value, "resource id is empty")
    if len(value) > MAX_ID_LENGTH:
        raise InvalidResourceIdError(value[:200], f"resource id longer than {MAX_ID_LENGTH} characters")
    if _CONTROL.search(value):
        raise InvalidResourceIdError(value, "resource id contains control characters")
    lowered = value.lower()
    for bad in _FORBIDDEN_SUBSTRINGS:
        if bad in lowered:
            raise InvalidResourceIdError(value, f"resource id contains a forbidden sequence {bad!r}")
    if not value.startswith("/"):
        raise InvalidResourceIdError(value, "resource id must start with '/'")
    return value


def _segments(value: str) -> list[str]:
    body = value[1:]
    if body.endswith("/"):
        body = body[:-1]
    segs = body.split("/")
    for s in segs:
        if s == "":
            raise InvalidResourceIdError(value, "resource id has an empty segment")
        if s in (".", ".."):
            raise InvalidResourceIdError(value, "resource id has a '.' or '..' segment")
        if s != s.strip():
            raise InvalidResourceIdError(value, "resource id segment has leading or trailing spaces")
        if not _SEGMENT.match(s):
            raise InvalidResourceIdError(value, f"resource id segment {s[:80]!r} has forbidden characters")
    return segs


def parse_scope(value: object) -> ResourceId:
    """Parse any ARM scope: subscription, resource group, or provider resource id."""
    raw = _check_raw(value)
    segs = _segments(raw)
    if len(segs) < 2 or segs[0].lower() != "subscriptions":
        raise InvalidResourceIdError(raw, "resource id must start with /subscriptions/{subscriptionId}")
    sub = segs[1]
    rest = segs[2:]
    rg: str | None = None
    if rest and rest[0].lower() == "resourcegroups":
        if len(rest) < 2:
            raise InvalidResourceIdError(raw, "resourceGroups needs a name")
        rg = rest[1]
        rest = rest[2:]
    if not rest:
        return ResourceId(sub, rg, None, (), (), raw)
    if rest[0].lower() != "providers" or len(rest) < 4:
        raise InvalidResourceIdError(raw, "expected /providers/{namespace}/{type}/{name}")
    namespace = rest[1]
    if not _NAMESPACE.match(namespace):
        raise InvalidResourceIdError(raw, f"invalid provider namespace {namespace[:80]!r}")
    pairs = rest[2:]
    if len(pairs) % 2 != 0:
        raise InvalidResourceIdError(raw, "resource type without a name")
    types = tuple(pairs[0::2])
    names = tuple(pairs[1::2])
    if any(t.lower() == "providers" for t in types):
        raise InvalidResourceIdError(raw, "extension resources (nested /providers/) are not supported")
    return ResourceId(sub, rg, namespace, types, names, raw)


def parse_resource_id(value: object) -> ResourceId:
    """Parse a provider resource id in a resource group; raise ``InvalidResourceIdError`` otherwise."""
    rid = parse_scope(value)
    if rid.namespace is None:
        raise InvalidResourceIdError(rid.raw, "not a provider resource id")
    if rid.resource_group is None:
        raise InvalidResourceIdError(rid.raw, "resource id has no resource group")
    return rid
