"""The durable engine's error hierarchy."""

from __future__ import annotations


class DurableError(RuntimeError):
    """Base of every error the durable engine raises."""


class OrchestrationNotFound(DurableError):
    """No orchestrator function of that name in the app."""


class InstanceExists(DurableError):
    """An instance with that id is already Pending/Running (the extension's NonRunningStates dedupe)."""


class InstanceNotFound(DurableError):
    """No instance with that id."""


class InstanceFinished(DurableError):
    """The instance is Completed/Failed/Terminated: it accepts no more events."""


class ConcurrencyConflict(DurableError):
    """Someone else updated the instance since it was read (ETag mismatch)."""


class UnsupportedAction(DurableError):
    """The orchestrator asked for something this engine does not implement (entities, durable HTTP)."""
