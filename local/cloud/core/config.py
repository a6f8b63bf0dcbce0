"""Emulator configuration: one dataclass, read in one place (``CloudConfig.from_mapping``)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

#: Default durations (emulated seconds) of the long-running operations, by operation key.
DEFAULT_DURATIONS: dict[str, float] = {
    "storage.create": 0.0,
    "vault.create": 2.0,
    "vault.delete": 2.0,
    "validate_for_backup": 2.0,
    "backup_instance.create": 4.0,
    "backup_instance.delete": 3.0,
    "backup_instance.lifecycle": 2.0,
    "backup_instance.settle": 0.0,  # ConfiguringProtection this long after the configure succeeded
    "validate_restore": 2.0,
    "restore_trigger": 1.0,
    "restore_job": 6.0,
    "backup_job": 6.0,
    "role_propagation": 0.0,
}


@dataclass
class ThrottleLimits:
    """Token bucket (burst, refill per second) per operation type, per subscription and principal."""

    reads: tuple[float, float] = (250.0, 25.0)
    writes: tuple[float, float] = (200.0, 10.0)
    deletes: tuple[float, float] = (200.0, 10.0)
    #: ARM's global subscription limit is 15x the per-principal one, shared by every principal.
    global_multiplier: float = 15.0


@dataclass
class CloudConfig:
    """Everything the emulator can be told. Change at run time with ``PUT /_admin/config``."""

    #: Emulated time runs this many times faster than real time (durations shrink, timestamps advance).
    time_factor: float = 1.0
    #: Seconds advertised in ``Retry-After`` on async operations (the real services say 60; tests use 0-1).
    retry_after_seconds: int = 60
    #: Seconds advertised in ``Retry-After`` on 429 throttling answers.
    throttle_retry_after_seconds: int = 5
    durations: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_DURATIONS))
    throttling: bool = False
    throttle_limits: ThrottleLimits = field(default_factory=ThrottleLimits)
    #: How jobId is reported in OperationJobExtendedInfo: "guid", "arm_id" or "alternate".
    job_id_style: str = "alternate"
    #: Base URL written into Azure-AsyncOperation / Location headers; None = the request's own origin.
    public_base_url: str | None = None
    #: Storage PUT answers 202 + Location then 200 (as real ARM does) when true; else 200/201 at once.
    async_storage_create: bool = True
    #: Interval (emulated seconds) between scheduled backups of vaulted datasources for recovery points.
    default_backup_interval_hours: float = 24.0

    def duration(self, key: str) -> float:
        return float(self.durations.get(key, DEFAULT_DURATIONS.get(key, 0.0)))

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def update(self, changes: dict[str, Any]) -> None:
        """Apply a partial update (the body of ``PUT /_admin/config``); unknown keys raise ``KeyError``."""
        for key, value in changes.items():
            if key == "durations":
                self.durations.update({str(k): float(v) for k, v in dict(value).items()})
            elif key == "throttle_limits":
                for name, limit in dict(value).items():
                    current = getattr(self.throttle_limits, name)
                    setattr(
                        self.throttle_limits,
                        name,
                        float(limit) if isinstance(current, float) else (float(limit[0]), float(limit[1])),
                    )
            elif key in {f.name for f in dataclasses.fields(self)}:
                setattr(self, key, value)
            else:
                raise KeyError(key)

    @classmethod
    def from_mapping(cls, data: dict[str, Any] | None) -> CloudConfig:
        config = cls()
        if data:
            config.update(data)
        return config
