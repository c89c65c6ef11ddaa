"""The inbound queue on the real Redis: deduplication, order, leases, and recovery after a crash."""

from __future__ import annotations

import pytest
import pytest_asyncio
from redis.asyncio import Redis

from core.messages import InboundMessage
from messaging.inbound_queue import InboundQueue
from tests.conftest import REDIS_PORT

DB = 10


@pytest_asyncio.fixture
async def queue():
    redis = Redis(port=REDIS_PORT, db=DB)
    await redis.flushdb()
    yield InboundQueue(redis, partitions=4, dedupe_ttl_seconds=60)
    await redis.flushdb()
    await redis.aclose()


def msg(user: str, text: str, message_id: str | None = None) -> InboundMessage:
    return InboundMessage("web", user, text, **({"message_id": message_id} if message_id else {}))


async def test_a_duplicate_is_dropped(queue: InboundQueue) -> None:
    assert await queue.accept(msg("u1", "buna", "m-1")) is True
    assert await queue.accept(msg("u1", "buna", "m-1")) is False
    assert await queue.depth() == 1
    # the same id on another channel is another message
    assert await queue.accept(InboundMessage("telegram", "u1", "buna", message_id="m-1")) is True


async def test_a_conversation_stays_in_one_partition_in_order(queue: InboundQueue) -> None:
    for i in range(10):
        await queue.accept(msg("same-user", f"text {i}"))
    partition = queue.partition_of("web:same-user")
    assert await queue.hold(partition, "w1", 5000)
    entries = await queue.read(partition, block_ms=10)
    assert [e.message.text for e in entries] == [f"text {i}" for i in range(10)]


async def test_only_one_worker_holds_a_partition(queue: InboundQueue) -> None:
    assert await queue.hold(0, "w1", 5000)
    assert await queue.hold(0, "w1", 5000)  # renewing
    assert not await queue.hold(0, "w2", 5000)
    await queue.release(0, "w1")
    assert await queue.hold(0, "w2", 5000)


async def test_a_crashed_workers_messages_go_to_the_next_holder(queue: InboundQueue) -> None:
    for i in range(3):
        await queue.accept(msg("crashy", f"m{i}"))
    partition = queue.partition_of("web:crashy")
    assert await queue.hold(partition, "w1", 200)
    first = await queue.read(partition, block_ms=10)
    assert not any(e.redelivered for e in first)
    await queue.done(first[0])  # w1 finished one message, then died holding two
    import asyncio

    await asyncio.sleep(0.3)  # its lease expires
    assert await queue.hold(partition, "w2", 5000)
    again = await queue.read(partition, block_ms=10)
    assert [e.message.text for e in again] == ["m1", "m2"]
    assert all(e.redelivered for e in again)  # the worker marks their Rasa calls as retries
    for entry in again:
        await queue.done(entry)
    assert await queue.read(partition, block_ms=10) == []
    assert await queue.depth() == 0


async def test_pending_and_new_reads_say_which_entries_were_taken_before(queue: InboundQueue) -> None:
    for i in range(2):
        await queue.accept(msg("lanes", f"m{i}"))
    partition = queue.partition_of("web:lanes")
    assert await queue.read_pending(partition) == []  # nothing taken yet (the consumer group is made)
    taken = await queue.read_new(partition, block_ms=10)
    assert [(e.message.text, e.redelivered) for e in taken] == [("m0", False), ("m1", False)]
    await queue.done(taken[0])
    again = await queue.read_pending(partition)
    assert [(e.message.text, e.redelivered) for e in again] == [("m1", True)]


async def test_an_unreadable_entry_is_reported_not_fatal(queue: InboundQueue) -> None:
    await queue._redis.xadd(queue.stream_key(1), {"m": "{not json"})
    assert await queue.hold(1, "w1", 5000)
    [entry] = await queue.read(1, block_ms=10)
    assert entry.message is None
    await queue.done(entry)
    assert await queue.depth() == 0


@pytest.mark.parametrize("partitions", [1, 7, 64])
async def test_partition_of_is_stable_and_in_range(partitions: int) -> None:
    q = InboundQueue(Redis(port=REDIS_PORT, db=DB), partitions=partitions, dedupe_ttl_seconds=60)
    ids = [f"web:user-{i}" for i in range(200)]
    first = [q.partition_of(i) for i in ids]
    assert first == [q.partition_of(i) for i in ids]
    assert all(0 <= p < partitions for p in first)
