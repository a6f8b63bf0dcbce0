"""host.json time spans: ``"hh:mm:ss[.fff]"`` or ``"d.hh:mm:ss"`` (numbers are milliseconds, as in v1)."""

from __future__ import annotations

import re

from local.host.errors import StartupError

_SPAN = re.compile(r"^(?:(\d+)\.)?(\d{1,2}):(\d{1,2}):(\d{1,2}(?:\.\d+)?)$")


def seconds(value: object, what: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) / 1000.0
    found = _SPAN.match(str(value).strip())
    if not found:
        raise StartupError(f"host.json {what}: {value!r} is not a time span like 00:00:30")
    days, hours, minutes, secs = found.groups()
    return int(days or 0) * 86400 + int(hours) * 3600 + int(minutes) * 60 + float(secs)
