"""Microsoft.Management: the management-group hierarchy above subscriptions (seeded; read by Resource Graph).

Every tenant has a root group named after the tenant id ("Tenant Root Group"); it is implied here, never
stored. Seeded groups are stored as ``Microsoft.Management/managementGroups`` resources and a subscription's
place as a ``Microsoft.Management/managementGroups/subscriptions`` resource (the real API's child type).
A subscription no group claims sits directly under the root.

Seed section (top level)::

    managementGroups:
      - {name: mg-contoso, displayName: Contoso}                  # parent: the tenant root group
      - {name: mg-prod, displayName: Production, parent: mg-contoso,
         subscriptions: [11111111-1111-1111-1111-111111111111]}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..core import Cloud, iso
from .resources import TENANT_ID

GROUP_TYPE = "Microsoft.Management/managementGroups"
MEMBER_TYPE = "Microsoft.Management/managementGroups/subscriptions"
ROOT_DISPLAY_NAME = "Tenant Root Group"


def group_id(name: str) -> str:
    return f"/providers/{GROUP_TYPE}/{name}"


@dataclass(frozen=True)
class Group:
    name: str
    display_name: str
    parent: str | None  # None only for the root

    @property
    def id(self) -> str:
        return group_id(self.name)

    def link(self) -> dict[str, str]:
        """How a group appears in a ``managementGroupAncestorsChain``."""
        return {"displayName": self.display_name, "name": self.name}


ROOT = Group(TENANT_ID, ROOT_DISPLAY_NAME, None)


class Hierarchy:
    """The groups and which group holds each subscription, read from the store at one instant."""

    def __init__(self, groups: list[Group], parent_of_subscription: dict[str, str]) -> None:
        self._groups = {g.name.lower(): g for g in [ROOT, *groups]}
        self._parent_of_subscription = parent_of_subscription

    @classmethod
    def of(cls, cloud: Cloud) -> Hierarchy:
        groups = [
            Group(r.name, str(r.properties.get("displayName") or r.name), _parent_name(r.properties))
            for r in cloud.store.list_children("/", GROUP_TYPE)
        ]
        members = {
            r.name.lower(): r.id.split("/")[4]
            for g in groups
            for r in cloud.store.list_children(group_id(g.name), MEMBER_TYPE)
        }
        return cls(groups, members)

    @property
    def groups(self) -> list[Group]:
        return list(self._groups.values())

    def group(self, name: str) -> Group | None:
        return self._groups.get(name.lower())

    def ancestors(self, name: str) -> list[Group]:
        """The groups above ``name``, its parent first, the root last."""
        out: list[Group] = []
        current = self.group(name)
        while current is not None and current.parent is not None:
            current = self.group(current.parent)
            if current is None or current in out:
                break
            out.append(current)
        return out

    def subscription_chain(self, subscription_id: str) -> list[Group]:
        """The groups above a subscription, its own group first, the root last."""
        parent = self.group(self._parent_of_subscription.get(subscription_id.lower(), ROOT.name)) or ROOT
        return [parent, *self.ancestors(parent.name)]


def _parent_name(properties: dict[str, Any]) -> str:
    parent = (properties.get("details") or {}).get("parent") or {}
    return str(parent.get("name") or ROOT.name)


def seed_management_groups(cloud: Cloud, items: Any) -> None:
    """The ``managementGroups`` seed section: groups in order (a parent before its children)."""
    from ..seeding import SeedError

    known = {ROOT.name.lower(): ROOT}
    for item in items or []:
        name = str(item["name"])
        parent = known.get(str(item.get("parent") or ROOT.name).lower())
        if parent is None:
            raise SeedError(f"management group {name!r}: its parent {item.get('parent')!r} must come first")
        group = Group(name, str(item.get("displayName") or name), parent.name)
        known[name.lower()] = group
        cloud.store.put(group.id, GROUP_TYPE, _group_body(cloud, group, parent))
        for sub in item.get("subscriptions") or []:
            cloud.require_subscription(str(sub))
            for old in cloud.store.list_by_type(MEMBER_TYPE):
                if old.name.lower() == str(sub).lower():
                    cloud.store.delete(old.id)
            member = f"{group.id}/subscriptions/{sub}"
            cloud.store.put(
                member,
                MEMBER_TYPE,
                {
                    "id": member,
                    "type": MEMBER_TYPE,
                    "name": str(sub),
                    "properties": {"parent": {"id": group.id}, "state": "Active", "tenant": TENANT_ID},
                },
            )


def _group_body(cloud: Cloud, group: Group, parent: Group) -> dict[str, Any]:
    return {
        "id": group.id,
        "type": GROUP_TYPE,
        "name": group.name,
        "properties": {
            "tenantId": TENANT_ID,
            "displayName": group.display_name,
            "details": {
                "version": 1,
                "updatedTime": iso(cloud.clock.now()),
                "updatedBy": "seed",
                "parent": {"id": parent.id, "name": parent.name, "displayName": parent.display_name},
            },
        },
    }


class ManagementGroupsProvider:
    name = "Microsoft.Management"

    def register(self, cloud: Cloud) -> None:
        cloud.seed_sections["managementGroups"] = seed_management_groups
