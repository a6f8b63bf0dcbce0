"""The function app object is found as the Python worker finds it: one top-level FunctionRegister."""

from __future__ import annotations

from pathlib import Path

import pytest

from local.app_loader import AppLoadError, load_app
from tests.paths import TEST_APPS


def test_the_one_function_app_is_found_whatever_its_name() -> None:
    loaded = load_app(TEST_APPS / "host_named_app", module_name="host_named_app_unit")
    assert sorted(loaded.functions) == ["hello", "hello_orchestrator", "http_start"]
    assert loaded.functions["hello_orchestrator"].trigger_type == "orchestrationTrigger"


def test_two_function_apps_are_refused_with_the_workers_message() -> None:
    with pytest.raises(AppLoadError) as raised:
        load_app(TEST_APPS / "host_two_apps", module_name="host_two_apps_unit")
    # the class named is the first instance's, in the module's definition order
    assert str(raised.value) == "More than one DFApp or other top level function app instances are defined."


def test_the_same_app_under_a_second_name_counts_twice(tmp_path: Path) -> None:
    (tmp_path / "function_app.py").write_text(
        "import azure.functions as func\n\napp = func.FunctionApp()\nmyApp = app\n"
    )
    with pytest.raises(AppLoadError) as raised:
        load_app(tmp_path, module_name="aliased_app_unit")
    assert str(raised.value) == (
        "More than one FunctionApp or other top level function app instances are defined."
    )


def test_a_module_without_a_function_app_is_refused_with_the_workers_message() -> None:
    with pytest.raises(AppLoadError) as raised:
        load_app(TEST_APPS / "host_no_app", module_name="host_no_app_unit")
    assert str(raised.value) == "Could not find top level function app instances in function_app.py."
