"""Requests for a human counsellor, recorded so that none is lost before a counsellor takes it.

Owns the Redis key `hd:handoff:requests`, a stream (one entry per request: who,
which channel, language, reason and time); it expires after RETENTION_DAYS without new requests.
Superseded by cases (handoff/cases.py): only a worker built without the handoff desk still records here.
"""

from __future__ import annotations

import time

from redis.asyncio import Redis

STREAM = "hd:handoff:requests"


class HandoffRequests:
    """Records requests for a person."""

    def __init__(self, redis: Redis, retention_seconds: int) -> None:
        self._redis = redis
        self._ttl = retention_seconds

    async def record(self, conversation_id: str, channel: str, language: str, reason: object) -> None:
        """Append one request; `reason` is what the assistant gave (e.g. "user_request")."""
        fields = {
            "conversation_id": conversation_id,
            "channel": channel,
            "language": language,
            "reason": str(reason),
            "at": str(int(time.time())),
        }
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.xadd(STREAM, fields)
            pipe.expire(STREAM, self._ttl)
            await pipe.execute()

    async def all(self) -> list[dict[str, str]]:
        """Every request still kept, oldest first."""
        rows = await self._redis.xrange(STREAM)
        return [{k.decode(): v.decode() for k, v in fields.items()} for _, fields in rows]
