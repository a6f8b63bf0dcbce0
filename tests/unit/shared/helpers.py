"""Shared test helpers: read seeds' JSON blocks and spec examples."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from tests.paths import AZURE_SPECS, SEEDS

DP = AZURE_SPECS / "dataprotection"


def load_json(relative: str) -> Any:
    return json.loads((AZURE_SPECS / relative).read_text(encoding="utf-8"))


def seed_json_blocks(prefix: str) -> list[Any]:
    """Every ```json fenced block of a seed that parses as JSON."""
    path = next(SEEDS.glob(f"{prefix}_*.txt"))
    text = path.read_text(encoding="utf-8")
    out = []
    for block in re.findall(r"```json\s*\n(.*?)```", text, flags=re.S):
        try:
            out.append(json.loads(block))
        except ValueError:
            continue
    return out


def _seed_objects(prefix: str, keep: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
    """Every distinct JSON object in seed ``prefix`` that ``keep`` accepts, in order of appearance."""
    path = next(SEEDS.glob(f"{prefix}_*.txt"))
    text = path.read_text(encoding="utf-8")
    out: list[dict[str, Any]] = []
    decoder = json.JSONDecoder()
    for m in re.finditer(r"\{", text):
        try:
            obj, _ = decoder.raw_decode(text, m.start())
        except ValueError:
            continue
        if isinstance(obj, dict) and keep(obj) and obj not in out:
            out.append(obj)
    return out


def seed_error_bodies(prefix: str) -> list[dict[str, Any]]:
    """JSON objects following 'HTTP/1.1 4xx' headers or inside status bodies that carry 'error'."""
    return _seed_objects(prefix, lambda obj: isinstance(obj.get("error"), dict))


def seed_status_bodies(prefix: str) -> list[dict[str, Any]]:
    return _seed_objects(prefix, lambda obj: "status" in obj and "operationStatus" in str(obj.get("id", "")))
