"""``GET /api/openapi.json`` (anonymous): the API description, with the very schemas the code validates and
writes by (the restore, backup and protection-change requests, the compliance report) included as they
are, never kept twice by hand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import azure.durable_functions as df
import azure.functions as func

from shared.compliance.report import SCHEMA_PATH as REPORT_SCHEMA
from shared.lifecycle.request import BACKUP_SCHEMA_PATH, CHANGE_SCHEMA_PATH
from shared.restore.request import SCHEMA_PATH as RESTORE_REQUEST_SCHEMA
from shared.schemas import load_schema

OPENAPI_PATH = Path(__file__).resolve().with_name("openapi.json")
INCLUDED = {
    "RestoreRequest": RESTORE_REQUEST_SCHEMA,
    "BackupRequest": BACKUP_SCHEMA_PATH,
    "ProtectionChangeRequest": CHANGE_SCHEMA_PATH,
    "ComplianceReport": REPORT_SCHEMA,
}

bp = df.Blueprint()


def _hoisted(schema: str, definition: str) -> str:
    """A hoisted definition's name: ``ComplianceReport`` + ``entry`` -> ``ComplianceReportEntry``."""
    return f"{schema}{definition[:1].upper()}{definition[1:]}"


def _rewrite(value: Any, prefix: str) -> Any:
    """``#/$defs/x`` references -> ``#/components/schemas/{prefix}x`` (where the definitions are hoisted)."""
    if isinstance(value, dict):
        out = {k: _rewrite(v, prefix) for k, v in value.items()}
        ref = out.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            out["$ref"] = f"#/components/schemas/{_hoisted(prefix, ref.removeprefix('#/$defs/'))}"
        return out
    if isinstance(value, list):
        return [_rewrite(v, prefix) for v in value]
    return value


def openapi_document() -> dict[str, Any]:
    """``functions/openapi.json`` plus the included schemas (their ``$defs`` hoisted into components)."""
    document: dict[str, Any] = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
    components = document["components"]["schemas"]
    for name, path in INCLUDED.items():
        schema = {k: v for k, v in load_schema(path).items() if k != "$schema"}
        for key, definition in schema.pop("$defs", {}).items():
            components[_hoisted(name, key)] = _rewrite(definition, name)
        components[name] = _rewrite(schema, name)
    return document


@bp.route(route="openapi.json", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def openapi(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(openapi_document()), mimetype="application/json")
