"""Handoff on Telegram through the Bot API stand-in: asked where they are from, the person shares a location
instead of typing, and the case goes to the nearest centre; the person hears who took the case, and the
counsellor's first reply arrives on Telegram under their name and centre (the next one plain); handed back, the
bot answers again. (A test of the handoff issue, kept in this folder to share its messenger stack.)"""

from __future__ import annotations

import random

import httpx
import redis as redis_sync

from handoff.texts import text as handoff_text
from ops.local_stack import LocalStack
from tests.messengers.conftest import TG_SECRET, StandIns, greeting, wait_for
from tests.standins.platforms import post_telegram, tg_message
from tests.test_inbox_security import add_user, csrf, login


def texts_to(standins: StandIns, chat_id: int) -> list[str]:
    return [m["text"] for m in standins.telegram.messages() if m["chat_id"] == str(chat_id)]


def test_a_shared_location_routes_the_case_and_the_counsellor_answers_on_telegram(
    messenger_stack: LocalStack, fresh: StandIns, gateway_redis: redis_sync.Redis, responses: dict
) -> None:
    chat_id = random.randint(10_000_000, 99_999_999)
    send = lambda update: post_telegram(messenger_stack.gateway, update, TG_SECRET)  # noqa: E731
    send(tg_message(chat_id, "/start es", language="es"))
    wait_for(lambda: texts_to(fresh, chat_id), message="no greeting")
    send(tg_message(chat_id, "quiero hablar con una persona", language="es"))
    question = handoff_text("ask_origin", "es")
    wait_for(lambda: question in texts_to(fresh, chat_id), message="no origin question")

    send(tg_message(chat_id, None, language="es", location={"latitude": 47.03, "longitude": 28.80}))
    who = handoff_text("who", "es").format(centre="Chișinău", when="")[:50]
    wait_for(lambda: any(t.startswith(who) for t in texts_to(fresh, chat_id)), message="not routed by location")
    case_id = gateway_redis.hget(f"hd:conv:telegram:{chat_id}", "case")
    assert gateway_redis.hget(f"hd:case:{case_id}", "centre") == "chisinau"

    username = f"tg-{random.randint(1000, 9999)}"
    assert add_user(messenger_stack, username, "counsellor", "chisinau").returncode == 0
    counsellor: httpx.Client = login(messenger_stack, username)
    headers = csrf(counsellor)
    assert counsellor.post(f"/inbox/api/cases/{case_id}/claim", headers=headers).status_code == 200
    took = handoff_text("claimed", "es").format(name=username, centre="Chișinău")  # the account's display name
    wait_for(lambda: took in texts_to(fresh, chat_id), message="the person was not told who took the case")
    reply = "Hola, soy asesora del centro de Chișinău. ¿En qué puedo ayudarte?"
    assert counsellor.post(f"/inbox/api/cases/{case_id}/reply", json={"text": reply}, headers=headers).is_success
    signed = f"{username} (centro de Chișinău):\n{reply}"  # the first message in the case says who writes
    wait_for(lambda: signed in texts_to(fresh, chat_id), message="the reply did not reach Telegram")
    more = "Cuéntame qué ha pasado."
    assert counsellor.post(f"/inbox/api/cases/{case_id}/reply", json={"text": more}, headers=headers).is_success
    wait_for(lambda: more in texts_to(fresh, chat_id), message="the second reply did not reach Telegram")
    assert counsellor.post(f"/inbox/api/cases/{case_id}/handback", headers=headers).is_success
    wait_for(lambda: handoff_text("handed_back", "es") in texts_to(fresh, chat_id), message="no hand-back notice")
    send(tg_message(chat_id, "hola, buenas tardes", language="es"))
    expected = greeting(responses, "es")["text"]
    assert texts_to(fresh, chat_id).count(expected) == 1  # the greeting after /start
    wait_for(lambda: texts_to(fresh, chat_id).count(expected) == 2, message="the bot did not answer again")
    counsellor.close()
