"""The transcript of a conversation while the bot answers it: what the user wrote and what the bot replied,
so that a counsellor who takes over sees the conversation so far.

Owns the Redis keys `hd:handoff:transcript:{conversation}`: a list of the last 60 entries
(`{"kind": "user"|"bot", "text", "at"}`), expiring RETENTION_DAYS after the last message.
"""

from __future__ import annotations

import json
import time
from typing import Any

from redis.asyncio import Redis

_KEEP = 60


class Transcripts:
    """Records and reads conversation transcripts."""

    def __init__(self, redis: Redis, retention_seconds: int) -> None:
        self._redis = redis
        self._ttl = retention_seconds

    @staticmethod
    def key(conversation_id: str) -> str:
        """The transcript's key."""
        return f"hd:handoff:transcript:{conversation_id}"

    async def record(self, conversation_id: str, kind: str, texts: list[str]) -> None:
        """Append texts said by the user or the bot; keeps the newest 60."""
        texts = [t for t in texts if t]
        if not texts:
            return
        key = self.key(conversation_id)
        at = time.time()
        async with self._redis.pipeline(transaction=True) as pipe:
            for text in texts:
                pipe.rpush(key, json.dumps({"kind": kind, "text": text, "at": at}, ensure_ascii=False))
            pipe.ltrim(key, -_KEEP, -1)
            pipe.expire(key, self._ttl)
            await pipe.execute()

    async def read(self, conversation_id: str) -> list[dict[str, Any]]:
        """The transcript, oldest first."""
        return [json.loads(raw) for raw in await self._redis.lrange(self.key(conversation_id), 0, -1)]

    async def erase(self, conversation_id: str) -> None:
        """Delete the transcript."""
        await self._redis.delete(self.key(conversation_id))
