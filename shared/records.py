"""Typed values that cross Durable boundaries (orchestration input, activity input and output).

A :class:`Record` is a frozen dataclass with ``to_json`` / ``from_json``: the convention the Durable SDK and
the Functions worker serialise custom classes by (``{"__class__", "__module__", "__data__"}`` on the wire,
see ``azure.functions._durable_functions``). Fields may hold JSON values, other records, errors of the
:mod:`shared.errors` hierarchy (rebuilt with their classification), string enums, and lists of those.
Decoding follows the field annotations, so a record never needs hand-written conversion code.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from enum import Enum
from typing import Any, Self

from shared.errors import BackupAutopilotError, error_from_dict


class Record:
    """Mixin for frozen dataclasses that cross activity and orchestration boundaries."""

    def to_json(self) -> dict[str, Any]:
        return {f.name: _encode(getattr(self, f.name)) for f in dataclasses.fields(self)}  # type: ignore[arg-type]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        hints = _hints(cls)
        return cls(**{name: _decode(hints[name], data[name]) for name in hints if name in data})


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    """The dataclass fields' resolved annotations (computed once per class)."""
    hints = _HINTS.get(cls)
    if hints is None:
        names = {f.name for f in dataclasses.fields(cls)}
        hints = {k: v for k, v in typing.get_type_hints(cls).items() if k in names}
        _HINTS[cls] = hints
    return hints


def _encode(value: Any) -> Any:
    if isinstance(value, Record):
        return value.to_json()
    if isinstance(value, BackupAutopilotError):
        return value.to_dict()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _encode(v) for k, v in value.items()}
    return value


def _decode(annotation: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _decode(options[0], value) if len(options) == 1 else value
    if origin in (list, tuple):
        args = typing.get_args(annotation)
        items = [_decode(args[0], v) for v in value] if args else list(value)
        return tuple(items) if origin is tuple else items
    if isinstance(annotation, type):
        if issubclass(annotation, Record):
            return annotation.from_json(value)
        if issubclass(annotation, BackupAutopilotError):
            return error_from_dict(value)
        if issubclass(annotation, Enum):
            return annotation(value)
    return value
