"""The lean queue client against Azurite, checked with the SDK's own QueueClient as the independent reader
and writer: what it sends is what the SDK reads, what the SDK sends is what it reads, and it raises the
errors the SDK would."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.storage.queue import QueueMessage
from azure.storage.queue.aio import QueueClient

from local.lean_queue import LeanQueue, PopReceiptMismatch, QueueService

pytestmark = pytest.mark.integration
ODD_TEXT = "a <b> & 'c' \"d\" ü \U0001f600 ]]> &amp;"


@pytest.fixture()
async def service(azurite_connection_string: str) -> AsyncIterator[QueueService]:
    made = QueueService(azurite_connection_string)
    yield made
    await made.close()


@pytest.fixture()
async def queue(service: QueueService) -> LeanQueue:
    made = service.queue(f"lean-{uuid.uuid4().hex[:12]}")
    await made.create_queue()
    await made.create_queue()  # again: an existing queue with the same metadata is no error
    return made


async def test_what_it_sends_the_sdk_reads_and_the_other_way_round(
    queue: LeanQueue, azurite_connection_string: str
) -> None:
    sent = await queue.send_message(ODD_TEXT)
    assert sent.id and sent.pop_receipt and sent.inserted_on and sent.next_visible_on
    async with QueueClient.from_connection_string(azurite_connection_string, queue.queue_name) as sdk:
        read = [m async for m in sdk.receive_messages(messages_per_page=32, max_messages=32)]
        assert [(m.id, m.content) for m in read] == [(sent.id, ODD_TEXT)]
        await sdk.delete_message(read[0])
        await sdk.send_message(ODD_TEXT)
    [got] = await queue.receive(32, 30)
    assert got.content == ODD_TEXT and got.dequeue_count == 1
    assert got.expires_on is not None and got.inserted_on is not None and got.inserted_on < got.expires_on


async def test_a_hidden_message_appears_when_its_visibility_ends_and_counts_its_dequeues(
    queue: LeanQueue,
) -> None:
    await queue.send_message("later", visibility_timeout=1)
    assert await queue.receive(32, 30) == []
    for expected in (1, 2):
        found: list[QueueMessage] = []
        for _ in range(40):
            found = await queue.receive(32, 1)
            if found:
                break
            await asyncio.sleep(0.1)
        [message] = found
        assert message.dequeue_count == expected


async def test_update_hands_out_a_new_receipt_and_the_old_one_is_stale(queue: LeanQueue) -> None:
    await queue.send_message("held")
    [message] = await queue.receive(32, 30)
    updated = await queue.update_message(message.id, message.pop_receipt, visibility_timeout=30)
    assert updated.pop_receipt and updated.pop_receipt != message.pop_receipt
    assert updated.next_visible_on is not None
    with pytest.raises(PopReceiptMismatch):
        await queue.delete_message(message.id, message.pop_receipt)
    await queue.delete_message(updated.id, updated.pop_receipt)
    with pytest.raises(ResourceNotFoundError):
        await queue.delete_message(updated.id, updated.pop_receipt)


async def test_a_queue_that_does_not_exist_is_not_found(service: QueueService) -> None:
    missing = service.queue(f"missing-{uuid.uuid4().hex[:12]}")
    with pytest.raises(ResourceNotFoundError):
        await missing.send_message("x")
    with pytest.raises(ResourceNotFoundError):
        await missing.receive(1, 30)


def test_a_connection_string_without_a_key_is_refused() -> None:
    with pytest.raises(ValueError, match="AccountKey"):
        QueueService("QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;SharedAccessSignature=sv=x")
