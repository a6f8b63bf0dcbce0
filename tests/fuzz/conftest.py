"""The fuzz tests run against the same session-wide restore stack as the restore end-to-end tests."""

from tests.integration.restore.conftest import api, restore_stack

__all__ = ["api", "restore_stack"]
