"""Hostile messenger posts through the real gateway (issue 13): every signed request the channel tables refuse
(tests/messengers/test_*_unit.py) gets the same 4xx from the running gateway, never a 500, and leaves nothing
behind: no message queued, no platform id remembered (so the platform's redelivery is refused the same way,
not taken for a duplicate), no WhatsApp window opened. A lone surrogate in a person's text is kept as U+FFFD
and the message is answered."""

from __future__ import annotations

import json
import random
import uuid
from urllib.parse import parse_qsl

import httpx
import pytest
import redis as redis_sync
from twilio.request_validator import RequestValidator

from messaging.channel import RawRequest
from ops.local_stack import LocalStack
from tests.messengers.conftest import TG_SECRET, TWILIO_TOKEN, VIBER_TOKEN, Refused, StandIns, wait_for
from tests.messengers.test_telegram_unit import WEBHOOKS as TELEGRAM
from tests.messengers.test_viber_unit import WEBHOOKS as VIBER
from tests.messengers.test_whatsapp_unit import WEBHOOKS as WHATSAPP
from tests.standins.platforms import post_telegram, post_viber, tg_message, vb_message

REFUSED = [
    pytest.param(*row.values[::2], id=f"{channel}: {row.id}")
    for channel, table in (("telegram", TELEGRAM), ("viber", VIBER), ("whatsapp", WHATSAPP))
    for row in table
    if row.values[1] and isinstance(row.values[2], Refused)
]
LEFT_BEHIND = ("hd:dedupe:*", "hd:wa:window:*", "hd:sms:window:*")


def stored_keys(redis: redis_sync.Redis) -> set[str]:
    """The keys a webhook writes when it accepts something (the dedupe ids, WhatsApp's window)."""
    return {key for pattern in LEFT_BEHIND for key in redis.scan_iter(pattern, count=1000)}


def queued_since(redis: redis_sync.Redis, since_ms: int) -> list[str]:
    """Entries added to the inbound queue's streams since a time (Redis's clock, milliseconds)."""
    return [
        entry_id
        for key in redis.scan_iter("hd:in:[0-9]*")
        if redis.type(key) == "stream"
        for entry_id, _ in redis.xrange(key, min=f"{since_ms}-0")
    ]


def send(gateway: str, raw: RawRequest) -> httpx.Response:
    """The table's request to the running gateway; a Twilio form is signed for this gateway's own URL."""
    headers = dict(raw.headers)
    if "x-twilio-signature" in headers:
        params = dict(parse_qsl(raw.body.decode(), keep_blank_values=True))
        headers["x-twilio-signature"] = RequestValidator(TWILIO_TOKEN).compute_signature(
            gateway + raw.path, params
        )
    return httpx.post(gateway + raw.path, content=raw.body, headers=headers, timeout=30)


@pytest.mark.parametrize(("raw", "expected"), REFUSED)
def test_a_refused_request_is_the_same_4xx_and_leaves_nothing(
    messenger_stack: LocalStack, gateway_redis: redis_sync.Redis, raw: RawRequest, expected: Refused
) -> None:
    seconds, micros = gateway_redis.time()
    since_ms = seconds * 1000 + micros // 1000
    before = stored_keys(gateway_redis)
    answers = [send(messenger_stack.gateway, raw) for _ in range(2)]  # the platform's redelivery too
    for answer in answers:
        assert answer.status_code == expected.status, answer.text
        assert expected.says in answer.json()["error"]
    assert stored_keys(gateway_redis) == before
    assert queued_since(gateway_redis, since_ms) == []


def test_a_lone_surrogate_in_a_telegram_text_is_kept_and_answered(
    messenger_stack: LocalStack, fresh: StandIns, gateway_redis: redis_sync.Redis
) -> None:
    chat_id = random.randint(10_000_000, 99_999_999)
    update = tg_message(chat_id, "Bun\ud800ă ziua")
    body = json.dumps(update).encode()
    assert b"\\ud800" in body
    answer = post_telegram(messenger_stack.gateway, body, TG_SECRET)
    assert answer.status_code == 200 and answer.json() == {"ok": True}
    assert gateway_redis.exists(f"hd:dedupe:telegram:{update['update_id']}")
    wait_for(lambda: [m for m in fresh.telegram.messages() if m["chat_id"] == str(chat_id)])


def test_a_lone_surrogate_in_a_viber_text_is_kept_and_answered(
    messenger_stack: LocalStack, fresh: StandIns, gateway_redis: redis_sync.Redis
) -> None:
    user_id = uuid.uuid4().hex[:22] + "=="
    event = vb_message(user_id, {"type": "text", "text": "\udc00 Buongiorno"}, "it")
    answer = post_viber(messenger_stack.gateway, event, VIBER_TOKEN)
    assert answer.status_code == 200 and answer.json() == {"ok": True}
    assert gateway_redis.exists(f"hd:dedupe:viber:{event['message_token']}")
    wait_for(lambda: [m for m in fresh.viber.messages() if m["receiver"] == user_id])


def test_the_gateway_still_answers_after_the_hostile_requests(
    messenger_stack: LocalStack, fresh: StandIns
) -> None:
    for row in REFUSED:
        send(messenger_stack.gateway, row.values[0])
    chat_id = random.randint(10_000_000, 99_999_999)
    assert post_telegram(messenger_stack.gateway, tg_message(chat_id, "/start"), TG_SECRET).status_code == 200
    wait_for(lambda: [m for m in fresh.telegram.messages() if m["chat_id"] == str(chat_id)])
