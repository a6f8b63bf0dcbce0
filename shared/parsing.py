"""The one reading of a true/false text (a setting, a query parameter)."""

from __future__ import annotations

from shared.errors import InvalidRequestError

TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"0", "false", "no", "off", ""})


def parse_flag(value: str | None, name: str) -> bool:
    """``true``/``1``/``yes``/``on`` or ``false``/``0``/``no``/``off``/empty, any case; else an error."""
    lowered = (value or "").strip().lower()
    if lowered in TRUE:
        return True
    if lowered in FALSE:
        return False
    raise InvalidRequestError(
        name, f"must be true or false, got {value[:50]!r}" if value else "must be true or false"
    )
