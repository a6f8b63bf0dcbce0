"""Storage queue clients shared by the queue listener and queue output bindings, and message encoding."""

from __future__ import annotations

import base64
import binascii
import contextlib
import logging
from collections import Counter
from collections.abc import Iterable
from typing import Any

import azure.functions as func
from azure.core.exceptions import ResourceExistsError

from local.host.errors import HostError
from local.lean_queue import LeanQueue, QueueService

log = logging.getLogger("local.host.queues")


class QueueBindingError(HostError):
    """A queue output value cannot be written, or a message cannot be decoded."""


def encode(text: str, encoding: str) -> str:
    if encoding == "base64":
        return base64.b64encode(text.encode("utf-8")).decode("ascii")
    return text


def encode_bytes(data: bytes, encoding: str) -> str:
    if encoding == "base64":
        return base64.b64encode(data).decode("ascii")
    return data.decode("utf-8")


def decode(content: str, encoding: str) -> str:
    """The message body as the function sees it (the worker receives a string).

    As the Storage Queues extension: the SDK client decodes base64 (``messageEncoding``), and a message it
    cannot decode raises :class:`QueueBindingError` (the extension's ``MessageDecodingFailed`` handler moves
    it to the poison queue at once); the body bytes become text as ``BinaryData.ToString()`` makes them,
    UTF-8 with ill-formed sequences replaced by U+FFFD, never a failure.
    """
    if encoding != "base64":
        return content
    try:
        data = base64.b64decode(content, validate=True)
    except binascii.Error as exc:
        raise QueueBindingError(f"message is not valid base64 (messageEncoding base64): {exc}") from exc
    return data.decode("utf-8", errors="replace")


class QueueClients:
    """One async service client per connection string; queues created on first use.

    ``transactions`` counts the storage requests that triggers and output bindings make through these
    clients, by operation (the host's ``GET /admin/host/stats`` reports them next to the task hub's).
    """

    def __init__(self) -> None:
        self._services: dict[str, QueueService] = {}
        self._created: set[tuple[str, str]] = set()
        self.transactions: Counter[str] = Counter()

    def queue(self, connection_string: str, queue_name: str) -> LeanQueue:
        service = self._services.get(connection_string)
        if service is None:
            service = QueueService(connection_string)
            self._services[connection_string] = service
        return service.queue(queue_name)

    async def ensure(self, connection_string: str, queue_name: str) -> LeanQueue:
        client = self.queue(connection_string, queue_name)
        key = (connection_string, queue_name)
        if key not in self._created:
            with contextlib.suppress(ResourceExistsError):
                await client.create_queue()
            self._created.add(key)
        return client

    async def close(self) -> None:
        for service in self._services.values():
            await service.close()
        self._services.clear()


def output_messages(value: Any) -> list[str | bytes]:
    """What the worker's queue output converter accepts: str, bytes, QueueMessage, or an iterable of those."""
    if value is None:
        return []
    if isinstance(value, str | bytes):
        return [value]
    if isinstance(value, func.QueueMessage):
        return [value.get_body()]
    if isinstance(value, Iterable) and not isinstance(value, dict):
        messages: list[str | bytes] = []
        for item in value:
            if isinstance(item, str):
                messages.append(item)
            elif isinstance(item, func.QueueMessage):
                messages.append(item.get_body())
            else:
                raise QueueBindingError(f"invalid data type in output queue message list: {type(item)}")
        return messages
    raise QueueBindingError(f"unsupported queue output value of type {type(value).__name__}")


async def send_output(
    client: LeanQueue, value: Any, encoding: str, transactions: Counter[str] | None = None
) -> int:
    messages = output_messages(value)
    if transactions is not None:
        transactions["queue.put"] += len(messages)
    for message in messages:
        if isinstance(message, bytes):
            await client.send_message(encode_bytes(message, encoding))
        else:
            await client.send_message(encode(message, encoding))
    return len(messages)
