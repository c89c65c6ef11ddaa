"""The /chat page keeps the person's side (issue 12): the conversation survives a reload and can be cleared,
messages typed offline are sent once each, in order, when the connection returns, a message whose answer was
lost is resent with its id and answered once, earlier answers' buttons stop working, the language buttons
follow the answers, a counsellor's reply (through the inbox) shows who wrote it, and every control is big
enough on a phone. Real headless Chromium against the real stack (the session's, Redis database 15)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from collections import defaultdict

import httpx
import pytest
import redis as redis_sync
from playwright.sync_api import Browser, Page, Route, expect

from core.locales import text
from handoff.texts import text as handoff_text
from knowledge.cards import knowledge
from knowledge.render import render
from tests.conftest import GATEWAY_DB, REDIS_PORT, ROOT, SHOTS, Stack, wait_until
from tests.test_inbox_security import PASSWORD, csrf, login

pytestmark = pytest.mark.browser
DANGER = "lucrez in Italia si ma simt in pericol, am nevoie de ajutor urgent"


def phone(browser: Browser, locale: str = "ro-RO") -> Page:
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        locale=locale,
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    return context.new_page()


def stored(page: Page) -> dict:
    """What the page keeps in the browser."""
    return json.loads(page.evaluate("localStorage.getItem('helpdesk.chat') || '{}'"))


def conversation(page: Page) -> list[str]:
    """The conversation as shown: every bubble and button row, in order (not the typing notes)."""
    return page.locator("#log > .msg.me, #log > .msg.bot, #log > .choices").all_inner_texts()


def greeted(page: Page, responses: dict, language: str = "ro") -> None:
    greeting = responses["utter_greet"][language]["text"].split("\n")[0]
    expect(page.locator(".msg.bot").first).to_contain_text(greeting, timeout=30_000)


def replies_by_message(redis_client: redis_sync.Redis, sender: str) -> list[tuple[str, str]]:
    """(the message it answers, text) of every message in the web user's stream, in order."""
    rows = redis_client.xrange(f"hd:web:out:{sender}")
    return [(f[b"reply_to"].decode(), json.loads(f[b"m"])["text"]) for _, f in rows]


def test_a_reload_keeps_the_conversation_the_hotline_and_the_cursor(
    stack: Stack, browser: Browser, responses: dict
) -> None:
    page = phone(browser)
    page.goto(f"{stack.gateway}/chat")
    greeted(page, responses)
    menu = page.locator(".choices").first.locator("button")
    expect(menu.first).to_be_enabled()
    page.locator("#text").fill(DANGER)
    page.locator("#text").press("Enter")
    hotline = page.locator(".msg.bot", has_text="800 290 290")
    expect(hotline).to_have_count(1, timeout=30_000)
    # The web chat cannot send a location: the handoff's question is shown without the invitation to share one.
    question = handoff_text("ask_origin", "ro").replace(text("web_chat.location_invite", "ro"), "").strip()
    expect(page.locator(".msg.bot", has_text=question)).to_have_count(1, timeout=30_000)
    assert text("web_chat.location_invite", "ro") not in page.locator("#log").inner_text()
    for button in menu.all():  # a newer answer arrived: the greeting's menu no longer works
        expect(button).to_be_disabled()
    before = conversation(page)
    assert before[0] == "👋" and DANGER in before and sum("800 290 290" in item for item in before) == 1
    sender = stored(page)["sender"]

    page.reload()
    expect(page.locator(".msg.bot", has_text="800 290 290")).to_have_count(1)
    page.wait_for_timeout(1500)  # the long poll has answered from the kept cursor: nothing is shown twice
    assert conversation(page) == before
    assert stored(page)["sender"] == sender
    hrefs = [a.get_attribute("href") for a in hotline.locator("a").all()]
    assert "tel:800290290" in hrefs and "tel:112" in hrefs
    for button in page.locator(".choices").first.locator("button").all():
        expect(button).to_be_disabled()
    expect(page.locator(".choices").last.locator("button").first).to_be_enabled()

    # While the page is closed a message arrives (sent from elsewhere); it is shown once when the page opens.
    page.goto("about:blank")
    while_away = httpx.post(
        f"{stack.gateway}/webhooks/web", json={"sender": sender, "text": "/origin_other"}, timeout=40
    ).json()["messages"]
    assert while_away, "the desk answers the origin"
    page.goto(f"{stack.gateway}/chat")
    for message in while_away:
        expect(page.locator(".msg.bot", has_text=message["text"].split("\n")[0])).to_have_count(1, timeout=30_000)
    page.wait_for_timeout(1500)
    after = conversation(page)
    assert after[: len(before)] == before and len(after) > len(before)
    page.reload()
    expect(page.locator(".msg.bot").last).to_be_visible()
    page.wait_for_timeout(1500)
    assert conversation(page) == after
    page.screenshot(path=str(SHOTS / "chat-history-restored.png"))

    # Clearing asks first; "no" keeps everything, "yes" wipes it and starts a new sender id.
    page.get_by_role("button", name=text("web_chat.clear_label", "ro")).click()
    expect(page.locator("#confirm")).to_be_visible()
    expect(page.locator("#confirm")).to_contain_text(text("web_chat.clear_confirm", "ro"))
    page.screenshot(path=str(SHOTS / "chat-clear-confirm.png"))
    page.get_by_role("button", name=text("web_chat.clear_no", "ro"), exact=True).click()
    expect(page.locator("#confirm")).to_be_hidden()
    assert conversation(page) == after
    page.get_by_role("button", name=text("web_chat.clear_label", "ro")).click()
    with page.expect_navigation():
        page.get_by_role("button", name=text("web_chat.clear_yes", "ro"), exact=True).click()
    greeted(page, responses)
    page.wait_for_timeout(1500)
    assert "800 290 290" not in page.locator("#log").inner_text()
    assert conversation(page)[0] == "👋" and len(conversation(page)) == 3  # 👋, the greeting, its menu
    kept = stored(page)
    assert kept["sender"] != sender and "800 290 290" not in json.dumps(kept)
    page.context.close()


def test_messages_typed_offline_are_sent_once_each_in_order_when_back_online(
    stack: Stack, browser: Browser, responses: dict, redis_client: redis_sync.Redis
) -> None:
    page = phone(browser)
    page.goto(f"{stack.gateway}/chat")
    greeted(page, responses)
    sender = stored(page)["sender"]
    greeting_buttons = page.locator(".choices").first.locator("button")

    page.context.set_offline(True)
    for typed in ("meniu", "ce semne are traficul de persoane"):
        page.locator("#text").fill(typed)
        page.locator("#text").press("Enter")
    waiting = page.locator(".msg.me.waiting")
    expect(waiting).to_have_count(2)
    expect(waiting.nth(0)).to_contain_text("meniu")
    expect(waiting.nth(1)).to_contain_text("ce semne are traficul de persoane")
    expect(waiting.nth(1)).to_contain_text(text("web_chat.waiting", "ro"))
    page.wait_for_timeout(2500)  # a retry or two while offline changes nothing
    expect(waiting).to_have_count(2)
    queued = [item["mid"] for item in stored(page)["queue"]]
    assert len(queued) == 2 and len(set(queued)) == 2
    page.screenshot(path=str(SHOTS / "chat-offline-waiting.png"))

    page.context.set_offline(False)
    expect(waiting).to_have_count(0, timeout=60_000)
    menu_line = responses["utter_menu"]["ro"]["text"].split("\n")[0]
    expect(page.locator(".msg.bot", has_text=menu_line)).to_have_count(1, timeout=30_000)
    seen: list[list[tuple[str, str]]] = []

    def both_answered() -> bool:
        seen.append(replies_by_message(redis_client, sender))
        return {reply_to for reply_to, _ in seen[-1]} >= set(queued)

    wait_until(both_answered, 60, "both messages answered")
    page.wait_for_timeout(2000)
    assert stored(page)["queue"] == []

    answered = replies_by_message(redis_client, sender)
    assert answered == seen[-1], "nothing more was answered after both answers"
    greet = next(e["mid"] for e in stored(page)["history"] if e["k"] == "me")
    assert {reply_to for reply_to, _ in answered} <= {greet, *queued}, "nothing else was sent, no copy"
    order = [reply_to for reply_to, _ in answered if reply_to in queued]
    assert order == sorted(order, key=queued.index), "answered in the order typed"
    per_message = defaultdict(list)
    for reply_to, said in answered:
        per_message[reply_to].append(said)
    for mid in queued:
        assert per_message[mid] and len(per_message[mid]) == len(set(per_message[mid])), "answered once"
        assert redis_client.exists(f"hd:dedupe:web:{mid}")
    mine = page.locator(".msg.me").all_inner_texts()
    assert [m for m in mine if m in ("meniu", "ce semne are traficul de persoane")] == [
        "meniu",
        "ce semne are traficul de persoane",
    ]
    shown = page.locator(".msg.bot").all_inner_texts()
    assert len(shown) == len(set(shown)), "no answer shown twice"
    for button in greeting_buttons.all():
        expect(button).to_be_disabled()

    # Posting the same message id again (a resend after a lost answer) is not answered again.
    again = httpx.post(
        f"{stack.gateway}/webhooks/web",
        json={"sender": sender, "text": "meniu", "message_id": queued[0]},
        timeout=40,
    )
    assert again.json() == {"messages": [], "duplicate": True}
    assert replies_by_message(redis_client, sender) == answered
    page.context.close()


def test_a_pressed_button_and_its_row_stop_working_and_the_language_shown_follows_the_answers(
    stack: Stack, browser: Browser, responses: dict
) -> None:
    page = phone(browser, "en-GB")  # not one of ours: starts in Romanian
    page.goto(f"{stack.gateway}/chat")
    greeted(page, responses)
    page.locator("#text").fill("hola, mi jefe no me paga el sueldo")
    page.locator("#text").press("Enter")
    expect(page.locator('.langs button[data-lang="es"]')).to_have_attribute("aria-pressed", "true", timeout=30_000)
    expect(page.locator('.langs button[data-lang="ro"]')).to_have_attribute("aria-pressed", "false")
    assert page.locator("html").get_attribute("lang") == "es"
    expect(page.locator("#clear")).to_have_text(text("web_chat.clear", "es"))
    expect(page.locator(".choices").last.locator("button").first).to_be_enabled(timeout=30_000)
    # The row is pinned by its place: the answer to the press brings a newer last row.
    countries = page.locator(".choices").nth(page.locator(".choices").count() - 1).locator("button")
    page.get_by_role("button", name="España", exact=True).click()
    for button in countries.all():  # pressed: its row stops working at once
        expect(button).to_be_disabled()
    cards = knowledge()
    first_line = render(cards, cards["rights_unpaid_wages"], "es", "es")["text"].split("\n")[0]
    expect(page.locator(".msg.bot").last).to_contain_text(first_line, timeout=30_000)
    # Only the newest answer's buttons still work.
    enabled_rows = page.locator(".choices:has(button:enabled)")
    assert enabled_rows.count() <= 1
    if enabled_rows.count():
        assert enabled_rows.evaluate(
            "row => !row.nextElementSibling || !row.nextElementSibling.matches('.msg.bot')"
        )
    page.context.close()


def test_on_a_phone_every_control_is_at_least_44_pixels_high(
    stack: Stack, browser: Browser, responses: dict
) -> None:
    page = phone(browser, "it-IT")
    page.goto(f"{stack.gateway}/chat")
    greeted(page, responses, "it")
    page.locator("#clear").click()
    expect(page.locator("#confirm")).to_be_visible()
    controls = page.locator("button:visible, textarea:visible, input:visible, select:visible")
    assert controls.count() >= 3 + 1 + 2 + 5 + 2  # languages, clear, yes/no, the menu, text and send
    small = {
        control.inner_text() or control.get_attribute("id"): box["height"]
        for control in controls.all()
        if (box := control.bounding_box()) and (box["height"] < 44 or box["width"] < 44)
    }
    assert small == {}, small
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(SHOTS / "chat-phone-controls.png"))
    page.context.close()


def test_a_message_whose_answer_was_lost_is_resent_with_its_id_and_answered_once(
    stack: Stack, browser: Browser, responses: dict, redis_client: redis_sync.Redis
) -> None:
    page = phone(browser)
    page.goto(f"{stack.gateway}/chat")
    greeted(page, responses)
    sender = stored(page)["sender"]
    posted: list[dict] = []

    def lose_the_first_answer(route: Route) -> None:
        posted.append(json.loads(route.request.post_data or "{}"))
        if len(posted) == 1:
            route.fetch()  # the gateway takes the message and answers; the answer never reaches the page
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/webhooks/web", lose_the_first_answer)
    page.locator("#text").fill("meniu")
    page.locator("#text").press("Enter")
    menu_line = responses["utter_menu"]["ro"]["text"].split("\n")[0]
    expect(page.locator(".msg.bot", has_text=menu_line)).to_have_count(1, timeout=60_000)
    expect(page.locator(".msg.me.waiting")).to_have_count(0, timeout=30_000)
    page.wait_for_timeout(2000)
    assert len(posted) == 2 and posted[0] == posted[1], "resent as it was, with the same message_id"
    expect(page.locator(".msg.me", has_text="meniu")).to_have_count(1)
    expect(page.locator(".msg.bot", has_text=menu_line)).to_have_count(1)
    answers = [
        said for reply_to, said in replies_by_message(redis_client, sender) if reply_to == posted[0]["message_id"]
    ]
    assert len(answers) == len(set(answers)) >= 1, answers
    page.context.close()


def add_counsellor(username: str) -> None:
    """A counsellor of the Iași centre, named Maria, in the shared stack's Redis database (the real command)."""
    env = {**os.environ, "REDIS_URL": f"redis://127.0.0.1:{REDIS_PORT}/{GATEWAY_DB}"}
    command = ["users", "add", username, "--role", "counsellor", "--centre", "iasi", "--name", "Maria"]
    subprocess.run(
        [sys.executable, "-m", "inbox", *command, "--password-stdin"],
        input=PASSWORD + "\n",
        text=True,
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=60,
    )


def test_a_counsellors_reply_shows_who_wrote_it_and_survives_a_reload(
    stack: Stack, browser: Browser, responses: dict, redis_client: redis_sync.Redis
) -> None:
    username = f"maria-web-{uuid.uuid4().hex[:6]}"
    add_counsellor(username)
    page = phone(browser)
    page.goto(f"{stack.gateway}/chat")
    greeted(page, responses)
    page.locator("#text").fill(DANGER)
    page.locator("#text").press("Enter")
    elsewhere = page.get_by_role("button", name=text("button.origin_other", "ro"), exact=True)
    elsewhere.click(timeout=30_000)  # the default centre, Iași
    sender = stored(page)["sender"]
    wait_until(lambda: bool(redis_client.hget(f"hd:conv:web:{sender}", "case")), 30, "no case opened")
    case_id = redis_client.hget(f"hd:conv:web:{sender}", "case").decode()
    wait_until(lambda: redis_client.hget(f"hd:case:{case_id}", "centre") == b"iasi", 30, "not routed to Iași")
    maria = login(stack, username)
    headers = csrf(maria)
    assert maria.post(f"/inbox/api/cases/{case_id}/claim", headers=headers).status_code == 200
    reply = "Bună, sunt aici. Cu ce te pot ajuta?"
    assert maria.post(f"/inbox/api/cases/{case_id}/reply", json={"text": reply}, headers=headers).is_success
    maria.close()
    who = f"Maria · {text('web_chat.counsellor', 'ro')} · Iași"
    counsellor = page.locator(".msg.bot.counsellor")
    expect(counsellor).to_have_count(1, timeout=30_000)
    expect(counsellor.locator(".who")).to_have_text(who)
    expect(counsellor).to_contain_text(reply)
    expect(page.locator(".msg.bot", has_text="800 290 290").first).not_to_have_class(re.compile("counsellor"))
    page.reload()
    expect(page.locator(".msg.bot.counsellor .who")).to_have_text(who)
    page.wait_for_timeout(1500)
    expect(page.locator(".msg.bot.counsellor")).to_have_count(1)
    page.screenshot(path=str(SHOTS / "chat-counsellor.png"))
    page.context.close()


@pytest.mark.parametrize("language", ["ro", "it", "es"])
def test_the_sentence_the_web_chat_leaves_out_is_the_handoffs_invitation_to_share_a_location(
    language: str,
) -> None:
    invitation = text("web_chat.location_invite", language)
    assert invitation in handoff_text("ask_origin", language)
    assert handoff_text("ask_origin", language).replace(invitation, "").strip()  # the question itself stays


def test_the_answers_say_the_conversations_language_once_it_is_known(stack: Stack, sender: str) -> None:
    messages = f"{stack.gateway}/webhooks/web/messages"
    assert "language" not in httpx.get(messages, params={"sender": sender}, timeout=10).json()
    body = httpx.post(
        f"{stack.gateway}/webhooks/web", json={"sender": sender, "text": "hola, buenos dias"}, timeout=40
    ).json()
    assert body["language"] == "es" and body["messages"]
    assert httpx.get(messages, params={"sender": sender}, timeout=10).json()["language"] == "es"
    body = httpx.post(
        f"{stack.gateway}/webhooks/web", json={"sender": sender, "text": "buongiorno a tutti"}, timeout=40
    ).json()
    assert body["language"] == "it"
