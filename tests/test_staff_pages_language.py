"""Texts of the staff pages outside the inbox, in Chromium: the campaigns login page in Romanian by default,
English by its link, its errors in the same language; the campaigns page in the account's language from its
locale files (broadcasts/locales/, no dictionary in campaigns.js), switched with its RO / EN button; the
knowledge review page `/inbox/knowledge` in Romanian by default and in English for an account that chose it."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Browser, expect

from broadcasts.campaigns import MAX_BUTTONS
from broadcasts.i18n import LOCALES as CAMPAIGN_LOCALES
from broadcasts.topics import BUTTON_PAYLOADS
from inbox.i18n import text
from tests.conftest import ROOT, Stack
from tests.test_inbox_locales import leaves, placeholders
from tests.test_inbox_security import PASSWORD
from tests.test_inbox_supervisors import DESKTOP, PHONE, accounts_per_language, log_in, shot

pytestmark = pytest.mark.browser


def campaign_texts(language: str) -> dict[str, object]:
    return dict(leaves(json.loads((CAMPAIGN_LOCALES / f"{language}.json").read_text(encoding="utf-8"))))


@pytest.fixture(scope="module")
def staff(stack: Stack) -> dict[str, str]:
    return accounts_per_language(stack, (("cmp", "campaigns", ""), ("cns", "counsellor", "iasi")))


def test_the_campaign_locales_have_the_same_keys_and_the_script_no_texts() -> None:
    ro, en = campaign_texts("ro"), campaign_texts("en")
    assert set(ro) == set(en)
    assert all(isinstance(v, str) and v.strip() for v in [*ro.values(), *en.values()])
    assert all(placeholders(ro[k]) == placeholders(en[k]) for k in ro)
    assert all(f"values.payload.{payload}" in ro for payload in BUTTON_PAYLOADS)  # buttons' targets as words
    script = (ROOT / "broadcasts" / "static" / "campaigns.js").read_text(encoding="utf-8")
    assert "const RO" not in script and "const EN" not in script and "Campanie nouă" not in script
    page = (ROOT / "broadcasts" / "static" / "campaigns.html").read_text(encoding="utf-8")
    used = set(re.findall(r'data-t="(\w+)"', page)) | set(re.findall(r"words\.(\w+)", script))
    assert sorted(used - {k.removeprefix("page.") for k in ro if k.startswith("page.")}) == []


@pytest.mark.parametrize("language", ["ro", "en"])
@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_the_campaigns_login_page_and_page_speak_the_language(
    stack: Stack, browser: Browser, staff: dict[str, str], language: str, phone: bool
) -> None:
    viewport = PHONE if phone else DESKTOP
    page = browser.new_context(viewport=viewport).new_page()
    page.goto(f"{stack.gateway}/campaigns/login")
    words = json.loads((CAMPAIGN_LOCALES / f"{language}.json").read_text(encoding="utf-8"))
    expect(page.locator("html")).to_have_attribute("lang", "ro")  # Romanian unless asked
    if language != "ro":
        page.get_by_role("link", name=words["meta"]["name"]).click()
        expect(page.locator("html")).to_have_attribute("lang", language)
    page.get_by_label(words["login"]["username"]).fill(staff[f"cmp_{language}"])
    page.get_by_label(words["login"]["password"]).fill("not the password at all")
    page.get_by_role("button", name=words["login"]["submit"]).click()
    expect(page.locator(".error")).to_have_text(text(language, "login.wrong"))
    expect(page.locator("html")).to_have_attribute("lang", language)
    page.get_by_label(words["login"]["username"]).fill(staff[f"cmp_{language}"])
    page.get_by_label(words["login"]["password"]).fill(PASSWORD)
    page.get_by_role("button", name=words["login"]["submit"]).click()
    expect(page.locator("h1")).to_have_text(words["page"]["title"])  # the account's language
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("#new")).to_have_text(words["page"]["new"])
    page.locator("#new").click()
    expect(page.locator("#state")).to_have_text(words["states"]["new"])
    expect(page.locator("#who")).to_contain_text(words["roles"]["campaigns"])
    for group, value in (("country", "it"), ("topic", "alerts"), ("language", "es")):  # filters as words
        expect(page.locator(f'#audience [data-group="{group}"][data-value="{value}"]')).to_have_text(
            words["values"][group][value]
        )
    expect(page.locator("#buttons select")).to_have_count(MAX_BUTTONS)  # as many as a campaign may hold
    option = page.locator('#payload-0 option[value="/request_human"]')
    expect(option).to_have_text(words["values"]["payload"]["/request_human"])
    expect(page.locator("#title-0-es")).to_have_attribute(
        "placeholder", f"{words['page']['button_title']} ({words['values']['language']['es']})"
    )
    shot(page, f"campaigns-{language}-{'phone' if phone else 'desktop'}.png")
    other = "en" if language == "ro" else "ro"
    page.get_by_role("button", name=other.upper(), exact=True).click()
    other_words = json.loads((CAMPAIGN_LOCALES / f"{other}.json").read_text(encoding="utf-8"))
    expect(page.locator("h1")).to_have_text(other_words["page"]["title"])
    expect(page.locator("#save")).to_have_text(other_words["page"]["save"])
    expect(page.locator('#audience [data-group="country"][data-value="it"]')).to_have_text(
        other_words["values"]["country"]["it"]
    )
    expect(option).to_have_text(other_words["values"]["payload"]["/request_human"])
    page.reload()  # the choice is kept on the account
    expect(page.locator("h1")).to_have_text(other_words["page"]["title"])
    expect(page.locator("html")).to_have_attribute("lang", other)
    url = f"{stack.gateway}/campaigns/api/me/language"
    csrf = page.evaluate("me.csrf")
    assert page.request.post(url, data={"language": "xx"}, headers={"x-csrf-token": csrf}).status == 422
    assert page.request.post(url, data={"language": language}).status == 403  # no CSRF token
    page.get_by_role("button", name=language.upper(), exact=True).click()  # back, for the other runs
    expect(page.locator("h1")).to_have_text(words["page"]["title"])
    page.reload()
    expect(page.locator("h1")).to_have_text(words["page"]["title"])
    page.context.close()


@pytest.mark.parametrize("language", ["ro", "en"])
@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_the_knowledge_page_is_romanian_by_default_and_english_by_choice(
    stack: Stack, browser: Browser, staff: dict[str, str], language: str, phone: bool
) -> None:
    page = log_in(browser, stack, staff[f"cns_{language}"], language, phone)
    page.goto(f"{stack.gateway}/inbox/knowledge")
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page).to_have_title(text(language, "knowledge.title"))
    expect(page.locator("h1")).to_have_text(text(language, "knowledge.heading"))
    expect(page.locator("nav")).to_contain_text(text(language, "knowledge.topics.rights"))
    expect(page.locator("th", has_text=text(language, "languages.it")).first).to_be_visible()
    body = page.locator("body").inner_text()
    assert "Knowledge review" not in body
    assert text(language, "knowledge.sources") in body
    assert "800 290 290" in body  # the answers themselves, in the three languages
    page.context.close()
