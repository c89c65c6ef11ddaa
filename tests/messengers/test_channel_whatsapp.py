"""WhatsApp through Twilio end to end: Twilio-shaped form posts, signed with twilio's own RequestValidator,
to the real stack; the replies are what the Messages API stand-in received."""

from __future__ import annotations

import random
from urllib.parse import urlencode

import httpx
import redis as redis_sync
from twilio.request_validator import RequestValidator

from ops.local_stack import LocalStack
from tests.messengers.conftest import TWILIO_TOKEN, StandIns, greeting, last_intent, settle, wait_for
from tests.standins.platforms import post_whatsapp, wa_message, wa_status


def phone() -> str:
    return f"+4072{random.randint(1_000_000, 9_999_999)}"


def replies_to(standins: StandIns, number: str) -> list[str]:
    return [m["Body"] for m in standins.twilio.messages() if m["To"] == f"whatsapp:{number}"]


def post(stack: LocalStack, fields: dict[str, str], path: str = "/webhooks/whatsapp", **kwargs: object):
    token = kwargs.pop("token", TWILIO_TOKEN)
    return post_whatsapp(stack.gateway, stack.gateway, path, fields, token, **kwargs)  # type: ignore[arg-type]


def numbered(text: str, buttons: list[tuple[str, str]]) -> str:
    return text + "\n\n" + "\n".join(f"{i}. {title}" for i, (title, _) in enumerate(buttons, start=1))


def test_message_is_answered_with_numbered_options_and_a_number_picks_one(
    messenger_stack: LocalStack, fresh: StandIns, responses: dict
) -> None:
    number = phone()
    response = post(messenger_stack, wa_message(number, "buongiorno, ho bisogno di aiuto"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml") and "<Response></Response>" in response.text
    wait_for(lambda: replies_to(fresh, number), message="no reply sent to Twilio")
    expected = greeting(responses, "it")
    assert replies_to(fresh, number)[0] == numbered(expected["text"], expected["buttons"])
    sent = fresh.twilio.messages()[0]
    assert sent["From"] == "whatsapp:+14155238886"
    assert sent["StatusCallback"] == f"{messenger_stack.gateway}/webhooks/whatsapp/status"

    post(messenger_stack, wa_message(number, "2"))
    wait_for(lambda: len(replies_to(fresh, number)) >= 2)
    assert last_intent(messenger_stack, f"whatsapp:{number}") == expected["buttons"][1][1].lstrip("/")


def test_redelivered_message_sid_is_answered_once(messenger_stack: LocalStack, fresh: StandIns) -> None:
    number = phone()
    fields = wa_message(number, "buna ziua")
    assert post(messenger_stack, fields).status_code == 200
    assert post(messenger_stack, fields).status_code == 200
    wait_for(lambda: replies_to(fresh, number))
    settle()
    assert len(replies_to(fresh, number)) == 1


def test_delivery_statuses_are_stored_per_message_and_21610_stops_the_user(
    messenger_stack: LocalStack, fresh: StandIns, gateway_redis: redis_sync.Redis
) -> None:
    number = phone()
    post(messenger_stack, wa_message(number, "hola, buenos dias"))
    wait_for(lambda: replies_to(fresh, number))
    [out_key] = [k for k in gateway_redis.scan_iter("hd:out:msg:*") if gateway_redis.hget(k, "user") == number]
    sid = gateway_redis.hget(out_key, "platform_id")
    assert sid.startswith("SM") and gateway_redis.hget(out_key, "status") == "sent"
    for status in ("delivered", "read"):
        answer = post(messenger_stack, wa_status(sid, status, number), path="/webhooks/whatsapp/status")
        assert answer.status_code == 200
        assert gateway_redis.hget(out_key, "status") == status
    late = post(messenger_stack, wa_status(sid, "sent", number), path="/webhooks/whatsapp/status")
    assert late.status_code == 200 and gateway_redis.hget(out_key, "status") == "read"  # never goes back
    stop = wa_status(sid, "failed", number, error_code="21610")
    assert post(messenger_stack, stop, path="/webhooks/whatsapp/status").status_code == 200
    assert gateway_redis.hget(f"hd:conv:whatsapp:{number}", "unreachable") == "whatsapp unsubscribed"


def test_signature_is_required_and_checked(messenger_stack: LocalStack, fresh: StandIns) -> None:
    number = phone()
    fields = wa_message(number, "buna ziua")
    assert post(messenger_stack, fields, token=None).status_code == 403  # no X-Twilio-Signature
    assert post(messenger_stack, fields, forge=True).status_code == 403
    assert post(messenger_stack, fields, token="another-accounts-token").status_code == 403
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(
        f"{messenger_stack.gateway}/webhooks/whatsapp", fields
    )
    tampered = httpx.post(
        f"{messenger_stack.gateway}/webhooks/whatsapp",
        content=urlencode({**fields, "Body": "altered"}).encode(),
        headers={"X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )
    assert tampered.status_code == 403  # the fields are not the ones that were signed
    elsewhere = post_whatsapp(
        messenger_stack.gateway, "https://elsewhere.example", "/webhooks/whatsapp", fields, TWILIO_TOKEN
    )
    assert elsewhere.status_code == 403  # signed for another URL
    settle(1.5)
    assert replies_to(fresh, number) == []  # nothing was queued


def test_location_media_and_bad_forms(
    messenger_stack: LocalStack, fresh: StandIns, gateway_redis: redis_sync.Redis
) -> None:
    number = phone()
    located = wa_message(number, "", Latitude="45.4642", Longitude="9.19", MessageType="location")
    assert post(messenger_stack, located).status_code == 200
    wait_for(lambda: replies_to(fresh, number))
    assert replies_to(fresh, number)[0].startswith("Mulțumim, am notat locația ta")
    assert gateway_redis.hget(f"hd:conv:whatsapp:{number}", "latitude") == "45.4642"

    voice = wa_message(
        number,
        "",
        NumMedia="1",
        MediaContentType0="audio/ogg",
        MediaUrl0="https://api.twilio.com/x",
        MessageType="audio",
    )
    post(messenger_stack, voice)
    wait_for(lambda: len(replies_to(fresh, number)) >= 2)
    assert replies_to(fresh, number)[1].endswith("\n\n1. Vorbește cu un om")

    not_whatsapp = post(messenger_stack, {**wa_message(number, "x"), "From": "+40720000000"})
    assert not_whatsapp.status_code == 422 and "WhatsApp" in not_whatsapp.json()["error"]
    no_sid = {k: v for k, v in wa_message(number, "x").items() if "Sid" not in k}
    assert post(messenger_stack, no_sid).status_code == 422
    unknown_status = wa_status("SM" + "9" * 32, "exploded", number)
    assert post(messenger_stack, unknown_status, path="/webhooks/whatsapp/status").status_code == 422
