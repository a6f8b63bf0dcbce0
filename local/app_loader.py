"""Load any v2-programming-model ``function_app.py`` and describe its functions the way the host reads them.

The app object is found as the Python worker's ``index_function_app`` finds it: the one top-level
``azure.functions.FunctionRegister`` instance (``FunctionApp``, ``DFApp``, ...), whatever its name. Every name
the module lists is looked at, so a second instance, or the same one bound to a second name, is refused with
the worker's error, and so is a module without one. The real host reads each function's bindings from the
worker's metadata; here that metadata comes from ``app.get_functions()`` (called once: a second call raises
ValueError about unique names) and the function's JSON representation.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from azure.functions import FunctionRegister

SCRIPT_FILE_NAME = "function_app.py"  # the worker's PYTHON_SCRIPT_FILE_NAME default


class AppLoadError(RuntimeError):
    """The app directory does not hold a loadable v2 function app."""


@dataclass(frozen=True)
class FunctionSpec:
    """One function of the app: its name, its trigger binding, its other bindings, and the callable."""

    name: str
    trigger: dict[str, Any]
    bindings: tuple[dict[str, Any], ...]
    user_function: Callable[..., Any]

    @property
    def trigger_type(self) -> str:
        return str(self.trigger["type"])

    def bindings_of_type(self, binding_type: str) -> list[dict[str, Any]]:
        return [b for b in self.bindings if b.get("type") == binding_type]


@dataclass
class LoadedApp:
    app_dir: Path
    host_json: dict[str, Any]
    functions: dict[str, FunctionSpec] = field(default_factory=dict)

    def by_trigger(self, trigger_type: str) -> list[FunctionSpec]:
        return [f for f in self.functions.values() if f.trigger_type == trigger_type]


def _load_module(app_dir: Path, module_name: str) -> Any:
    path = app_dir / SCRIPT_FILE_NAME
    if not path.is_file():
        raise AppLoadError(f"{app_dir} has no {SCRIPT_FILE_NAME}")
    if str(app_dir) not in sys.path:
        sys.path.insert(0, str(app_dir))
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise AppLoadError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise AppLoadError(f"importing {path} failed: {type(exc).__name__}: {exc}") from exc
    return module


def find_function_app(module: Any) -> FunctionRegister:
    """The module's one top-level FunctionRegister; the worker's errors when there are several or none."""
    app: FunctionRegister | None = None
    for name in module.__dir__():
        value = getattr(module, name, None)
        if not isinstance(value, FunctionRegister):
            continue
        if app is not None:
            raise AppLoadError(
                f"More than one {app.__class__.__name__} or other top "
                "level function app instances are defined."
            )
        app = value
    if app is None:
        raise AppLoadError(f"Could not find top level function app instances in {SCRIPT_FILE_NAME}.")
    return app


def load_app(app_dir: str | Path, module_name: str = "function_app") -> LoadedApp:
    """Import ``<app_dir>/function_app.py``, find its function app object, and describe its functions."""
    directory = Path(app_dir).resolve()
    host_json_path = directory / "host.json"
    try:
        host_json = json.loads(host_json_path.read_text()) if host_json_path.exists() else {"version": "2.0"}
    except json.JSONDecodeError as exc:
        raise AppLoadError(f"{host_json_path} is not valid JSON: {exc}") from exc
    app = find_function_app(_load_module(directory, module_name))
    loaded = LoadedApp(app_dir=directory, host_json=host_json)
    for function in app.get_functions():
        name = function.get_function_name()
        assert name is not None  # every decorator names it (the Python function's name by default)
        bindings = tuple(json.loads(function.get_function_json())["bindings"])
        triggers = [b for b in bindings if str(b.get("type", "")).lower().endswith("trigger")]
        if len(triggers) != 1:
            raise AppLoadError(f"function {name} must have exactly one trigger")
        loaded.functions[name] = FunctionSpec(
            name=name,
            trigger=triggers[0],
            bindings=bindings,
            user_function=function.get_user_function(),
        )
    return loaded
