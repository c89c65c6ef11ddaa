"""What the handoff tells the user: the question where they are from, who will answer and when, that a
counsellor has finished, and that their data is erased. The texts are in core/locales/ (`handoff.*`)."""

from __future__ import annotations

from datetime import datetime

from core.locales import text as locale_text
from core.messages import Button, OutboundMessage
from knowledge.centres import Centre, next_opening_words

ORIGIN_OTHER = "/origin_other"


def text(kind: str, language: str) -> str:
    """A handoff text of a kind in a language."""
    return locale_text(f"handoff.{kind}", language)


def ask_origin(language: str) -> OutboundMessage:
    """The question where the person is from, with a button for "somewhere else"."""
    button = Button(locale_text("button.origin_other", language), ORIGIN_OTHER)
    return OutboundMessage(text("ask_origin", language), (button,))


def when(centre: Centre, at: datetime, language: str) -> str:
    """When a counsellor of the centre answers: soon if open now, else the next opening in the centre's time."""
    opening = None if centre.is_open(at) else next_opening_words(centre, at, language)
    if opening is None:
        return text("when_open", language)
    day, time = opening
    return text("when_later", language).format(day=day, time=time)


def who_answers(centre: Centre, at: datetime, language: str, urgent: bool) -> list[OutboundMessage]:
    """Who will answer (the centre) and when, plus the urgent notice for urgent cases."""
    out = [OutboundMessage(text("who", language).format(centre=centre.name, when=when(centre, at, language)))]
    if urgent:
        out.append(OutboundMessage(text("urgent", language)))
    return out
