"""The inbox in a real headless Chromium (Debian's, driven by Playwright) against the real stack: a counsellor logs
in, sees a new case arrive live, claims it, replies (the reply reaches the user's web chat), a colleague cannot
claim it, a counsellor of another centre cannot open it, transfer, close, hand back, and the bot answers again.
The screenshots docs/screenshots/inbox-*.png are taken here (into results/screenshots/ unless
REFRESH_DOCS_SCREENSHOTS=1). These counsellors chose English (the inbox is Romanian unless an account chooses
otherwise: tests/test_inbox_language.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import httpx
import pytest
import redis as redis_sync
from playwright.sync_api import Browser, Page, expect

from handoff.texts import text as handoff_text
from inbox.i18n import text as inbox_text
from tests.conftest import ROOT, SHOTS, Stack, post, wait_until
from tests.test_inbox_security import PASSWORD, add_user

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def team(stack: Stack) -> dict[str, str]:
    suffix = uuid.uuid4().hex[:4]
    people = {"ana": ("counsellor", "iasi"), "ion": ("counsellor", "iasi"), "dan": ("counsellor", "bacau")}
    people["sup"] = ("supervisor", "")
    made = {}
    for short, (role, centre) in people.items():
        username = f"{short}{suffix}"
        assert add_user(stack, username, role, centre).returncode == 0
        assert choose_language(stack, username, "en").returncode == 0
        made[short] = username
    return made


def choose_language(stack: Stack, username: str, language: str) -> subprocess.CompletedProcess[str]:
    """Choose the language of an account's inbox the documented way (`python -m inbox users language`)."""
    argv = [sys.executable, "-m", "inbox", "users", "language", username, language]
    env = {**os.environ, "REDIS_URL": stack.settings.redis_url}
    return subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, check=False)


def open_inbox(
    browser: Browser,
    stack: Stack,
    username: str,
    phone: bool = False,
    shot: str = "",
    login_in: str = "en",
    account_in: str = "en",
) -> Page:
    """Log in through the login page in `login_in` (its language switch); the inbox is then in `account_in`."""
    if phone:
        context = browser.new_context(
            viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, device_scale_factor=2
        )
    else:
        context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.goto(f"{stack.gateway}/inbox")
    expect(page).to_have_url(f"{stack.gateway}/inbox/login")
    if login_in != "ro":
        page.get_by_role("link", name=inbox_text(login_in, "meta.name")).click()
        expect(page).to_have_url(f"{stack.gateway}/inbox/login?lang={login_in}")
    page.get_by_label(inbox_text(login_in, "login.username")).fill(username)
    page.get_by_label(inbox_text(login_in, "login.password")).fill(PASSWORD)
    if shot:
        page.screenshot(path=str(SHOTS / shot))
    page.get_by_role("button", name=inbox_text(login_in, "login.submit")).click()
    expect(page.locator("#live")).to_have_text(inbox_text(account_in, "app.live"), timeout=15_000)
    return page


def chat_messages(stack: Stack, sender: str) -> list[str]:
    body = httpx.get(f"{stack.gateway}/webhooks/web/messages", params={"sender": sender}, timeout=10).json()
    return [m["text"] for m in body["messages"]]


def case_of(redis_client: redis_sync.Redis, sender: str) -> str:
    return (redis_client.hget(f"hd:conv:web:{sender}", "case") or b"").decode()


def test_a_case_from_arrival_to_hand_back(
    stack: Stack, browser: Browser, team: dict[str, str], redis_client: redis_sync.Redis, responses: dict
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    ana = open_inbox(browser, stack, team["ana"], shot="inbox-login.png")
    expect(ana.locator("#who")).to_contain_text("Iași")

    # A person asks for a counsellor in the web chat; the case appears in Ana's queue without a reload.
    sender = f"web-{uuid.uuid4().hex[:10]}"
    post(stack, sender, "bună ziua")
    post(stack, sender, "nu mi-au plătit salariul de două luni")
    post(stack, sender, "vreau să vorbesc cu un om")
    post(stack, sender, "sunt din Pașcani")
    case_id = case_of(redis_client, sender)
    item = ana.locator(f'.item[data-case="{case_id}"]')
    expect(item).to_be_visible(timeout=15_000)
    expect(item).to_contain_text("asked for a person")
    expect(item).to_contain_text("waiting")
    ana.screenshot(path=str(SHOTS / "inbox-queue.png"))

    # Ana opens it: the conversation so far, then claims and replies; the reply reaches the web chat.
    item.locator("a").click()
    expect(ana.locator("#owner")).to_have_text("Nobody has claimed this case yet.")
    expect(ana.locator("#timeline")).to_contain_text("nu mi-au plătit salariul de două luni")
    expect(ana.locator("#case-facts")).to_contain_text("Romanian")
    expect(ana.locator("#case-facts")).to_contain_text("Pașcani")
    ana.get_by_role("button", name="Claim").click()
    expect(ana.locator("#owner")).to_have_text("You have this case.")
    reply = "Bună ziua! Sunt consilier la centrul din Iași. Am citit mesajele tale."
    ana.locator("#text").fill(reply)
    ana.get_by_role("button", name="Send").click()
    wait_until(lambda: reply in chat_messages(stack, sender), 15, "the reply did not reach the web chat")
    post(stack, sender, "Mulțumesc! Lucrez în Italia, la Verona.")
    expect(ana.locator(".msg.user").last).to_contain_text("Lucrez în Italia", timeout=15_000)
    ana.screenshot(path=str(SHOTS / "inbox-case.png"))

    # A colleague of the same centre cannot claim it; a counsellor of another centre cannot open it.
    ion = open_inbox(browser, stack, team["ion"])
    ion.goto(f"{stack.gateway}/inbox#case/{case_id}")
    expect(ion.locator("#owner")).to_have_text(f"Claimed by {team['ana']}.")
    ion.locator("#claim").click()
    expect(ion.locator("#toast")).to_contain_text(f"claimed by {team['ana']}")
    dan = open_inbox(browser, stack, team["dan"])
    dan.goto(f"{stack.gateway}/inbox#case/{case_id}")
    expect(dan.locator("#case-title")).to_have_text("Not your centre's case")
    assert dan.context.request.get(f"{stack.gateway}/inbox/api/cases/{case_id}").status == 403
    expect(dan.locator(f'.item[data-case="{case_id}"]')).to_have_count(0)

    # Ana transfers it to Bacău: it arrives live in Dan's queue; Dan claims and closes it.
    ana.locator("#transfer-box summary").click()
    ana.locator("#transfer-centre").select_option("bacau")
    ana.locator("#transfer-reason").fill("works near Bacău")
    ana.locator("#transfer").get_by_role("button", name="Transfer").click()
    dan.goto(f"{stack.gateway}/inbox")
    expect(dan.locator(f'.item[data-case="{case_id}"]')).to_be_visible(timeout=15_000)
    dan.locator(f'.item[data-case="{case_id}"] a').click()
    dan.get_by_role("button", name="Claim").click()
    expect(dan.locator("#owner")).to_have_text("You have this case.")
    dan.locator("#close-box summary").click()
    dan.locator("#outcome").select_option("resolved")
    dan.get_by_role("button", name="Close case").click()
    wait_until(lambda: case_of(redis_client, sender) == "", 10, "the conversation did not return to the bot")
    assert redis_client.hget(f"hd:case:{case_id}", "outcome") == b"resolved"
    assert handoff_text("handed_back", "ro") in chat_messages(stack, sender)
    menu = post(stack, sender, "/menu").json()["messages"]
    assert menu and menu[0]["text"] == responses["utter_menu"]["ro"]["text"]  # the bot answers again

    # A second request: the origin is known now, so the case goes straight to Iași; Ana hands it back.
    post(stack, sender, "/request_human")
    second = case_of(redis_client, sender)
    assert second and second != case_id
    assert redis_client.hget(f"hd:case:{second}", "centre") == b"iasi"
    expect(ana.locator(f'.item[data-case="{second}"]')).to_be_visible(timeout=15_000)
    ana.goto(f"{stack.gateway}/inbox#case/{second}")
    ana.get_by_role("button", name="Claim").click()
    expect(ana.locator("#owner")).to_have_text("You have this case.")
    ana.once("dialog", lambda dialog: dialog.accept())
    ana.get_by_role("button", name="Hand back to the bot").click()
    wait_until(lambda: case_of(redis_client, sender) == "", 10, "hand back did not return the conversation")
    assert redis_client.hget(f"hd:case:{second}", "outcome") == b"handed_back"
    greeting = post(stack, sender, "bună ziua").json()["messages"]
    assert greeting and greeting[0]["text"] == responses["utter_greet"]["ro"]["text"]
    for page in (ana, ion, dan):
        page.context.close()


def test_the_inbox_on_a_phone_and_the_supervisors_figures(
    stack: Stack, browser: Browser, team: dict[str, str], redis_client: redis_sync.Redis
) -> None:
    sender = f"web-{uuid.uuid4().hex[:10]}"
    post(stack, sender, "hola, buenas tardes")
    post(stack, sender, "quiero hablar con una persona")
    post(stack, sender, "soy de Bacău")
    case_id = case_of(redis_client, sender)
    sup = open_inbox(browser, stack, team["sup"], phone=True)
    item = sup.locator(f'.item[data-case="{case_id}"]')
    expect(item).to_be_visible(timeout=15_000)
    item.locator("a").click()
    expect(sup.locator("#timeline")).to_contain_text("quiero hablar con una persona")
    expect(sup.locator("#queue-pane")).to_be_hidden()  # one column on a phone: the case takes the screen
    sup.get_by_role("button", name="Claim").click()
    sup.locator("#canned").select_option(label="Saludo")
    expect(sup.locator("#text")).to_have_value(
        "¡Buenos días! Soy asesor del centro de Bacău. He leído tus mensajes y te ayudo desde aquí."
    )
    sup.screenshot(path=str(SHOTS / "inbox-phone.png"), full_page=True)
    sup.get_by_role("button", name="Send").click()
    wait_until(lambda: any("Soy asesor" in t for t in chat_messages(stack, sender)), 15, "no reply")
    sup.context.close()

    redis_client.zrem(
        "hd:inbox:online", team["ana"]
    )  # her earlier tabs are closed: off duty, whatever their beacons
    desk = open_inbox(browser, stack, team["sup"])
    desk.get_by_role("button", name="Figures").click()
    expect(desk.locator("#on-duty")).not_to_contain_text(team["ana"])
    ana = open_inbox(browser, stack, team["ana"])  # a counsellor with the inbox open is on duty
    on_duty = lambda: redis_client.zscore("hd:inbox:online", team["ana"]) is not None  # noqa: E731
    wait_until(on_duty, 15, "the open inbox's event stream did not put its owner on duty")
    # the open figures follow who comes on duty (refreshed every 15 s), without reopening the view
    expect(desk.locator("#on-duty")).to_contain_text(f"Iași: {team['ana']}", timeout=20_000)
    expect(desk.locator("#view-queue")).to_be_hidden()  # one view at a time
    ana.context.close()
    table = desk.locator("#figures")
    expect(table).to_contain_text("By centre")
    expect(table.locator("section", has_text="By centre")).to_contain_text("Bacău")
    expect(table.locator("section", has_text="By language")).to_contain_text("Spanish")
    desk.screenshot(path=str(SHOTS / "inbox-figures.png"), full_page=True)
    desk.context.close()


def test_an_urgent_case_raises_a_banner_live(
    stack: Stack, browser: Browser, team: dict[str, str], redis_client: redis_sync.Redis
) -> None:
    ana = open_inbox(browser, stack, team["ana"])
    sender = f"web-{uuid.uuid4().hex[:10]}"
    post(stack, sender, "bună ziua")
    post(stack, sender, "patronul mi-a luat pasaportul si nu ma lasa sa plec din Italia")  # the safety triage
    case_id = case_of(redis_client, sender)  # origin unknown yet: the default centre (Iași) holds it meanwhile
    expect(ana.locator(f'.item.urgent[data-case="{case_id}"]')).to_be_visible(timeout=15_000)
    banner = ana.locator("#urgent")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("URGENT")
    ana.screenshot(path=str(SHOTS / "inbox-urgent.png"))
    ana.locator(f'.item[data-case="{case_id}"] a').click()
    expect(ana.locator("#case-title")).to_have_text("URGENT · SAFETY")
    ana.context.close()
