"""Turn swagger 2.0 definitions (``dataprotection.json``; ``bms.json`` with ``spec=BMS``) into a JSON
Schema we can validate with.

- internal ``#/definitions/X`` refs become ``#/$defs/X``; external common-types refs become ``{}``
  (ARM envelope fields such as id/name/type are not ours to send);
- ``allOf`` is kept; a ref to a base with a ``discriminator`` becomes a ref to ``X__poly``: the base
  plus, for each subtype (its ``x-ms-discriminator-value`` or name), ``if objectType == v then subtype``,
  with the discriminator restricted to the known values;
- ``unknown_properties`` walks an instance against the merged properties of its (sub)type, because
  swagger objects allow extra properties and a misspelt key would otherwise pass silently.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from tests.paths import AZURE_SPECS

SWAGGER = AZURE_SPECS / "dataprotection" / "dataprotection.json"
BMS = AZURE_SPECS / "recoveryservicesbackup" / "bms.json"  # Recovery Services backup 2025-08-01


@cache
def swagger(path: Path = SWAGGER) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _base_of(defn: dict[str, Any]) -> list[str]:
    out = []
    for part in defn.get("allOf", []):
        ref = part.get("$ref", "")
        if ref.startswith("#/definitions/"):
            out.append(ref.split("/")[-1])
    return out


@cache
def subtypes(spec: Path = SWAGGER) -> dict[str, dict[str, str]]:
    """base -> {discriminator value -> definition name}, transitively."""
    defs = swagger(spec)["definitions"]
    direct: dict[str, list[str]] = {}
    for name, defn in defs.items():
        for base in _base_of(defn):
            direct.setdefault(base, []).append(name)
    out: dict[str, dict[str, str]] = {}
    for base, defn in defs.items():
        if "discriminator" not in defn:
            continue
        values: dict[str, str] = {defn.get("x-ms-discriminator-value", base): base}
        stack = list(direct.get(base, []))
        while stack:
            sub = stack.pop()
            values[defs[sub].get("x-ms-discriminator-value", sub)] = sub
            stack.extend(direct.get(sub, []))
        out[base] = values
    return out


def _convert(node: Any, spec: Path, *, in_allof: bool = False) -> Any:
    if isinstance(node, list):
        return [_convert(n, spec) for n in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$ref":
            if not value.startswith("#/definitions/"):
                return {}
            name = value.split("/")[-1]
            poly = name in subtypes(spec) and not in_allof
            out["$ref"] = f"#/$defs/{name}__poly" if poly else f"#/$defs/{name}"
        elif key == "allOf":
            out["allOf"] = [_convert(v, spec, in_allof=True) for v in value]
        elif (
            key in ("discriminator", "readOnly", "example")
            or key.startswith("x-")
            or (
                key == "format"
                and value
                in (
                    "int32",
                    "int64",
                    "double",
                    "float",
                    "byte",
                    "binary",
                    "password",
                    "duration",
                    "uuid",
                )
            )
        ):
            continue
        else:
            out[key] = _convert(value, spec)
    return out


@cache
def json_schema(spec: Path = SWAGGER) -> dict[str, Any]:
    defs = {name: _convert(defn, spec) for name, defn in swagger(spec)["definitions"].items()}
    for base, values in subtypes(spec).items():
        prop = swagger(spec)["definitions"][base].get("discriminator", "objectType")
        branches = [
            {
                "if": {"properties": {prop: {"const": v}}, "required": [prop]},
                "then": {"$ref": f"#/$defs/{sub}"},
            }
            for v, sub in values.items()
        ]
        defs[f"{base}__poly"] = {
            "allOf": [{"$ref": f"#/$defs/{base}"}, *branches],
            "properties": {prop: {"enum": sorted(values)}},
            "required": [prop],
        }
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$defs": defs}


def validator_for(definition: str, spec: Path = SWAGGER) -> Draft202012Validator:
    schema = dict(json_schema(spec))
    name = f"{definition}__poly" if definition in subtypes(spec) else definition
    schema["$ref"] = f"#/$defs/{name}"
    return Draft202012Validator(schema)


def schema_errors(definition: str, instance: Any, spec: Path = SWAGGER) -> list[str]:
    return [
        f"{'/'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}"
        for e in validator_for(definition, spec).iter_errors(instance)
    ]


def _merged_properties(name: str, spec: Path) -> dict[str, Any]:
    defs = swagger(spec)["definitions"]
    props: dict[str, Any] = {}
    for base in _base_of(defs[name]):
        props.update(_merged_properties(base, spec))
    props.update(defs[name].get("properties", {}))
    return props


def _resolve(schema: dict[str, Any]) -> str | None:
    ref = schema.get("$ref", "")
    return ref.split("/")[-1] if ref.startswith("#/definitions/") else None


def unknown_properties(definition: str, instance: Any, path: str = "", spec: Path = SWAGGER) -> list[str]:
    """Keys in ``instance`` that the (discriminated) definition does not declare, recursively."""
    if not isinstance(instance, dict):
        return []
    name = definition
    values = subtypes(spec).get(definition)
    disc = swagger(spec)["definitions"][definition].get("discriminator", "objectType")
    if values and isinstance(instance.get(disc), str):
        name = values.get(instance[disc], definition)
    props = _merged_properties(name, spec)
    problems = []
    for key, value in instance.items():
        if key not in props:
            problems.append(f"{path}/{key}: not declared by {name}")
            continue
        schema = props[key]
        child = _resolve(schema)
        if child:
            problems.extend(unknown_properties(child, value, f"{path}/{key}", spec))
        elif schema.get("type") == "array" and isinstance(value, list):
            item = _resolve(schema.get("items", {}))
            if item:
                for i, v in enumerate(value):
                    problems.extend(unknown_properties(item, v, f"{path}/{key}[{i}]", spec))
    return problems
