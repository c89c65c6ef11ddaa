"""Fixtures of the messenger channel tests: the platforms' stand-ins (local HTTP servers speaking their wire
format) and one stack (actions, Rasa with the trained model, gateway with its worker and outbox senders)
configured with all three channels pointing at them, shared by the tests of a session; and, for the table
tests of each channel's parse and render (test_*_unit.py), a Redis database of their own and the comparison
of a parse result with a table's expected one."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import redis as redis_sync
from redis.asyncio import Redis

from channels.twilio import TwilioAddress, TwilioChannel
from messaging.channel import BadPayload, Channel, Parsed, RawRequest
from ops.local_stack import TEST_REDIS_PORT, LocalStack, wait_until
from tests.conftest import make_stack
from tests.standins.platforms import (
    SMS_FROM,
    TG_SECRET,
    TG_TOKEN,
    TWILIO_SID,
    TWILIO_TOKEN,
    VIBER_TOKEN,
    WA_FROM,
    StandIns,
    channel_env,
)
from tests.standins.telegram import TelegramStandIn
from tests.standins.twilio import TwilioStandIn
from tests.standins.viber import ViberStandIn

__all__ = [
    "SMS_FROM",
    "TG_SECRET",
    "TG_TOKEN",
    "TWILIO_SID",
    "TWILIO_TOKEN",
    "VIBER_TOKEN",
    "WA_FROM",
    "channel_env",
]

MESSENGER_GATEWAY_DB = 8
MESSENGER_RASA_DB = 7
OUTBOX_DB = 6  # in-process outbox tests
# The channel unit tests (test_*_unit.py): flushed by each of their modules, so not a database a running
# stack uses (the messenger stack's MESSENGER_GATEWAY_DB stays up for the whole session).
UNIT_DB = 3


@pytest.fixture(scope="session")
def standins() -> Iterator[StandIns]:
    found = StandIns(TelegramStandIn(TG_TOKEN), TwilioStandIn(TWILIO_SID, TWILIO_TOKEN), ViberStandIn(VIBER_TOKEN))
    yield found
    for s in (found.telegram, found.twilio, found.viber):
        s.stop()


def configure(stack: LocalStack, env: dict[str, str]) -> None:
    """Add settings to every process of a stack (they read the environment)."""
    for spec in stack.specs.values():
        spec.env.update(env)


@pytest.fixture(scope="session")
def messenger_stack(model: Path, standins: StandIns) -> Iterator[LocalStack]:
    """The helpdesk with Telegram, WhatsApp and Viber on, talking to the stand-ins."""
    for db in (MESSENGER_GATEWAY_DB, MESSENGER_RASA_DB):
        redis_sync.Redis(port=TEST_REDIS_PORT, db=db).flushdb()
    stack = make_stack(model, MESSENGER_GATEWAY_DB, MESSENGER_RASA_DB)
    configure(stack, channel_env(standins, stack.gateway))
    # These tests count the replies to /start and Viber `subscribed`; the alerts' offer after them is tested in
    # tests/test_broadcast_send.py.
    configure(stack, {"BROADCAST_OFFER_ON_START": "false"})
    stack.start("actions", "rasa", "gateway")
    try:
        stack.wait_gateway()
        stack.wait_ready()
        yield stack
    finally:
        stack.stop_all()


@pytest.fixture(scope="session")
def gateway_redis() -> redis_sync.Redis:
    return redis_sync.Redis(port=TEST_REDIS_PORT, db=MESSENGER_GATEWAY_DB, decode_responses=True)


@pytest.fixture
def fresh(standins: StandIns) -> StandIns:
    standins.reset()
    return standins


def wait_for(check: Callable[[], object], timeout: float = 30, message: str = "condition not met in time") -> None:
    """ops.local_stack.wait_until with the defaults of the channel tests (the one polling loop)."""
    wait_until(lambda: bool(check()), timeout, message)


def settle(seconds: float = 2.5) -> None:
    """Give the gateway time to (wrongly) send more than expected: fragments wait COALESCE_SECONDS."""
    time.sleep(seconds)


def last_intent(stack: LocalStack, conversation_id: str) -> str:
    """The intent Rasa saw in the conversation's latest user message (Rasa's HTTP API, with the token)."""
    response = httpx.get(
        f"{stack.settings.rasa_url}/conversations/{conversation_id}/tracker",
        params={"token": stack.settings.rasa_token},
        timeout=10,
    )
    response.raise_for_status()
    return str(response.json()["latest_message"]["intent"]["name"])


def greeting(responses: dict, language: str) -> dict:
    """The domain's greeting in a language: its text and buttons (titles, payloads)."""
    variant = responses["utter_greet"][language]
    return {"text": variant["text"], "buttons": [(b["title"], b["payload"]) for b in variant.get("buttons", [])]}


# -- the channel unit tests (test_telegram_unit.py, test_whatsapp_unit.py, test_viber_unit.py) -------------


@pytest_asyncio.fixture(scope="module")
async def unit_redis() -> AsyncIterator[Redis]:
    """The unit tests' Redis database, empty at the start of each test module."""
    redis = Redis(port=TEST_REDIS_PORT, db=UNIT_DB)
    await redis.flushdb()
    yield redis
    await redis.flushdb()
    await redis.aclose()


@dataclass(frozen=True)
class Refused:
    """A table's expectation that parse raises BadPayload with this status (and a reason containing `says`)."""

    status: int
    says: str = ""


def plain(parsed: Parsed) -> dict[str, Any]:
    """A parse result as plain data, for comparing with a table's expected one: arrival times dropped."""
    data = dataclasses.asdict(parsed)
    for message in data["messages"]:
        message.pop("received_at")
    return data


async def check_webhook(
    channel: Channel, request: RawRequest, verified: bool, expected: Parsed | Refused | None
) -> None:
    """One table row: verify says `verified`; then parse gives `expected` (None: not parsed, as the gateway
    answers 403 before parsing) or raises BadPayload with a 4xx status."""
    assert channel.verify(request) is verified
    if expected is None:
        return
    if isinstance(expected, Refused):
        with pytest.raises(BadPayload) as refused:
            await channel.parse(request)
        assert 400 <= refused.value.status < 500
        assert refused.value.status == expected.status, refused.value.reason
        assert expected.says in refused.value.reason
        return
    assert plain(await channel.parse(request)) == plain(expected)


def twilio_channel(redis: Redis, address: TwilioAddress, sender: str, public: str) -> TwilioChannel:
    """A Twilio channel of one address type for the unit tests (no network: the API URL is a closed port)."""
    return TwilioChannel(
        redis,
        address=address,
        account_sid=TWILIO_SID,
        auth_token=TWILIO_TOKEN,
        sender=sender,
        api_url="http://127.0.0.1:9",
        public_base_url=public,
    )
