"""One blueprint per capability: resource events, protection, restore, compliance."""

from __future__ import annotations

import azure.durable_functions as df


def blueprints() -> list[df.Blueprint]:
    """The blueprints function_app.py registers, in a stable order."""
    from functions import compliance, health, jobs, openapi, protection, restore, tracking

    return [protection.bp, restore.bp, compliance.bp, tracking.bp, jobs.bp, openapi.bp, health.bp]
