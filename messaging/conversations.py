"""What the gateway remembers about each conversation: its language and who answers it.

Owns the Redis keys `hd:conv:*`. Every key expires after RETENTION_DAYS without activity.
State is "bot" (Rasa answers), "queued" (a case waits for a counsellor) or "human" (a counsellor has it);
the handoff keeps its fields here too (`case`, `origin`, `awaiting`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from redis.asyncio import Redis


@dataclass(frozen=True)
class Conversation:
    """A conversation's stored facts."""

    conversation_id: str
    language: str | None = None
    state: str = "bot"
    country: str | None = None  # where the user said they are (it, es, ro, md, other)


class Conversations:
    """Reads and writes conversation facts in Redis."""

    def __init__(self, redis: Redis, retention_seconds: int) -> None:
        self._redis = redis
        self._ttl = retention_seconds
        # Called with (conversation id, language) when `touch` stores a language other than the one stored
        # (or none was): a subscriber's alerts follow the conversation's language (broadcasts/wiring.py).
        self.language_changed: list[Callable[[str, str], Awaitable[None]]] = []

    @staticmethod
    def _key(conversation_id: str) -> str:
        return f"hd:conv:{conversation_id}"

    async def get(self, conversation_id: str) -> Conversation:
        """The conversation's facts; a new conversation has no language yet and is answered by the bot."""
        raw = await self._redis.hgetall(self._key(conversation_id))
        data = {k.decode(): v.decode() for k, v in raw.items()}
        return Conversation(conversation_id, data.get("language"), data.get("state", "bot"), data.get("country"))

    async def _write(
        self, conversation_id: str, values: dict[str, str | int | float], drop: tuple[str, ...] = ()
    ) -> None:
        """Set some fields and delete others in one step, restarting the retention period."""
        key = self._key(conversation_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            if values:
                pipe.hset(key, mapping=values)
            if drop:
                pipe.hdel(key, *drop)
            pipe.expire(key, self._ttl)
            await pipe.execute()

    async def touch(self, conversation_id: str, channel: str, language: str | None) -> None:
        """Record activity and the conversation's language (None: not known yet, none is stored), restarting its
        retention period."""
        fields: dict[str, str | int] = {"channel": channel, "updated_at": int(time.time())}
        if language:
            fields["language"] = language
        if not (language and self.language_changed):
            await self._write(conversation_id, fields)
            return
        key = self._key(conversation_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hget(key, "language")
            pipe.hset(key, mapping=fields)
            pipe.expire(key, self._ttl)
            before = (await pipe.execute())[0]
        if before is None or before.decode() != language:
            for listener in self.language_changed:
                await listener(conversation_id, language)

    async def first_notice(self, conversation_id: str, kind: str, every_seconds: int) -> bool:
        """True once per period for a notice of this kind, so a user is not told the same thing twice."""
        key = f"{self._key(conversation_id)}:notice:{kind}"
        return bool(await self._redis.set(key, "1", nx=True, ex=every_seconds))

    async def clear_notice(self, conversation_id: str, kind: str) -> None:
        """Forget that a notice was sent (the condition it announced is over)."""
        await self._redis.delete(f"{self._key(conversation_id)}:notice:{kind}")

    async def fields(self, conversation_id: str) -> dict[str, str]:
        """Every stored field of the conversation (handoff: `state`, `case`, `origin`, `awaiting`)."""
        raw = await self._redis.hgetall(self._key(conversation_id))
        return {k.decode(): v.decode() for k, v in raw.items()}

    async def set_fields(self, conversation_id: str, **values: str) -> None:
        """Store some fields (empty values delete them), restarting the retention period."""
        keep: dict[str, str | int | float] = {k: v for k, v in values.items() if v != ""}
        await self._write(conversation_id, keep, tuple(k for k, v in values.items() if v == ""))

    async def erase(self, conversation_id: str) -> None:
        """Delete everything kept about the conversation under `hd:conv:` ("delete my data")."""
        key = self._key(conversation_id)
        pattern = re.sub(r"([*?\[\]\\])", r"\\\1", key) + ":*"
        doomed = [key] + [k async for k in self._redis.scan_iter(match=pattern, count=200)]
        await self._redis.delete(*doomed)

    async def register(self, conversation_id: str, channel: str) -> None:
        """A user started the bot (Telegram /start, Viber subscribed): known and reachable from now on."""
        await self._write(
            conversation_id, {"channel": channel, "registered_at": int(time.time())}, ("unreachable",)
        )

    async def set_unreachable(self, conversation_id: str, reason: str) -> None:
        """The channel said the user cannot be reached (blocked the bot, unsubscribed, opted out)."""
        await self._write(conversation_id, {"unreachable": reason, "unreachable_at": int(time.time())})

    async def set_reachable(self, conversation_id: str) -> None:
        """The user wrote again: messages to them can be sent again."""
        await self._redis.hdel(self._key(conversation_id), "unreachable", "unreachable_at")

    async def unreachable(self, conversation_id: str) -> str | None:
        """Why the user cannot be reached, or None when they can."""
        value = await self._redis.hget(self._key(conversation_id), "unreachable")
        return value.decode() if value else None

    async def set_location(self, conversation_id: str, latitude: float, longitude: float) -> None:
        """Store the location the user shared (for routing to the nearest centre), with the same TTL."""
        located = {"latitude": latitude, "longitude": longitude, "located_at": int(time.time())}
        await self._write(conversation_id, located)

    @staticmethod
    def location_in(fields: dict[str, str]) -> tuple[float, float] | None:
        """The last location the user shared, as (latitude, longitude), from the conversation's fields."""
        lat, lon = fields.get("latitude"), fields.get("longitude")
        return (float(lat), float(lon)) if lat and lon else None
