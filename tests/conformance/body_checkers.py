"""The two independent checks every request body we build goes through, as a pytest parameter:
``swagger`` (the DataProtection 2025-09-01 swagger of the corpus; skipped without it) and ``sdk``
(the official SDK's models; always)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.conformance.sdk_schema import sdk_problems
from tests.conformance.swagger_schema import schema_errors, unknown_properties

Checker = Callable[[str, Any], list[str]]


def swagger_problems(definition: str, body: Any) -> list[str]:
    """JSON Schema errors against the swagger definition, plus keys the swagger does not declare."""
    return schema_errors(definition, body) + unknown_properties(definition, body)


CHECKERS = [
    pytest.param(swagger_problems, id="swagger", marks=pytest.mark.corpus),
    pytest.param(sdk_problems, id="sdk"),
]
