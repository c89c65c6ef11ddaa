"""The campaigns page and API on the real stack (actions, Rasa with the trained model, the gateway with its
worker, outbox senders and campaign runner), the messengers being the stand-ins: bad input refused with a
clear 4xx; in headless Chromium a campaign drafted by campaign staff, approved by a supervisor, sent, its
progress live, its report; at phone size too; a reply to the alert answered as any message (a request
for a person opens a case); and a request for the alerts in one's own words, in each language, reaching the
topic question through the assistant. Redis databases 4 (gateway) and 2 (Rasa). Screenshots: results/screenshots
(docs/screenshots with REFRESH_DOCS_SCREENSHOTS=1)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis as redis_sync
from playwright.sync_api import Browser, Page, expect
from redis.asyncio import Redis

from broadcasts.subscribers import Subscriber, Subscribers
from core.locales import text
from inbox.accounts import Accounts
from ops.local_stack import TEST_REDIS_PORT, LocalStack, wait_until
from tests.conftest import SHOTS, make_stack
from tests.standins.platforms import TG_SECRET, StandIns, channel_env, post_telegram, tg_callback, tg_message
from tests.standins.telegram import TelegramStandIn
from tests.standins.twilio import TwilioStandIn
from tests.standins.viber import ViberStandIn

pytestmark = pytest.mark.browser
GATEWAY_DB, RASA_DB = 4, 2
PASSWORD = "a long enough password"


@pytest.fixture(scope="module")
def standins() -> Iterator[StandIns]:
    found = StandIns(
        TelegramStandIn("123456:TEST-token_for-the-standin"),
        TwilioStandIn("AC" + "0" * 32, "twilio-auth-token-0123456789abcd"),
        ViberStandIn("445da6az1s345z78-dazcczb2542zv51a-e0vc5fva17480im9"),
    )
    yield found
    for s in (found.telegram, found.twilio, found.viber):
        s.stop()


async def _people() -> None:
    redis = Redis(port=TEST_REDIS_PORT, db=GATEWAY_DB)
    accounts = Accounts(redis)
    centres = {"iasi", "chisinau", "bacau"}
    for name, role, centre in (
        ("ana", "campaigns", ""),
        ("maria", "supervisor", ""),
        ("ion", "counsellor", "iasi"),
    ):
        await accounts.add(name, PASSWORD, role=role, centre=centre, name=name.title(), centres=centres)
    subscribers = Subscribers(redis, 3600)
    for n in range(30):  # more people on Viber and WhatsApp, for the counts (nobody writes to them)
        channel, user = ("viber", f"vb{n}") if n % 2 else ("whatsapp", f"+4071000{n:04d}")
        await subscribers.subscribe(Subscriber(channel, user, ("ro", "it", "es")[n % 3], topics=("rights",)))
    await redis.aclose()


@pytest.fixture(scope="module")
def stack(model: Path, standins: StandIns) -> Iterator[LocalStack]:
    for db in (GATEWAY_DB, RASA_DB):
        redis_sync.Redis(port=TEST_REDIS_PORT, db=db).flushdb()
    asyncio.run(_people())
    found = make_stack(model, GATEWAY_DB, RASA_DB)
    env = channel_env(standins, found.gateway)
    env.update(BROADCAST_RECOGNITION="Helpdesk · cod LUNA", COALESCE_SECONDS="0")
    for spec in found.specs.values():
        spec.env.update(env)
    found.start("actions", "rasa", "gateway")
    try:
        found.wait_gateway()
        found.wait_ready()
        yield found
    finally:
        found.stop_all()


def login(stack: LocalStack, username: str) -> httpx.Client:
    client = httpx.Client(base_url=stack.gateway, timeout=20)
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/campaigns/login").text)
    assert token
    response = client.post(
        "/campaigns/login", data={"csrf": token.group(1), "username": username, "password": PASSWORD}
    )
    assert response.status_code == 303, response.text
    client.headers["X-CSRF-Token"] = client.get("/campaigns/api/me").json()["csrf"]
    return client


def telegram_texts(standins: StandIns, chat: int) -> list[str]:
    return [m.get("text", "") for m in standins.telegram.messages() if str(m.get("chat_id")) == str(chat)]


def test_bad_input_is_refused_with_a_clear_message(stack: LocalStack) -> None:
    ana, maria = login(stack, "ana"), login(stack, "maria")
    good = {"name": "Ok", "texts": {"ro": "Text"}, "fallback": "ro"}
    refused = {
        "empty text": ({"name": "x", "texts": {"ro": "  "}}, 422, "no text"),
        "oversize": ({"name": "x", "texts": {"ro": "a" * 1001}, "fallback": "ro"}, 422, "at most 1000"),
        "no fallback": ({"name": "x", "texts": {"ro": "a", "it": "b"}}, 422, "no fallback"),
    }
    for what, (body, status, says) in refused.items():
        response = ana.post("/campaigns/api/campaigns", json=body)
        assert response.status_code == status and says in response.json()["detail"], (what, response.text)
    draft = ana.post("/campaigns/api/campaigns", json=good).json()
    own = ana.post(f"/campaigns/api/campaigns/{draft['id']}/approve")
    assert own.status_code == 403 and "supervisors" in own.json()["detail"]
    assert maria.post(f"/campaigns/api/campaigns/{draft['id']}/approve").status_code == 200
    past = ana.post(f"/campaigns/api/campaigns/{draft['id']}/schedule", json={"at": "2020-01-01T09:00"})
    assert past.status_code == 422 and "past" in past.json()["detail"]
    assert ana.post("/campaigns/api/campaigns/nope/approve").status_code == 404
    no_csrf = httpx.post(f"{stack.gateway}/campaigns/api/campaigns", json=good, cookies=ana.cookies)
    assert no_csrf.status_code in (401, 403)
    assert httpx.get(f"{stack.gateway}/campaigns/api/campaigns").status_code == 401
    ion = httpx.Client(base_url=stack.gateway, timeout=20)
    token = re.search(r'name="csrf" value="([^"]+)"', ion.get("/campaigns/login").text)
    assert token
    ion.post("/campaigns/login", data={"csrf": token.group(1), "username": "ion", "password": PASSWORD})
    assert ion.get("/campaigns/api/campaigns").status_code == 403  # counsellors: not their page
    refused = ion.get("/campaigns")  # the page says so in the account's language (Romanian by default)
    assert refused.status_code == 403 and "pentru echipa de campanii" in refused.text
    # Campaign staff opening the inbox's cases: 403.
    inbox = httpx.Client(base_url=stack.gateway, timeout=20)
    token = re.search(r'name="csrf" value="([^"]+)"', inbox.get("/inbox/login").text)
    assert token
    inbox.post("/inbox/login", data={"csrf": token.group(1), "username": "ana", "password": PASSWORD})
    assert inbox.get("/inbox/api/queue").status_code == 403
    assert inbox.get("/inbox/api/cases/any").status_code in (403, 404)


def open_page(browser: Browser, stack: LocalStack, username: str, phone: bool = False) -> Page:
    if phone:
        context = browser.new_context(
            viewport={"width": 390, "height": 844}, is_mobile=True, device_scale_factor=2
        )
    else:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{stack.gateway}/campaigns")
    page.get_by_label("Utilizator").fill(username)  # the login page is Romanian by default
    page.get_by_label("Parolă").fill(PASSWORD)
    page.get_by_role("button", name="Intră").click()
    expect(page.locator("#who")).to_contain_text(username.title())
    return page


def test_draft_approve_send_progress_report_and_a_reply_in_chromium(
    browser: Browser, stack: LocalStack, standins: StandIns
) -> None:
    people = {930001: "ro", 930002: "it", 930003: "es"}
    for chat, language in people.items():  # they subscribe in the conversation
        assert (
            post_telegram(stack.gateway, tg_callback(chat, "/subscribe_alerts", language), TG_SECRET).status_code
            == 200
        )
    wait_until(lambda: all(telegram_texts(standins, c) for c in people), 30, "not subscribed")

    ana = open_page(browser, stack, "ana")
    ana.get_by_role("button", name="Campanie nouă").click()
    ana.locator("#name").fill("Oferte false de muncă")
    ana.locator("#text-ro").fill("Atenție: oferte false de muncă circulă pe Facebook.")
    ana.locator("#text-it").fill("Attenzione: false offerte di lavoro su Facebook.")
    ana.locator("#fallback").select_option("ro")
    ana.locator("#payload-0").select_option("/topic_trafficking")
    for language, title in (("ro", "Semne"), ("it", "Segnali"), ("es", "Señales")):
        ana.locator(f"#title-0-{language}").fill(title)
    ana.locator('#audience input[name="topic"][value="alerts"]').check()
    expect(ana.locator("#counts")).to_contain_text("3 persoane")
    expect(ana.locator('.phone[data-channel="telegram"]')).to_contain_text("cod LUNA")
    ana.get_by_role("button", name="Salvează ciorna").click()
    expect(ana.locator("#state")).to_have_text("ciornă")  # state "draft", in Romanian
    expect(ana.locator("#approve")).to_be_disabled()  # the drafter cannot approve
    ana.screenshot(path=str(SHOTS / "campaigns-draft.png"), full_page=True)

    maria = open_page(browser, stack, "maria")
    maria.locator("#list li").first.click()
    maria.get_by_role("button", name="Aprobă").click()
    expect(maria.locator("#state")).to_have_text("aprobată")  # state "approved", in Romanian

    ana.reload()
    expect(ana.locator("#who")).to_contain_text("Ana")
    ana.locator("#list li").first.click()
    expect(ana.locator("#state")).to_have_text("aprobată")  # state "approved", in Romanian
    ana.get_by_role("button", name="Trimite acum").click()
    expect(ana.locator('#table tr[data-channel="telegram"] td').nth(2)).to_have_text("3", timeout=30_000)
    expect(ana.locator("#state")).to_have_attribute("data-state", "done", timeout=30_000)
    ana.screenshot(path=str(SHOTS / "campaigns-report.png"), full_page=True)
    assert ana.locator("#csv").get_attribute("href", timeout=5000).endswith(".csv")

    for chat, language in people.items():
        alert = [t for t in telegram_texts(standins, chat) if "Facebook" in t]
        assert len(alert) == 1 and "cod LUNA" in alert[0], (chat, telegram_texts(standins, chat))
        assert ("Attenzione" in alert[0]) == (language == "it")

    phone = open_page(browser, stack, "ana", phone=True)
    phone.get_by_role("button", name="EN").click()
    expect(phone.locator("h1")).to_have_text("Campaigns")
    phone.locator("#list li").first.click()
    expect(phone.locator("#progress")).to_be_visible()
    phone.screenshot(path=str(SHOTS / "campaigns-phone.png"), full_page=True)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 400  # nothing wider than the phone

    # A reply to the alert reaches the assistant like any message: asking for a person opens a case.
    before = len(telegram_texts(standins, 930001))
    reply = tg_message(930001, "Vreau să vorbesc cu un consilier, vă rog", "ro")
    assert post_telegram(stack.gateway, reply, TG_SECRET).status_code == 200
    wait_until(lambda: len(telegram_texts(standins, 930001)) > before, 60, "the reply was not answered")
    state = redis_sync.Redis(port=TEST_REDIS_PORT, db=GATEWAY_DB, decode_responses=True)
    wait_until(lambda: state.hget("hd:conv:telegram:930001", "state") in ("queued", "human"), 30, "no case")


def test_telegram_start_greets_then_offers_the_alerts(stack: LocalStack, standins: StandIns) -> None:
    assert post_telegram(stack.gateway, tg_message(930009, "/start it", "it"), TG_SECRET).status_code == 200
    offer = "Vuoi ricevere i nostri avvisi"
    wait_until(lambda: any(offer in t for t in telegram_texts(standins, 930009)), 60, "no offer after /start")
    assert len(telegram_texts(standins, 930009)) == 2  # the greeting, then the offer


# Asking for the alerts in one's own words (none of these is an example in nlu/*/subscription.yml): the
# assistant's intent `subscribe` sends {"subscription": "offer"} and the gateway asks which topics.
ASKING = {
    930011: ("ro", "As vrea sa ma anuntati cand sunt noutati"),
    930012: ("it", "Vorrei ricevere le vostre allerte"),
    930013: ("es", "Me gustaria recibir sus avisos"),
}


def test_asking_for_alerts_in_ones_own_words_reaches_the_topic_question(
    stack: LocalStack, standins: StandIns
) -> None:
    for chat, (language, words) in ASKING.items():
        assert post_telegram(stack.gateway, tg_message(chat, words, language), TG_SECRET).status_code == 200
    for chat, (language, words) in ASKING.items():
        offer = text("subscription.offer", language)[:40]
        wait_until(
            lambda chat=chat, offer=offer: any(offer in t for t in telegram_texts(standins, chat)),
            60,
            f"{language}: {words!r} did not reach the topic question",
        )
        [sent] = [
            m
            for m in standins.telegram.messages()
            if str(m.get("chat_id")) == str(chat) and offer in m.get("text", "")
        ]
        assert "/subscribe_all" in str(sent.get("reply_markup"))  # the topic buttons and "all"
