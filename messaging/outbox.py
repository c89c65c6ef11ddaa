"""The messenger outboxes: rendered messages wait here, are sent at each channel's rate, and their delivery
status is kept.

Owns the Redis keys `hd:out:*` (except `hd:out:rate:*`, messaging/send_rate.py):
- `hd:out:{channel}:{lane}`: a stream per channel and lane ("reply" before "bulk"), one entry per API
  payload; an entry is deleted once its message is sent or has finally failed.
- `hd:out:msg:{id}`: one hash per outbound message: channel, user, lane, status (queued, sending,
  retrying, sent, delivered, read, failed, unconfirmed), the platform's message id, the error, attempts,
  and `notify`: a set of the caller's that the message's id is added to on each status change (campaigns).
- `hd:out:pid:{channel}:{platform id}`: the platform's message id → our id, for status callbacks.
- `hd:out:lease:{channel}`: the process that sends on a channel now (one at a time keeps each user's
  messages in order; the rate is shared anyway).

`OutboxSender` is the loop that sends one channel's outbox: replies first, bulk only while no reply waits;
several users' messages in parallel, each user's in order; 429 and `retry_after` pause the whole channel
(for every process, through the shared rate); 5xx and network errors are retried with backoff up to
OUTBOX_MAX_ATTEMPTS; stop signals mark the user unreachable. A message whose send was interrupted by a
crash (status "sending" when the next holder finds it) is not sent again, because the platform may have
it: it is recorded as "unconfirmed" instead (see docs/channels.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import os
import socket
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from messaging import metrics
from messaging.channel import Channel, DeliveryStatus, SendError
from messaging.conversations import Conversations
from messaging.redis_leases import Leases, ensure_group
from messaging.send_rate import SendRate

log = logging.getLogger(__name__)

LANES = ("reply", "bulk")
GROUP = "senders"
CONSUMER = "sender"
LEASE_MS = 10_000
_BATCH = 50
_PLATFORM_SECONDS = 2.0  # the platform latency the send concurrency is sized for
_FINAL = frozenset({"sent", "delivered", "read", "failed", "undelivered", "unconfirmed"})

# Status updates only move forward (a late "sent" never hides "delivered"); the sender's own
# transitions between queued, sending and retrying are written with `force`.
_SET_STATUS = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local rank = {queued=0, retrying=1, sending=2, unconfirmed=3, sent=3, failed=4, undelivered=4,
              delivered=5, read=6}
local current = redis.call('HGET', KEYS[1], 'status') or 'queued'
if ARGV[5] ~= '1' and (rank[ARGV[1]] or 0) <= (rank[current] or 0) then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'updated_at', ARGV[4])
if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], 'platform_id', ARGV[2]) end
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'error', ARGV[3]) end
local notify = redis.call('HGET', KEYS[1], 'notify')
if notify and notify ~= '' then
  redis.call('SADD', notify, ARGV[6])
  -- the set lives no longer than the messages it names (a late report must not leave it forever)
  if redis.call('TTL', notify) < 0 then redis.call('EXPIRE', notify, math.max(redis.call('TTL', KEYS[1]), 60)) end
end
return 1
"""


@dataclass(frozen=True)
class OutItem:
    """One queued API payload for one user."""

    out_id: str
    user_id: str
    payload: dict[str, Any]
    entry_id: str = ""


class Outbox:
    """Queues rendered payloads per channel and lane, and keeps each message's delivery status."""

    def __init__(self, redis: Redis, retention_seconds: int) -> None:
        self._redis = redis
        self._ttl = retention_seconds
        self._set_status = redis.register_script(_SET_STATUS)
        self._leases = Leases(redis)

    @staticmethod
    def stream_key(channel: str, lane: str) -> str:
        """The stream of one channel's lane."""
        return f"hd:out:{channel}:{lane}"

    @staticmethod
    def _msg(out_id: str) -> str:
        return f"hd:out:msg:{out_id}"

    async def enqueue(
        self,
        channel: str,
        user_id: str,
        payloads: list[dict[str, Any]],
        *,
        lane: str = "reply",
        reply_to: str = "",
        notify: str = "",
        once: tuple[str, str, int] | None = None,
    ) -> list[str]:
        """Queue payloads for one user, in order; their outbound message ids. `notify`: a Redis set (owned by
        the caller) that each message's id is added to whenever its status changes; `once`: a (key, value, TTL)
        set in the same transaction (the worker's record that the inbound message was answered)."""
        if lane not in LANES:
            raise ValueError(f"lane must be one of {LANES}")
        ids = [uuid.uuid4().hex for _ in payloads]
        now = int(time.time())
        async with self._redis.pipeline(transaction=True) as pipe:
            for out_id, payload in zip(ids, payloads, strict=True):
                record = {
                    "channel": channel,
                    "user": user_id,
                    "lane": lane,
                    "status": "queued",
                    "reply_to": reply_to,
                    "notify": notify,
                }
                pipe.hset(
                    self._msg(out_id), mapping={**record, "created_at": now, "updated_at": now, "attempts": 0}
                )
                pipe.expire(self._msg(out_id), self._ttl)
                item = {"id": out_id, "user": user_id, "payload": payload}
                pipe.xadd(self.stream_key(channel, lane), {"j": json.dumps(item, ensure_ascii=False)})
            if once:
                pipe.set(once[0], once[1], ex=once[2])
            await pipe.execute()
        return ids

    async def record(self, out_id: str) -> dict[str, str]:
        """Everything kept about one outbound message (empty if unknown or expired)."""
        raw = await self._redis.hgetall(self._msg(out_id))
        return {k.decode(): v.decode() for k, v in raw.items()}

    async def set_status(
        self, out_id: str, status: str, *, platform_id: str = "", error: str = "", force: bool = False
    ) -> bool:
        """Record a status (only forward unless `force`); False if unchanged or the message is unknown."""
        args = [status, platform_id, error[:300], int(time.time()), "1" if force else "0", out_id]
        return bool(await self._set_status(keys=[self._msg(out_id)], args=args))

    async def platform_status(self, channel: str, status: DeliveryStatus) -> bool:
        """Apply a platform's status report to the message it is about; False if the message is unknown."""
        out_id = await self._redis.get(f"hd:out:pid:{channel}:{status.platform_id}")
        if out_id is None:
            return False
        metrics.DELIVERY_STATUS.labels(channel=channel, status=status.status).inc()
        return await self.set_status(out_id.decode(), status.status, error=status.error)

    async def mark_sent(self, channel: str, out_id: str, platform_id: str) -> None:
        """The platform accepted the message: remember its id for status callbacks."""
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.set(f"hd:out:pid:{channel}:{platform_id}", out_id, ex=self._ttl)
            await pipe.execute()
        await self.set_status(out_id, "sent", platform_id=platform_id)

    async def begin_attempt(self, out_id: str) -> None:
        """Mark a message as being sent right now (a crash from here on leaves it "sending")."""
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hincrby(self._msg(out_id), "attempts", 1)
            await pipe.execute()
        await self.set_status(out_id, "sending", force=True)

    async def waiting(self, channel: str, lane: str) -> int:
        """How many messages of a lane are not finished (queued, or being sent)."""
        return int(await self._redis.xlen(self.stream_key(channel, lane)))

    async def read(
        self, channel: str, lane: str, count: int = _BATCH, skip: frozenset[str] | set[str] = frozenset()
    ) -> list[OutItem]:
        """The lane's unfinished entries taken earlier (by a crashed holder too) except those in `skip`
        (being sent right now), else new ones."""
        stream = self.stream_key(channel, lane)
        try:
            rows = await self._redis.xreadgroup(GROUP, CONSUMER, {stream: "0"}, count=count + len(skip))
        except ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            await ensure_group(self._redis, stream, GROUP)
            rows = []
        items = [self._item(entry_id, fields) for entry_id, fields in (rows[0][1] if rows and rows[0][1] else [])]
        items = [item for item in items if item.entry_id not in skip][:count]
        if not items:
            fresh = await self._redis.xreadgroup(GROUP, CONSUMER, {stream: ">"}, count=count)
            items = [self._item(entry_id, fields) for entry_id, fields in (fresh[0][1] if fresh else [])]
        return items

    async def wait_new(self, channel: str, block_ms: int) -> None:
        """Block until either lane of a channel has a new entry (or the time is up); takes nothing."""
        streams = {self.stream_key(channel, lane): "$" for lane in LANES}
        await self._redis.xread(streams, block=block_ms, count=1)

    async def done(self, channel: str, lane: str, entry_id: str) -> None:
        """Remove a finished entry."""
        stream = self.stream_key(channel, lane)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.xack(stream, GROUP, entry_id)
            pipe.xdel(stream, entry_id)
            await pipe.execute()

    async def hold(self, channel: str, owner: str) -> bool:
        """Take or renew the right to send on a channel."""
        return await self._leases.hold(f"hd:out:lease:{channel}", owner, LEASE_MS)

    async def release(self, channel: str, owner: str) -> None:
        """Give the channel back at once (clean stop)."""
        await self._leases.release(f"hd:out:lease:{channel}", owner)

    @staticmethod
    def _item(entry_id: bytes | str, fields: dict[bytes | str, bytes | str]) -> OutItem:
        raw = fields.get(b"j") or fields.get("j") or "{}"
        data = json.loads(raw)
        eid = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
        return OutItem(str(data.get("id", "")), str(data.get("user", "")), dict(data.get("payload") or {}), eid)


class _Batch:
    """The messages read together; `reserved` is set once each has its send slot or is finished."""

    def __init__(self, entry_ids: list[str]) -> None:
        self._open = set(entry_ids)
        self.reserved = asyncio.Event()
        if not self._open:
            self.reserved.set()

    def settle(self, entry_id: str) -> None:
        """One message has its slot (or needs none any more)."""
        self._open.discard(entry_id)
        if not self._open:
            self.reserved.set()


class OutboxSender:
    """Sends one channel's outbox at its rate, for as long as this process holds the channel's lease."""

    def __init__(
        self,
        channel: Channel,
        outbox: Outbox,
        rate: SendRate,
        conversations: Conversations,
        *,
        max_attempts: int,
        retry_max_seconds: float,
        parallel: int | None = None,
    ) -> None:
        self.channel = channel
        self._outbox = outbox
        self._rate = rate
        self._conversations = conversations
        self._max_attempts = max_attempts
        self._retry_max = retry_max_seconds
        # Calls to the platform at once: enough to keep the rate with two seconds of platform latency. Only the
        # HTTP call holds one: waiting for a send slot does not (else slow answers would lower the rate).
        per_second = 1_000_000 / max(1, rate.interval_us)
        self._parallel = asyncio.Semaphore(parallel or max(8, math.ceil(per_second * _PLATFORM_SECONDS)))
        self._slot_lock = asyncio.Lock()
        self._holding = False  # this process holds the channel's lease (renewed by _keep_lease)
        self._inflight: dict[str, set[str]] = {lane: set() for lane in LANES}  # entries a task handles now
        self._tails: dict[str, asyncio.Task[bool]] = {}  # each user's latest task: the next one waits for it
        self._tasks: set[asyncio.Task[bool]] = set()
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._stopping = asyncio.Event()
        # Messages this process marked "sending" (or tried to: Redis may have failed before answering) but never
        # handed to the platform: found "sending" again, they are sent, not written off as unconfirmed.
        self._never_sent: set[str] = set()

    def stop(self) -> None:
        """Finish the messages in hand, then stop."""
        self._stopping.set()

    async def run(self) -> None:
        """Send until `stop` is called."""
        name = self.channel.name
        try:
            await self.channel.warm_up()
        except Exception:  # the platform may be unreachable now; sending retries anyway
            log.warning("outbox %s: warm-up failed", name, exc_info=True)
        while not self._stopping.is_set():
            try:
                if not await self._outbox.hold(name, self.owner):
                    await self._sleep(LEASE_MS / 3000)
                    continue
                self._holding = True
                keeper = asyncio.create_task(self._keep_lease())
                try:
                    while self._holding and not self._stopping.is_set():
                        busy = await self._drain("reply") or await self._drain("bulk")
                        if not busy:
                            await self._outbox.wait_new(name, block_ms=500)
                finally:
                    self._holding = False
                    keeper.cancel()
                    await asyncio.gather(*self._tasks, return_exceptions=True)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox %s: error, retrying", name)
                await self._sleep(1)
        with contextlib.suppress(Exception):
            await self._outbox.release(name, self.owner)

    async def _keep_lease(self) -> None:
        """Renew the channel's lease while sending (also through long waits for a slot or a retry); on losing
        it, stop taking messages, which the new holder then sends."""
        while self._holding:
            await asyncio.sleep(LEASE_MS / 3000)
            try:
                if not await self._outbox.hold(self.channel.name, self.owner):
                    log.warning("outbox %s: lease lost; another process sends now", self.channel.name)
                    self._holding = False
            except Exception:
                log.warning("outbox %s: lease renewal failed; retrying", self.channel.name, exc_info=True)

    async def _drain(self, lane: str) -> bool:
        """Start sending one batch of a lane; False if the lane had nothing to send.

        Returns once every message of the batch has its send slot, while the last sends may still be under
        way: the next batch is read meanwhile, so batches follow each other without a gap in the rate.
        """
        name = self.channel.name
        if lane == "bulk" and await self._reply_waits():
            return False
        items = await self._outbox.read(name, lane, skip=self._inflight[lane])
        if not items:
            return False
        metrics.OUTBOX_DEPTH.labels(channel=name, lane=lane).set(await self._outbox.waiting(name, lane))
        by_user: OrderedDict[str, list[OutItem]] = OrderedDict()
        for item in items:
            by_user.setdefault(item.user_id, []).append(item)
        batch = _Batch([item.entry_id for item in items])
        for user, chain in by_user.items():
            self._inflight[lane].update(item.entry_id for item in chain)
            task = asyncio.create_task(self._send_user(lane, chain, self._tails.get(user), batch))
            self._tails[user] = task
            self._tasks.add(task)
            task.add_done_callback(lambda done, user=user: self._forget(user, done))
        await batch.reserved.wait()
        return True

    def _forget(self, user: str, task: asyncio.Task[bool]) -> None:
        self._tasks.discard(task)
        if self._tails.get(user) is task:
            del self._tails[user]

    async def _send_user(
        self, lane: str, chain: list[OutItem], after: asyncio.Task[bool] | None, batch: _Batch
    ) -> bool:
        """One user's messages, after their earlier ones, one after the other; False if they must wait
        (stopping, replies first, an earlier message still unsent), leaving the rest for later, in order."""
        try:
            if after is not None:
                try:
                    if not await after:
                        return False
                except Exception:  # the earlier task failed: its messages wait, so these wait too
                    return False
            for item in chain:
                if not await self._send_one(lane, item, batch):
                    return False
            return True
        finally:
            for item in chain:
                batch.settle(item.entry_id)
            self._inflight[lane].difference_update(item.entry_id for item in chain)

    async def _send_one(self, lane: str, item: OutItem, batch: _Batch) -> bool:
        """Send one message to its end (sent or failed); False if it must wait (stopping, replies first)."""
        name = self.channel.name
        record = await self._outbox.record(item.out_id)
        if await self._settled(lane, item, record):
            return True
        attempts = int(record.get("attempts", 0) or 0)
        while self._holding and not self._stopping.is_set():
            if not await self._wait_for_slot(lane):
                return False
            batch.settle(item.entry_id)
            self._never_sent.add(item.out_id)
            await self._outbox.begin_attempt(item.out_id)
            self._never_sent.discard(item.out_id)
            attempts += 1
            try:
                async with self._parallel:
                    platform_id = await self.channel.send(item.user_id, item.payload)
            except SendError as exc:
                if exc.kind == "retry" and attempts < self._max_attempts:
                    await self._retry_later(item, exc, attempts)
                    continue
                if exc.kind == "stop":
                    await self._conversations.set_unreachable(f"{name}:{item.user_id}", exc.code or exc.reason)
                result = "unreachable" if exc.kind == "stop" else "failed"
                await self._finish(lane, item, "failed", exc.reason, result=result)
                return True
            await self._outbox.mark_sent(name, item.out_id, platform_id)
            await self._outbox.done(name, lane, item.entry_id)
            metrics.OUTBOUND.labels(channel=name, lane=lane, result="sent").inc()
            return True
        return False

    async def _settled(self, lane: str, item: OutItem, record: dict[str, str]) -> bool:
        """Finish without sending a message that is done, was interrupted mid-send, or cannot reach its user."""
        status = record.get("status", "queued")
        if status in _FINAL:
            await self._outbox.done(self.channel.name, lane, item.entry_id)
            return True
        if status == "sending" and item.out_id in self._never_sent:  # our own mark, written before a Redis fault
            self._never_sent.discard(item.out_id)
        elif status == "sending":  # a crashed sender was in the middle of this one: the platform may have it
            await self._finish(lane, item, "unconfirmed", "interrupted while sending; not repeated")
            return True
        reason = await self._conversations.unreachable(f"{self.channel.name}:{item.user_id}")
        if reason:
            await self._finish(lane, item, "failed", f"user unreachable: {reason}", result="unreachable")
            return True
        return False

    async def _reply_waits(self) -> bool:
        """Whether a reply is queued that this sender has not taken yet (bulk gives way to it). A reply being
        sent already has its slot: bulk need not stop for it (stopping then cost up to a wait for new entries
        after each reply, a quarter of the bulk rate at two replies a second)."""
        return await self._outbox.waiting(self.channel.name, "reply") > len(self._inflight["reply"])

    async def _wait_for_slot(self, lane: str) -> bool:
        """Wait for a send slot; bulk gives way while any reply waits. False if the message must wait.

        One message at a time waits for its slot (the sends themselves overlap): a slot is taken only when
        the one before it has come, so a busy moment in this process delays sends instead of bunching them.
        """
        interval = self._rate.interval_us / 1_000_000
        while not self._stopping.is_set():
            async with self._slot_lock:
                if lane == "bulk" and await self._reply_waits():
                    return False
                # Bulk takes only a slot that is due now, so a reply that comes meanwhile goes next.
                wait = await self._rate.take(max_wait_seconds=-1 if lane == "reply" else interval)
                if wait:
                    await self._sleep(wait)
            if wait is None:
                await self._sleep(interval)
                continue
            return self._holding and not self._stopping.is_set()
        return False

    async def _retry_later(self, item: OutItem, exc: SendError, attempts: int) -> None:
        backoff = min(0.5 * 2 ** (attempts - 1), self._retry_max)
        delay = exc.retry_after if exc.retry_after is not None else backoff
        if exc.retry_after is not None:
            await self._rate.pause(exc.retry_after)  # the platform asked every sender to slow down
        await self._outbox.set_status(item.out_id, "retrying", error=exc.reason, force=True)
        metrics.OUTBOUND.labels(channel=self.channel.name, lane="any", result="retried").inc()
        log.warning(
            "outbox %s: %s; try %d again in %.1f s", self.channel.name, exc.code or "retry", attempts, delay
        )
        await self._sleep(delay)

    async def _finish(self, lane: str, item: OutItem, status: str, error: str, result: str = "") -> None:
        await self._outbox.set_status(item.out_id, status, error=error, force=True)
        await self._outbox.done(self.channel.name, lane, item.entry_id)
        metrics.OUTBOUND.labels(channel=self.channel.name, lane=lane, result=result or status).inc()
        log.info("outbox %s: message %s %s", self.channel.name, item.out_id, status)  # errors can name the user

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
