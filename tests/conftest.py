"""Fixtures shared by every test package (a real Azurite for the session, started and stopped by pid),
and the ``corpus`` gate.

Tests marked ``corpus`` read the API corpus outside the repository (``tests.paths.CORPUS``). Without
it they are skipped, all under one reason, so the summary shows a single ``SKIPPED [n] ...`` line; with
``REQUIRE_CORPUS=1`` (CI) a missing corpus fails the session before anything runs.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator

import pytest

from local import azurite
from tests.paths import (
    CORPUS,
    CORPUS_ENV,
    CORPUS_PRESENT,
    REQUIRE_CORPUS_ENV,
    corpus_required,
    missing_corpus_parts,
)


def _corpus_problem() -> str:
    missing = ", ".join(f"{part}/" for part in missing_corpus_parts(CORPUS))
    return f"no {missing} in {CORPUS} (set {CORPUS_ENV} to the corpus directory)"


CORPUS_PROBLEM = "" if CORPUS_PRESENT else _corpus_problem()
CORPUS_SKIP_REASON = (
    f"corpus tests (official Azure examples, captures, seed walkthroughs) skipped: {CORPUS_PROBLEM}"
    if CORPUS_PROBLEM
    else ""
)


def pytest_configure(config: pytest.Config) -> None:
    if CORPUS_PROBLEM and corpus_required():
        raise pytest.UsageError(f"{REQUIRE_CORPUS_ENV}=1 but the API corpus is missing: {CORPUS_PROBLEM}")


def pytest_report_header(config: pytest.Config) -> str | None:
    return f"corpus: {CORPUS}" if CORPUS_PRESENT else None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    if CORPUS_SKIP_REASON and item.get_closest_marker("corpus") is not None:
        pytest.skip(CORPUS_SKIP_REASON)


_GATE_LINE = pytest_runtest_setup.__code__.co_firstlineno


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Every skip of a ``corpus`` test without the corpus (including an empty parameter set, which
    pytest skips by itself) reports the same place and reason, so the summary folds them into one line."""
    report = yield
    if CORPUS_SKIP_REASON and report.skipped and item.get_closest_marker("corpus") is not None:
        report.longrepr = (__file__, _GATE_LINE, f"Skipped: {CORPUS_SKIP_REASON}")
    return report


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
