"""Snapshot-style comparison used by the DataProtection/resources conformance tests (no tests here).

``shape_diff(expected, actual)`` lists where ``actual`` departs from an official example: a key of the
example missing, a different JSON type, or a different discriminator (``objectType``). Volatile values
(ids, names, times, GUIDs) are not compared; ``null`` in the example matches anything; extra keys in
``actual`` are allowed (the examples are samples, not exhaustive recordings).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlparse

DISCRIMINATORS = {"objectType", "datasourceType", "dataStoreType", "type"}


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def shape_diff(expected: Any, actual: Any, path: str = "$") -> list[str]:
    if expected is None:
        return []
    if _kind(expected) != _kind(actual):
        return [f"{path}: type {_kind(actual)} != example {_kind(expected)}"]
    problems: list[str] = []
    if isinstance(expected, dict):
        for key, value in expected.items():
            if key not in actual:
                problems.append(f"{path}.{key}: missing")
            elif key == "objectType" and value != actual[key]:
                problems.append(f"{path}.{key}: {actual[key]!r} != example {value!r}")
            else:
                problems += shape_diff(value, actual[key], f"{path}.{key}")
    elif isinstance(expected, list) and expected:
        if not actual:
            problems.append(f"{path}: empty list, example has items")
        else:
            problems += shape_diff(expected[0], actual[0], f"{path}[0]")
    return problems


def check_poll_header(name: str, value: str) -> list[str]:
    """An Azure-AsyncOperation / Location header: absolute URL, an operation path, an api-version."""
    if name.lower() == "retry-after":
        return [] if re.fullmatch(r"\d+", value) else [f"Retry-After {value!r} is not integer seconds"]
    url = urlparse(value)
    problems = []
    if url.scheme not in {"http", "https"} or not url.netloc:
        problems.append(f"{name}: not an absolute URL: {value}")
    if not re.search(r"/operation(Status|Results|Statuses)/|/asyncoperations/", url.path, re.IGNORECASE):
        problems.append(f"{name}: no operation path in {url.path}")
    if "api-version" not in parse_qs(url.query):
        problems.append(f"{name}: no api-version")
    return problems
