"""JSON Schema validation for documents we accept (the protection rules, the HTTP API's request bodies).

One schema is the source of truth for a document's structure: the code validates against it and the OpenAPI
document serves it. Problems come back with a JSON path each, so an error names exactly what is wrong.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

from shared.errors import InvalidRequestError

_SURROGATE = re.compile("[\ud800-\udfff]")


@cache
def load_schema(path: Path) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return schema


@cache
def _validator(path: Path) -> Draft202012Validator:
    return Draft202012Validator(load_schema(path))


def json_path(parts: Sequence[Any], root: str = "$") -> str:
    """``$.rules[0].vault`` (or, with ``root=""``, ``rules[0].vault``) for a jsonschema error path."""
    out = root
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def problems(path: Path, document: Any) -> Iterator[ValidationError]:
    """Every schema problem of ``document``, in a stable order (by location, then by check)."""
    errors = _validator(path).iter_errors(document)
    yield from sorted(errors, key=lambda e: ([str(p) for p in e.absolute_path], str(e.validator)))


def validated_request(path: Path, body: Any, *, first: Sequence[str] = ()) -> Mapping[str, Any]:
    """An HTTP request body checked against its schema: the body, or the first problem as an
    ``InvalidRequestError`` naming its field (the body's type, unknown fields, ``first``, then in order)."""
    errors = list(problems(path, body))
    if errors:
        raise _schema_error(min(errors, key=lambda e: _rank(e, first)))
    check_text(body, "")
    data: Mapping[str, Any] = body
    return data


def _schema_error(error: ValidationError) -> InvalidRequestError:
    where = json_path(error.absolute_path, root="")
    instance: Any = error.instance
    if error.validator == "required":
        required: list[str] = list(error.validator_value)  # type: ignore[arg-type]
        missing = [n for n in required if n not in instance]
        return InvalidRequestError(json_path([*error.absolute_path, missing[0]], root=""), "is required")
    if error.validator == "additionalProperties":
        known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        unknown = sorted(str(k) for k in instance if k not in known)
        return InvalidRequestError(where or "body", f"unknown field {unknown[0][:100]!r}")
    if error.validator == "oneOf" and not where:
        return InvalidRequestError("resourceId", "give exactly one of resourceId or backupInstanceId")
    if error.validator == "not":  # ``{"not": {}}``: the field does not apply to this kind
        return InvalidRequestError(where, "does not apply to this kind of request")
    if error.validator == "type" and not where:
        return InvalidRequestError("body", "must be a JSON object")
    reason = _REASONS.get(str(error.validator), _as_is)(error.validator_value)
    return InvalidRequestError(where or "body", reason)


def _rank(error: ValidationError, first: Sequence[str]) -> int:
    """Which problem to report first: the body's type, unknown fields, the ``first`` fields, then the rest."""
    if not error.absolute_path:
        return {"type": 0, "additionalProperties": 1}.get(str(error.validator), 3)
    return 2 if len(error.absolute_path) == 1 and error.absolute_path[0] in first else 3


def _as_is(value: Any) -> str:
    return f"does not satisfy {str(value)[:200]}"


# What a schema check means, said without repeating the (possibly huge or hostile) value.
_REASONS: dict[str, Callable[[Any], str]] = {
    "type": lambda v: f"must be of type {v}",
    "enum": lambda v: "must be one of " + ", ".join(map(str, v)),
    "maxItems": lambda v: f"at most {v} items are allowed",
    "minItems": lambda v: f"at least {v} item(s) are required",
    "maxLength": lambda v: f"is longer than {v} characters",
    "minLength": lambda v: "must not be empty",
    "pattern": lambda v: f"must match {v}",
    "const": lambda v: f"must be {v}",
}


def check_text(value: Any, where: str) -> None:
    """Refuse lone surrogates anywhere: they cannot be stored, logged or sent on as UTF-8."""
    if isinstance(value, str) and _SURROGATE.search(value):
        raise InvalidRequestError(where or "body", "contains an unpaired surrogate (not valid Unicode)")
    if isinstance(value, dict):
        for key, item in value.items():
            check_text(key, where or "body")
            check_text(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            check_text(item, f"{where}[{i}]")
