"""Check a request body against the models of the official ``azure-mgmt-dataprotection`` SDK (and of
``azure-mgmt-recoveryservicesbackup``: ``rs_sdk_problems``).

An independent validator that needs no corpus: the SDK's generated models (``rest_field`` /
``rest_discriminator`` attributes with type hints) say, for each object, which JSON keys exist, which
are required (not ``Optional``), which are read-only (``visibility=["read"]``: not ours to send), which
value a discriminator (``objectType``) may take and which subtype it selects, and the known values of
each enum. ``sdk_problems(name, body)`` walks a body and lists every departure, with the JSON path.

The SDK describes a newer api-version than the one we call (additions only, so a body valid for ours is
valid here); :mod:`tests.conformance.swagger_schema` checks the same bodies against the 2025-09-01
swagger itself when the corpus is present.
"""

from __future__ import annotations

import enum
import sys
import types
import typing
from functools import cache
from typing import Any

from azure.mgmt.dataprotection import models
from azure.mgmt.recoveryservicesbackup import models as rs_models

# Each SDK's private ``model_base.Model``: the generator writes one copy per package.
_MODEL_BASES = (models.BackupInstance.__mro__[1], rs_models.ProtectedItem.__mro__[1])


@cache
def _hints(cls: type) -> dict[str, Any]:
    package = sys.modules[cls.__module__.rsplit("._", 1)[0]]  # ``...models`` of ``...models._models``
    return typing.get_type_hints(
        cls, globalns=vars(sys.modules[cls.__module__]), localns={"_models": package}
    )


class Field(typing.NamedTuple):
    rest_name: str
    hint: Any
    optional: bool
    read_only: bool
    discriminator: bool


@cache
def fields(cls: type) -> dict[str, Field]:
    """The JSON keys of a model class (its own and inherited), by JSON name."""
    hints = _hints(cls)
    out: dict[str, Field] = {}
    for klass in reversed(cls.__mro__):
        for attr, value in vars(klass).items():
            if attr.startswith("_") or not hasattr(value, "_rest_name_input"):
                continue
            name = value._rest_name_input or attr
            hint, optional = _unwrap_optional(hints.get(attr, Any))
            out[name] = Field(
                name, hint, optional, (value._visibility or []) == ["read"], bool(value._is_discriminator)
            )
    return out


def _unwrap_optional(hint: Any) -> tuple[Any, bool]:
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType) and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        return (rest[0] if len(rest) == 1 else typing.Union[tuple(rest)]), True  # noqa: UP007
    return hint, False


@cache
def subtypes(cls: type) -> dict[str, type]:
    """Discriminator value -> model class, through every level of the hierarchy below ``cls``."""
    out: dict[str, type] = {}
    for value, sub in (vars(cls).get("__mapping__") or {}).items():
        out[value] = sub
        out.update(subtypes(sub))
    return out


def _is_model(hint: Any) -> bool:
    return isinstance(hint, type) and issubclass(hint, _MODEL_BASES)


def _resolve(cls: type, body: dict[str, Any], path: str) -> tuple[type, list[str]]:
    """The subtype ``body`` selects through its discriminator (or ``cls``), and any problem with it."""
    known = subtypes(cls)
    disc = next((f for f in fields(cls).values() if f.discriminator), None)
    if disc is None or not known:
        return cls, []
    value = body.get(disc.rest_name)
    if value is None:
        return cls, [f"{path or '<root>'}: '{disc.rest_name}' is a required property"]
    if typing.get_origin(disc.hint) is typing.Literal and value in typing.get_args(disc.hint):
        return cls, []  # an intermediate type named by its own value
    if value not in known:
        return cls, [f"{path}/{disc.rest_name}: {value!r} is not one of {sorted(known)}"]
    return known[value], []


def _value_problems(hint: Any, value: Any, path: str) -> list[str]:
    if hint is Any:
        return []
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if _is_model(hint):
        return model_problems(hint, value, path)
    if origin is typing.Literal:
        return [] if value in args else [f"{path}: {value!r} is not one of {list(args)}"]
    if origin in (typing.Union, types.UnionType):
        enums = [a for a in args if isinstance(a, type) and issubclass(a, enum.Enum)]
        if enums and str in args:  # an extensible enum: a string, one of the known values
            allowed = sorted({str(m.value) for e in enums for m in e})
            if not isinstance(value, str):
                return [f"{path}: {value!r} is not of type 'string'"]
            return [] if value in allowed else [f"{path}: {value!r} is not one of {allowed}"]
        return []
    if origin is list:
        if not isinstance(value, list):
            return [f"{path}: {value!r} is not of type 'array'"]
        return [p for i, item in enumerate(value) for p in _value_problems(args[0], item, f"{path}[{i}]")]
    if origin is dict:
        if not isinstance(value, dict):
            return [f"{path}: {value!r} is not of type 'object'"]
        return [p for k, item in value.items() for p in _value_problems(args[1], item, f"{path}/{k}")]
    expected: dict[Any, tuple[type, ...]] = {str: (str,), bool: (bool,), int: (int,), float: (int, float)}
    if hint in expected:
        wrong = not isinstance(value, expected[hint]) or (hint is not bool and isinstance(value, bool))
        return [f"{path}: {value!r} is not of type {hint.__name__!r}"] if wrong else []
    return []  # datetimes and the like travel as strings: the service parses them


def model_problems(cls: type, body: Any, path: str = "") -> list[str]:
    if not isinstance(body, dict):
        return [f"{path or '<root>'}: {body!r} is not of type 'object' ({cls.__name__})"]
    resolved, problems = _resolve(cls, body, path)
    declared = fields(resolved)
    for key, value in body.items():
        field = declared.get(key)
        if field is None:
            problems.append(f"{path}/{key}: not declared by {resolved.__name__}")
        elif field.read_only:
            problems.append(f"{path}/{key}: read-only in {resolved.__name__}, not sent by a client")
        elif value is not None or not field.optional:
            problems.extend(_value_problems(field.hint, value, f"{path}/{key}"))
    for field in declared.values():
        if not field.optional and not field.read_only and field.rest_name not in body:
            problems.append(f"{path or '<root>'}: '{field.rest_name}' is a required property")
    return problems


def sdk_problems(definition: str, body: Any) -> list[str]:
    """Every way ``body`` departs from the SDK model named like the swagger definition ``definition``."""
    return model_problems(getattr(models, definition), body)


def rs_sdk_problems(definition: str, body: Any) -> list[str]:
    """The same, against ``azure-mgmt-recoveryservicesbackup`` (Recovery Services vaults, file shares)."""
    return model_problems(getattr(rs_models, definition), body)
