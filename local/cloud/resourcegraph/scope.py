"""Which rows a request may see: its ``subscriptions`` and/or ``managementGroups`` (none: the whole tenant).

* ``subscriptions``: rows of those subscriptions; no management-group rows (they belong to no subscription).
* ``managementGroups``: rows of every subscription whose ancestor chain names one of the groups, and the
  rows of those groups and the groups below them.
* both: a row must pass both.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..core import Cloud
from ..core.cloud import SUBSCRIPTION_TYPE
from ..providers.management import Hierarchy
from .tables import MANAGEMENT_GROUP


@dataclass(frozen=True)
class Scope:
    #: Lower-case subscription ids a row's ``subscriptionId`` must be one of; None: any subscription.
    subscriptions: frozenset[str] | None = None
    #: Lower-case management-group names whose groups (and descendants) are visible; None: every group.
    groups: frozenset[str] | None = None

    @classmethod
    def of_subscriptions(cls, subscriptions: Iterable[str] | None) -> Scope:
        if subscriptions is None:
            return cls()
        return cls(frozenset(s.lower() for s in subscriptions), frozenset())

    def admits(self, row: dict[str, Any]) -> bool:
        sub = str(row.get("subscriptionId") or "").lower()
        if sub:
            return self.subscriptions is None or sub in self.subscriptions
        if row.get("type") != MANAGEMENT_GROUP or self.groups is None:
            return self.groups is None
        details = (row.get("properties") or {}).get("details") or {}
        names = {str(row.get("name", "")).lower()}
        names |= {str(g.get("name", "")).lower() for g in details.get("managementGroupAncestorsChain") or []}
        return bool(names & self.groups)


def scope_for(
    cloud: Cloud, subscriptions: Iterable[str] | None, management_groups: Iterable[str] | None
) -> Scope:
    scope = Scope.of_subscriptions(subscriptions)
    if management_groups is None:
        return scope
    groups = frozenset(g.lower() for g in management_groups)
    hierarchy = Hierarchy.of(cloud)
    under = frozenset(
        sub.name.lower()
        for sub in cloud.store.list_children("/", SUBSCRIPTION_TYPE)
        if {g.name.lower() for g in hierarchy.subscription_chain(sub.name)} & groups
    )
    allowed = under if scope.subscriptions is None else under & scope.subscriptions
    return Scope(allowed, groups)
