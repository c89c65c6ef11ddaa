"""The inbox in Romanian and English, in a real headless Chromium against the real stack: a counsellor whose
account chose nothing works in Romanian (login page, labels, errors, dates), sees a case from a real web chat
with its topic, country, centre, channel and language as words (never `return_no_money`, `it`, `suceava`, `/greet`)
and colleagues by their names, switches to English (kept on the account: a reload stays English) and back.
Screenshots of the Romanian queue and case view go to results/screenshots/ (docs/ only when refreshed on purpose).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest
import redis as redis_sync
from playwright.sync_api import Browser, Page, expect

from inbox.i18n import LOCALES
from inbox.i18n import text as t
from tests.conftest import ROOT, SHOTS, Stack, post, wait_until
from tests.test_inbox_page import case_of, open_inbox
from tests.test_inbox_security import PASSWORD

pytestmark = pytest.mark.browser

# Labels of the English inbox a Romanian page must not show (whole words, case-sensitive).
ENGLISH = [
    "Queue", "Claim", "Transfer", "Close case", "Log out", "Waiting and open cases", "Person", "Language",
    "Channel", "Country now", "Opened", "State", "Hand back to the bot", "Send", "Labels",
    "Reply to the person", "Private note", "waiting", "claimed by", "asked for a person",
    "topic needs a counsellor",
    "Romanian", "Italy", "Canned replies", "Save labels", "You have this case", "Nobody has claimed",
    "Going home without money", "live", "offline", "Bot", "started the conversation",
]  # fmt: skip
# Internal values that must appear only as words.
RAW = ["return_no_money", "counsellor_topic", "user_request", "suceava", "/greet", "/set_country", "waiting"]


def leaves(node: object, prefix: str = "") -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from leaves(value, f"{prefix}{key}.")
    else:
        yield prefix.rstrip(".")


KEYS = sorted(leaves(json.loads((LOCALES / "ro.json").read_text(encoding="utf-8"))))


def add_account(stack: Stack, username: str, name: str) -> None:
    """A Suceava counsellor made by the command line without a language: the inbox is Romanian for them."""
    argv = [sys.executable, "-m", "inbox", "users", "add", username, "--role", "counsellor", "--centre", "suceava"]
    env = {**os.environ, "REDIS_URL": stack.settings.redis_url}
    done = subprocess.run(
        [*argv, "--name", name, "--password-stdin"],
        input=PASSWORD + "\n",
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


# Every text of the page, shown or hidden, with its attributes people read, except what the person and the bot
# wrote (their own words, in any language).
OUR_TEXT = """() => {
  const parts = [document.title];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.parentElement.closest("#timeline .msg p")) parts.push(node.data);
  }
  for (const node of document.querySelectorAll("[placeholder], [title], [aria-label]")) {
    for (const name of ["placeholder", "title", "aria-label"]) parts.push(node.getAttribute(name) || "");
  }
  return parts.join("\\n");
}"""


def assert_romanian(page: Page, raw: tuple[str, ...] = tuple(RAW)) -> None:
    shown = page.evaluate(OUR_TEXT)
    found = [w for w in [*ENGLISH, *raw] if re.search(rf"(?<![\w/]){re.escape(w)}(?![\w])", shown)]
    where = [shown[max(0, shown.find(w) - 80) : shown.find(w) + 80] for w in found]
    assert found == [], f"English or raw values on the Romanian page: {found} in {where}"
    keys = [k for k in KEYS if re.search(rf"(?<![\w.]){re.escape(k)}(?![\w])", shown)]
    assert keys == [], f"locale keys shown raw: {keys}"
    assert page.evaluate("document.documentElement.lang") == "ro"


@pytest.fixture(scope="module")
def counsellors(stack: Stack) -> dict[str, str]:
    suffix = uuid.uuid4().hex[:4]
    made = {"maria": (f"maria{suffix}", "Maria Ionescu"), "vasile": (f"vasile{suffix}", "Vasile Rusu")}
    for username, name in made.values():
        add_account(stack, username, name)
    return {short: username for short, (username, _) in made.items()}


def test_a_romanian_counsellor_sees_words_and_can_switch_to_english_and_back(
    stack: Stack, browser: Browser, counsellors: dict[str, str], redis_client: redis_sync.Redis
) -> None:
    # A person starts the chat, says they are in Italy, asks about going home without money, is from Suceava.
    sender = f"web-{uuid.uuid4().hex[:10]}"
    post(stack, sender, "/greet")
    post(stack, sender, '/set_country{"country": "it"}')
    post(stack, sender, "/return_no_money")
    post(stack, sender, "sunt din Suceava")
    case_id = case_of(redis_client, sender)
    assert case_id, "no case opened"
    assert redis_client.hget(f"hd:case:{case_id}", "centre") == b"suceava"
    assert redis_client.hget(f"hd:case:{case_id}", "topic") == b"return_no_money"

    # The login page is Romanian by default; so is the inbox of an account that chose nothing.
    maria = open_inbox(browser, stack, counsellors["maria"], login_in="ro", account_in="ro")
    assert redis_client.hget(f"hd:inbox:user:{counsellors['maria']}", "language") == b"ro"
    expect(maria.locator("#who")).to_have_text("Maria Ionescu · consilier · Suceava")
    item = maria.locator(f'.item[data-case="{case_id}"]')
    expect(item).to_be_visible(timeout=15_000)
    expect(item).to_contain_text("subiectul cere un consilier")
    expect(item).to_contain_text("Suceava · Întoarcere acasă fără bani")
    expect(item).to_contain_text("română")
    expect(item).to_contain_text("Chat web")
    expect(item).to_contain_text("așteaptă de")
    expect(maria.get_by_role("button", name="RO", exact=True)).to_have_attribute("aria-pressed", "true")
    assert_romanian(maria)
    maria.screenshot(path=str(SHOTS / "inbox-ro-queue.png"))

    # The case: topic, country, centre, language and channel in words; the person's buttons as words.
    item.locator("a").click()
    facts = maria.locator("#case-facts")
    expect(facts).to_contain_text("Întoarcere acasă fără bani")
    expect(facts).to_contain_text("Italia")
    expect(facts).to_contain_text("Suceava")
    expect(facts).to_contain_text("română")
    expect(facts).to_contain_text("în așteptare")
    expect(maria.locator("#owner")).to_have_text("Nimeni nu a preluat încă acest caz.")
    timeline = maria.locator("#timeline")
    expect(timeline.locator(".msg.user").first).to_contain_text("(a pornit conversația)")
    expect(timeline).to_contain_text("(a ales: Întoarcere acasă fără bani)")
    expect(timeline).to_contain_text("sunt din Suceava")
    opened = facts.locator("dt", has_text="Deschis").locator("xpath=following-sibling::dd[1]")
    expect(opened).to_have_text(re.compile(r"^(lun|mar|mie|joi|vin|sâm|dum)\.?, \d{1,2} \w+\.?,? \d\d:\d\d$"))
    maria.get_by_role("button", name="Preiau", exact=True).click()
    expect(maria.locator("#toast")).to_have_text("Preluat: cazul este al dumneavoastră.")
    expect(maria.locator("#owner")).to_have_text("Cazul este al dumneavoastră.")
    expect(timeline.locator(".event").last).to_have_text(re.compile(r"^preluat de Maria Ionescu"))
    assert_romanian(maria)
    maria.screenshot(path=str(SHOTS / "inbox-ro-case.png"))

    # A colleague sees Maria by her name, and the server's refusal in Romanian.
    vasile = open_inbox(browser, stack, counsellors["vasile"], login_in="ro", account_in="ro")
    vasile.goto(f"{stack.gateway}/inbox#case/{case_id}")
    expect(vasile.locator("#owner")).to_have_text("Preluat de Maria Ionescu.")
    vasile.locator("#claim").click()
    expect(vasile.locator("#toast")).to_have_text("preluat de Maria Ionescu")
    assert_romanian(vasile)
    vasile.context.close()

    # Maria switches to English: the page at once, the account keeps it (a reload stays English).
    maria.get_by_role("button", name="EN", exact=True).click()
    expect(maria.locator("#toast")).to_have_text(t("en", "app.language_saved"))
    expect(maria.locator("#case-facts")).to_contain_text("Going home without money")
    expect(maria.locator("#case-facts")).to_contain_text("Italy")
    expect(maria.locator("#case-facts")).to_contain_text("Romanian")
    expect(maria.locator("#timeline")).to_contain_text("(started the conversation)")
    expect(maria.locator(".tab[data-view=queue]")).to_have_text("Queue")
    expect(maria.locator("#text")).to_have_attribute("placeholder", t("en", "compose.reply_placeholder"))
    assert maria.evaluate("document.documentElement.lang") == "en"
    wait_until(
        lambda: redis_client.hget(f"hd:inbox:user:{counsellors['maria']}", "language") == b"en", 5, "not stored"
    )
    maria.reload()
    expect(maria.locator("#case-title")).to_have_text("topic needs a counsellor", timeout=15_000)
    expect(maria.locator("#owner")).to_have_text("You have this case.")
    opened = maria.locator("#case-facts dt", has_text="Opened").locator("xpath=following-sibling::dd[1]")
    expect(opened).to_have_text(re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} \w{3},? \d\d:\d\d$"))

    # And back to Romanian; logging out shows the login page in the language last chosen.
    maria.get_by_role("button", name="RO", exact=True).click()
    expect(maria.locator("#case-title")).to_have_text("subiectul cere un consilier")
    expect(maria.locator(".tab[data-view=queue]")).to_have_text("Coadă")
    assert_romanian(maria)
    maria.get_by_role("button", name="Ieșire").click()
    expect(maria.get_by_role("button", name="Intră")).to_be_visible()
    expect(maria.get_by_label("Parolă")).to_be_visible()
    maria.context.close()


def test_the_login_page_speaks_the_language_asked_and_errors_in_it(stack: Stack, browser: Browser) -> None:
    page = browser.new_context().new_page()
    page.goto(f"{stack.gateway}/inbox/login")
    expect(page).to_have_title(t("ro", "login.title"))
    page.get_by_label("Utilizator", exact=True).fill("nimeni")
    page.get_by_label("Parolă").fill("parola-gresita")
    page.get_by_role("button", name="Intră").click()
    expect(page.locator(".error")).to_have_text(t("ro", "login.wrong"))
    page.get_by_role("link", name="English").click()
    expect(page).to_have_title(t("en", "login.title"))
    page.get_by_label("Username").fill("nobody")
    page.get_by_label("Password").fill("wrong-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".error")).to_have_text(t("en", "login.wrong"))
    page.context.close()


def add_staff(stack: Stack, username: str, role: str) -> None:
    argv = [sys.executable, "-m", "inbox", "users", "add", username, "--role", role, "--password-stdin"]
    env = {**os.environ, "REDIS_URL": stack.settings.redis_url}
    done = subprocess.run(
        argv, input=PASSWORD + "\n", env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


def test_figures_and_accounts_in_romanian_and_the_language_api(
    stack: Stack, browser: Browser, counsellors: dict[str, str], redis_client: redis_sync.Redis
) -> None:
    suffix = uuid.uuid4().hex[:4]
    sup, admin = f"sup{suffix}", f"adm{suffix}"
    add_staff(stack, sup, "supervisor")
    add_staff(stack, admin, "admin")
    sender = f"web-{uuid.uuid4().hex[:10]}"
    post(stack, sender, '/set_country{"country": "it"}')
    post(stack, sender, "/return_no_money")
    post(stack, sender, "sunt din Suceava")
    assert case_of(redis_client, sender)

    # A supervisor's figures: topics, languages and centres as words, in Romanian.
    page = open_inbox(browser, stack, sup, login_in="ro", account_in="ro")
    page.get_by_role("button", name="Cifre").click()
    figures = page.locator("#figures")
    expect(figures.locator("section", has_text="Pe subiect sau motiv")).to_contain_text(
        "Întoarcere acasă fără bani"
    )
    expect(figures.locator("section", has_text="Pe limbi")).to_contain_text("română")
    expect(figures.locator("section", has_text="Pe centre")).to_contain_text("Suceava")
    expect(page.locator("#on-duty")).to_contain_text("toate centrele")  # the supervisor is on duty for all
    assert_romanian(page)

    # The language API: only the languages there are, only with the CSRF token; the answer's code for the page.
    csrf = page.evaluate("fetch('/inbox/api/me').then((r) => r.json()).then((me) => me.csrf)")
    refused = page.request.post(
        f"{stack.gateway}/inbox/api/me/language", data={"language": "xx"}, headers={"X-CSRF-Token": csrf}
    )
    assert refused.status == 422 and refused.json()["code"] == "bad_language"
    assert page.request.post(f"{stack.gateway}/inbox/api/me/language", data={"language": "en"}).status == 403
    assert redis_client.hget(f"hd:inbox:user:{sup}", "language") == b"ro"
    page.context.close()

    # An admin's accounts view in Romanian; a new account made there in English.
    page = browser.new_context().new_page()  # an admin's page has no live queue: no "conectat" to wait for
    page.goto(f"{stack.gateway}/inbox/login")
    page.get_by_label("Utilizator", exact=True).fill(admin)
    page.get_by_label("Parolă", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Intră").click()
    expect(page.locator(".tab[data-view=accounts]")).to_have_text("Conturi")
    users = page.locator("#users")
    expect(users.locator("tr", has_text=counsellors["maria"])).to_contain_text("consilier")
    expect(users.locator("tr", has_text=counsellors["maria"])).to_contain_text("Suceava")
    expect(page.locator("#centres")).to_contain_text("Iași (iasi, implicit)")
    assert_romanian(page, tuple(r for r in RAW if r != "suceava"))  # admins see the ids they type in the CLI
    newcomer = f"nou{suffix}"
    page.get_by_label("Utilizator", exact=True).fill(newcomer)
    page.get_by_label("Rol", exact=True).select_option("counsellor")
    page.locator("#nu-centre").select_option("iasi")
    page.locator("#nu-language").select_option("en")
    page.get_by_label("Parolă (cel puțin 10 caractere)").fill("scurtă")
    page.get_by_role("button", name="Creează").click()  # the browser refuses a short password itself
    page.get_by_label("Parolă (cel puțin 10 caractere)").fill(PASSWORD)
    page.get_by_role("button", name="Creează").click()
    expect(page.locator("#toast")).to_have_text("Cont creat.")
    expect(users.locator("tr", has_text=newcomer)).to_contain_text("engleză")
    assert redis_client.hget(f"hd:inbox:user:{newcomer}", "language") == b"en"
    page.get_by_label("Utilizator", exact=True).fill(newcomer)
    page.get_by_label("Rol", exact=True).select_option("counsellor")
    page.locator("#nu-centre").select_option("iasi")
    page.get_by_label("Parolă (cel puțin 10 caractere)").fill(PASSWORD)
    page.get_by_role("button", name="Creează").click()
    expect(page.locator("#toast")).to_have_text(f"Contul {newcomer} există deja.")
    page.context.close()
