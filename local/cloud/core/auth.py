"""Bearer-token checks and the calling principal (JWT ``oid``/``appid`` decoded without verification)."""

from __future__ import annotations

import base64
import json

from .errors import CloudError

_CHALLENGE = 'Bearer authorization_uri="https://login.windows.net/", error="invalid_token"'


def principal_from(headers: dict[str, str]) -> str:
    """Raise 401 like ARM when the bearer token is missing; otherwise name the caller.

    JWT claims ``oid`` then ``appid``/``azp``; else header ``x-ms-client-principal-id``; else "anonymous".
    """
    auth = headers.get("authorization")
    if not auth:
        raise CloudError(
            401,
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is missing.",
            headers={"WWW-Authenticate": _CHALLENGE},
        )
    scheme, _, token = auth.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise CloudError(
            401,
            "InvalidAuthenticationToken",
            "The access token is invalid.",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    claims = _jwt_claims(token.strip())
    for claim in ("oid", "appid", "azp"):
        value = claims.get(claim)
        if isinstance(value, str) and value:
            return value
    return headers.get("x-ms-client-principal-id") or "anonymous"


def _jwt_claims(token: str) -> dict[str, object]:
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        data = json.loads(base64.urlsafe_b64decode(payload))
    except (ValueError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}
