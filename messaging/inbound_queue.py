"""The durable inbound queue: accepted messages wait here until a worker has answered them.

Owns the Redis keys `hd:in:*` (streams, leases) and `hd:dedupe:*`.

- `accept` drops a message already seen (by its channel message id, `SET NX` with a TTL) and appends
  it to a Redis Stream in one atomic step, so a webhook can answer 2xx as soon as it returns. `admit` does
  the same within a depth limit (back-pressure, messaging/inbound_backlog.py): a message seen before is still
  recognised, a new one over the limit is not stored at all.
- Messages are spread over partitions by conversation. A worker holds a partition through an expiring
  lease and answers one conversation's messages one at a time and in order, different conversations side by
  side (gateway/worker.py), and different partitions in parallel, in one process or many.
- Workers register with a heartbeat (`hd:in:workers`); each holds at most its fair share of the
  partitions (partitions / live workers, rounded up), so adding a worker process spreads the load.
- Each partition has one consumer name in the stream's consumer group. Whoever holds the lease reads
  the entries still pending under that name first, so a crashed worker's unfinished messages are
  handled by the next holder: nothing accepted is lost.
- `hd:in:answered:{channel}:{message id}` is written in the same transaction as a message's replies are
  stored (`answer_record`, messaging/delivery.py) and deleted with the entry: a worker that dies after the
  replies but before `done` leaves it, and the next holder finishes the entry without answering it again.
"""

from __future__ import annotations

import json
import logging
import time
import zlib
from dataclasses import dataclass
from enum import Enum
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from core.messages import InboundMessage
from messaging.redis_leases import Leases, ensure_group

log = logging.getLogger(__name__)

GROUP = "workers"
WORKERS = "hd:in:workers"
ANSWERED_TTL_SECONDS = 86_400  # the record outlives any restart; `done` deletes it at once

# KEYS: the dedupe key, the partition's stream. ARGV: dedupe TTL, the message, the most entries the partition may
# hold (0: no limit), "1" when the queue as a whole is over its limit. A message seen before is recognised first,
# also over the limit; a new one over the limit is not stored (no dedupe key either, so a resend is taken later).
_ACCEPT = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  return false
end
local most = tonumber(ARGV[3])
if ARGV[4] == '1' or (most > 0 and redis.call('XLEN', KEYS[2]) >= most) then
  return 'full'
end
redis.call('SET', KEYS[1], '1', 'EX', ARGV[1])
return redis.call('XADD', KEYS[2], '*', 'm', ARGV[2])
"""


class Admission(Enum):
    """What became of a message offered to the queue."""

    STORED = "stored"
    DUPLICATE = "duplicate"  # its channel message id was seen before: not stored again
    FULL = "full"  # over the depth limit: not stored


@dataclass(frozen=True)
class Snapshot:
    """The queue's depth now: entries per partition and the age of the oldest entry."""

    depths: list[int]
    oldest_seconds: float  # 0 when the queue is empty


@dataclass(frozen=True)
class Entry:
    """A queued message with its place in the stream."""

    partition: int
    entry_id: str
    message: InboundMessage | None  # None when the stored entry cannot be parsed
    redelivered: bool = False  # taken before by a holder that did not finish it (read_pending)


class InboundQueue:
    """Partitioned Redis Streams with per-message deduplication and per-partition leases."""

    def __init__(self, redis: Redis, partitions: int, dedupe_ttl_seconds: int) -> None:
        self._redis = redis
        self.partitions = partitions
        self._dedupe_ttl = dedupe_ttl_seconds
        self._accept = redis.register_script(_ACCEPT)
        self._leases = Leases(redis)

    @staticmethod
    def stream_key(partition: int) -> str:
        """The stream of one partition."""
        return f"hd:in:{partition}"

    def partition_of(self, conversation_id: str) -> int:
        """The partition a conversation's messages always go to."""
        return zlib.crc32(conversation_id.encode()) % self.partitions

    async def accept(self, message: InboundMessage) -> bool:
        """Store a message durably; False if a message with the same channel message id was seen."""
        return await self.admit(message) is Admission.STORED

    async def admit(
        self, message: InboundMessage, max_in_partition: int = 0, over_total: bool = False
    ) -> Admission:
        """Store a message durably unless it was seen before or its partition already holds `max_in_partition`
        entries (0: no limit) or `over_total` says the whole queue is full; one atomic step."""
        dedupe_key = f"hd:dedupe:{message.channel}:{message.message_id}"
        stream = self.stream_key(self.partition_of(message.conversation_id))
        args = [self._dedupe_ttl, message.to_json(), max_in_partition, "1" if over_total else "0"]
        result = await self._accept(keys=[dedupe_key, stream], args=args)
        if result is None:
            return Admission.DUPLICATE
        return Admission.FULL if result in (b"full", "full") else Admission.STORED

    async def hold(self, partition: int, owner: str, lease_ms: int) -> bool:
        """Take or renew the lease on a partition; False if another worker holds it."""
        return await self._leases.hold(f"hd:in:lease:{partition}", owner, lease_ms)

    async def release(self, partition: int, owner: str) -> None:
        """Give up a lease so another worker can take the partition at once."""
        await self._leases.release(f"hd:in:lease:{partition}", owner)

    async def heartbeat(self, owner: str, ttl_seconds: int) -> int:
        """Register a live worker; the number of workers alive (those seen within `ttl_seconds`)."""
        now = time.time()
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zadd(WORKERS, {owner: now})
            pipe.zremrangebyscore(WORKERS, "-inf", now - ttl_seconds)
            pipe.zcard(WORKERS)
            return int((await pipe.execute())[-1])

    async def leave(self, owner: str) -> None:
        """Unregister a stopping worker, so the others take its share at once."""
        await self._redis.zrem(WORKERS, owner)

    def fair_share(self, workers: int) -> int:
        """How many partitions one of `workers` live workers should hold."""
        return -(-self.partitions // max(workers, 1))

    async def read(self, partition: int, block_ms: int, count: int = 20) -> list[Entry]:
        """The partition's unfinished entries (left by an earlier holder) or else new ones, oldest first."""
        return await self.read_pending(partition, count=count) or await self.read_new(partition, block_ms, count)

    async def read_pending(self, partition: int, after: str = "0", count: int = 100) -> list[Entry]:
        """Entries an earlier holder took and did not finish, after the entry id `after`, oldest first."""
        try:
            found = await self._redis.xreadgroup(
                GROUP, f"p{partition}", {self.stream_key(partition): after}, count=count
            )
        except ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            await ensure_group(self._redis, self.stream_key(partition), GROUP)
            return []
        rows = found[0][1] if found and found[0][1] else []
        return [self._entry(partition, entry_id, fields, redelivered=True) for entry_id, fields in rows]

    async def read_new(self, partition: int, block_ms: int, count: int = 100) -> list[Entry]:
        """Entries no worker has taken yet, oldest first, waiting up to `block_ms` for a first one."""
        try:
            found = await self._redis.xreadgroup(
                GROUP, f"p{partition}", {self.stream_key(partition): ">"}, count=count, block=block_ms
            )
        except ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            await ensure_group(self._redis, self.stream_key(partition), GROUP)
            return []
        rows = found[0][1] if found else []
        return [self._entry(partition, entry_id, fields) for entry_id, fields in rows]

    async def done(self, entry: Entry) -> None:
        """Mark an entry handled and remove it, so the stream holds only unfinished work."""
        stream = self.stream_key(entry.partition)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.xack(stream, GROUP, entry.entry_id)
            pipe.xdel(stream, entry.entry_id)
            if entry.message is not None:
                pipe.delete(self._answered_key(entry.message))
            await pipe.execute()

    @staticmethod
    def _answered_key(message: InboundMessage) -> str:
        return f"hd:in:answered:{message.channel}:{message.message_id}"

    def answer_record(self, message: InboundMessage, signals: list[dict[str, Any]]) -> tuple[str, str, int]:
        """(key, value, TTL) to store in the same transaction as the message's replies: it was answered, and
        the assistant's signals that followed the replies."""
        return self._answered_key(message), json.dumps(signals), ANSWERED_TTL_SECONDS

    async def record_answer(self, record: tuple[str, str, int]) -> None:
        """Store an answer record alone (an answer without replies)."""
        key, value, ttl = record
        await self._redis.set(key, value, ex=ttl)

    async def answered(self, message: InboundMessage) -> list[dict[str, Any]] | None:
        """The signals of a message answered before its entry was done (the worker died in between), else None."""
        raw = await self._redis.get(self._answered_key(message))
        return None if raw is None else list(json.loads(raw))

    async def waiting(self, partition: int, limit: int = 200) -> list[InboundMessage]:
        """Messages queued in a partition (handled or not yet read), oldest first, for status notices."""
        rows = await self._redis.xrange(self.stream_key(partition), count=limit)
        return [m for _, fields in rows if (m := self._entry(partition, "", fields).message)]

    async def after(self, partition: int, entry_id: str, limit: int = 100) -> list[Entry]:
        """The entries queued in a partition after `entry_id` (taken by a worker or not), oldest first."""
        rows = await self._redis.xrange(self.stream_key(partition), min=f"({entry_id}", count=limit)
        return [self._entry(partition, eid, fields) for eid, fields in rows]

    async def depth(self) -> int:
        """How many messages wait in all partitions."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for p in range(self.partitions):
                pipe.xlen(self.stream_key(p))
            return sum(await pipe.execute())

    async def snapshot(self) -> Snapshot:
        """Every partition's depth and the oldest entry's age (its id's time, Redis's clock): one round trip."""
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.time()
            for p in range(self.partitions):
                pipe.xlen(self.stream_key(p))
                pipe.xrange(self.stream_key(p), count=1)
            (now_s, now_us), *rows = await pipe.execute()
        depths = [int(n) for n in rows[0::2]]
        firsts = [int(_text(first[0][0]).split("-")[0]) for first in rows[1::2] if first]
        now_ms = int(now_s) * 1000 + int(now_us) // 1000
        return Snapshot(depths, max(0, now_ms - min(firsts)) / 1000 if firsts else 0.0)

    @staticmethod
    def _entry(
        partition: int, entry_id: str | bytes, fields: dict[bytes | str, bytes | str], redelivered: bool = False
    ) -> Entry:
        raw = fields.get(b"m") or fields.get("m")
        eid = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
        try:
            return Entry(partition, eid, InboundMessage.from_json(raw) if raw else None, redelivered)
        except (ValueError, TypeError):
            log.error("unreadable inbound entry %s in partition %d", eid, partition)
            return Entry(partition, eid, None, redelivered)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
