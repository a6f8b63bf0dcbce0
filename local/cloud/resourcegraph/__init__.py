"""Emulated Azure Resource Graph: a KQL subset over the emulator's resources, paged like the real service."""

from .provider import ResourceGraphProvider

__all__ = ["ResourceGraphProvider"]
