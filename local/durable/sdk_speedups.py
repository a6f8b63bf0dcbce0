"""Make the Durable SDK's replay cheaper without changing what it computes.

Every episode replays the whole history, and the SDK builds each ``HistoryEvent`` by parsing its timestamp
with ``dateutil.parser.parse`` (~40 us each): most of an episode's CPU, and the same strings every time.
:func:`install` puts a memo in front of that one call site (``models.history.HistoryEvent.dt_parse``). The
parsed values are the ones dateutil returns (datetimes are immutable, so sharing them is safe); only
repeated parsing goes away. Installed once per process, by the engine.
"""

from __future__ import annotations

import functools
import importlib
from datetime import datetime
from types import ModuleType
from typing import Any

from dateutil.parser import parse as dateutil_parse

MEMO_SIZE = 1 << 16

_cached = functools.lru_cache(maxsize=MEMO_SIZE)(dateutil_parse)


def memo_parse(value: Any, *args: Any, **kwargs: Any) -> datetime:
    if args or kwargs or not isinstance(value, str):
        return dateutil_parse(value, *args, **kwargs)
    return _cached(value)


def _history_event_module() -> ModuleType:
    # the package re-exports the class under the module's name, so import the module itself by path
    return importlib.import_module("azure.durable_functions.models.history.HistoryEvent")


def install() -> None:
    """Route the SDK's history timestamp parsing through the memo (idempotent)."""
    module = _history_event_module()
    if getattr(module, "dt_parse", None) is not dateutil_parse and not installed():
        raise RuntimeError("azure.durable_functions changed how it parses history timestamps")
    module.__dict__["dt_parse"] = memo_parse


def installed() -> bool:
    return getattr(_history_event_module(), "dt_parse", None) is memo_parse
