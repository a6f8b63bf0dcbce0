"""Compliance sweeps: timer / ``POST /api/sweeps`` -> ``compliance_sweep`` -> Resource Graph pages ->
classification -> report (JSON, CSV, a page) -> remediation through the protection queue -> summary event."""

from functions.compliance import activities, http_api, orchestrator, triggers
from functions.compliance.blueprint import bp

__all__ = ["activities", "bp", "http_api", "orchestrator", "triggers"]
