"""Builds the broadcasts' long-lived objects once per process (gateway/services.py): the subscribers, the
campaigns, the subscription dialogue, the campaign runner; and registers their part of "delete my data" and
what follows a change of the conversation's language."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from broadcasts.campaigns import Campaigns
from broadcasts.dialogue import SubscriptionDesk
from broadcasts.runner import CampaignRunner
from broadcasts.subscribers import Subscribers, split_member
from broadcasts.topics import CHANNELS
from channels.registry import send_rate
from core.settings import Settings
from inbox.wiring import HandoffServices
from messaging.conversations import Conversations
from messaging.delivery import Delivery
from messaging.outbox import Outbox


@dataclass
class BroadcastServices:
    """Subscribers, campaigns, the subscription dialogue and what the runner needs."""

    settings: Settings
    redis: Redis
    subscribers: Subscribers
    campaigns: Campaigns
    desk: SubscriptionDesk
    conversations: Conversations
    delivery: Delivery
    outbox: Outbox
    rates: dict[str, float]

    @classmethod
    def build(
        cls,
        settings: Settings,
        redis: Redis,
        *,
        conversations: Conversations,
        delivery: Delivery,
        outbox: Outbox,
        handoff: HandoffServices,
        channels: list[str],
    ) -> BroadcastServices:
        """Wire the broadcasts over the gateway's Redis, conversations, delivery and the handoff's objects."""
        subscribers = Subscribers(redis, settings.retention_seconds)
        desk = handoff.desk

        async def centre_of(fields: dict[str, str]) -> str:
            """The nearest centre where known: a shared location, the place they said they are from, a case."""
            point = Conversations.location_in(fields)
            if point:
                return desk.centres.for_location(*point).id
            place = desk.gazetteer.find(fields["origin"]) if fields.get("origin") else None
            if place:
                return desk.centres.nearest(place.lat, place.lon, place.country).id
            case = await desk.cases.get(fields["case"]) if fields.get("case") else None
            return case.centre if case else ""

        found = cls(
            settings=settings,
            redis=redis,
            subscribers=subscribers,
            campaigns=Campaigns(redis, handoff.audit),
            desk=SubscriptionDesk(
                subscribers, conversations, centre_of, offer_on_start=settings.broadcast_offer_on_start
            ),
            conversations=conversations,
            delivery=delivery,
            outbox=outbox,
            rates={name: send_rate(settings, name) for name in channels},
        )
        desk.eraser.also_erase.append(found.forget)
        conversations.language_changed.append(found.language_changed)
        return found

    def runner(self) -> CampaignRunner:
        """A campaign runner over these services (one per worker process)."""
        return CampaignRunner(
            self.redis,
            campaigns=self.campaigns,
            subscribers=self.subscribers,
            conversations=self.conversations,
            delivery=self.delivery,
            outbox=self.outbox,
            rates=self.rates,
            recognition=self.settings.broadcast_recognition,
            retention_seconds=self.settings.retention_seconds,
        )

    async def language_changed(self, conversation_id: str, language: str) -> None:
        """The conversation's language changed: a subscriber's alerts come in the new one (the audience's
        language filter follows)."""
        if split_member(conversation_id)[0] in CHANNELS:  # the web chat has no alerts
            await self.subscribers.update(conversation_id, language=language)

    async def forget(self, conversation_id: str) -> None:
        """ "Delete my data": the subscription and the person's entries in campaigns' lists."""
        await self.subscribers.erase(conversation_id)
        await self.runner().forget(conversation_id)
