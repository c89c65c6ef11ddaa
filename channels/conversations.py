"""What the gateway remembers about each conversation: its language and who answers it.

Owns the Redis keys `hd:conv:*`. Every key expires after RETENTION_DAYS without activity.
State is "bot" (Rasa answers); the handoff inbox adds "queued" and "human".
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from redis.asyncio import Redis


@dataclass(frozen=True)
class Conversation:
    """A conversation's stored facts."""

    conversation_id: str
    language: str | None = None
    state: str = "bot"


class Conversations:
    """Reads and writes conversation facts in Redis."""

    def __init__(self, redis: Redis, retention_seconds: int) -> None:
        self._redis = redis
        self._ttl = retention_seconds

    @staticmethod
    def _key(conversation_id: str) -> str:
        return f"hd:conv:{conversation_id}"

    async def get(self, conversation_id: str) -> Conversation:
        """The conversation's facts; a new conversation has no language yet and is answered by the bot."""
        raw = await self._redis.hgetall(self._key(conversation_id))
        data = {k.decode(): v.decode() for k, v in raw.items()}
        return Conversation(conversation_id, data.get("language"), data.get("state", "bot"))

    async def touch(self, conversation_id: str, channel: str, language: str) -> None:
        """Record activity and the conversation's language, restarting its retention period."""
        key = self._key(conversation_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping={"language": language, "channel": channel, "updated_at": int(time.time())})
            pipe.expire(key, self._ttl)
            await pipe.execute()

    async def first_notice(self, conversation_id: str, kind: str, every_seconds: int) -> bool:
        """True once per period for a notice of this kind, so a user is not told the same thing twice."""
        key = f"{self._key(conversation_id)}:notice:{kind}"
        return bool(await self._redis.set(key, "1", nx=True, ex=every_seconds))

    async def clear_notice(self, conversation_id: str, kind: str) -> None:
        """Forget that a notice was sent (the condition it announced is over)."""
        await self._redis.delete(f"{self._key(conversation_id)}:notice:{kind}")
