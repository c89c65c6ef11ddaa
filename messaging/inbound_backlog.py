"""Back-pressure on the inbound queue: a depth limit per partition and for the whole queue, checked cheaply.

The gateway accepts messages far faster than Rasa answers them (docs/performance.md). Past
INBOUND_MAX_PER_PARTITION entries in a message's partition, or INBOUND_MAX_TOTAL in all partitions, `admit`
refuses a new message (the web chat answers 503 + Retry-After and its page resends the same message_id later);
a message id seen before is still recognised as a duplicate. The messengers do not ask: they are always
accepted (a platform may not deliver again), and the backlog shows in `/metrics` and `/readyz`.

Cost per message: the partition's depth is an XLEN inside the accepting script (no extra round trip); the
total is this process's figure, measured (one pipelined XLEN per partition) at most every REFRESH_SECONDS.
So the total may be passed by what one process accepts within REFRESH_SECONDS; the partition limit is exact.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from core.messages import InboundMessage
from messaging.inbound_queue import Admission, InboundQueue

REFRESH_SECONDS = 0.5


@dataclass(frozen=True)
class Backlog:
    """The queue's depth against its limits, as `/metrics` and `/readyz` report it."""

    depths: list[int]
    oldest_seconds: float
    max_per_partition: int
    max_total: int

    @property
    def total(self) -> int:
        """Messages waiting (or in hand) in all partitions."""
        return sum(self.depths)

    @property
    def full_partitions(self) -> list[int]:
        """The partitions at their limit: new web chat messages there are refused."""
        most = self.max_per_partition
        return [p for p, depth in enumerate(self.depths) if most and depth >= most]

    @property
    def backlogged(self) -> bool:
        """True while some new web chat messages are refused (the total or a partition at its limit)."""
        return bool(self.full_partitions) or bool(self.max_total and self.total >= self.max_total)


class InboundBacklog:
    """Admits messages to the inbound queue within its depth limits (0: no limit)."""

    def __init__(self, queue: InboundQueue, max_per_partition: int, max_total: int) -> None:
        self._queue = queue
        self._max_per_partition = max_per_partition
        self._max_total = max_total
        self._total = 0
        self._measured_at = float("-inf")
        self._lock = asyncio.Lock()

    async def admit(self, message: InboundMessage) -> Admission:
        """Store a message unless it is a duplicate or the queue is over a limit (then nothing is stored)."""
        over_total = bool(self._max_total) and await self._cached_total() >= self._max_total
        admission = await self._queue.admit(message, self._max_per_partition, over_total)
        if admission is Admission.STORED:
            self._total += 1
        return admission

    async def measure(self) -> Backlog:
        """The depth of every partition and the oldest message's age, measured now."""
        snapshot = await self._queue.snapshot()
        self._total, self._measured_at = sum(snapshot.depths), time.monotonic()
        return Backlog(snapshot.depths, snapshot.oldest_seconds, self._max_per_partition, self._max_total)

    async def _cached_total(self) -> int:
        if time.monotonic() - self._measured_at >= REFRESH_SECONDS:
            async with self._lock:  # one measurement at a time; the requests behind it find it fresh
                if time.monotonic() - self._measured_at >= REFRESH_SECONDS:
                    self._total = await self._queue.depth()
                    self._measured_at = time.monotonic()
        return self._total
