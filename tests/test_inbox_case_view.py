"""The case view in Chromium, in Romanian and English, at 1366x850 and 390x844: the conversation fills the
height left and scrolls by keyboard (a focusable `role=log`); the message that made the case urgent is pinned
above it; the person's earlier cases are listed and open, within the centres one may see."""

from __future__ import annotations

import uuid

import pytest
import redis as redis_sync
from playwright.sync_api import Browser, Page, expect

from inbox.i18n import text
from tests.conftest import Stack, post, wait_until
from tests.test_inbox_page import case_of, choose_language
from tests.test_inbox_security import add_user
from tests.test_inbox_supervisors import LAYOUTS, layout_id, log_in, shot

pytestmark = pytest.mark.browser
URGENT = "patronul mi-a luat pasaportul si nu ma lasa sa plec din Italia"


@pytest.fixture(scope="module")
def staff(stack: Stack) -> dict[str, str]:
    suffix = uuid.uuid4().hex[:4]
    made = {}
    for short, centre, language in (("ro", "iasi", "ro"), ("en", "iasi", "en"), ("bc", "bacau", "ro")):
        username = f"cv{short}{suffix}"
        assert add_user(stack, username, "counsellor", centre).returncode == 0
        if language != "ro":
            assert choose_language(stack, username, language).returncode == 0
        made[short] = username
    return made


def call(page: Page, stack: Stack, path: str, body: dict[str, object]) -> int:
    """A change through the inbox's API as the page's account (its CSRF token)."""
    csrf = page.evaluate("fetch('/inbox/api/me').then((r) => r.json()).then((me) => me.csrf)")
    answer = page.request.post(f"{stack.gateway}/inbox/api/{path}", headers={"X-CSRF-Token": csrf}, data=body)
    return answer.status


def person_with_an_earlier_case(stack: Stack, redis_client: redis_sync.Redis, page: Page) -> tuple[str, str, str]:
    """A person whose first case was closed, then a danger message opened an urgent one with a long
    conversation: (sender, first case, urgent case)."""
    sender = f"web-{uuid.uuid4().hex[:10]}"
    post(stack, sender, "vreau să vorbesc cu un om")
    post(stack, sender, "sunt din Iași")
    first = case_of(redis_client, sender)
    assert call(page, stack, f"cases/{first}/claim", {}) == 200
    assert call(page, stack, f"cases/{first}/close", {"outcome": "resolved"}) == 200
    post(stack, sender, URGENT)
    wait_until(lambda: case_of(redis_client, sender) not in ("", first), 20, "no urgent case")
    urgent = case_of(redis_client, sender)
    for n in range(14):  # a long conversation after it
        post(stack, sender, f"mesajul {n}: sunt într-o casă la marginea orașului, nu știu adresa exactă")
    wait_until(lambda: redis_client.llen(f"hd:case:{urgent}:timeline") > 14, 20, "the messages did not arrive")
    return sender, first, urgent


@pytest.mark.parametrize("layout", LAYOUTS, ids=layout_id)
def test_the_conversation_fills_the_view_the_urgent_message_is_pinned_and_earlier_cases_open(
    stack: Stack, browser: Browser, staff: dict[str, str], redis_client: redis_sync.Redis, layout: tuple[str, bool]
) -> None:
    language, phone = layout
    page = log_in(browser, stack, staff[language], language, phone)
    _, first, urgent = person_with_an_earlier_case(stack, redis_client, page)
    page.goto(f"{stack.gateway}/inbox#case/{urgent}")
    expect(page.locator("#case-pane")).to_have_attribute("data-case", urgent)
    expect(page.locator(".msg.user").last).to_contain_text("mesajul 13", timeout=15_000)

    # (b) The message that made the case urgent, pinned above the conversation.
    pinned = page.locator("#pinned")
    expect(pinned).to_be_visible()
    expect(pinned.locator("figcaption")).to_have_text(text(language, "case.pinned"))
    expect(pinned.locator("blockquote")).to_have_text(URGENT)
    pinned_box, log_box = pinned.bounding_box(), page.locator("#timeline").bounding_box()
    assert pinned_box and log_box and pinned_box["y"] < log_box["y"]

    # (a) The conversation: a focusable log that takes the height left, scrolled by the keyboard.
    timeline = page.locator("#timeline")
    expect(timeline).to_have_attribute("role", "log")
    expect(timeline).to_have_attribute("aria-label", text(language, "case.conversation"))
    if not phone:
        assert log_box["height"] >= 380, f"the conversation is {log_box['height']} px tall at 1366x850"
        pane = page.locator("#case-pane").bounding_box()
        assert pane and pane["y"] + pane["height"] <= 850  # the page itself does not scroll
        compose = page.locator("#compose").bounding_box()
        assert compose and compose["y"] + compose["height"] <= 850
    timeline.focus()
    expect(timeline).to_be_focused()
    bottom = timeline.evaluate("t => t.scrollTop")
    assert bottom > 0, "the conversation does not scroll"
    page.keyboard.press("Home")
    wait_until(lambda: timeline.evaluate("t => t.scrollTop") == 0, 5, "Home did not scroll to the start")
    page.keyboard.press("PageDown")
    wait_until(lambda: timeline.evaluate("t => t.scrollTop") > 0, 5, "PageDown did not scroll")
    page.keyboard.press("End")
    wait_until(lambda: timeline.evaluate("t => t.scrollTop") >= bottom - 2, 5, "End did not scroll to the end")
    kind = "phone" if phone else "desktop"
    docs = {("ro", False): "inbox-ro-case-urgent.png", ("ro", True): "inbox-ro-phone.png"}.get(layout, "")
    shot(page, f"inbox-case-urgent-{language}-{kind}.png", docs)

    # (c) The person's earlier case, listed and opened.
    earlier = page.locator("#earlier-box")
    expect(earlier.locator("summary")).to_contain_text(text(language, "case.earlier"))
    expect(earlier.locator("#earlier-count")).to_have_text("1")
    earlier.locator("summary").click()
    item = earlier.locator(f'li[data-case="{first}"]')
    expect(item).to_contain_text(text(language, "outcomes.resolved"))
    expect(item).to_contain_text("Iași")
    item.locator("a").click()
    expect(page.locator("#case-pane")).to_have_attribute("data-case", first)
    expect(page.locator("#pinned")).to_be_hidden()  # that case was not urgent
    expect(page.locator("#earlier-box #earlier-count")).to_have_text("1")
    expect(page.locator(f'#earlier li[data-case="{urgent}"]')).to_be_attached()
    page.context.close()


def test_earlier_cases_of_another_centre_are_counted_not_opened(
    stack: Stack, browser: Browser, staff: dict[str, str], redis_client: redis_sync.Redis
) -> None:
    iasi = log_in(browser, stack, staff["ro"], "ro")
    _, first, urgent = person_with_an_earlier_case(stack, redis_client, iasi)
    assert call(iasi, stack, f"cases/{urgent}/transfer", {"centre": "bacau", "reason": "e la Bacău"}) == 200
    bacau = log_in(browser, stack, staff["bc"], "ro")
    bacau.goto(f"{stack.gateway}/inbox#case/{urgent}")
    expect(bacau.locator("#case-pane")).to_have_attribute("data-case", urgent)
    bacau.locator("#earlier-box summary").click()
    expect(bacau.locator("#earlier li")).to_have_count(0)
    expect(bacau.locator("#earlier-elsewhere")).to_have_text(text("ro", "case.earlier_elsewhere", count=1))
    answer = bacau.request.get(f"{stack.gateway}/inbox/api/cases/{first}")
    assert answer.status == 403
    data = bacau.request.get(f"{stack.gateway}/inbox/api/cases/{urgent}").json()
    assert data["earlier"] == [] and data["earlier_elsewhere"] == 1
    for page in (iasi, bacau):
        page.context.close()
