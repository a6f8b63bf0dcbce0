"""One blueprint per capability: protection, restore, lifecycle, compliance, and the shared activities."""

from __future__ import annotations

import azure.durable_functions as df


def blueprints() -> list[df.Blueprint]:
    """The blueprints function_app.py registers, in a stable order."""
    from functions import (
        compliance,
        health,
        instances,
        jobs,
        lifecycle,
        openapi,
        protection,
        restore,
        tracking,
    )

    return [
        protection.bp,
        restore.bp,
        lifecycle.bp,
        compliance.bp,
        tracking.bp,
        jobs.bp,
        instances.bp,
        openapi.bp,
        health.bp,
    ]
