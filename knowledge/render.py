"""Turns a card into the message a user sees: the text in their language, the official sources, the date
the facts were checked, and buttons for the next cards, a counsellor and the menu.

The same function serves the action server (answers) and the gateway (the safety triage's hotline card),
so a card reads the same wherever it is sent from. Messages are plain dicts in Rasa's shape:
{"text": ..., "buttons": [{"title": ..., "payload": ...}]}.
"""

from __future__ import annotations

import json

from core.locales import text
from knowledge.cards import COUNTRIES, Card, Knowledge

MAX_MORE_BUTTONS = 3
# A message shows the first sources of a variant (list the page that states the main fact first); the
# review page shows them all. On a phone, a dozen links would bury the answer.
MAX_SOURCES_SHOWN = 2

COUNTRY_CODES = COUNTRIES  # the country buttons, in this order


def button(title: str, payload: str) -> dict[str, str]:
    """A quick-reply button in Rasa's shape."""
    return {"title": title, "payload": payload}


def more_payload(card_id: str) -> str:
    """The payload of a button that opens a card."""
    return "/more" + json.dumps({"answer": card_id}, separators=(",", ":"))


def country_payload(country: str) -> str:
    """The payload of a button that says which country the user is in."""
    return "/set_country" + json.dumps({"country": country}, separators=(",", ":"))


def card_text(card: Card, language: str, country: str | None) -> str:
    """The card's full text in a language: answer, sources and check date."""
    variant = card.variant(country)
    shown = variant.sources[:MAX_SOURCES_SHOWN]
    label = text("card.sources" if len(shown) > 1 else "card.source", language)
    more = len(variant.sources) - len(shown)
    extra = " " + text("card.more_sources", language, count=more) if more else ""
    checked = text("card.checked", language, date=card.checked.isoformat())
    return f"{variant.text[language]}\n\n{label}: {' '.join(shown)}{extra}\n{checked}"


def render(knowledge: Knowledge, card: Card, language: str, country: str | None) -> dict[str, object]:
    """The message for one card: its text and buttons (next cards, a counsellor, the menu)."""
    variant = card.variant(country)
    buttons = [button(knowledge[m].title[language], more_payload(m)) for m in variant.more[:MAX_MORE_BUTTONS]]
    buttons.append(button(text("button.human", language), "/request_human"))
    buttons.append(button(text("button.menu", language), "/menu"))
    return {"text": card_text(card, language, country), "buttons": buttons}


def country_name(country: str, language: str) -> str:
    """A country's name in a language ("Spania", "Spagna", "España"; "other" is "another country")."""
    return text(f"country_name.{country}", language)


def country_question(language: str) -> dict[str, object]:
    """The question "where are you now?" with one button per country."""
    return {
        "text": text("country.question", language),
        "buttons": [button(country_name(code, language), country_payload(code)) for code in COUNTRY_CODES],
    }
