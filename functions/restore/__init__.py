"""Restore over HTTP: validate, start, follow the restore job to its end, publish a completion event."""

from functions.restore import activities, http_api, orchestrator
from functions.restore.blueprint import bp

__all__ = ["activities", "bp", "http_api", "orchestrator"]
