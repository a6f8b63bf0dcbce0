"""Where the HTTP API may act: a request touches only resources inside the scopes configured for it."""

from __future__ import annotations

from collections.abc import Sequence

from shared.arm.ids import parse_resource_id
from shared.errors import ScopeForbiddenError


def check_within(
    target_ids: Sequence[str], allowed_scopes: Sequence[str], *, setting: str, what: str
) -> None:
    """Every target must lie within one of ``allowed_scopes`` (from ``setting``); none means no ``what``."""
    if not allowed_scopes:
        raise ScopeForbiddenError(
            f"{what} are disabled: no scope is configured in {setting}",
            errors=[{"field": "resourceId", "reason": f"no scope is configured for {what}"}],
        )
    for target in target_ids:
        rid = parse_resource_id(target)
        if not any(rid.is_within(scope) for scope in allowed_scopes):
            raise ScopeForbiddenError(
                f"{rid.canonical()} is outside the scopes allowed for {what}",
                errors=[{"field": "target", "reason": "outside the allowed scopes"}],
                allowedScopes=list(allowed_scopes),
            )
