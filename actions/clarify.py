"""When the assistant is not sure what the user means: it asks, with buttons for the likeliest questions;
when it misses twice in a row, a counsellor takes over (a handoff signal, "not_understood").

Only real sentences count as misses: "ok", "si", a number or an emoji are not misunderstandings.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import cards, language_of, signal
from core.locales import text

MAX_CHOICES = 3
MISSES = ("nlu_fallback", "out_of_scope")
TOPICS = ("topic_rights", "topic_mobility", "topic_trafficking", "topic_return")


_WORD = re.compile(r"[^\W\d_]{2,}")


def is_sentence(text: str) -> bool:
    """At least two words: something the user meant to say, not an acknowledgement."""
    return len(_WORD.findall(text or "")) >= 2


def missed_before(tracker: Tracker) -> bool:
    """True when the user message before the latest one was a sentence the assistant did not understand."""
    users = [e for e in tracker.events if e.get("event") == "user"]
    if len(users) < 2:
        return False
    previous = users[-2]
    intent = ((previous.get("parse_data") or {}).get("intent") or {}).get("name")
    return intent in MISSES and is_sentence(previous.get("text") or "")


class ActionClarify(Action):
    """Asks which question the user means, or hands over after a second miss."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_clarify"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Offer the likeliest questions as buttons; on a second miss in a row, signal a handoff."""
        language = language_of(tracker)
        if is_sentence(tracker.latest_message.get("text") or "") and missed_before(tracker):
            dispatcher.utter_message(text=text("clarify.handoff", language))
            signal(dispatcher, {"handoff": "not_understood", "urgent": False, "topic": None})
            return []
        dispatcher.utter_message(text=text("clarify.ask", language), buttons=likely_questions(tracker, language))
        return []


def likely_questions(tracker: Tracker, language: str) -> list[dict[str, str]]:
    """Buttons for the likeliest questions of the latest message (cards, topics), then "talk to a person"."""
    knowledge = cards()
    buttons = []
    for ranked in tracker.latest_message.get("intent_ranking") or []:
        name = ranked.get("name")
        if name in knowledge and knowledge[name].asked:
            buttons.append({"title": knowledge[name].title[language], "payload": f"/{name}"})
        elif name in TOPICS:
            buttons.append(
                {"title": text(f"topic.title.{name.removeprefix('topic_')}", language), "payload": f"/{name}"}
            )
        if len(buttons) == MAX_CHOICES:
            break
    buttons.append({"title": text("button.human", language), "payload": "/request_human"})
    return buttons
