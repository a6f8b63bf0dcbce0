"""Emulated Event Grid: ResourceWriteSuccess events from the emulator's resource writes, webhook event
subscriptions (handshake, filters, batching, retries, dead letters), and the custom topic the app
publishes to."""

from .provider import EventGridProvider, mount

__all__ = ["EventGridProvider", "mount"]
