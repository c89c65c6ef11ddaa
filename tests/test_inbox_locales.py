"""The inbox's languages (inbox/locales/): both files have the same keys and {placeholders} and no empty text,
every key the page uses exists, and every internal value the page shows (each intent of the assistant's domain
as a topic, reasons, states, outcomes, countries, channels, languages, roles, timeline events) has a label."""

from __future__ import annotations

import json
import re
import string
from collections.abc import Iterator

import pytest
import yaml

from channels.registry import MESSENGERS
from core.languages import LANGUAGES
from handoff.cases import ERASED, OPEN_STATES, OUTCOMES
from handoff.desk import REASONS
from inbox.accounts import ROLES
from inbox.i18n import DEFAULT, LOCALES, languages, locale, pick, text
from tests.conftest import ROOT

STATIC = ROOT / "inbox" / "static"
LABELLED = ("topics", "reasons", "states", "outcomes", "countries", "channels", "languages", "roles", "events")


def leaves(node: object, prefix: str = "") -> Iterator[tuple[str, object]]:
    """(dotted key, value) of every text in a locale."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from leaves(value, f"{prefix}{key}.")
    else:
        yield prefix.rstrip("."), node


def flat(language: str) -> dict[str, object]:
    return dict(leaves(json.loads((LOCALES / f"{language}.json").read_text(encoding="utf-8"))))


def placeholders(value: object) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(str(value)) if name}


def domain_intents() -> list[str]:
    found = []
    for path in sorted((ROOT / "bot" / "domain").glob("*.yml")):
        for intent in yaml.safe_load(path.read_text(encoding="utf-8")).get("intents") or []:
            found.append(intent if isinstance(intent, str) else next(iter(intent)))
    return found


def keys_the_page_uses() -> set[str]:
    """t("…") and data-i18n…="…" in the page, and every quoted "group.key" of a group the locales have."""
    script = (STATIC / "inbox.js").read_text(encoding="utf-8")
    page = (STATIC / "inbox.html").read_text(encoding="utf-8")
    groups = {key.split(".")[0] for key in flat(DEFAULT)}
    used = set(re.findall(r"""\bt\(\s*["']([\w.]+)["']""", script))
    used |= set(re.findall(r'data-i18n(?:-[a-z-]+)?="([\w.]+)"', page))
    used |= {k for k in re.findall(r'"([a-z_]+\.[a-z_.]+)"', script) if k.split(".")[0] in groups}
    return used


def test_the_inbox_speaks_romanian_by_default_and_english() -> None:
    assert languages() == ("ro", "en")
    assert pick(None) == pick("xx") == "ro" and pick("en") == "en"
    assert text("en", "login.wrong") == "Wrong username or password."
    assert text("ro", "login.wait_account", seconds=8) == (
        "Prea multe parole greșite pentru acest utilizator. Așteptați 8 secunde și încercați din nou."
    )
    assert text("en", "no.such.key") == "no.such.key"
    assert locale("ro")["meta"]["intl"] == "ro-RO" and locale("en")["meta"]["intl"] == "en-GB"


@pytest.mark.parametrize("language", ["en"])
def test_the_locales_have_the_same_keys_placeholders_and_no_empty_text(language: str) -> None:
    ours, theirs = flat(DEFAULT), flat(language)
    assert sorted(set(ours) - set(theirs)) == [], f"missing in {language}.json"
    assert sorted(set(theirs) - set(ours)) == [], f"missing in {DEFAULT}.json"
    for source in (ours, theirs):
        empty = [key for key, value in source.items() if not isinstance(value, str) or not value.strip()]
        assert empty == []
    differ = [key for key in ours if placeholders(ours[key]) != placeholders(theirs[key])]
    assert differ == []


def test_the_check_of_used_keys_sees_the_ways_the_page_names_them() -> None:
    used = keys_the_page_uses()
    assert {"case.show_number", "compose.reply_placeholder", "app.live_title", "app.live", "queue.empty"} <= used
    assert len(used) > 120


@pytest.mark.parametrize("language", ["ro", "en"])
def test_every_key_the_page_uses_is_in_the_locale(language: str) -> None:
    assert sorted(keys_the_page_uses() - set(flat(language))) == []


@pytest.mark.parametrize("language", ["ro", "en"])
def test_every_internal_value_the_page_shows_has_a_word(language: str) -> None:
    texts = flat(language)
    events: set[str] = set()  # the timeline events handoff/ and inbox/ write: add(case, "event", "text" ...)
    for path in [*(ROOT / "handoff").glob("*.py"), *(ROOT / "inbox").glob("*.py")]:
        for call in re.findall(
            r'"event",\s*("[^"]+"(?:\s*if \w+ else "[^"]+")?)', path.read_text(encoding="utf-8")
        ):
            events |= set(re.findall(r'"([^"]+)"', call))
    aliases = {"safety alert: the hotline was sent": "safety_alert"}  # inbox.js EVENT_KEYS
    assert {"opened", "routed", "claimed", "transferred", "closed", "handed_back", "overflow"} <= events
    wanted = {
        "topics": domain_intents(),
        "reasons": REASONS,
        "states": [*OPEN_STATES, "closed"],
        "outcomes": [*OUTCOMES, "handed_back", ERASED],
        "countries": [*yaml.safe_load((ROOT / "knowledge/data/countries.yml").read_text())["countries"], "other"],
        "channels": ["web", *(m.name for m in MESSENGERS)],
        "languages": [*LANGUAGES, *languages()],
        "roles": ROLES,
        "events": [aliases.get(e, e) for e in events],
    }
    assert set(wanted) == set(LABELLED)
    missing = [f"{group}.{value}" for group, values in wanted.items() for value in values]
    assert [key for key in missing if key not in texts] == []
    assert len(wanted["topics"]) > 50 and "report_danger" in wanted["topics"]


def test_the_page_itself_holds_no_text_of_its_own() -> None:
    """Between the tags of inbox.html there is nothing but the keys' elements (no English left behind)."""
    page = (STATIC / "inbox.html").read_text(encoding="utf-8")
    body = re.sub(r"<!--.*?-->", "", page.split("<body", 1)[1], flags=re.S)
    between = [s.strip() for s in re.findall(r">([^<]*)<", body)]
    assert [s for s in between if s and s not in ("—", "knowledge/data/centres.yml", ".")] == []


def test_the_login_page_is_a_template_of_the_locale() -> None:
    page = (STATIC / "login.html").read_text(encoding="utf-8")
    fields = set(re.findall(r"\$(\w+)", page))
    assert {"title", "heading", "username", "password", "submit", "hint"} <= fields
    assert (
        fields - {"lang", "csrf", "error", "languages"} <= set(locale("ro")["login"]) == set(locale("en")["login"])
    )


def test_every_action_of_the_audit_log_has_a_word() -> None:
    """The audit log view says each action in words (`audit.actions.*`): every action the code writes."""
    found: set[str] = {"reply", "template"}  # inbox/service.py `_replied(..., "reply" | "template")`
    for folder in ("inbox", "broadcasts", "gateway"):
        for path in (ROOT / folder).rglob("*.py"):
            source = path.read_text(encoding="utf-8")
            calls = re.findall(
                r'audit\.log(?:_once)?\(\s*(?:[\w.]+|"\w+")(?: or "-")?,\s*("\w+"(?: if \w+ else "\w+")?)', source
            )
            for call in calls:
                found |= set(re.findall(r'"(\w+)"', call))
    assert {"login", "login_failed", "open", "claim", "transfer", "close", "hand_back", "campaign_done"} <= found
    for language in ("ro", "en"):
        texts = flat(language)
        assert sorted(a for a in found if f"audit.actions.{a}" not in texts) == []
