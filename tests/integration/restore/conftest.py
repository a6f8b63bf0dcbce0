"""One local stack for every restore end-to-end and fuzz test of the session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local.stack import LocalStack
from tests.integration.restore.restore_stack import RestoreApi, shared_restore_stack


@pytest.fixture(scope="session")
def restore_stack() -> Iterator[LocalStack]:
    yield from shared_restore_stack()


@pytest.fixture
def api(restore_stack: LocalStack) -> RestoreApi:
    return RestoreApi(restore_stack)
