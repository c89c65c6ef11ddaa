"""The /chat page in a real headless Chromium (Debian's, driven by Playwright), against the real stack."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from knowledge.cards import knowledge
from knowledge.render import country_question, render
from tests.conftest import SHOTS, Stack

pytestmark = pytest.mark.browser


def phone(browser: Browser, locale: str) -> Page:
    context = browser.new_context(
        viewport={"width": 360, "height": 740},
        locale=locale,
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    return context.new_page()


def test_a_visitor_is_greeted_in_the_phones_language_and_can_use_the_menu(
    stack: Stack, browser: Browser, responses: dict
) -> None:
    page = phone(browser, "it-IT")
    page.goto(f"{stack.gateway}/chat")
    greeting = responses["utter_greet"]["it"]
    expect(page.locator(".msg.bot").first).to_contain_text(greeting["text"].split("\n")[0], timeout=30_000)
    buttons = page.locator(".choices button")
    expect(buttons).to_have_count(len(greeting["buttons"]))
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "chat-greeting-it.png"))

    page.get_by_role("button", name=greeting["buttons"][2]["title"]).click()  # trafficking: its questions
    help_title = knowledge()["trafficking_help"].title["it"]
    page.get_by_role("button", name=help_title, exact=True).click()
    answer = page.locator(".msg.bot").nth(2)
    expect(answer).to_contain_text("800 290 290", timeout=30_000)
    hrefs = [a.get_attribute("href") for a in answer.locator("a").all()]
    assert "tel:800290290" in hrefs and "tel:112" in hrefs and "tel:+37322233309" in hrefs  # tap to call
    assert any(h.startswith("https://") for h in hrefs)
    assert all(h.startswith(("https://", "tel:")) for h in hrefs)
    page.screenshot(path=str(SHOTS / "chat-trafficking-it.png"))
    page.context.close()


def test_typing_in_spanish_and_switching_to_romanian(stack: Stack, browser: Browser, responses: dict) -> None:
    page = phone(browser, "en-GB")  # not one of ours: starts in Romanian
    page.goto(f"{stack.gateway}/chat")
    expect(page.locator(".msg.bot").first).to_contain_text(
        responses["utter_greet"]["ro"]["text"].split("\n")[0], timeout=30_000
    )
    page.locator("#text").fill("hola, mi jefe no me paga el sueldo")
    page.locator("#text").press("Enter")
    expect(page.locator(".msg.me").last).to_have_text("hola, mi jefe no me paga el sueldo")
    expect(page.locator(".msg.bot").last).to_contain_text(country_question("es")["text"], timeout=30_000)
    page.get_by_role("button", name="España", exact=True).click()
    cards = knowledge()
    first_line = render(cards, cards["rights_unpaid_wages"], "es", "es")["text"].split("\n")[0]
    expect(page.locator(".msg.bot").last).to_contain_text(first_line, timeout=30_000)
    page.get_by_role("button", name="RO", exact=True).click()
    expect(page.locator(".msg.bot").last).to_contain_text(
        responses["utter_menu"]["ro"]["text"].split("\n")[0], timeout=30_000
    )
    assert page.locator("html").get_attribute("lang") == "ro"
    page.screenshot(path=str(SHOTS / "chat-switch-ro.png"))
    page.context.close()


def test_user_text_is_shown_as_text_not_markup(stack: Stack, browser: Browser) -> None:
    page = phone(browser, "ro-RO")
    page.goto(f"{stack.gateway}/chat")
    expect(page.locator(".msg.bot").first).to_be_visible(timeout=30_000)
    page.locator("#text").fill("<img src=x onerror=\"document.title='owned'\"> salut")
    page.locator("#text").press("Enter")
    expect(page.locator(".msg.me").last).to_have_text("<img src=x onerror=\"document.title='owned'\"> salut")
    assert page.locator(".msg img").count() == 0
    assert page.title() != "owned"
    page.context.close()
