"""\"Delete my data\": erases everything the helpdesk keeps about one conversation, after the user confirmed.

What goes: the gateway's conversation keys (`hd:conv:{conversation}` and its sub-keys), the transcript,
the web chat's message stream (`hd:web:out:{sender}`), the personal fields and timelines of the
conversation's cases (open ones are closed with outcome "erased"), its entries in the old request log
(`hd:handoff:requests`) and Rasa's tracker (`rasa:tracker:{conversation}` in database RASA_REDIS_DB;
Rasa 3.6's RedisTrackerStore key is key_prefix + ":tracker:" + sender id, with the earlier turns moved out of
it in `rasa:earlier:{conversation}` by rasa_server/tracker_store.py), and whatever the layers above
register in `also_erase` (broadcasts: the subscription and the person's entries in campaigns' lists).
Everything else expires after RETENTION_DAYS on its own.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis

from handoff.cases import Cases
from handoff.events import Events
from handoff.transcript import Transcripts
from messaging.conversations import Conversations

# Requests for a person as versions before cases recorded them; erased here until the stream expires.
_LEGACY_REQUESTS = "hd:handoff:requests"

log = logging.getLogger(__name__)
RASA_TRACKER_PREFIX = "rasa:tracker:"
RASA_EARLIER_PREFIX = "rasa:earlier:"


class Eraser:
    """Erases one conversation's personal data."""

    def __init__(
        self,
        *,
        redis: Redis,
        rasa_redis: Redis,
        conversations: Conversations,
        cases: Cases,
        transcripts: Transcripts,
        events: Events,
    ) -> None:
        self._redis = redis
        self._rasa = rasa_redis
        self._conversations = conversations
        self._cases = cases
        self._transcripts = transcripts
        self._events = events
        # Erasers of the layers above (they cannot be imported here): called with the conversation id.
        self.also_erase: list[Callable[[str], Awaitable[None]]] = []

    async def erase(self, conversation_id: str, channel: str, user_id: str) -> int:
        """Erase the conversation's data; the number of cases whose personal fields were erased."""
        cases = await self._cases.of_conversation(conversation_id)
        for case in cases:
            was_open = case.is_open
            await self._cases.erase_personal(case)
            if was_open:
                await self._events.publish("case_updated", case.id, case.centre)
        await self._conversations.erase(conversation_id)
        await self._transcripts.erase(conversation_id)
        if channel == "web":
            await self._redis.delete(f"hd:web:out:{user_id}")
        stale = [
            entry_id
            for entry_id, fields in await self._redis.xrange(_LEGACY_REQUESTS)
            if fields.get(b"conversation_id", b"").decode() == conversation_id
        ]
        if stale:
            await self._redis.xdel(_LEGACY_REQUESTS, *stale)
        await self._rasa.delete(RASA_TRACKER_PREFIX + conversation_id, RASA_EARLIER_PREFIX + conversation_id)
        for erase in self.also_erase:
            await erase(conversation_id)
        log.info("erased a conversation's data on request (%d cases)", len(cases))
        return len(cases)
