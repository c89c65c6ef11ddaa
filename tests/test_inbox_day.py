"""A counsellor's working day in Chromium: queue cards, tabs, unread counts, SLA colours, the title, search."""

from __future__ import annotations

import json
import time
import uuid

import pytest
import redis as redis_sync
from playwright.sync_api import Browser, Page, expect

from tests.conftest import SHOTS, Stack, post, wait_until
from tests.test_inbox_page import case_of, choose_language, open_inbox
from tests.test_inbox_security import add_user

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def crew(stack: Stack) -> dict[str, str]:
    suffix = uuid.uuid4().hex[:4]
    made = {}
    for short, centre in (("ana", "iasi"), ("dan", "bacau")):
        username = f"{short}d{suffix}"
        assert add_user(stack, username, "counsellor", centre).returncode == 0
        assert choose_language(stack, username, "en").returncode == 0
        made[short] = username
    return made


def age_entry(redis_client: redis_sync.Redis, case_id: str, index: int, minutes: float) -> None:
    """Make a timeline entry `minutes` old (the SLA colours without waiting an hour)."""
    key = f"hd:case:{case_id}:timeline"
    entry = json.loads(redis_client.lindex(key, index) or b"{}")
    entry["at"] = time.time() - minutes * 60
    redis_client.lset(key, index, json.dumps(entry, ensure_ascii=False))


def test_the_queue_cards_tabs_unread_and_search(
    stack: Stack, browser: Browser, crew: dict[str, str], redis_client: redis_sync.Redis
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    ana = open_inbox(browser, stack, crew["ana"])
    sender = f"web-{uuid.uuid4().hex[:10]}"
    post(stack, sender, "bună ziua, lucrez în Italia")
    post(stack, sender, "vreau să vorbesc cu un om")
    post(stack, sender, "sunt din Pașcani")
    case_id = case_of(redis_client, sender)
    post(stack, sender, "patronul nu plătește chiria, sunați-mă la +39 333 123 4567")
    card = ana.locator(f'.item[data-case="{case_id}"]')
    expect(card.locator(".last")).to_contain_text("patronul nu plătește chiria", timeout=15_000)
    expect(card.locator(".last")).to_contain_text("•••")
    expect(card).not_to_contain_text("333")
    expect(card).to_contain_text("from Pașcani")
    expect(card).to_contain_text("in Italy")
    expect(card.locator(".sla")).to_have_attribute("data-sla", "green")

    # The tabs: unclaimed, not mine; after the claim, mine and no longer unclaimed.
    ana.get_by_role("button", name="Unassigned").click()
    expect(card).to_be_visible()
    ana.get_by_role("button", name="Mine").click()
    expect(card).to_have_count(0)
    ana.get_by_role("button", name="All").click()
    card.locator("a").click()
    expect(ana.locator("#timeline")).to_contain_text("patronul")
    ana.get_by_role("button", name="Claim").click()
    expect(ana.locator("#owner")).to_have_text("You have this case.")
    ana.locator("#labels").fill("chirie, italia")
    ana.locator("#labels-form").get_by_role("button").click()
    ana.locator("#text").fill("Bună ziua, vă ajut eu.")
    ana.get_by_role("button", name="Send").click()
    expect(ana.locator(".msg.counsellor").last).to_contain_text("vă ajut eu", timeout=15_000)
    ana.keyboard.press("Escape")
    ana.get_by_role("button", name="Mine").click()
    expect(card).to_be_visible()
    expect(card.locator(".sla")).to_have_text("answered")
    expect(card.locator(".badge.label")).to_have_text(["chirie", "italia"])
    assert redis_client.hget(f"hd:case:{case_id}:seen", crew["ana"])  # the assigned counsellor's "seen up to"

    # The person writes on Ana's claimed case while she is elsewhere: the card and the title change.
    post(stack, sender, "mai am o întrebare")
    expect(card.locator(".badge.unread")).to_have_text("1 new", timeout=15_000)
    expect(card.locator(".last")).to_have_text("mai am o întrebare")
    expect(card.locator(".sla")).to_have_attribute("data-sla", "green")
    expect(ana).to_have_title("(1) New message – Inbox")
    ana.screenshot(path=str(SHOTS / "inbox-day-queue.png"))

    # The time without an answer counts from that message, coloured by INBOX_SLA_*_MINUTES (15, 60).
    timeline = redis_client.lrange(f"hd:case:{case_id}:timeline", 0, -1)
    last = len(timeline) - 1
    age_entry(redis_client, case_id, last, 30)
    ana.reload()
    expect(ana.locator("#live")).to_have_text("live", timeout=15_000)
    expect(card.locator(".sla")).to_have_attribute("data-sla", "amber")
    expect(card.locator(".sla")).to_contain_text("30 min")
    age_entry(redis_client, case_id, last, 90)
    ana.reload()
    expect(ana.locator("#live")).to_have_text("live", timeout=15_000)
    expect(card.locator(".sla")).to_have_attribute("data-sla", "red")

    # Opening the case reads it: no unread count, the usual title.
    card.locator("a").click()
    expect(ana.locator(".msg.user").last).to_contain_text("mai am o întrebare")
    ana.keyboard.press("Escape")
    ana.reload()
    expect(ana.locator("#live")).to_have_text("live", timeout=15_000)
    expect(card.locator(".badge.unread")).to_have_count(0)
    expect(ana).not_to_have_title("(1) New message – Inbox")

    # Search by words of the messages, by label, by the counsellor's name; never a number in the results.
    for query in ("întrebare", "chirie", crew["ana"], "patronul chiria"):
        ana.locator("#search-q").fill(query)
        ana.locator("#search").get_by_role("button", name="Search cases").click()
        expect(ana.locator(f'.item[data-case="{case_id}"]')).to_be_visible()
        expect(ana.locator("#search-count")).to_be_visible()
    ana.locator("#search-q").fill("nimic-asemanator")
    ana.locator("#search").get_by_role("button", name="Search cases").click()
    expect(ana.locator("#search-count")).to_have_text("0 found")
    ana.locator("#search-clear").click()
    expect(ana.locator("#queue-tabs")).to_be_visible()
    found = ana.context.request.get(f"{stack.gateway}/inbox/api/search?q=chiria").json()
    assert case_id in [c["id"] for c in found["cases"]]
    dumped = json.dumps(found)
    # (digits alone could match a timestamp: look for the number's own groups)
    for piece in ("333 123", "123 4567", "3331234567", sender[4:]):
        assert piece not in dumped

    # A counsellor of another centre finds nothing of Iași's.
    dan = open_inbox(browser, stack, crew["dan"])
    theirs = dan.context.request.get(f"{stack.gateway}/inbox/api/search?q=chiria").json()
    assert case_id not in [c["id"] for c in theirs["cases"]]
    for page in (ana, dan):
        page.context.close()


def test_a_case_driven_by_keyboard_only(
    stack: Stack, browser: Browser, crew: dict[str, str], redis_client: redis_sync.Redis
) -> None:
    ana = open_inbox(browser, stack, crew["ana"])
    ids = []
    for words in ("am nevoie de ajutor cu actele", "vreau să vorbesc cu cineva despre contract"):
        sender = f"web-{uuid.uuid4().hex[:10]}"
        post(stack, sender, words)
        post(stack, sender, "vreau să vorbesc cu un om")
        post(stack, sender, "sunt din Iași")
        ids.append(case_of(redis_client, sender))
        expect(ana.locator(f'.item[data-case="{ids[-1]}"]')).to_be_visible(timeout=15_000)
    order = ana.locator("#queue .item").evaluate_all("items => items.map(i => i.dataset.case)")
    first, second = order[0], order[1]

    ana.locator("body").press("j")  # the first case of the list opens, the focus in it
    expect(ana).to_have_url(f"{stack.gateway}/inbox#case/{first}")
    expect(ana.locator("#case-title")).to_be_focused()
    ana.keyboard.press("j")
    expect(ana).to_have_url(f"{stack.gateway}/inbox#case/{second}")
    ana.keyboard.press("k")
    expect(ana).to_have_url(f"{stack.gateway}/inbox#case/{first}")
    expect(ana.locator("#case-pane")).to_have_attribute("data-case", first)
    expect(ana.locator("#case-title")).to_be_focused()
    ana.keyboard.press("/")
    expect(ana.locator("#search-q")).to_be_focused()
    ana.keyboard.press("Escape")
    for _ in range(40):  # Tab to the Claim button, Enter
        ana.keyboard.press("Tab")
        if ana.evaluate("document.activeElement.id") == "claim":
            break
    assert ana.evaluate("document.activeElement.id") == "claim", "Tab never reached the Claim button"
    ana.keyboard.press("Enter")
    expect(ana.locator("#owner")).to_have_text("You have this case.", timeout=15_000)
    ana.locator("body").press("n")
    expect(ana.locator("#text")).to_be_focused()
    expect(ana.locator("input[name=mode][value=note]")).to_be_checked()
    ana.keyboard.type("a sunat și la consulat")
    ana.keyboard.press("Control+Enter")
    expect(ana.locator(".msg.note").last).to_contain_text("a sunat și la consulat", timeout=15_000)
    expect(ana.locator("input[name=mode][value=reply]")).to_be_checked()  # back to reply after a note
    ana.locator("body").press("r")
    expect(ana.locator("#text")).to_be_focused()
    ana.keyboard.type("Bună ziua, vă scriu imediat.")
    ana.keyboard.press("Control+Enter")
    expect(ana.locator(".msg.counsellor").last).to_contain_text("vă scriu imediat", timeout=15_000)
    ana.keyboard.press("Escape")  # leaves the text box
    ana.keyboard.press("Escape")  # back to the queue
    expect(ana.locator("#case-pane")).to_be_hidden()
    expect(ana.locator(f'.item[data-case="{first}"] a')).to_be_focused()
    ana.context.close()


RECORD = """
window.__notes = []; window.__asked = 0; window.__beeps = 0;
const RealNotification = window.Notification;
class Recorded {
  constructor(title, options) { window.__notes.push({ title, body: (options || {}).body || "" }); }
  static get permission() { return RealNotification.permission; }
  static requestPermission() { window.__asked += 1; return RealNotification.requestPermission(); }
}
window.Notification = Recorded;
const realOscillator = AudioContext.prototype.createOscillator;
AudioContext.prototype.createOscillator = function () { window.__beeps += 1; return realOscillator.call(this); };
"""


def notes(page: Page) -> list[str]:
    return [n["title"] for n in page.evaluate("window.__notes")]


def test_alerts_a_sound_and_a_notification(
    stack: Stack, browser: Browser, crew: dict[str, str], redis_client: redis_sync.Redis
) -> None:
    # Not yet allowed: the button asks, once, on the counsellor's click.
    asking = open_inbox(browser, stack, crew["ana"])
    asking.context.add_init_script(RECORD)
    asking.reload()
    expect(asking.locator("#alerts")).to_be_visible(timeout=15_000)
    asking.locator("#alerts").click()
    expect(asking.locator("#alerts")).to_be_hidden()
    assert asking.evaluate("window.__asked") == 1
    asking.context.close()

    ana = open_inbox(browser, stack, crew["ana"])
    ana.context.grant_permissions(["notifications"], origin=stack.gateway)
    ana.context.add_init_script(RECORD)
    ana.reload()
    expect(ana.locator("#live")).to_have_text("live", timeout=15_000)
    expect(ana.locator("#alerts")).to_be_hidden()  # allowed already: nothing to ask

    sender = f"web-{uuid.uuid4().hex[:10]}"
    post(stack, sender, "vreau să vorbesc cu un om")
    post(stack, sender, "sunt din Iași")
    case_id = case_of(redis_client, sender)
    expect(ana.locator(f'.item[data-case="{case_id}"]')).to_be_visible(timeout=15_000)
    wait_until(lambda: "New case" in notes(ana), 10, "no notification of the new case")
    assert ana.evaluate("window.__beeps") >= 1
    assert all("•" not in n["body"] and sender not in n["body"] for n in ana.evaluate("window.__notes"))

    urgent = f"web-{uuid.uuid4().hex[:10]}"
    post(stack, urgent, "patronul mi-a luat pasaportul si nu ma lasa sa plec din Italia")
    wait_until(lambda: "URGENT case" in notes(ana), 15, "no notification of the urgent case")

    ana.locator(f'.item[data-case="{case_id}"] a').click()
    ana.get_by_role("button", name="Claim").click()
    expect(ana.locator("#owner")).to_have_text("You have this case.")
    ana.keyboard.press("Escape")
    expect(ana.locator("#case-pane")).to_be_hidden()
    beeps = ana.evaluate("window.__beeps")
    post(stack, sender, "mai sunteți acolo?")
    wait_until(lambda: "New message on your case" in notes(ana), 15, "no notification of the new message")
    assert ana.evaluate("window.__beeps") > beeps
    ana.context.close()


def test_a_transfer_with_its_reason_and_a_case_of_another_centre(
    stack: Stack, browser: Browser, crew: dict[str, str], redis_client: redis_sync.Redis
) -> None:
    ana = open_inbox(browser, stack, crew["ana"])
    sender = f"web-{uuid.uuid4().hex[:10]}"
    post(stack, sender, "vreau să vorbesc cu un om")
    post(stack, sender, "sunt din Iași")
    case_id = case_of(redis_client, sender)
    ana.goto(f"{stack.gateway}/inbox#case/{case_id}")
    ana.get_by_role("button", name="Claim").click()
    expect(ana.locator("#owner")).to_have_text("You have this case.")

    # A private note, then the composer is back to reply.
    ana.locator("input[name=mode][value=note]").check()
    ana.locator("#text").fill("lucrează acum la Bacău")
    ana.get_by_role("button", name="Save note").click()
    expect(ana.locator(".msg.note").last).to_contain_text("lucrează acum la Bacău", timeout=15_000)
    expect(ana.locator("input[name=mode][value=reply]")).to_be_checked()
    expect(ana.locator("#send")).to_have_text("Send")

    # The transfer asks why and confirms; no refusal after one's own transfer.
    ana.locator("#transfer-box summary").click()
    ana.locator("#transfer-centre").select_option("bacau")
    ana.locator("#transfer").get_by_role("button", name="Transfer").click()
    assert redis_client.hget(f"hd:case:{case_id}", "centre") == b"iasi"  # the reason is required
    ana.locator("#transfer-reason").fill("works in Bacău now")
    ana.locator("#transfer").get_by_role("button", name="Transfer").click()
    expect(ana.locator("#toast")).to_have_text("Transferred to Bacău.")
    expect(ana.locator("#toast")).not_to_have_class("toast show bad")
    expect(ana.locator("#case-pane")).to_be_hidden()
    assert redis_client.hget(f"hd:case:{case_id}", "centre") == b"bacau"

    dan = open_inbox(browser, stack, crew["dan"])
    dan.goto(f"{stack.gateway}/inbox#case/{case_id}")
    expect(dan.locator(".event").last).to_contain_text("works in Bacău now")

    # Opened by link from another centre: no actions, a disabled composer saying why.
    ana.goto(f"{stack.gateway}/inbox#case/{case_id}")
    expect(ana.locator("#case-title")).to_have_text("Not your centre's case")
    for name in ("#claim", "#transfer-box", "#close-box", "#handback", "#labels-form"):
        expect(ana.locator(name)).to_be_hidden()
    expect(ana.locator("#compose-blocked")).to_be_visible()
    expect(ana.locator("#text")).to_be_disabled()
    expect(ana.locator("#send")).to_be_disabled()
    for page in (ana, dan):
        page.context.close()


def test_on_a_phone_every_control_is_44_px_and_the_reply_box_stays_on_screen(
    stack: Stack, browser: Browser, crew: dict[str, str], redis_client: redis_sync.Redis
) -> None:
    sender = f"web-{uuid.uuid4().hex[:10]}"
    post(stack, sender, "vreau să vorbesc cu un om")
    post(stack, sender, "sunt din Iași")
    case_id = case_of(redis_client, sender)
    for n in range(12):  # a long conversation
        post(stack, sender, f"mesajul {n}: am o problemă cu contractul de muncă și cu actele")
    ana = open_inbox(browser, stack, crew["ana"], phone=True)
    small = """() => [...document.querySelectorAll('button, input, select, textarea, summary')]
      .filter((e) => e.offsetParent !== null && e.type !== 'hidden')
      .map((e) => [e.id || e.name || e.textContent.trim(), e.getBoundingClientRect()])
      .filter(([, r]) => r.width > 0 && (r.height < 44 || r.width < 44))
      .map(([n, r]) => `${n} ${r.width}x${r.height}`)"""
    assert ana.evaluate(small) == []
    ana.locator(f'.item[data-case="{case_id}"] a').click()
    ana.get_by_role("button", name="Claim").click()
    expect(ana.locator("#owner")).to_have_text("You have this case.")
    ana.locator("#transfer-box summary").click()
    ana.locator("#close-box summary").click()
    assert ana.evaluate(small) == []
    box = ana.locator("#compose").bounding_box()
    assert box and box["y"] >= 0 and box["y"] + box["height"] <= 844
    ana.locator("#text").fill("Bună ziua")
    expect(ana.locator("#send")).to_be_in_viewport()
    ana.screenshot(path=str(SHOTS / "inbox-day-phone.png"))
    ana.context.close()
