"""The Bicep files under infra/, parsed with pycep-parser (no Bicep compiler offline), and small readers of
the JSON pycep makes of them.

pycep writes an identifier and a string literal alike (``values: operationNames`` and ``values:
'operationNames'`` both become ``"operationNames"``), so readers here only ever look up names they expect.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from pycep import BicepParser

from tests.paths import REPO_ROOT

INFRA = REPO_ROOT / "infra"
MAIN = INFRA / "main.bicep"
APP = INFRA / "app"
ONBOARDING = INFRA / "onboarding"


def bicep_files() -> list[Path]:
    return sorted(INFRA.rglob("*.bicep"))


@cache
def _parser() -> BicepParser:
    return BicepParser()


@cache
def parsed(path: Path) -> dict[str, Any]:
    """The pycep JSON of one file (raises when pycep cannot parse it)."""
    tree: dict[str, Any] = dict(_parser().parse(file_path=path))
    return tree


def resources(path: Path) -> dict[str, dict[str, Any]]:
    return parsed(path).get("resources", {})


def modules(path: Path) -> dict[str, dict[str, Any]]:
    return parsed(path).get("modules", {})


def variable(path: Path, name: str) -> Any:
    return parsed(path)["variables"][name]["value"]


def parameter_default(path: Path, name: str) -> Any:
    return parsed(path)["parameters"][name]["default"]


def config(resource: dict[str, Any]) -> dict[str, Any]:
    """A resource's (or module's) body; a conditional or looped one nests it one level deeper."""
    body: dict[str, Any] = resource["config"]
    nested = body.get("config")
    return nested if isinstance(nested, dict) and ("condition" in body or "loop_type" in body) else body


def functions_called(tree: Any) -> Iterator[dict[str, Any]]:
    """Every ``{"function": {"type": ..., "parameters": ...}}`` node, depth first."""
    if isinstance(tree, dict):
        if isinstance(tree.get("function"), dict) and "type" in tree["function"]:
            yield tree["function"]
        for value in tree.values():
            yield from functions_called(value)
    elif isinstance(tree, list):
        for value in tree:
            yield from functions_called(value)


def loaded_files(path: Path) -> list[Path]:
    """Files a Bicep file reads with loadJsonContent / loadTextContent, resolved next to it."""
    out = []
    for function in functions_called(parsed(path)):
        if function["type"] in ("load_json_content", "load_text_content"):
            out.append((path.parent / function["parameters"]["file_path"]).resolve())
    return out


def load_json(path: Path) -> Any:
    return json.loads(path.read_text())
