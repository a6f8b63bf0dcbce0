"""The two independent checks every request body we build goes through, as a pytest parameter:
``swagger`` (the DataProtection 2025-09-01 swagger of the corpus; skipped without it) and ``sdk``
(the official SDK's models; always). ``RS_CHECKERS``: the same two for Recovery Services bodies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.conformance.sdk_schema import rs_sdk_problems, sdk_problems
from tests.conformance.swagger_schema import BMS, schema_errors, unknown_properties

Checker = Callable[[str, Any], list[str]]


def swagger_problems(definition: str, body: Any) -> list[str]:
    """JSON Schema errors against the swagger definition, plus keys the swagger does not declare."""
    return schema_errors(definition, body) + unknown_properties(definition, body)


CHECKERS = [
    pytest.param(swagger_problems, id="swagger", marks=pytest.mark.corpus),
    pytest.param(sdk_problems, id="sdk"),
]


def bms_problems(definition: str, body: Any) -> list[str]:
    """The same against the Recovery Services backup 2025-08-01 swagger (``bms.json``)."""
    return schema_errors(definition, body, BMS) + unknown_properties(definition, body, spec=BMS)


#: The two checks of every Recovery Services request body.
RS_CHECKERS = [
    pytest.param(bms_problems, id="swagger", marks=pytest.mark.corpus),
    pytest.param(rs_sdk_problems, id="sdk"),
]
