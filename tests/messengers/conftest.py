"""Fixtures of the messenger channel tests: the platforms' stand-ins (local HTTP servers speaking their wire
format) and one stack (actions, Rasa with the trained model, gateway with its worker and outbox senders)
configured with all three channels pointing at them, shared by the tests of a session."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis as redis_sync

from ops.local_stack import TEST_REDIS_PORT, LocalStack
from tests.conftest import make_stack
from tests.standins.telegram import TelegramStandIn
from tests.standins.twilio import TwilioStandIn
from tests.standins.viber import ViberStandIn

MESSENGER_GATEWAY_DB = 8
MESSENGER_RASA_DB = 7
OUTBOX_DB = 6  # in-process outbox tests

TG_TOKEN = "123456:TEST-token_for-the-standin"
TG_SECRET = "tg-secret-0123456789"
TWILIO_SID = "AC" + "0" * 32
TWILIO_TOKEN = "twilio-auth-token-0123456789abcd"
WA_FROM = "whatsapp:+14155238886"
VIBER_TOKEN = "445da6az1s345z78-dazcczb2542zv51a-e0vc5fva17480im9"


@dataclass
class StandIns:
    """The three platforms."""

    telegram: TelegramStandIn
    twilio: TwilioStandIn
    viber: ViberStandIn

    def reset(self) -> None:
        """Forget requests, scripted failures and user states."""
        for s in (self.telegram, self.twilio, self.viber):
            s.reset()
        self.telegram.blocked.clear()
        self.twilio.opted_out.clear()
        self.viber.unsubscribed.clear()


@pytest.fixture(scope="session")
def standins() -> Iterator[StandIns]:
    found = StandIns(TelegramStandIn(TG_TOKEN), TwilioStandIn(TWILIO_SID, TWILIO_TOKEN), ViberStandIn(VIBER_TOKEN))
    yield found
    for s in (found.telegram, found.twilio, found.viber):
        s.stop()


def channel_env(standins: StandIns, public_base_url: str) -> dict[str, str]:
    """The settings that turn the three channels on, pointed at the stand-ins."""
    return {
        "TELEGRAM_BOT_TOKEN": TG_TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": TG_SECRET,
        "TELEGRAM_API_URL": standins.telegram.url,
        "TWILIO_ACCOUNT_SID": TWILIO_SID,
        "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "TWILIO_WHATSAPP_FROM": WA_FROM,
        "TWILIO_API_URL": standins.twilio.url,
        "VIBER_AUTH_TOKEN": VIBER_TOKEN,
        "VIBER_API_URL": f"{standins.viber.url}/pa",
        "PUBLIC_BASE_URL": public_base_url,
        "COALESCE_SECONDS": "1.0",
        "OUTBOX_RETRY_MAX_SECONDS": "1",
        "TELEGRAM_SEND_RATE": "50",
        "WHATSAPP_SEND_RATE": "50",
        "VIBER_SEND_RATE": "50",
    }


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
    """Poll until `check()` is truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(message)


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
