"""Credential factory: azure-identity in Azure, a fixed fake token against the local emulator.

The choice is an explicit setting (``ARM_CREDENTIAL``: ``default`` | ``local``), never guessed from the URL.
"""

from __future__ import annotations

import time
from typing import Any

from azure.core.credentials import AccessToken

from shared.config import Settings


class LocalCredential:
    """Returns a fixed token for the emulated cloud. Implements the async ``get_token`` protocol."""

    def __init__(self, token: str = "local-emulator-token") -> None:  # noqa: S107 - fake token
        self._token = token

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self._token, int(time.time()) + 3600)

    async def close(self) -> None:
        return None

    def __repr__(self) -> str:
        return "LocalCredential(<redacted>)"


def make_credential(settings: Settings) -> Any:
    """An async token credential for ``settings.arm_credential``; the caller closes it."""
    if settings.arm_credential == "local":
        return LocalCredential(settings.arm_local_token)
    from azure.identity.aio import DefaultAzureCredential

    return DefaultAzureCredential()
