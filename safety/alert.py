"""The first answer to danger, sent by the gateway itself: the emergency and hotline numbers of the
country the user is in (every country's when it is not known), in their language, from the same
knowledge card the assistant uses (`report_danger` in knowledge/content/trafficking.yml).

Where the user is: the stored country wins; else the country the message says they are in now; a
country named as origin or destination ("sunt din Romania") never counts."""

from __future__ import annotations

from core.languages import other_languages
from core.messages import Button, OutboundMessage
from knowledge.cards import knowledge
from knowledge.countries import located
from knowledge.render import render

SAFETY_CARD = "report_danger"
SAFETY_SIGNAL = {"handoff": "safety", "urgent": True, "topic": SAFETY_CARD}


def hotline_message(
    language: str, country: str | None, text: str = "", foreign: str | None = None
) -> OutboundMessage:
    """The hotline card for `country` (or the country the message says the user is in, or all of them).

    `foreign`: the message was written in a language we do not speak (core/other_languages.yml): its first
    line says in that language that this may be danger, 112, and that a counsellor will write."""
    cards = knowledge()
    rendered = render(cards, cards[SAFETY_CARD], language, country or located(text))
    buttons = tuple(Button(b["title"], b["payload"]) for b in rendered["buttons"])
    body = str(rendered["text"])
    if foreign:
        body = f"{other_languages()[foreign]['danger']}\n\n{body}"
    return OutboundMessage(body, buttons)
