"""Builds the handoff's long-lived objects from the settings, once per process (gateway/services.py)."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from redis.asyncio import Redis
from redis.exceptions import RedisError

from core.settings import Settings
from handoff.cases import Cases
from handoff.desk import HandoffDesk
from handoff.events import Events
from handoff.privacy import Eraser
from handoff.transcript import Transcripts
from inbox.accounts import Accounts
from inbox.audit import Audit
from inbox.login_limit import LoginLimiter
from inbox.passwords import Passwords
from inbox.presence import Presence
from inbox.service import Inbox
from inbox.sessions import Sessions
from knowledge.centres import Centres
from knowledge.places import Gazetteer
from messaging.conversations import Conversations
from messaging.delivery import Delivery

log = logging.getLogger(__name__)


def rasa_redis_url(redis_url: str, db: int) -> str:
    """The Redis URL of Rasa's tracker store: same server as the gateway, database RASA_REDIS_DB."""
    parts = urlsplit(redis_url)
    return urlunsplit(parts._replace(path=f"/{db}"))


@dataclass
class HandoffServices:
    """The desk (for the worker) and the inbox's accounts, sessions, login limiter, audit log and actions (for the
    routes)."""

    desk: HandoffDesk
    inbox: Inbox
    accounts: Accounts
    sessions: Sessions
    audit: Audit
    events: Events
    centres: Centres
    rasa_redis: Redis
    limiter: LoginLimiter

    @classmethod
    def build(
        cls, settings: Settings, redis: Redis, conversations: Conversations, delivery: Delivery
    ) -> HandoffServices:
        """Wire the handoff over the gateway's Redis, conversation store and delivery."""
        retention = settings.retention_seconds
        centres_file = Path(settings.handoff_centres_file) if settings.handoff_centres_file else None
        centres = Centres.load(settings.handoff_default_centre, centres_file)
        cases = Cases(redis, retention)
        transcripts = Transcripts(redis, retention)
        events = Events(redis)
        audit = Audit(redis, settings.inbox_audit_days)
        rasa_redis = Redis.from_url(rasa_redis_url(settings.redis_url, settings.rasa_redis_db))
        eraser = Eraser(
            redis=redis,
            rasa_redis=rasa_redis,
            conversations=conversations,
            cases=cases,
            transcripts=transcripts,
            events=events,
        )
        desk = HandoffDesk(
            redis=redis,
            conversations=conversations,
            delivery=delivery,
            cases=cases,
            transcripts=transcripts,
            centres=centres,
            gazetteer=Gazetteer.load(centres),
            events=events,
            eraser=eraser,
            overflow_seconds=int(settings.handoff_overflow_minutes * 60),
            on_call=settings.handoff_on_call.strip(),
            reoffer_seconds=settings.handoff_reoffer_hours * 3600,
        )
        accounts = Accounts(redis, Passwords(settings.inbox_hash_threads))
        templates = {
            "ro": settings.whatsapp_counsellor_template_ro,
            "it": settings.whatsapp_counsellor_template_it,
            "es": settings.whatsapp_counsellor_template_es,
        }
        inbox = Inbox(
            desk,
            accounts,
            audit,
            claim_seconds=int(settings.inbox_claim_minutes * 60),
            templates={k: v for k, v in templates.items() if v},
            presence=Presence(redis),
            sla_minutes=(settings.inbox_sla_amber_minutes, settings.inbox_sla_red_minutes),
        )
        sessions = Sessions(
            redis,
            int(settings.inbox_session_hours * 3600),
            int(settings.inbox_idle_minutes * 60),
            settings.secure_cookies,
        )
        limiter = LoginLimiter(redis, settings.inbox_login_attempts, settings.inbox_login_max_delay_seconds)
        return cls(desk, inbox, accounts, sessions, audit, events, centres, rasa_redis, limiter)

    async def hint_first_account(self) -> None:
        """Say in the log how to create the first inbox account, while there is none."""
        with contextlib.suppress(RedisError):
            if await self.accounts.count() == 0:
                log.warning(
                    "the inbox (/inbox) has no accounts yet; create the first one with: "
                    ".venv/bin/python -m inbox users add NAME --role admin  (or --role supervisor)"
                )

    async def aclose(self) -> None:
        """Close the connection to Rasa's database and stop the password threads."""
        await self.rasa_redis.aclose()
        self.accounts.passwords.close()
