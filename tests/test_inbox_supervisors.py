"""The supervisors' part of a counsellor's day in Chromium, in Romanian (an account that chose nothing) and in
English, on a desktop (1366x850) and a phone (390x844): the overflow list first, above the queue; figures by
period with languages as names; who is on duty, dropping at once when a counsellor's tab closes (and, without
a word from the tab, after FRESH_SECONDS); the audit log, filtered and paged, without phone numbers or message
text, and 403 on its API for counsellors."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import pytest
import redis as redis_sync
from playwright.sync_api import Browser, Page, expect

from inbox.i18n import text
from inbox.presence import FRESH_SECONDS
from tests.conftest import ROOT, SHOTS, Stack, post, wait_until
from tests.test_inbox_page import case_of, choose_language
from tests.test_inbox_security import PASSWORD, add_user

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1366, "height": 850}
PHONE = {"width": 390, "height": 844}
LAYOUTS = [("ro", False), ("en", False), ("ro", True), ("en", True)]
RESULTS = ROOT / "results" / "screenshots"


def shot(page: Page, name: str, docs: str = "", full_page: bool = False) -> None:
    """A screenshot into results/screenshots/, and the one docs/inbox.md shows (`docs`, the Romanian desktop
    or phone) into SHOTS (docs/screenshots/ with REFRESH_DOCS_SCREENSHOTS=1)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(RESULTS / name), full_page=full_page)
    if docs:
        page.screenshot(path=str(SHOTS / docs), full_page=full_page)


def layout_id(value: tuple[str, bool]) -> str:
    return f"{value[0]}-{'phone' if value[1] else 'desktop'}"


def accounts_per_language(stack: Stack, kinds: tuple[tuple[str, str, str], ...]) -> dict[str, str]:
    """One account of each (short name, role, centre) per UI language, "{short}_{language}" -> username; the
    Romanian ones never chose a language (the default)."""
    suffix = uuid.uuid4().hex[:4]
    made = {}
    for language in ("ro", "en"):
        for short, role, centre in kinds:
            username = f"{short}{language}{suffix}"
            assert add_user(stack, username, role, centre).returncode == 0
            if language != "ro":
                assert choose_language(stack, username, language).returncode == 0
            made[f"{short}_{language}"] = username
    return made


@pytest.fixture(scope="module")
def people(stack: Stack) -> dict[str, str]:
    """A supervisor and an Iași counsellor per language."""
    return accounts_per_language(stack, (("sup", "supervisor", ""), ("cou", "counsellor", "iasi")))


def log_in(
    browser: Browser, stack: Stack, username: str, language: str, phone: bool = False, docs_shot: str = ""
) -> Page:
    """A new browser at the size asked, logged in through the login page in `language`."""
    if phone:
        context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    else:
        context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.goto(f"{stack.gateway}/inbox/login?lang={language}")
    page.get_by_label(text(language, "login.username")).fill(username)
    page.get_by_label(text(language, "login.password")).fill(PASSWORD)
    if docs_shot:
        page.screenshot(path=str(SHOTS / docs_shot))
    page.get_by_role("button", name=text(language, "login.submit")).click()
    expect(page.locator("#live")).to_have_text(text(language, "app.live"), timeout=15_000)
    return page


def words(language: str) -> Callable[..., str]:
    return lambda key, **params: text(language, key, **params)


@pytest.fixture(scope="module")
def overflowed(stack: Stack, redis_client: redis_sync.Redis) -> str:
    """A case nobody claimed in time (moved to the overflow as the worker does after HANDOFF_OVERFLOW_MINUTES)."""
    sender = f"web-{uuid.uuid4().hex[:10]}"
    post(stack, sender, "vreau să vorbesc cu un om")
    post(stack, sender, "sunt din Iași, sunați-mă la 0722 123 456")
    case_id = case_of(redis_client, sender)
    assert case_id
    redis_client.hset(f"hd:case:{case_id}", "overflow", "1")
    redis_client.zadd("hd:cases:overflow", {case_id: time.time() - 3600})
    return case_id


def on_duty(page: Page) -> str:
    return page.locator("#on-duty").inner_text()


@pytest.mark.parametrize("layout", LAYOUTS, ids=layout_id)
def test_overflow_first_figures_by_period_and_who_is_on_duty(
    stack: Stack, browser: Browser, people: dict[str, str], overflowed: str, layout: tuple[str, bool]
) -> None:
    language, phone = layout
    w = words(language)
    login_shot = "inbox-ro-login.png" if layout == ("ro", False) else ""
    sup = log_in(browser, stack, people[f"sup_{language}"], language, phone, docs_shot=login_shot)

    # (a) The overflow first: above the queue's tabs and cards, with its count.
    box = sup.locator("#overflow-box")
    expect(box).to_be_visible()
    expect(box.locator("h3")).to_contain_text(w("queue.overflow"))
    expect(box.locator(f'.item[data-case="{overflowed}"]')).to_be_visible()
    expect(box.locator("#overflow-count")).to_be_visible()
    queue = f"{stack.gateway}/inbox/api/queue"  # the centre filter narrows the overflow too (the case is Iași's)
    assert overflowed in [c["id"] for c in sup.request.get(f"{queue}?centre=iasi").json()["overflow"]]
    assert overflowed not in [c["id"] for c in sup.request.get(f"{queue}?centre=bacau").json()["overflow"]]
    top = box.bounding_box()
    for below in ("#queue-tabs", "#queue"):
        other = sup.locator(below).bounding_box()
        assert top and other and top["y"] + top["height"] <= other["y"], f"the overflow is not above {below}"
    expect(box).not_to_contain_text("722")  # the number in the person's message is not on the card
    kind = "phone" if phone else "desktop"
    docs = "inbox-ro-overflow.png" if layout == ("ro", False) else ""
    shot(sup, f"inbox-supervisor-overflow-{language}-{kind}.png", docs)

    # (b) Figures by period; languages by their names in the page's language, never a code.
    counsellor = log_in(browser, stack, people[f"cou_{language}"], language)
    sup.get_by_role("button", name=w("tabs.figures")).click()
    expect(sup.locator("#figures-shown")).to_have_text(w("figures.shown", period=w("figures.periods.30")))
    for period in ("today", "7", "90", "30"):
        sup.locator("#figures-period").select_option(period)
        expect(sup.locator("#figures-shown")).to_have_text(
            w("figures.shown", period=w(f"figures.periods.{period}"))
        )
    by_language = sup.locator("section", has=sup.get_by_role("heading", name=w("figures.by_language")))
    expect(by_language.locator("tbody th").first).to_be_visible()
    names = by_language.locator("tbody th").all_inner_texts()
    assert w("languages.ro") in names
    assert not {"ro", "it", "es", "en", "RO"} & set(names)

    # (c) On duty: the counsellor with the inbox open; closing the tab drops them at once (sendBeacon).
    sup.locator("#figures-period").select_option("7")
    wait_until(lambda: people[f"cou_{language}"] in _reload(sup), 10, "the counsellor is not on duty")
    shot(sup, f"inbox-figures-{language}-{kind}.png", "inbox-ro-figures.png" if layout == ("ro", False) else "")
    counsellor.close(run_before_unload=True)  # as a person closes the tab: pagehide, the beacon
    started = time.monotonic()
    wait_until(lambda: people[f"cou_{language}"] not in _reload(sup), 10, "still on duty after the tab closed")
    assert time.monotonic() - started < 10
    counsellor.context.close()
    sup.context.close()


def _reload(page: Page) -> str:
    """The figures again (as the period select does), then who is on duty."""
    page.locator("#figures-period").dispatch_event("change")
    page.wait_for_timeout(300)
    return on_duty(page)


def test_on_duty_drops_within_the_heartbeat_when_a_tab_says_nothing(
    stack: Stack, browser: Browser, people: dict[str, str], redis_client: redis_sync.Redis
) -> None:
    """A tab that dies without its beacon (a crash, a lost network): off duty once its last listen is older than
    FRESH_SECONDS (30 s, within a minute); the event stream listens every two seconds or so while open."""
    assert FRESH_SECONDS <= 60
    counsellor = log_in(browser, stack, people["cou_ro"], "ro")
    score = lambda: redis_client.zscore("hd:inbox:online", people["cou_ro"])  # noqa: E731
    wait_until(lambda: (score() or 0) > time.time() - 5, 10, "the open page does not listen")
    counsellor.context.set_offline(True)  # no beacon can leave now
    counsellor.context.close()
    redis_client.zadd("hd:inbox:online", {people["cou_ro"]: time.time() - FRESH_SECONDS - 1})  # 31 s later
    sup = log_in(browser, stack, people["sup_ro"], "ro")
    sup.get_by_role("button", name=text("ro", "tabs.figures")).click()
    expect(sup.locator("#on-duty")).not_to_contain_text(people["cou_ro"])
    sup.context.close()


@pytest.mark.parametrize("layout", LAYOUTS, ids=layout_id)
def test_the_audit_log_view(
    stack: Stack,
    browser: Browser,
    people: dict[str, str],
    redis_client: redis_sync.Redis,
    overflowed: str,
    layout: tuple[str, bool],
) -> None:
    language, phone = layout
    w = words(language)
    # A page's worth of entries on one case and a failed login with a phone number as the name.
    paged = uuid.uuid4().hex[:12]
    for n in range(57):
        fields = {"at": str(int(time.time()) - 57 + n), "actor": people["cou_en"], "action": "open", "case": paged}
        redis_client.xadd("hd:inbox:audit", {**fields, "detail": "", "address": "127.0.0.1"})
    redis_client.xadd(
        "hd:inbox:audit",
        {"at": str(int(time.time())), "actor": "+40722999888", "action": "login_failed", "case": "", "detail": ""},
    )
    counsellor = log_in(browser, stack, people[f"cou_{language}"], language, phone)
    expect(counsellor.get_by_role("button", name=w("tabs.audit"))).to_be_hidden()
    assert counsellor.request.get(f"{stack.gateway}/inbox/api/audit").status == 403
    # The counsellor claims the overflowed case and writes to the person: entries without the text.
    csrf = counsellor.evaluate("fetch('/inbox/api/me').then((r) => r.json()).then((me) => me.csrf)")
    headers = {"X-CSRF-Token": csrf}
    api = f"{stack.gateway}/inbox/api/cases/{overflowed}"
    counsellor.request.post(f"{api}/claim", headers=headers, data={})
    secret = f"mesaj secret {uuid.uuid4().hex[:6]}"
    assert counsellor.request.post(f"{api}/note", headers=headers, data={"text": secret}).ok
    counsellor.context.close()

    sup = log_in(browser, stack, people[f"sup_{language}"], language, phone)
    sup.get_by_role("button", name=w("tabs.audit")).click()
    table = sup.locator("#audit tbody")
    expect(table.locator("tr").first).to_be_visible()
    expect(sup.locator("#view-audit")).not_to_contain_text(secret)
    # the number's own digits: "722" alone was found in a generated account name ("ana8722") once
    expect(sup.locator("#view-audit")).not_to_contain_text("722999888")
    expect(table.locator('tr[data-action="login_failed"]').first).to_contain_text(w("audit.actions.login_failed"))
    expect(table).to_contain_text(w("audit.actions.note"))

    # Filter by action and account: only the counsellor's notes, the case as a link.
    sup.locator("#audit-action").select_option("note")
    sup.locator("#audit-actor").select_option(people[f"cou_{language}"])
    sup.get_by_role("button", name=w("audit.filter")).click()
    expect(table.locator('tr:not([data-action="note"])')).to_have_count(0)
    rows = table.locator("tr")
    expect(rows.first).to_contain_text(w("audit.actions.note"))
    assert set(rows.locator("td:nth-child(2)").all_inner_texts()) == {people[f"cou_{language}"]}
    expect(rows.first.locator("a.audit-case")).to_have_text(overflowed)
    kind = "phone" if phone else "desktop"
    docs = "inbox-ro-audit.png" if layout == ("ro", False) else ""
    shot(sup, f"inbox-audit-{language}-{kind}.png", docs, full_page=True)

    # By case, paged: 50, then the 7 older, then back to the newest.
    sup.get_by_role("button", name=w("audit.reset")).click()
    sup.locator("#audit-case").fill(paged)
    sup.get_by_role("button", name=w("audit.filter")).click()
    expect(table.locator("tr")).to_have_count(50)
    expect(sup.locator("#audit-page")).to_have_text(w("audit.page", page=1))
    sup.get_by_role("button", name=w("audit.older")).click()
    expect(table.locator("tr")).to_have_count(7)
    expect(sup.get_by_role("button", name=w("audit.older"))).to_be_disabled()
    sup.get_by_role("button", name=w("audit.newest")).click()
    expect(table.locator("tr")).to_have_count(50)
    times = table.locator("time").evaluate_all("ts => ts.map((t) => Date.parse(t.dateTime))")
    assert times == sorted(times, reverse=True)

    # A case link opens the case in the queue view.
    sup.locator("#audit-case").fill(overflowed)
    sup.get_by_role("button", name=w("audit.filter")).click()
    expect(table.locator("a.audit-case").first).to_have_text(overflowed)
    sup.locator("a.audit-case").first.click()
    expect(sup.locator("#case-pane")).to_have_attribute("data-case", overflowed)
    expect(sup.locator("#view-queue")).to_be_visible()
    sup.context.close()
