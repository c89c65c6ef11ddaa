"""Handoff on WhatsApp, end to end through the Twilio stand-in (tests/standins): the request, the origin question
as numbered options, routing, the counsellor's reply going out on WhatsApp, and the 24-hour window: outside it
the inbox says so, refuses free text and points to the approved template. (A test of the handoff issue, kept
in this folder to share its messenger stack.)"""

from __future__ import annotations

import random

import httpx
import redis as redis_sync

from core.locales import text as locale_text
from handoff.texts import text as handoff_text
from ops.local_stack import LocalStack
from tests.messengers.conftest import StandIns, wait_for
from tests.messengers.test_channel_whatsapp import post, replies_to
from tests.standins.platforms import wa_message
from tests.test_inbox_security import add_user, csrf, login


def test_a_whatsapp_user_is_handed_to_a_counsellor_who_answers_on_whatsapp(
    messenger_stack: LocalStack, fresh: StandIns, gateway_redis: redis_sync.Redis
) -> None:
    number = f"+4073{random.randint(1_000_000, 9_999_999)}"
    post(messenger_stack, wa_message(number, "buna ziua"))
    wait_for(lambda: replies_to(fresh, number), message="no greeting")
    post(messenger_stack, wa_message(number, "vreau sa vorbesc cu un om"))
    question = handoff_text("ask_origin", "ro")
    wait_for(lambda: any(r.startswith(question) for r in replies_to(fresh, number)), message="no origin question")
    asked = next(r for r in replies_to(fresh, number) if r.startswith(question))
    assert asked.endswith("1. " + locale_text("button.origin_other", "ro"))  # the button as a numbered option

    post(messenger_stack, wa_message(number, "sunt din Suceava"))
    who = handoff_text("who", "ro").format(centre="Suceava", when="")[:60]
    wait_for(lambda: any(r.startswith(who) for r in replies_to(fresh, number)), message="no 'who answers' message")
    conversation = f"whatsapp:{number}"
    case_id = gateway_redis.hget(f"hd:conv:{conversation}", "case")
    assert case_id and gateway_redis.hget(f"hd:case:{case_id}", "centre") == "suceava"
    before = len(replies_to(fresh, number))
    post(messenger_stack, wa_message(number, "alo?"))  # the bot stays silent while the case is open
    wait_for(lambda: any(e for e in gateway_redis.lrange(f"hd:case:{case_id}:timeline", 0, -1) if "alo?" in e))
    assert len(replies_to(fresh, number)) == before

    username = f"wa-{random.randint(1000, 9999)}"
    assert add_user(messenger_stack, username, "counsellor", "suceava").returncode == 0
    counsellor: httpx.Client = login(messenger_stack, username)
    headers = csrf(counsellor)
    view = counsellor.get(f"/inbox/api/cases/{case_id}").json()
    assert view["channel"] == "whatsapp" and view["window_open"] is True
    assert number not in view["user"]  # masked
    assert counsellor.post(f"/inbox/api/cases/{case_id}/claim", headers=headers).status_code == 200
    reply = "Bună ziua, sunt consilier la Suceava. Cu ce vă pot ajuta?"
    sent = counsellor.post(f"/inbox/api/cases/{case_id}/reply", json={"text": reply}, headers=headers)
    assert sent.status_code == 200, sent.text
    signed = f"{username} (centrul Suceava):\n{reply}"  # issue 12: the first reply says who writes
    wait_for(lambda: signed in replies_to(fresh, number), message="the counsellor's reply did not reach WhatsApp")

    # 24 hours later (the channel's window key expired): free text is refused, the template is pointed to.
    gateway_redis.delete(f"hd:wa:window:{number}")
    view = counsellor.get(f"/inbox/api/cases/{case_id}").json()
    assert view["window_open"] is False
    late = counsellor.post(
        f"/inbox/api/cases/{case_id}/reply", json={"text": "Mai sunteți acolo?"}, headers=headers
    )
    assert late.status_code == 409 and "template" in late.json()["detail"]
    template = counsellor.post(f"/inbox/api/cases/{case_id}/template", headers=headers)
    assert template.status_code == 409 and "WHATSAPP_COUNSELLOR_TEMPLATE" in template.json()["detail"]
    assert "Mai sunteți acolo?" not in replies_to(fresh, number)
    counsellor.close()
