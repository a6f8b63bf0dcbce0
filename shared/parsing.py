"""Readings of texts that several modules take in: a true/false flag, an ARM timestamp."""

from __future__ import annotations

from datetime import UTC, datetime

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


def parse_instant(text: object) -> datetime | None:
    """An ARM timestamp (``...:00.1234567Z``, 7 fractional digits allowed) as an aware datetime; None when
    absent, the ``0001-01-01`` "not yet" placeholder, or not a timestamp."""
    if not isinstance(text, str) or not text.strip() or text.startswith("0001-01-01"):
        return None
    value = text.strip().replace("Z", "+00:00")
    head, dot, tail = value.partition(".")
    if dot:
        digits = "".join(c for c in tail if c.isdigit())
        value = f"{head}.{digits[:6].ljust(6, '0')}{tail[len(digits) :]}"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
