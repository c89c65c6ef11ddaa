"""Viber end to end: signed Viber callbacks posted to the real stack; the replies are what the REST API
stand-in received (or, for conversation_started, the webhook's own answer)."""

from __future__ import annotations

import uuid

import redis as redis_sync

from ops.local_stack import LocalStack
from tests.messengers.conftest import VIBER_TOKEN, StandIns, greeting, last_intent, settle, wait_for
from tests.standins.platforms import post_viber, vb_event, vb_message


def user() -> str:
    return uuid.uuid4().hex[:22] + "=="


def replies_to(standins: StandIns, user_id: str) -> list[dict]:
    return [m for m in standins.viber.messages() if m["receiver"] == user_id]


def buttons(message: dict) -> list[tuple[str, str]]:
    return [(b["Text"], b["ActionBody"]) for b in message.get("keyboard", {}).get("Buttons", [])]


def test_conversation_started_is_answered_with_the_welcome_in_the_response(
    messenger_stack: LocalStack, fresh: StandIns
) -> None:
    user_id = user()
    response = post_viber(
        messenger_stack.gateway, vb_event("conversation_started", user_id, language="es"), VIBER_TOKEN
    )
    assert response.status_code == 200
    welcome = response.json()
    assert welcome["type"] == "text" and welcome["sender"] == {"name": "Helpdesk"}
    assert welcome["text"].startswith("¡Bienvenido!")
    assert [b[1] for b in buttons(welcome)] == [
        f'/choose_language{{"language":"{c}"}}' for c in ("ro", "it", "es")
    ]
    settle(1)
    assert replies_to(fresh, user_id) == []  # the welcome is the HTTP answer, not a send


def test_subscribed_user_gets_answers_with_a_keyboard_and_presses_are_payloads(
    messenger_stack: LocalStack, fresh: StandIns, responses: dict, gateway_redis: redis_sync.Redis
) -> None:
    user_id = user()
    assert post_viber(
        messenger_stack.gateway, vb_event("subscribed", user_id, language="it"), VIBER_TOKEN
    ).json() == {"ok": True}
    assert gateway_redis.hget(f"hd:conv:viber:{user_id}", "registered_at")
    post_viber(
        messenger_stack.gateway, vb_message(user_id, {"type": "text", "text": "buongiorno"}, "it"), VIBER_TOKEN
    )
    wait_for(lambda: replies_to(fresh, user_id), message="no reply sent to Viber")
    [reply] = replies_to(fresh, user_id)
    expected = greeting(responses, "it")
    assert reply["text"] == expected["text"] and buttons(reply) == expected["buttons"]
    assert reply["min_api_version"] == 1 and reply["sender"] == {"name": "Helpdesk"}

    payload = expected["buttons"][2][1]
    post_viber(messenger_stack.gateway, vb_message(user_id, {"type": "text", "text": payload}, "it"), VIBER_TOKEN)
    wait_for(lambda: len(replies_to(fresh, user_id)) >= 2)
    assert last_intent(messenger_stack, f"viber:{user_id}") == payload.lstrip("/")


def test_replayed_message_token_is_answered_once_and_statuses_are_stored(
    messenger_stack: LocalStack, fresh: StandIns, gateway_redis: redis_sync.Redis
) -> None:
    user_id = user()
    event = vb_message(user_id, {"type": "text", "text": "buna ziua"})
    assert post_viber(messenger_stack.gateway, event, VIBER_TOKEN).status_code == 200
    assert post_viber(messenger_stack.gateway, event, VIBER_TOKEN).json() == {"ok": True, "duplicate": True}
    wait_for(lambda: replies_to(fresh, user_id))
    settle()
    assert len(replies_to(fresh, user_id)) == 1
    [out_key] = [k for k in gateway_redis.scan_iter("hd:out:msg:*") if gateway_redis.hget(k, "user") == user_id]
    token = int(gateway_redis.hget(out_key, "platform_id"))
    for event_name, status in (("delivered", "delivered"), ("seen", "read")):
        post_viber(messenger_stack.gateway, vb_event(event_name, user_id, message_token=token), VIBER_TOKEN)
        assert gateway_redis.hget(out_key, "status") == status
    post_viber(messenger_stack.gateway, vb_event("unsubscribed", user_id), VIBER_TOKEN)
    assert gateway_redis.hget(f"hd:conv:viber:{user_id}", "unreachable") == "viber unsubscribed"


def test_forged_signature_bad_bodies_unknown_events_and_media(
    messenger_stack: LocalStack, fresh: StandIns
) -> None:
    base = messenger_stack.gateway
    user_id = user()
    event = vb_message(user_id, {"type": "text", "text": "buna ziua"})
    assert post_viber(base, event, "another-token").status_code == 403
    assert post_viber(base, event, None).status_code == 403
    assert post_viber(base, b"{oops", VIBER_TOKEN).status_code == 400
    assert post_viber(base, {"no": "event"}, VIBER_TOKEN).status_code == 422
    nobody = vb_message(user_id, {"type": "text", "text": "x"})
    del nobody["sender"]
    assert post_viber(base, nobody, VIBER_TOKEN).status_code == 422
    unknown = post_viber(base, {"event": "client_status", "timestamp": 1, "message_token": 5}, VIBER_TOKEN)
    assert unknown.status_code == 200 and "not used" in unknown.json()["ignored"]
    check = post_viber(base, {"event": "webhook", "timestamp": 1, "message_token": 6}, VIBER_TOKEN)
    assert check.status_code == 200
    too_long = post_viber(base, vb_message(user_id, {"type": "text", "text": "a" * 5000}), VIBER_TOKEN)
    assert too_long.status_code == 413
    settle(1.5)
    assert replies_to(fresh, user_id) == []  # the forged message was never queued

    picture = {"type": "picture", "text": "", "media": "https://dl-media.viber.com/1.jpg", "thumbnail": "t.jpg"}
    post_viber(base, vb_message(user_id, picture, "es"), VIBER_TOKEN)
    wait_for(lambda: replies_to(fresh, user_id))
    [notice] = replies_to(fresh, user_id)
    assert notice["text"].startswith("Por ahora solo entiendo mensajes escritos")
    assert buttons(notice) == [("Hablar con alguien", "/request_human")]
    location = {"type": "location", "location": {"lat": 44.4268, "lon": 26.1025}}
    post_viber(base, vb_message(user_id, location), VIBER_TOKEN)
    wait_for(lambda: len(replies_to(fresh, user_id)) >= 2)
    assert replies_to(fresh, user_id)[1]["text"].startswith("Gracias, hemos anotado tu ubicación")
