"""One error hierarchy for the local host."""

from __future__ import annotations


class HostError(RuntimeError):
    """Base class of every error the local host raises on purpose."""


class SettingsError(HostError):
    """A setting the app needs is missing or invalid."""


class StartupError(HostError):
    """The host cannot start (invalid app, unreachable storage, bad host.json)."""


class RouteTemplateError(HostError):
    """An HTTP trigger's route template cannot be parsed."""
