"""Backup now, and stop / suspend / resume / delete the protection of a datasource, over HTTP: each checked,
started once, tracked to its end and published as a completion event."""

from functions.lifecycle import activities, http_api, orchestrator
from functions.lifecycle.blueprint import bp

__all__ = ["activities", "bp", "http_api", "orchestrator"]
