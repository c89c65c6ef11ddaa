"""What the handoff tells the user: the question where they are from, who will answer and when (with the on-call
rule for urgent cases out of hours), who took the case or where it moved, who wrote a counsellor's message,
the counsellor offered again after a close, that a counsellor has finished, and that their data is erased.
The texts are in core/locales/ (`handoff.*`)."""

from __future__ import annotations

from datetime import datetime

from core.locales import text as locale_text
from core.messages import Author, Button, OutboundMessage
from knowledge.centres import Centre, next_opening_words
from safety.alert import hotline_message

ORIGIN_OTHER = "/origin_other"
REQUEST_HUMAN = "/request_human"


def text(kind: str, language: str) -> str:
    """A handoff text of a kind in a language."""
    return locale_text(f"handoff.{kind}", language)


def ask_origin(language: str) -> OutboundMessage:
    """The question where the person is from, with a button for "somewhere else"."""
    button = Button(locale_text("button.origin_other", language), ORIGIN_OTHER)
    return OutboundMessage(text("ask_origin", language), (button,))


def when(centre: Centre, at: datetime, language: str) -> str:
    """When a counsellor of the centre answers: soon if open now, else the next opening in the centre's time."""
    if centre.is_open(at):
        return text("when_open", language)
    opening = next_opening_words(centre, at, language)
    if opening is None:
        return text("when_no_hours", language)
    day, time = opening
    return text("when_later", language).format(day=day, time=time)


def hotline(language: str, country: str | None) -> str:
    """The numbers to call in danger where the person is: the phone lines of the safety triage's hotline card
    (safety/alert.py), without its introduction and sources."""
    lines = hotline_message(language, country).text.splitlines()
    return "\n".join(line for line in lines if line.startswith(("📞", "•")))


def urgent_notice(
    centre: Centre, at: datetime, language: str, *, on_call: bool = False, country: str | None = None
) -> OutboundMessage:
    """What happens now with an urgent case, with the hotline of where the person is: the centre is open, the
    counsellors on duty are alerted; closed with someone on call, that person is alerted; closed with nobody
    on call, when the centre opens. One message, never "alerted" and "tomorrow at 09:00" together."""
    numbers = hotline(language, country)
    if centre.is_open(at):
        return OutboundMessage(text("urgent_open", language).format(hotline=numbers))
    kind = "urgent_on_call" if on_call else "urgent_unattended"
    return OutboundMessage(
        text(kind, language).format(centre=centre.name, when=when(centre, at, language), hotline=numbers)
    )


def who_answers(
    centre: Centre, at: datetime, language: str, urgent: bool, *, on_call: bool = False, country: str | None = None
) -> list[OutboundMessage]:
    """Who will answer (the centre) and when; an urgent case also hears what happens now (`urgent_notice`),
    which, while the centre is closed, says who answers itself."""
    notice = [urgent_notice(centre, at, language, on_call=on_call, country=country)] if urgent else []
    if urgent and not centre.is_open(at):
        return notice
    who = text("who", language).format(centre=centre.name, when=when(centre, at, language))
    return [OutboundMessage(who), *notice]


def claimed(name: str, centre: Centre, language: str) -> OutboundMessage:
    """A counsellor took the case: "Maria de la centrul Iași a preluat conversația"."""
    return OutboundMessage(text("claimed", language).format(name=name, centre=centre.name))


def transferred(centre: Centre, at: datetime, language: str) -> OutboundMessage:
    """The case moved to another centre, whose counsellors answer when it is open."""
    return OutboundMessage(
        text("transferred", language).format(centre=centre.name, when=when(centre, at, language))
    )


def from_counsellor(body: str, name: str, centre: Centre, language: str, *, introduce: bool) -> OutboundMessage:
    """A counsellor's message: it carries who wrote it (the web chat shows `from`); on the messengers, which
    show text only, `introduce` puts "Maria (centrul Iași):" on a first line of its own."""
    if introduce:
        body = f"{text('signature', language).format(name=name, centre=centre.name)}\n{body}"
    return OutboundMessage(body, author=Author("counsellor", name, centre.name))


def offer_again(language: str) -> OutboundMessage:
    """After a case closed, "is anyone there?": the counsellor offered again (the "talk to a person" button)."""
    button = Button(locale_text("button.human", language), REQUEST_HUMAN)
    return OutboundMessage(text("offer_again", language), (button,))
