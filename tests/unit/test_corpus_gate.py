"""The ``corpus`` gate of ``tests/conftest.py``: without the API corpus the corpus tests are skipped under
one summary line and the run passes; with ``REQUIRE_CORPUS=1`` (CI) a missing corpus fails the session.

The gate is exercised in a child pytest over the repository's own conformance tests, with
``BACKUP_AUTOPILOT_CORPUS`` pointing at a directory of our choosing, so it holds on a lone clone and in
CI (where the real corpus is present) alike.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.paths import (
    CORPUS_ENV,
    DEFAULT_CORPUS,
    REPO_ROOT,
    REQUIRE_CORPUS_ENV,
    corpus_dir,
    corpus_required,
    missing_corpus_parts,
)

# No cache writes from the child; no property-testing plugins (none of these tests use them, and they
# are most of a child's start-up time).
QUIET_PLUGINS = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:schemathesis")


def _pytest(corpus: Path, *args: str, require: bool = False) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {REQUIRE_CORPUS_ENV, "PYTEST_ADDOPTS"}}
    env[CORPUS_ENV] = str(corpus)
    if require:
        env[REQUIRE_CORPUS_ENV] = "1"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-rs", *QUIET_PLUGINS, *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def test_without_the_corpus_the_corpus_tests_are_skipped_under_one_line(tmp_path: Path) -> None:
    # tests/conformance holds every kind of corpus test: marked modules, marked tests beside unmarked ones,
    # marked parameters, and a parametrization over corpus files that is empty without the corpus.
    run = _pytest(tmp_path, "-q", "tests/conformance")

    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    skip_lines = [line for line in run.stdout.splitlines() if line.startswith("SKIPPED")]
    assert len(skip_lines) == 1, skip_lines
    line = skip_lines[0]
    assert "corpus tests" in line and f"no azure-specs/, seeds/ in {tmp_path}" in line
    assert CORPUS_ENV in line
    folded = re.match(r"SKIPPED \[(\d+)\] ", line)
    totals = re.search(r"(\d+) passed, (\d+) skipped in ", run.stdout)
    assert folded and totals, run.stdout[-2000:]
    assert int(folded.group(1)) == int(totals.group(2)) > 0  # every skip is the corpus skip
    assert int(totals.group(1)) > 0  # the corpus-free conformance tests (SDK models, emulator) still ran
    assert "error" not in run.stdout.lower().split("short test summary info")[-1]


def test_a_required_corpus_that_is_missing_fails_the_session(tmp_path: Path) -> None:
    run = _pytest(tmp_path, "-q", "tests/conformance/test_eventgrid_samples.py", require=True)

    assert run.returncode == 4  # pytest's usage error: nothing ran
    assert f"{REQUIRE_CORPUS_ENV}=1 but the API corpus is missing" in run.stderr
    assert str(tmp_path) in run.stderr
    assert "passed" not in run.stdout and "skipped" not in run.stdout


def test_a_required_corpus_that_is_present_lets_the_session_run(tmp_path: Path) -> None:
    for part in ("azure-specs", "seeds"):
        (tmp_path / part).mkdir()
    run = _pytest(tmp_path, "--collect-only", "tests/conformance/test_eventgrid_samples.py", require=True)

    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert f"corpus: {tmp_path}" in run.stdout.splitlines()  # the report header names the corpus used
    assert re.search(r"\b\d+ tests? collected", run.stdout), run.stdout[-2000:]


def test_corpus_location_and_requirement_come_from_the_environment(tmp_path: Path) -> None:
    assert corpus_dir({}) == DEFAULT_CORPUS == REPO_ROOT.parent / "shared"
    assert corpus_dir({CORPUS_ENV: "  "}) == DEFAULT_CORPUS
    assert corpus_dir({CORPUS_ENV: str(tmp_path)}) == tmp_path.resolve()
    assert missing_corpus_parts(tmp_path) == ["azure-specs", "seeds"]
    (tmp_path / "seeds").mkdir()
    assert missing_corpus_parts(tmp_path) == ["azure-specs"]
    (tmp_path / "azure-specs").mkdir()
    assert missing_corpus_parts(tmp_path) == []
    assert [corpus_required({REQUIRE_CORPUS_ENV: v}) for v in ("1", "true", "YES", "0", "", "no")] == [
        True,
        True,
        True,
        False,
        False,
        False,
    ]
    assert corpus_required({}) is False
