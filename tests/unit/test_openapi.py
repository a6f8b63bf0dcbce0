"""The served OpenAPI document includes the schemas the code validates and writes by, unchanged."""

from __future__ import annotations

import json
from typing import Any

from jsonschema import Draft202012Validator

from functions.openapi import openapi_document
from shared.compliance.report import SCHEMA_PATH as REPORT_SCHEMA
from shared.restore.request import SCHEMA_PATH as RESTORE_SCHEMA


def _refs(value: Any) -> list[str]:
    if isinstance(value, dict):
        return ([value["$ref"]] if isinstance(value.get("$ref"), str) else []) + [
            r for v in value.values() for r in _refs(v)
        ]
    if isinstance(value, list):
        return [r for v in value for r in _refs(v)]
    return []


def test_the_restore_request_schema_is_served_as_the_code_validates_with_it() -> None:
    served = openapi_document()["components"]["schemas"]["RestoreRequest"]
    own = json.loads(RESTORE_SCHEMA.read_text())
    own.pop("$schema")
    assert served == own


def test_every_reference_resolves_and_the_report_schema_keeps_its_meaning() -> None:
    document = openapi_document()
    schemas = document["components"]["schemas"]
    for ref in _refs(document):
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[-1] in schemas, ref
    report = json.loads(REPORT_SCHEMA.read_text())
    assert schemas["ComplianceReportEntry"] == report["$defs"]["entry"]
    resolver_doc = {**schemas["ComplianceReport"], "$defs": {"entry": schemas["ComplianceReportEntry"]}}
    text = json.dumps(resolver_doc).replace("#/components/schemas/ComplianceReportEntry", "#/$defs/entry")
    Draft202012Validator.check_schema(json.loads(text))


def test_every_operation_documents_its_problems_and_the_key() -> None:
    document = openapi_document()
    assert document["openapi"].startswith("3.1")
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if path == "/api/openapi.json":
                continue
            assert "401" in operation["responses"], (method, path)
    assert {"/api/sweeps", "/api/sweeps/{sweepId}", "/api/sweeps/{sweepId}/report"} <= set(document["paths"])
