"""Several worker processes share the inbound queue's partitions fairly (real Redis, real Worker objects).

No message is sent here, so Rasa is never called: the workers only take, renew and give back leases.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from redis.asyncio import Redis

from core.settings import Settings
from gateway.worker import Worker
from inbox.wiring import HandoffServices
from messaging.conversations import Conversations
from messaging.delivery import Delivery
from messaging.inbound_queue import InboundQueue
from messaging.rasa_client import RasaClient
from messaging.web_outbox import WebOutbox
from tests.conftest import REDIS_PORT

DB = 10


def make_worker(redis: Redis, partitions: int) -> Worker:
    conversations, web_outbox = Conversations(redis, 3600), WebOutbox(redis, 3600)
    settings = Settings(redis_url=f"redis://127.0.0.1:{REDIS_PORT}/{DB}")
    desk = HandoffServices.build(settings, redis, conversations, Delivery(web_outbox)).desk
    return Worker(
        InboundQueue(redis, partitions, 60),
        conversations,
        RasaClient("http://127.0.0.1:9", "unused", 1),
        web_outbox,
        desk=desk,
    )


async def wait_for(
    condition: Callable[[], bool], timeout: float, message: str = "condition not met in time"
) -> None:
    """ops.local_stack.wait_until's asynchronous twin, for workers that run on this event loop (not blocked)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        await asyncio.sleep(0.2)
    raise AssertionError(message)


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
