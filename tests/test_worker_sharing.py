"""Several worker processes share the inbound queue's partitions fairly (real Redis, real Worker objects).

No message is sent here, so Rasa is never called: the workers only take, renew and give back leases.
"""

from __future__ import annotations

import asyncio
import time

from redis.asyncio import Redis

from channels.conversations import Conversations
from channels.inbound_queue import InboundQueue
from channels.rasa_client import RasaClient
from channels.web_outbox import WebOutbox
from channels.worker import Worker
from handoff.requests import HandoffRequests
from tests.conftest import REDIS_PORT

DB = 10


def make_worker(redis: Redis, partitions: int) -> Worker:
    return Worker(
        InboundQueue(redis, partitions, 60),
        Conversations(redis, 3600),
        RasaClient("http://127.0.0.1:9", "unused", 1),
        WebOutbox(redis, 3600),
        HandoffRequests(redis, 3600),
    )


async def wait_for(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        await asyncio.sleep(0.2)
    raise AssertionError("condition not met in time")


async def test_a_second_worker_gets_half_and_takes_all_when_the_first_stops() -> None:
    redis = Redis(port=REDIS_PORT, db=DB)
    await redis.flushdb()
    first, second = make_worker(redis, 8), make_worker(redis, 8)
    first_task = asyncio.create_task(first.run())
    try:
        await wait_for(lambda: len(first.held) == 8, 10)
        second_task = asyncio.create_task(second.run())
        await wait_for(lambda: len(first.held) == 4 and len(second.held) == 4, 40)
        assert first.held.isdisjoint(second.held)
        first.stop()
        await first_task
        await wait_for(lambda: len(second.held) == 8, 40)
        second.stop()
        await second_task
    finally:
        first.stop()
        second.stop()
        await redis.flushdb()
        await redis.aclose()
