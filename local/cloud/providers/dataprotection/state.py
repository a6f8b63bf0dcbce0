"""Typed DataProtection state kept beside the resource store: jobs, recovery points, protection index."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class RecoveryPoint:
    id: str
    time: float
    policy_name: str
    tag: str = "Default"


@dataclass
class DataProtectionState:
    #: job id (lower) -> (vault id, job resource body)
    jobs: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    #: backup instance id (lower) -> recovery points (vaulted datasources)
    recovery_points: dict[str, list[RecoveryPoint]] = field(default_factory=dict)
    #: datasource id (lower) -> backup instance id (for UserErrorDppDatasourceAlreadyProtected)
    protected: dict[str, str] = field(default_factory=dict)
    #: counter used to alternate jobId styles and poll-URL styles
    sequence: int = 0
