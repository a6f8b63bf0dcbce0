"""Fixtures shared by every test package: a real Azurite for the session, started and stopped by pid."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from local import azurite


@pytest.fixture(scope="session")
def azurite_connection_string() -> Iterator[str]:
    """A fresh Azurite for this test session (data under .state/azurite/tests-<pid>), stopped at the end."""
    proc = azurite.start(f"tests-{os.getpid()}", fresh=True)
    try:
        yield proc.connection_string
    finally:
        proc.stop()
        import shutil

        shutil.rmtree(proc.location, ignore_errors=True)
