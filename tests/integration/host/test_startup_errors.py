"""Start-up errors: one clear line and a non-zero exit code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from local.azurite import free_port
from tests.integration.host.helpers import APPS
from tests.paths import REPO_ROOT

pytestmark = pytest.mark.integration


def run_host(app_dir: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "local", "host", "--app-dir", str(app_dir), "--port", str(free_port())],
        cwd=REPO_ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_missing_connection_setting(azurite_connection_string: str) -> None:
    result = run_host(APPS / "host_missing", {"AzureWebJobsStorage": azurite_connection_string})
    assert result.returncode == 1
    assert "error: setting 'MissingStorageConnection' is missing" in result.stderr


def test_invalid_app(azurite_connection_string: str, tmp_path: Path) -> None:
    result = run_host(tmp_path, {"AzureWebJobsStorage": azurite_connection_string})
    assert result.returncode == 1
    assert "has no function_app.py" in result.stderr


def test_broken_app_import(azurite_connection_string: str, tmp_path: Path) -> None:
    (tmp_path / "function_app.py").write_text("raise ImportError('nope')\n")
    result = run_host(tmp_path, {"AzureWebJobsStorage": azurite_connection_string})
    assert result.returncode == 1
    assert "ImportError: nope" in result.stderr


@pytest.mark.parametrize(
    ("app", "message"),
    [
        ("host_two_apps", "More than one DFApp or other top level function app instances are defined."),
        ("host_no_app", "Could not find top level function app instances in function_app.py."),
    ],
)
def test_function_app_objects_are_found_as_the_worker_finds_them(
    azurite_connection_string: str, app: str, message: str
) -> None:
    result = run_host(APPS / app, {"AzureWebJobsStorage": azurite_connection_string})
    assert result.returncode == 1
    assert f"error: {message}" in result.stderr.splitlines()
