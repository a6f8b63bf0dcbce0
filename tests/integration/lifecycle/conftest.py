"""The lifecycle tests run against the same session-wide stack as the restore tests (own datasources)."""

from tests.integration.restore.conftest import api, restore_stack

__all__ = ["api", "restore_stack"]
