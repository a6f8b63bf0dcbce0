"""``python -m local sweep`` against the emulated cloud (as it would run against a tenant after ``az login``):
remediation off, the report and the page written to a folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from local.azurite import REPO_ROOT, STATE_DIR
from local.stack import CloudProcess
from tests.integration.compliance.test_sweep_e2e import EXPECTED, PROD, RULES, SEED, share

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def cloud() -> Iterator[CloudProcess]:
    process = CloudProcess(SEED, 60.0, False, STATE_DIR / "logs" / f"workstation-cloud-{os.getpid()}.log")
    try:
        process.wait_ready()
        yield process
    finally:
        process.stop()


def sweep(cloud: CloudProcess, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "local", "sweep", "--rules", str(RULES), "--out", str(out)]
    command += ["--arm-endpoint", cloud.url, "--credential", "local", *extra]
    return subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False)


def test_the_workstation_sweep_writes_the_report_and_the_page(cloud: CloudProcess, tmp_path: Path) -> None:
    done = sweep(cloud, tmp_path, "--management-group", "mg-prod")
    assert done.returncode == 0, done.stderr
    assert "resources in scope" in done.stdout and str(tmp_path / "report.html") in done.stdout
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["sweep"]["trigger"] == "workstation" and report["sweep"]["remediation"] == "off"
    got = {e["resourceId"].lower(): e["classification"] for e in report["entries"]}
    expected = {k.lower(): v for k, v in EXPECTED.items() if f"/subscriptions/{PROD}/" in k}
    expected[share("hr").lower()] = "stopped"  # the seed's share (the end-to-end test deletes it first)
    assert got == expected  # mg-prod holds the production subscription only
    page = (tmp_path / "report.html").read_text()
    assert "stunprotected1" in page and 'data-kind="file_share"' in page
    assert (tmp_path / "report.csv").read_text().startswith("resourceId,classification")
    assert not (tmp_path / "sweeps").exists()  # staged pages are cleaned up


def test_a_bad_rules_document_is_a_clear_error(cloud: CloudProcess, tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("version: 1\nrules: [{name: x}]\n")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "local",
            "sweep",
            "--rules",
            str(rules),
            "--out",
            str(tmp_path / "out"),
            "--arm-endpoint",
            cloud.url,
            "--credential",
            "local",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.startswith("error: invalid protection rules") and "$.rules[0]" in done.stderr
