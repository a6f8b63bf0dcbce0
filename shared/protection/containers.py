"""Which blob containers a vaulted blob backup covers: the rule's selection over what the account has.

Pure. A rule's ``blobContainers`` names containers and/or name prefixes; none given means every container.
The selection is applied to the containers the account has when protecting, and again whenever one is
written, so a container created later that matches joins the backup.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def select_containers(existing: Iterable[str], selection: Mapping[str, list[str]] | None) -> list[str]:
    """The containers of ``existing`` the selection covers, sorted (container names are lower case)."""
    names = sorted({n.lower() for n in existing})
    if not selection:
        return names
    wanted = {n.lower() for n in selection.get("names") or []}
    prefixes = tuple(p.lower() for p in selection.get("prefixes") or [])
    return [n for n in names if n in wanted or (prefixes and n.startswith(prefixes))]


def describe(selection: Mapping[str, list[str]] | None) -> str:
    if not selection:
        return "every container"
    parts = [*(selection.get("names") or []), *(f"{p}*" for p in selection.get("prefixes") or [])]
    return "containers " + ", ".join(parts)
