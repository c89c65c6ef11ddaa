"""Telegram end to end: real-shaped Updates posted to /webhooks/telegram of the real stack (gateway, worker,
Rasa with the trained model, Redis); the replies are what the Bot API stand-in received."""

from __future__ import annotations

import json
import random

import httpx
import redis as redis_sync

from ops.local_stack import LocalStack
from tests.messengers.conftest import TG_SECRET, StandIns, greeting, last_intent, settle, wait_for
from tests.standins.platforms import post_telegram, tg_callback, tg_member, tg_message


def chat() -> int:
    return random.randint(10_000_000, 99_999_999)


def replies_to(standins: StandIns, chat_id: int) -> list[dict]:
    return [m for m in standins.telegram.messages() if m["chat_id"] == str(chat_id)]


def keyboard(message: dict) -> list[tuple[str, str]]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [(row[0]["text"], row[0]["callback_data"]) for row in rows]


def test_start_with_a_language_payload_greets_in_that_language_and_registers_the_user(
    messenger_stack: LocalStack, fresh: StandIns, responses: dict, gateway_redis: redis_sync.Redis
) -> None:
    chat_id = chat()
    response = post_telegram(messenger_stack.gateway, tg_message(chat_id, "/start it", language="ro"), TG_SECRET)
    assert response.status_code == 200, response.text
    wait_for(lambda: replies_to(fresh, chat_id), message="no reply sent to Telegram")
    settle(1)
    [reply] = replies_to(fresh, chat_id)
    expected = greeting(responses, "it")
    assert reply["text"] == expected["text"]
    assert keyboard(reply) == expected["buttons"]
    assert last_intent(messenger_stack, f"telegram:{chat_id}") == "greet"
    conversation = gateway_redis.hgetall(f"hd:conv:telegram:{chat_id}")
    assert conversation["language"] == "it" and conversation["registered_at"]
    assert 0 < gateway_redis.ttl(f"hd:conv:telegram:{chat_id}") <= 90 * 24 * 3600


def test_button_press_is_the_buttons_payload_and_is_answered_in_the_webhook_response(
    messenger_stack: LocalStack, fresh: StandIns, responses: dict
) -> None:
    chat_id = chat()
    post_telegram(messenger_stack.gateway, tg_message(chat_id, "/start es"), TG_SECRET)
    wait_for(lambda: replies_to(fresh, chat_id))
    payload = greeting(responses, "es")["buttons"][0][1]
    response = post_telegram(messenger_stack.gateway, tg_callback(chat_id, payload, "es"), TG_SECRET)
    assert response.status_code == 200
    assert response.json()["method"] == "answerCallbackQuery"  # stops the button's spinner at once
    wait_for(lambda: len(replies_to(fresh, chat_id)) >= 2)
    assert last_intent(messenger_stack, f"telegram:{chat_id}") == payload.lstrip("/")


def test_replayed_update_is_not_answered_twice(messenger_stack: LocalStack, fresh: StandIns) -> None:
    chat_id = chat()
    update = tg_message(chat_id, "buna ziua")
    first = post_telegram(messenger_stack.gateway, update, TG_SECRET)
    again = post_telegram(messenger_stack.gateway, update, TG_SECRET)
    assert first.status_code == 200 and again.status_code == 200
    assert again.json().get("duplicate") is True
    wait_for(lambda: replies_to(fresh, chat_id))
    settle()
    assert len(replies_to(fresh, chat_id)) == 1


def test_fragments_typed_in_a_row_are_answered_as_one_turn(
    messenger_stack: LocalStack, fresh: StandIns, responses: dict
) -> None:
    chat_id = chat()
    for fragment in ("buna", "ziua"):
        assert post_telegram(messenger_stack.gateway, tg_message(chat_id, fragment), TG_SECRET).status_code == 200
    wait_for(lambda: replies_to(fresh, chat_id))
    settle()
    replies = replies_to(fresh, chat_id)
    assert len(replies) == 1, replies
    assert replies[0]["text"] == greeting(responses, "ro")["text"]


def test_voice_note_gets_the_text_only_notice_with_a_button_for_a_person(
    messenger_stack: LocalStack, fresh: StandIns
) -> None:
    chat_id = chat()
    voice = {"file_id": "AwACAgIAAxkBAAI", "file_unique_id": "AgAD", "duration": 3, "mime_type": "audio/ogg"}
    update = tg_message(chat_id, None, language="it", voice=voice)
    response = post_telegram(messenger_stack.gateway, update, TG_SECRET)
    assert response.status_code == 200
    wait_for(lambda: replies_to(fresh, chat_id))
    [reply] = replies_to(fresh, chat_id)
    assert reply["text"].startswith("Per ora capisco solo i messaggi scritti")
    assert keyboard(reply) == [("Parla con qualcuno", "/request_human")]


def test_shared_location_is_stored_on_the_conversation_and_acknowledged(
    messenger_stack: LocalStack, fresh: StandIns, gateway_redis: redis_sync.Redis
) -> None:
    chat_id = chat()
    location = {"latitude": 47.1585, "longitude": 27.6014}
    post_telegram(messenger_stack.gateway, tg_message(chat_id, None, location=location), TG_SECRET)
    wait_for(lambda: replies_to(fresh, chat_id))
    assert replies_to(fresh, chat_id)[0]["text"].startswith("Mulțumim, am notat locația ta")
    conversation = gateway_redis.hgetall(f"hd:conv:telegram:{chat_id}")
    assert (float(conversation["latitude"]), float(conversation["longitude"])) == (47.1585, 27.6014)


def test_forged_or_missing_secret_is_refused_counted_and_nothing_is_queued(
    messenger_stack: LocalStack, fresh: StandIns
) -> None:
    chat_id = chat()
    update = tg_message(chat_id, "buna ziua")
    assert post_telegram(messenger_stack.gateway, update, "not-the-secret").status_code == 403
    assert post_telegram(messenger_stack.gateway, update, None).status_code == 403
    refused = post_telegram(messenger_stack.gateway, update, "")
    assert refused.status_code == 403 and refused.json() == {"error": "signature check failed"}
    metrics = httpx.get(f"{messenger_stack.gateway}/metrics", timeout=10).text
    assert 'hd_webhook_rejected_total{channel="telegram",reason="403"} 3.0' in metrics
    settle()
    assert replies_to(fresh, chat_id) == []
    # The same update, genuinely from Telegram, is still new: the forged ones left no trace.
    assert post_telegram(messenger_stack.gateway, update, TG_SECRET).json() == {"ok": True}


def test_bad_bodies_get_clear_4xx_answers(messenger_stack: LocalStack, fresh: StandIns) -> None:
    base = messenger_stack.gateway
    bad_json = post_telegram(base, b"{not json", TG_SECRET)
    assert bad_json.status_code == 400 and bad_json.json()["error"] == "body is not valid JSON"
    not_update = post_telegram(base, {"message": {"text": "hi"}}, TG_SECRET)
    assert not_update.status_code == 422 and "update_id" in not_update.json()["error"]
    malformed = post_telegram(base, {"update_id": 5, "message": {"text": "hi"}}, TG_SECRET)
    assert malformed.status_code == 422
    too_long = post_telegram(base, tg_message(chat(), "a" * 5000), TG_SECRET)
    assert too_long.status_code == 413
    huge = post_telegram(base, json.dumps({"update_id": 1, "pad": "x" * 300_000}).encode(), TG_SECRET)
    assert huge.status_code == 413 and "body too large" in huge.json()["error"]
    edited = tg_message(chat(), "corectat")
    edited["edited_message"] = edited.pop("message")
    unknown = post_telegram(base, edited, TG_SECRET)
    assert unknown.status_code == 200 and unknown.json()["ignored"] == "update type not used"


def test_user_blocking_the_bot_marks_them_unreachable_until_they_write_again(
    messenger_stack: LocalStack, fresh: StandIns, gateway_redis: redis_sync.Redis
) -> None:
    chat_id = chat()
    assert post_telegram(messenger_stack.gateway, tg_member(chat_id, "kicked"), TG_SECRET).status_code == 200
    assert gateway_redis.hget(f"hd:conv:telegram:{chat_id}", "unreachable") == "telegram unsubscribed"
    post_telegram(messenger_stack.gateway, tg_message(chat_id, "/start"), TG_SECRET)
    wait_for(lambda: replies_to(fresh, chat_id))
    assert gateway_redis.hget(f"hd:conv:telegram:{chat_id}", "unreachable") is None


def test_a_button_whose_payload_was_too_long_for_callback_data_comes_back_as_its_payload(
    messenger_stack: LocalStack, fresh: StandIns, gateway_redis: redis_sync.Redis
) -> None:
    chat_id = chat()
    payload = '/choose_language{"language": "es"}'
    gateway_redis.set("hd:tg:cb:0123456789abcdef01234567", payload, ex=600)  # as rendering stored it
    post_telegram(messenger_stack.gateway, tg_callback(chat_id, "t:0123456789abcdef01234567"), TG_SECRET)
    wait_for(lambda: replies_to(fresh, chat_id))
    assert last_intent(messenger_stack, f"telegram:{chat_id}") == "choose_language"
    assert gateway_redis.hget(f"hd:conv:telegram:{chat_id}", "language") == "es"
    unknown = post_telegram(messenger_stack.gateway, tg_callback(chat_id, "t:expired0000000000000000"), TG_SECRET)
    assert unknown.status_code == 200 and unknown.json()["method"] == "answerCallbackQuery"
