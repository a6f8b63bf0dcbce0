"""Schema-driven fuzzing of the restore API from the OpenAPI document the app serves: no 5xx, ever.

Schemathesis generates requests for every operation of ``GET /api/openapi.json`` (bodies, query strings,
path parameters) and sends them to the running local host with the function key. Checks: no server error,
documented status codes and content types, and responses that match the documented schemas.
"""

from __future__ import annotations

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.integration.restore.restore_stack import RestoreApi

EXAMPLES_PER_OPERATION = 25


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def test_restore_api_never_answers_5xx(api: RestoreApi) -> None:
    served = httpx.get(f"{api.base}/api/openapi.json", timeout=30)  # anonymous, as documented
    assert served.status_code == 200 and served.json()["openapi"].startswith("3.")
    schema = schemathesis.openapi.from_url(f"{api.base}/api/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 4
    calls: dict[str, int] = {}
    for operation in operations:
        label = operation.label

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def fuzz(case: schemathesis.Case) -> None:
            response = case.call_and_validate(headers=api.key, checks=CHECKS)
            calls[label] = calls.get(label, 0) + 1  # noqa: B023 - run at once, inside this iteration
            assert response.status_code < 500

        fuzz()
    assert all(calls.get(op.label, 0) > 0 for op in operations), calls
