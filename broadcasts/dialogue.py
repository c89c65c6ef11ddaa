"""Subscribing and leaving, in the conversation: what the gateway answers itself, before the assistant.

- The button payload `/subscribe` (a menu button, the offer after Telegram /start and Viber `subscribed`, the
  assistant's `{"subscription": "offer"}`) → the topic question with a button per topic and "all".
- `/subscribe_{topic}` or `/subscribe_all` → stored (channel, user, language, country, nearest centre where
  known, topics, consent time and the wording of the question they answered) → confirmed in their language,
  with the remaining topics as buttons.
- `/unsubscribe`, the keywords STOP / BASTA / BAJA and the natural phrases of broadcasts/data/leaving.yml
  (folded, without diacritics) → stopped at once → confirmed. A phrase is taken as leaving only from an active
  subscriber (otherwise the assistant answers it); a keyword always gets its confirmation.
The web chat has no alerts: there the offer says which messengers carry them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from broadcasts.subscribers import Subscriber, Subscribers
from broadcasts.topics import CHANNELS, TOPICS
from core.languages import fold
from core.locales import text
from core.messages import Button, InboundMessage, OutboundMessage
from messaging.conversations import Conversations

LEAVING_FILE = Path(__file__).resolve().parent / "data" / "leaving.yml"
_PHRASE_MAX_WORDS = 12  # a longer message is about something else, even if it contains a phrase
SUBSCRIBE = "/subscribe"
UNSUBSCRIBE = "/unsubscribe"

CentreOf = Callable[[dict[str, str]], Awaitable[str]]


@cache
def _leaving() -> tuple[frozenset[str], tuple[str, ...]]:
    """(keywords, phrases) of every language, folded."""
    data = yaml.safe_load(LEAVING_FILE.read_text(encoding="utf-8"))
    keywords = {fold(k) for entry in data.values() for k in entry.get("keywords", [])}
    phrases = {fold(p) for entry in data.values() for p in entry.get("phrases", [])}
    return frozenset(keywords), tuple(sorted(phrases))


def leaving(message_text: str) -> str | None:
    """ "keyword" when the whole message is a leaving keyword, "phrase" when a short message says it wants no
    more messages, else None."""
    folded = fold(message_text)
    keywords, phrases = _leaving()
    if folded in keywords:
        return "keyword"
    if len(folded.split()) <= _PHRASE_MAX_WORDS and any(f" {p} " in f" {folded} " for p in phrases):
        return "phrase"
    return None


def topic_buttons(language: str, topics: tuple[str, ...] = TOPICS, with_all: bool = True) -> tuple[Button, ...]:
    """A button per topic (and "all")."""
    buttons = [Button(text(f"subscription.topic.{t}", language), f"{SUBSCRIBE}_{t}") for t in topics]
    if with_all and len(topics) > 1:
        buttons.append(Button(text("subscription.all", language), f"{SUBSCRIBE}_all"))
    return tuple(buttons)


class SubscriptionDesk:
    """Answers the subscription payloads, the leaving words and the assistant's subscription signals."""

    def __init__(
        self, subscribers: Subscribers, conversations: Conversations, centre_of: CentreOf, *, offer_on_start: bool
    ) -> None:
        self._subscribers = subscribers
        self._conversations = conversations
        self._centre_of = centre_of
        self._offer_on_start = offer_on_start

    def offer(self, channel: str, language: str) -> OutboundMessage:
        """The topic question (the web chat: where alerts are sent instead)."""
        if channel not in CHANNELS:
            return OutboundMessage(text("subscription.not_here", language))
        return OutboundMessage(text("subscription.offer", language), topic_buttons(language))

    async def answer(self, message: InboundMessage, language: str) -> list[OutboundMessage] | None:
        """The replies when the message is about subscribing or leaving; None when it is for the assistant."""
        raw = message.text.strip()
        payload = raw.split("{", 1)[0] if raw.startswith("/") else ""
        if payload:
            return await self._payload(message, language, payload)
        if message.kind != "text":
            return None
        said = leaving(raw)
        if said == "keyword" or (said == "phrase" and await self._subscribers.is_active(message.conversation_id)):
            return await self.leave(message.conversation_id, language, said)
        return None

    async def _payload(self, message: InboundMessage, language: str, payload: str) -> list[OutboundMessage] | None:
        if payload == SUBSCRIBE:
            return [self.offer(message.channel, language)]
        if payload == UNSUBSCRIBE:
            return await self.leave(message.conversation_id, language, "asked")
        if not payload.startswith(f"{SUBSCRIBE}_"):
            return None
        chosen = payload[len(SUBSCRIBE) + 1 :]
        topics = TOPICS if chosen == "all" else tuple(t for t in TOPICS if t == chosen)
        if not topics:
            return [self.offer(message.channel, language)]
        return await self.subscribe(message, language, topics)

    async def on_signal(
        self, message: InboundMessage, language: str, signal: dict[str, Any]
    ) -> list[OutboundMessage]:
        """The assistant's {"subscription": "offer"} or {"subscription": "stop"}."""
        wanted = signal.get("subscription")
        if wanted == "offer":
            return [self.offer(message.channel, language)]
        if wanted == "stop":
            return await self.leave(message.conversation_id, language, "asked")
        return []

    async def offer_if_new(self, message: InboundMessage, language: str) -> list[OutboundMessage]:
        """After Telegram /start or Viber `subscribed`: the offer, unless they subscribed already."""
        if not self._offer_on_start or message.channel not in CHANNELS:
            return []
        if await self._subscribers.is_active(message.conversation_id):
            return []
        return [self.offer(message.channel, language)]

    async def subscribe(
        self, message: InboundMessage, language: str, topics: tuple[str, ...]
    ) -> list[OutboundMessage]:
        """Store the subscription with its consent, and confirm it."""
        if message.channel not in CHANNELS:
            return [OutboundMessage(text("subscription.not_here", language))]
        fields = await self._conversations.fields(message.conversation_id)
        stored = await self._subscribers.subscribe(
            Subscriber(
                channel=message.channel,
                user=message.user_id,
                language=language,
                country=fields.get("country", ""),
                centre=await self._centre_of(fields),
                topics=topics,
                consent=text("subscription.offer", language),
            )
        )
        names = ", ".join(text(f"subscription.topic.{t}", language) for t in stored.topics)
        rest = tuple(t for t in TOPICS if t not in stored.topics)
        buttons = topic_buttons(language, rest, with_all=False) if rest else ()
        return [OutboundMessage(text("subscription.subscribed", language, topics=names), buttons)]

    async def leave(self, member: str, language: str, reason: str) -> list[OutboundMessage]:
        """Stop the subscription at once, and confirm (or say there was none)."""
        if await self._subscribers.stop(member, reason):
            return [OutboundMessage(text("subscription.stopped", language))]
        return [OutboundMessage(text("subscription.not_subscribed", language))]

    async def platform_stop(self, member: str, reason: str) -> None:
        """The platform says the person left (Telegram block, Viber unsubscribed, Twilio opt-out)."""
        await self._subscribers.stop(member, reason)

    async def refresh(self, member: str, language: str, country: str | None) -> None:
        """Keep a subscriber's language and country as the conversation's (the audience follows)."""
        await self._subscribers.update(member, language=language, country=country or "")
