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


class NotEvaluable(Exception):
    """An expression outside the small subset ``evaluate`` knows: the test must not guess its value."""


def evaluate(tree: Any, path: Path, env: dict[str, Any]) -> Any:
    """The value of a pycep expression of ``path`` for the given parameter values.

    Enough of Bicep for the deployment's switches: literals, parameters (from ``env``, else their defaults),
    variables (evaluated in turn), ``?:``, ``==``, ``!=``, ``&&``, ``||``, ``!``, ``empty()`` and property
    access on object variables. pycep writes identifiers and string literals alike, so a name that is neither
    a parameter nor a variable is taken as a string; anything else (another function, a module output) raises
    ``NotEvaluable``.
    """
    if tree is None or isinstance(tree, bool | int):
        return tree
    if isinstance(tree, str):
        declared = parsed(path)
        if tree in env:
            return env[tree]
        if tree in declared.get("parameters", {}):
            if declared["parameters"][tree].get("default") is None:  # pycep: None when there is none
                raise NotEvaluable(f"parameter {tree} has no default: give its value")
            return evaluate(declared["parameters"][tree]["default"], path, env)
        if tree in declared.get("variables", {}):
            return evaluate(declared["variables"][tree]["value"], path, env)
        return tree
    if isinstance(tree, list):
        return [evaluate(item, path, env) for item in tree]
    if isinstance(tree, dict) and set(tree) == {"operator"}:
        kind = tree["operator"]["type"]
        ops = tree["operator"]["operands"]
        if kind == "conditional":
            chosen = "true_value" if evaluate(ops["condition"], path, env) else "false_value"
            return evaluate(ops[chosen], path, env)
        if kind == "not":
            return not evaluate(ops["bool_value"], path, env)
        if kind == "property_accessor":
            target = evaluate(ops["operand_1"], path, env)
            key = ops["operand_2"]
            if isinstance(target, dict) and isinstance(key, str) and key in target:
                return target[key]
            raise NotEvaluable(json.dumps(tree))
        binary = {
            "equals": lambda a, b: a == b,
            "not_equals": lambda a, b: a != b,
            "and": lambda a, b: bool(a) and bool(b),
            "or": lambda a, b: bool(a) or bool(b),
        }
        if kind in binary:
            return binary[kind](evaluate(ops["operand_1"], path, env), evaluate(ops["operand_2"], path, env))
        raise NotEvaluable(json.dumps(tree))
    if isinstance(tree, dict) and "function" not in tree:
        return {key: evaluate(value, path, env) for key, value in tree.items()}
    if isinstance(tree, dict) and tree["function"]["type"] == "empty":
        return evaluate(tree["function"]["parameters"]["item_to_test"], path, env) in ("", [], {}, None)
    raise NotEvaluable(json.dumps(tree)[:200])
