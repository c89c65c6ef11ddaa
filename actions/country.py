"""Remembers where the user is now (Italy, Spain, Romania, Moldova or another country).

The country comes from a button (`/set_country{"country": "it"}`) or from the words of the message
("sunt in Spania", "estoy en Italia"). The gateway is told too (a profile signal), so the safety triage
can give the hotline of that country. A card that waited for the country is sent right after.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import answer
from actions.clarify import is_sentence, likely_questions
from actions.common import cards, language_of, send, signal
from core.locales import text
from knowledge.cards import COUNTRIES
from knowledge.countries import located, mentioned
from knowledge.render import country_name, country_question


class ActionSetCountry(Action):
    """Sets the `country` slot and sends the card that was waiting for it (or the menu)."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_set_country"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Read the country from the button or the text; ask again if there is none."""
        language = language_of(tracker)
        country = next(tracker.get_latest_entity_values("country"), None)
        if country not in COUNTRIES:  # where the text says the person is, else the one country it names
            said = tracker.latest_message.get("text") or ""
            country = located(said) or mentioned(said)
        if country is None:
            send(dispatcher, country_question(language))
            return []
        signal(dispatcher, {"profile": {"country": country}})
        events: list[dict[str, Any]] = [SlotSet("country", country)]
        pending = tracker.get_slot("pending_answer")
        if pending in cards():
            return events + answer(dispatcher, tracker, pending, country)
        dispatcher.utter_message(text=text("country.noted", language, country=country_name(country, language)))
        if says_more(tracker):  # a question beside the place, not understood well: ask which one, not the menu
            dispatcher.utter_message(
                text=text("clarify.ask", language), buttons=likely_questions(tracker, language)
            )
        else:
            dispatcher.utter_message(response="utter_menu")
        return events


class ActionChangeCountry(Action):
    """ "Change the country": the new one when the message says where the person is now ("am greșit țara, sunt în
    Italia, nu în Spania"), else the question where they are."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_change_country"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Only a statement of where the person is now counts: a country named any other way in such a message
        is mostly the one being left ("nu mai e Italia")."""
        if located(tracker.latest_message.get("text") or ""):
            return await ActionSetCountry().run(dispatcher, tracker, domain)
        dispatcher.utter_message(response="utter_ask_country")
        return []


SURE = 0.7  # a place statement the classifier reads with less confidence than this may carry a question
MORE_WORDS = 6


def says_more(tracker: Tracker) -> bool:
    """Whether the message is a long one that the classifier took for a place statement without confidence
    ("I worked in France and was not paid, now I am in Castellón"): it likely asks something too."""
    message = tracker.latest_message
    words = (message.get("text") or "").split()
    confidence = float((message.get("intent") or {}).get("confidence") or 1.0)
    return is_sentence(message.get("text") or "") and len(words) >= MORE_WORDS and confidence < SURE
