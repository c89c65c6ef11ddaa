"""SMS through Twilio: the same handler as WhatsApp (channels/twilio.py), configured for plain numbers. Unit
rows of parse and render with real Redis, then end to end: a Twilio-shaped SMS to the real stack, answered
through the Messages API stand-in from the SMS number, with numbered options and a status callback."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from urllib.parse import urlencode

import httpx
import pytest
import pytest_asyncio
from redis.asyncio import Redis
from twilio.request_validator import RequestValidator

from channels.twilio import SMS, TwilioChannel
from core.messages import Button, OutboundMessage
from messaging.channel import BadPayload, RawRequest
from ops.local_stack import LocalStack
from tests.messengers.conftest import (
    SMS_FROM,
    TWILIO_TOKEN,
    StandIns,
    greeting,
    last_intent,
    twilio_channel,
    wait_for,
)
from tests.standins.platforms import post_whatsapp, wa_message, wa_status

PUBLIC = "https://helpdesk.example.org"


def sms(phone: str, body: str) -> dict[str, str]:
    """The form fields Twilio posts for an incoming SMS: WhatsApp's, without the `whatsapp:` prefixes."""
    fields = wa_message(phone, body)
    for name in ("WaId", "ProfileName", "MessageType"):
        fields.pop(name)
    return {**fields, "From": phone, "To": SMS_FROM}


def signed(fields: dict[str, str], path: str = "/webhooks/sms") -> RawRequest:
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(PUBLIC + path, fields)
    headers = {"content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature}
    return RawRequest(path, headers, urlencode(fields).encode())


@pytest_asyncio.fixture(scope="module")
async def channel(unit_redis: Redis) -> AsyncIterator[TwilioChannel]:
    built = twilio_channel(unit_redis, SMS, SMS_FROM, PUBLIC)
    yield built
    await built.aclose()


async def test_an_sms_is_parsed_as_a_message_of_the_sms_channel(channel: TwilioChannel) -> None:
    raw = signed(sms("+40700200002", "buna ziua"))
    assert channel.verify(raw)
    parsed = await channel.parse(raw)
    [message] = parsed.messages
    assert (message.channel, message.user_id, message.text) == ("sms", "+40700200002", "buna ziua")
    assert channel.name == "sms" and not channel.reply_window and not channel.templates
    assert await channel.window_open("+40700200002")  # SMS has no 24-hour window


async def test_a_whatsapp_address_is_no_sms_and_sms_has_no_templates(channel: TwilioChannel) -> None:
    with pytest.raises(BadPayload) as refused:
        await channel.parse(signed({**sms("+40700200003", "x"), "From": "whatsapp:+40700200003"}))
    assert refused.value.status == 422 and "SMS" in refused.value.reason
    with pytest.raises(ValueError, match="no message templates"):
        await channel.render_template("+40700200003", "HX123", {"1": "Iași"})


async def test_buttons_become_numbered_options_and_a_number_picks_one(channel: TwilioChannel) -> None:
    message = OutboundMessage("Alege:", (Button("Drepturi", "/topic_rights"), Button("Om", "/request_human")))
    assert await channel.render("+40700200004", message) == [{"body": "Alege:\n\n1. Drepturi\n2. Om"}]
    [picked] = (await channel.parse(signed(sms("+40700200004", "2")))).messages
    assert (picked.kind, picked.text) == ("button", "/request_human")


def test_an_sms_is_answered_from_the_sms_number(
    messenger_stack: LocalStack, fresh: StandIns, responses: dict
) -> None:
    number = f"+4073{random.randint(1_000_000, 9_999_999)}"
    post = post_whatsapp(
        messenger_stack.gateway,
        messenger_stack.gateway,
        "/webhooks/sms",
        sms(number, "hola, buenos dias"),
        TWILIO_TOKEN,
    )
    assert post.status_code == 200 and "<Response></Response>" in post.text
    wait_for(lambda: [m for m in fresh.twilio.messages() if m["To"] == number], message="no SMS reply")
    sent = next(m for m in fresh.twilio.messages() if m["To"] == number)
    expected = greeting(responses, "es")
    assert sent["From"] == SMS_FROM and sent["Body"].startswith(expected["text"])
    assert sent["StatusCallback"] == f"{messenger_stack.gateway}/webhooks/sms/status"
    assert last_intent(messenger_stack, f"sms:{number}") == "greet"
    status = post_whatsapp(
        messenger_stack.gateway,
        messenger_stack.gateway,
        "/webhooks/sms/status",
        {**wa_status("SM" + "5" * 32, "delivered", number), "To": number, "From": SMS_FROM},
        TWILIO_TOKEN,
    )
    assert status.status_code == 200


def test_the_status_path_exists_only_where_the_platform_posts_statuses(messenger_stack: LocalStack) -> None:
    assert httpx.post(f"{messenger_stack.gateway}/webhooks/telegram/status", content=b"{}").status_code == 404
    assert httpx.post(f"{messenger_stack.gateway}/webhooks/nosuch", content=b"{}").status_code == 404
