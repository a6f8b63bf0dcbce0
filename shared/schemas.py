"""JSON Schema validation for documents we accept (the protection rules, the restore request).

One schema is the source of truth for a document's structure: the code validates against it and the OpenAPI
document serves it. Problems come back with a JSON path each, so an error names exactly what is wrong.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError


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
