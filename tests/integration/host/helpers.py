"""Helpers for host integration tests: records written by the test apps, waiting for a condition."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from tests.paths import TEST_APPS

APPS = TEST_APPS
T = TypeVar("T")


def records(record_dir: Path, name: str) -> list[dict[str, Any]]:
    path = record_dir / f"{name}.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def wait_for(condition: Callable[[], T | None], timeout: float = 15.0, interval: float = 0.1) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last value {value!r})")
        time.sleep(interval)
