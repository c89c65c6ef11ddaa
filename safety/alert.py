"""The first answer to danger, sent by the gateway itself: the emergency and hotline numbers of the
country the user is in (every country's when it is not known), in their language, from the same
knowledge card the assistant uses (`report_danger` in knowledge/content/trafficking.yml).

Where the user is: the stored country wins; else the country the message says they are in now; a
country named as origin or destination ("sunt din Romania") never counts."""

from __future__ import annotations

from core.messages import Button, OutboundMessage
from knowledge.cards import knowledge
from knowledge.countries import located
from knowledge.render import render

SAFETY_CARD = "report_danger"
SAFETY_SIGNAL = {"handoff": "safety", "urgent": True, "topic": SAFETY_CARD}


def hotline_message(language: str, country: str | None, text: str = "") -> OutboundMessage:
    """The hotline card for `country` (or the country the message says the user is in, or all of them)."""
    cards = knowledge()
    rendered = render(cards, cards[SAFETY_CARD], language, country or located(text))
    buttons = tuple(Button(b["title"], b["payload"]) for b in rendered["buttons"])
    return OutboundMessage(str(rendered["text"]), buttons)
