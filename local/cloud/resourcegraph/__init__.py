"""Emulated Azure Resource Graph: ``Resources``, ``RecoveryServicesResources`` and ``ResourceContainers``
built from the emulator's live state (``rows``, ``tables``), a KQL subset (``kql_*``), subscription and
management-group scopes (``scope``), ``$skipToken`` paging and the per-user quota (``service``, ``quota``)."""

from .provider import ResourceGraphProvider

__all__ = ["ResourceGraphProvider"]
