"""Messages to web chat users, kept where the chat page and the webhook can read them.

Owns the Redis keys `hd:web:*`:
- `hd:web:out:{sender}`: a stream of every message sent to one web user (bot replies, notices, later
  counsellor replies); the page reads it after a cursor, so nothing is missed when a reply comes late.
- `hd:web:done:{message_id}`: a short-lived signal that the worker has finished with one inbound message,
  which the webhook waits on to answer with the replies in the same HTTP response.
"""

from __future__ import annotations

import json

from redis.asyncio import Redis

from core.messages import OutboundMessage

_DONE_TTL_SECONDS = 300
_MAX_MESSAGES_KEPT = 500


class WebOutbox:
    """Writes and reads web chat users' messages."""

    def __init__(self, redis: Redis, retention_seconds: int) -> None:
        self._redis = redis
        self._ttl = retention_seconds

    @staticmethod
    def _out(sender: str) -> str:
        return f"hd:web:out:{sender}"

    async def deliver(
        self, sender: str, messages: list[OutboundMessage], reply_to: str, once: tuple[str, str, int] | None = None
    ) -> None:
        """Append messages for a user, tagged with the inbound message they answer; `once`: a (key, value, TTL)
        set in the same transaction (the worker's record that the message was answered)."""
        if not messages:
            return
        key = self._out(sender)
        async with self._redis.pipeline(transaction=True) as pipe:
            for message in messages:
                fields = {"m": json.dumps(message.to_dict(), ensure_ascii=False), "reply_to": reply_to}
                pipe.xadd(key, fields, maxlen=_MAX_MESSAGES_KEPT, approximate=True)
            pipe.expire(key, self._ttl)
            if once:
                pipe.set(once[0], once[1], ex=once[2])
            await pipe.execute()

    async def finish(self, message_id: str, server_timing: dict[str, float]) -> None:
        """Signal that an inbound message has been fully answered."""
        key = f"hd:web:done:{message_id}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.rpush(key, json.dumps(server_timing))
            pipe.expire(key, _DONE_TTL_SECONDS)
            await pipe.execute()

    async def wait_finished(self, message_id: str, timeout_seconds: float) -> dict[str, float] | None:
        """Wait until `finish` is called for a message; its timings, or None on timeout."""
        if timeout_seconds <= 0:
            return None
        popped = await self._redis.blpop([f"hd:web:done:{message_id}"], timeout=timeout_seconds)
        return json.loads(popped[1]) if popped else None

    async def cursor(self, sender: str) -> str:
        """The id of the newest message kept for a user ("0-0" if none)."""
        newest = await self._redis.xrevrange(self._out(sender), count=1)
        return newest[0][0].decode() if newest else "0-0"

    async def read(
        self, sender: str, after: str, reply_to: str | None = None, block_ms: int = 0
    ) -> tuple[list[dict[str, object]], str]:
        """Messages after a cursor (only those answering `reply_to`, if given) and the new cursor.

        With `block_ms`, waits that long for a first message when there is none yet.
        """
        key = self._out(sender)
        if block_ms:
            found = await self._redis.xread({key: after}, block=block_ms, count=100)
            rows = found[0][1] if found else []
        else:
            rows = await self._redis.xrange(key, min=f"({after}" if after != "0-0" else "-", count=100)
        messages: list[dict[str, object]] = []
        cursor = after
        for entry_id, fields in rows:
            cursor = entry_id.decode()
            if reply_to and fields.get(b"reply_to", b"").decode() != reply_to:
                continue
            item = json.loads(fields[b"m"])
            item["id"] = cursor
            messages.append(item)
        return messages, cursor
