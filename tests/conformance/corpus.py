"""Reading the API corpus (``tests.paths.AZURE_SPECS`` / ``SEEDS``): official examples and captures as
JSON, and the JSON bodies inside the seed walkthroughs. Only ``corpus``-marked tests call these; nothing
here touches the disk at import time, so the modules that use it collect without the corpus."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.paths import AZURE_SPECS, SEEDS

DP = AZURE_SPECS / "dataprotection"


def load_json(relative: str) -> Any:
    """A corpus JSON file, by its path under ``azure-specs``."""
    return json.loads((AZURE_SPECS / relative).read_text(encoding="utf-8"))


def seed_path(prefix: str) -> Path:
    """The seed walkthrough ``<prefix>_*.txt``."""
    return next(SEEDS.glob(f"{prefix}_*.txt"))


def seed_json_blocks(prefix: str) -> list[Any]:
    """Every ```json fenced block of a seed that parses as JSON."""
    text = seed_path(prefix).read_text(encoding="utf-8")
    out = []
    for block in re.findall(r"```json\s*\n(.*?)```", text, flags=re.S):
        try:
            out.append(json.loads(block))
        except ValueError:
            continue
    return out


def _seed_objects(prefix: str, keep: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
    """Every distinct JSON object in seed ``prefix`` that ``keep`` accepts, in order of appearance."""
    text = seed_path(prefix).read_text(encoding="utf-8")
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
