"""The long-lived objects one gateway or worker process shares, built once from the settings."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from broadcasts.runner import CampaignRunner
from broadcasts.wiring import BroadcastServices
from channels.registry import build_channels, send_rate
from core.settings import Settings
from gateway.worker import Worker
from inbox.wiring import HandoffServices
from messaging.channel import Channel
from messaging.conversations import Conversations
from messaging.delivery import Delivery
from messaging.inbound_backlog import InboundBacklog
from messaging.inbound_queue import InboundQueue
from messaging.outbox import Outbox, OutboxSender
from messaging.rasa_client import RasaClient
from messaging.redis_client import redis_client
from messaging.send_rate import SendRate
from messaging.web_outbox import WebOutbox

MAX_BLOCK_SECONDS = 25  # the longest long-poll GET /webhooks/web/messages allows


@dataclass
class Services:
    """Everything a request handler or the worker needs."""

    settings: Settings
    redis: Redis
    queue: InboundQueue
    backlog: InboundBacklog
    conversations: Conversations
    rasa: RasaClient
    web_outbox: WebOutbox
    delivery: Delivery
    outbox: Outbox
    channels: dict[str, Channel]
    handoff: HandoffServices
    broadcasts: BroadcastServices

    @classmethod
    def build(cls, settings: Settings) -> Services:
        """Connect to Redis and Rasa as the settings say (connections open lazily)."""
        # Blocking reads (the web chat's wait, long polls) last up to MAX_BLOCK_SECONDS: the socket's read
        # timeout must be longer (redis-py's default is 5 s); connecting still fails fast.
        # A command that meets a dropped connection (Redis restarted) is retried once (messaging/redis_client.py).
        redis = redis_client(settings.redis_url, max(settings.web_reply_wait_seconds, MAX_BLOCK_SECONDS) + 10)
        retention = settings.retention_seconds
        web_outbox = WebOutbox(redis, retention)
        outbox = Outbox(redis, retention)
        channels = build_channels(settings, redis)
        conversations = Conversations(redis, retention)
        delivery = Delivery(web_outbox, outbox, channels)
        handoff = HandoffServices.build(settings, redis, conversations, delivery)
        queue = InboundQueue(redis, settings.inbound_partitions, settings.dedupe_ttl_seconds)
        return cls(
            settings=settings,
            redis=redis,
            queue=queue,
            backlog=InboundBacklog(queue, settings.inbound_max_per_partition, settings.inbound_max_total),
            conversations=conversations,
            rasa=RasaClient(settings.rasa_url, settings.rasa_token, settings.rasa_timeout_seconds),
            web_outbox=web_outbox,
            delivery=delivery,
            outbox=outbox,
            channels=channels,
            handoff=handoff,
            broadcasts=BroadcastServices.build(
                settings,
                redis,
                conversations=conversations,
                delivery=delivery,
                outbox=outbox,
                handoff=handoff,
                channels=list(channels),
            ),
        )

    def worker(self) -> Worker:
        """A worker over these services."""
        return Worker(
            self.queue,
            self.conversations,
            self.rasa,
            self.web_outbox,
            desk=self.handoff.desk,
            delivery=self.delivery,
            coalesce_seconds=self.settings.coalesce_seconds,
            subscriptions=self.broadcasts.desk,
        )

    def campaign_runner(self) -> CampaignRunner:
        """The campaign runner (beside the worker and the outbox senders)."""
        return self.broadcasts.runner()

    def senders(self) -> list[OutboxSender]:
        """One outbox sender per messenger channel that is on (they run beside the worker)."""
        return [
            OutboxSender(
                channel,
                self.outbox,
                SendRate(self.redis, name, send_rate(self.settings, name)),
                self.conversations,
                max_attempts=self.settings.outbox_max_attempts,
                retry_max_seconds=self.settings.outbox_retry_max_seconds,
            )
            for name, channel in self.channels.items()
        ]

    async def aclose(self) -> None:
        """Close network clients."""
        for channel in self.channels.values():
            await channel.aclose()
        await self.rasa.aclose()
        await self.handoff.aclose()
        await self.redis.aclose()
