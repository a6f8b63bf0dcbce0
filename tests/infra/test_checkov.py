"""checkov over the Bicep files, offline, with the explicit, commented skip list of infra/checkov.yaml.

checkov lives in its own virtual environment (.venv-checkov, `make setup`; requirements-checkov.txt says why).
It runs without network: inside a new network namespace where this machine allows one (`unshare -n`, as root),
else with every proxy pointed at a closed local port, and with --skip-download (no Prisma Cloud metadata).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from functools import cache
from typing import Any

import yaml

from tests.infra.bicep import INFRA, bicep_files
from tests.paths import REPO_ROOT

VENV = REPO_ROOT / ".venv-checkov"
CHECKOV = VENV / "bin" / "checkov"
CONFIG = INFRA / "checkov.yaml"
# Files checkov 3.3.30 cannot parse: it pins pycep-parser 0.5.1, which has no lambda expressions, and
# main.bicep splits its comma-separated parameters with filter()/map() lambdas. main.bicep itself declares
# only the resource group (and an existing topic); every other resource is in a module file, which checkov
# does scan.
NOT_PARSED_BY_CHECKOV = {"main.bicep"}


def _offline(command: list[str]) -> tuple[list[str], dict[str, str]]:
    closed = "http://127.0.0.1:9"
    env = {
        **os.environ,
        "HTTP_PROXY": closed,
        "HTTPS_PROXY": closed,
        "NO_PROXY": "",
        "BC_SKIP_MAPPING": "TRUE",
    }
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-n", "true"], capture_output=True, check=False).returncode == 0:
        return [unshare, "-n", *command], env
    return command, env


def _run(*args: str) -> dict[str, Any]:
    assert CHECKOV.is_file(), (
        f"checkov is not installed in {VENV}: run `make setup` (requirements-checkov.txt)"
    )
    command, env = _offline([str(CHECKOV), *args, "--output", "json"])
    done = subprocess.run(
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=240, check=False
    )
    assert done.stdout.strip().startswith("{"), (
        f"checkov printed no report (exit {done.returncode}): {done.stderr[-2000:]}"
    )
    report: dict[str, Any] = json.loads(done.stdout)
    assert report["check_type"] == "bicep"
    return report


@cache
def unskipped() -> dict[str, Any]:
    return _run("--directory", "infra", "--framework", "bicep", "--skip-download", "--compact", "--quiet")


def skip_list() -> set[str]:
    return set(yaml.safe_load(CONFIG.read_text())["skip-check"])


def test_checkov_finds_nothing_outside_the_commented_skip_list() -> None:
    report = _run("--config-file", str(CONFIG))
    failed = [
        (c["check_id"], c["file_path"], c["resource"]) for c in report["results"].get("failed_checks", [])
    ]
    assert not failed, failed
    assert report["summary"]["passed"] > 20


def test_every_skip_still_matches_a_finding() -> None:
    """Without the skip list checkov finds exactly the skipped checks: no skip outlives its reason."""
    found = {c["check_id"] for c in unskipped()["results"]["failed_checks"]}
    assert found == skip_list(), {"unexplained": found - skip_list(), "stale skips": skip_list() - found}
    text = CONFIG.read_text()
    for check in skip_list():
        line = next(line for line in text.splitlines() if f"- {check}" in line)
        assert "#" in line and len(line.split("#", 1)[1].strip()) > 20, f"{check} has no reason"


def test_checkov_parses_every_file_but_the_known_ones() -> None:
    """checkov skips what its parser cannot read: the files it cannot read are exactly the listed ones."""
    script = (
        "import sys\nfrom pathlib import Path\nfrom pycep import BicepParser\nparser = BicepParser()\n"
        "for name in sys.argv[1:]:\n"
        "    try:\n        parser.parse(file_path=Path(name))\n"
        "    except Exception:\n        print(Path(name).name)\n"
    )
    files = [str(p) for p in bicep_files()]
    done = subprocess.run(
        [str(VENV / "bin" / "python"), "-c", script, *files], capture_output=True, text=True, check=True
    )
    assert set(done.stdout.split()) == NOT_PARSED_BY_CHECKOV
    assert unskipped()["summary"]["parsing_errors"] == len(NOT_PARSED_BY_CHECKOV)
    assert unskipped()["summary"]["resource_count"] > 80
