"""Turns a card into the message a user sees: the text in their language, the official sources, the date
the facts were checked, and buttons for the next cards, a counsellor and the menu.

The same function serves the action server (answers) and the gateway (the safety triage's hotline card),
so a card reads the same wherever it is sent from. Messages are plain dicts in Rasa's shape:
{"text": ..., "buttons": [{"title": ..., "payload": ...}]}.
"""

from __future__ import annotations

import json

from knowledge.cards import Card, Knowledge

MAX_MORE_BUTTONS = 3

LABELS: dict[str, dict[str, str]] = {
    "source": {"ro": "Sursa", "it": "Fonte", "es": "Fuente"},
    "sources": {"ro": "Surse", "it": "Fonti", "es": "Fuentes"},
    "checked": {
        "ro": "Verificat la {date}. Regulile se pot schimba: verifică sursa.",
        "it": "Verificato il {date}. Le regole possono cambiare: controlla la fonte.",
        "es": "Comprobado el {date}. Las normas pueden cambiar: consulta la fuente.",
    },
    "human": {"ro": "Vorbește cu un om", "it": "Parla con qualcuno", "es": "Hablar con alguien"},
    "menu": {"ro": "Meniu", "it": "Menu", "es": "Menú"},
}

COUNTRY_NAMES: dict[str, dict[str, str]] = {
    "it": {"ro": "Italia", "it": "Italia", "es": "Italia"},
    "es": {"ro": "Spania", "it": "Spagna", "es": "España"},
    "ro": {"ro": "România", "it": "Romania", "es": "Rumanía"},
    "md": {"ro": "Moldova", "it": "Moldavia", "es": "Moldavia"},
    "other": {"ro": "Altă țară", "it": "Altro paese", "es": "Otro país"},
}


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
    label = LABELS["sources" if len(variant.sources) > 1 else "source"][language]
    checked = LABELS["checked"][language].format(date=card.checked.isoformat())
    return f"{variant.text[language]}\n\n{label}: {' '.join(variant.sources)}\n{checked}"


def render(knowledge: Knowledge, card: Card, language: str, country: str | None) -> dict[str, object]:
    """The message for one card: its text and buttons (next cards, a counsellor, the menu)."""
    variant = card.variant(country)
    buttons = [button(knowledge[m].title[language], more_payload(m)) for m in variant.more[:MAX_MORE_BUTTONS]]
    buttons.append(button(LABELS["human"][language], "/request_human"))
    buttons.append(button(LABELS["menu"][language], "/menu"))
    return {"text": card_text(card, language, country), "buttons": buttons}


def country_question(language: str) -> dict[str, object]:
    """The question "where are you now?" with one button per country."""
    text = {
        "ro": "Răspunsul depinde de țară. Unde ești acum?",
        "it": "La risposta dipende dal paese. Dove ti trovi adesso?",
        "es": "La respuesta depende del país. ¿Dónde estás ahora?",
    }[language]
    return {
        "text": text,
        "buttons": [button(names[language], country_payload(code)) for code, names in COUNTRY_NAMES.items()],
    }
