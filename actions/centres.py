"""Questions about the helpdesk's own centres: what they do, where they are, when they are open, whether one
is open now, how to reach it, which is nearest to a place the person names. Answered from the centres data
file (knowledge/data/centres.yml, the same file the handoff routes by), in the person's language, with the
hours in the centre's local time, contacts only where the NGO filled them in, and the offer to talk to a
counsellor there.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from functools import cache
from pathlib import Path
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import language_of
from core.languages import fold
from core.locales import text, texts
from knowledge.centres import WEEKDAYS, Centre, Centres, next_opening_words
from knowledge.places import Gazetteer

CONTACT_FIELDS = ("phone", "email", "address")


@cache
def centres() -> tuple[Centres, Gazetteer]:
    """The centres and the gazetteer of their region (the gateway's settings when the environment has them)."""
    path = os.environ.get("HANDOFF_CENTRES_FILE") or None
    loaded = Centres.load(os.environ.get("HANDOFF_DEFAULT_CENTRE", "iasi"), Path(path) if path else None)
    return loaded, Gazetteer.load(loaded)


def hours_text(centre: Centre, language: str) -> str:
    """The opening hours as days with the same hours together: "luni–vineri 09:00–17:00"."""
    names = texts("weekday", language)
    groups: list[tuple[int, int, str]] = []
    for index, day in enumerate(WEEKDAYS):
        ranges = ", ".join(f"{a:%H:%M}–{b:%H:%M}" for a, b in centre.hours.get(day, ()))
        if groups and groups[-1][2] == ranges and groups[-1][1] == index - 1:
            groups[-1] = (groups[-1][0], index, ranges)
        else:
            groups.append((index, index, ranges))
    shown = [
        f"{names[first]}{'–' + names[last] if last != first else ''} {ranges}"
        for first, last, ranges in groups
        if ranges
    ]
    return "; ".join(shown)


def now_text(centre: Centre, language: str, now: datetime) -> str:
    """Whether the centre is open now, else when it opens next (today, tomorrow or a weekday)."""
    if centre.is_open(now):
        return text("centre.open_now", language)
    opening = next_opening_words(centre, now, language)
    if opening is None:
        return text("centre.no_hours", language)
    day, time = opening
    return text("centre.closed_now", language, day=day, time=time)


def contacts_text(centre: Centre, language: str) -> str:
    """The contacts the NGO filled in, or that a counsellor can write here (nothing is invented)."""
    filled = [
        text(f"centre.{name}", language, value=centre.contacts[name])
        for name in CONTACT_FIELDS
        if centre.contacts.get(name)
    ]
    return (
        text("centre.contacts", language, contacts=", ".join(filled))
        if filled
        else text("centre.no_contacts", language)
    )


def describe(centre: Centre, language: str, now: datetime) -> str:
    """One centre: where, its hours, open now or not, its contacts."""
    country = text(f"centre.country_{centre.country}", language)
    hours = hours_text(centre, language)
    first = text("centre.one", language, centre=centre.name, country=country, hours=hours) if hours else ""
    return "\n".join(
        line for line in (first, now_text(centre, language, now), contacts_text(centre, language)) if line
    )


def named_centre(message: str) -> tuple[Centre | None, str]:
    """The centre a message is about: a centre named directly, else the nearest to a place of the region it
    names (and that place's name); None when it names no place of the region."""
    known, gazetteer = centres()
    folded = f" {fold(message)} "
    for centre in known.all():
        if f" {fold(centre.name)} " in folded:
            return centre, ""
    place = gazetteer.find(message, fuzzy=False)
    if place is None:
        return None, ""
    return known.nearest(place.lat, place.lon, place.country), place.name


class ActionCentreInfo(Action):
    """Answers a question about the centres."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_centre_info"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """One centre when the message names it or a place near one; else every centre and a question."""
        language = language_of(tracker)
        now = datetime.now(timezone.utc)
        centre, place = named_centre(tracker.latest_message.get("text") or "")
        talk = [{"title": text("centre.talk", language), "payload": "/request_human"}]
        if centre is None:
            names = ", ".join(c.name for c in centres()[0].all())
            lines = [text("centre.about", language), text("centre.list", language, centres=names)]
            dispatcher.utter_message(text="\n\n".join(lines), buttons=talk)
            return []
        nearest = (
            [text("centre.nearest", language, place=place, centre=centre.name)]
            if place and place != centre.name
            else []
        )
        dispatcher.utter_message(text="\n".join([*nearest, describe(centre, language, now)]), buttons=talk)
        return []
