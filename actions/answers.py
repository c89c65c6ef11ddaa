"""Answers questions with the knowledge cards: a question intent is the id of its card.

`action_answer` sends the card in the user's language, for the country they are in. When the answer
depends on the country and it is not known yet, it asks first (the card waits in `pending_answer` and is
sent by `action_set_country`). A country the question names ("in Spagna...") is answered for; only a
statement of where the user is ("lavoro in Spagna") is stored as their country. `action_more` opens the
card a "more" button names; `action_topic_menu` lists a topic's cards.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import cards, country_of, language_of, send, signal
from core.locales import text
from knowledge.countries import abroad_beside_home, hinted, located, mentioned
from knowledge.render import country_question, render

TOPIC_INTENTS = {
    "topic_rights": "rights",
    "topic_mobility": "mobility",
    "topic_trafficking": "trafficking",
    "topic_return": "return",
}


def answer(
    dispatcher: CollectingDispatcher, tracker: Tracker, card_id: str, country: str | None
) -> list[dict[str, Any]]:
    """Send one card (or first ask the country it depends on); the slot events to apply."""
    knowledge = cards()
    card = knowledge[card_id]
    language = language_of(tracker)
    if card.needs_country(country):
        send(dispatcher, country_question(language))
        return [SlotSet("pending_answer", card_id)]
    send(dispatcher, render(knowledge, card, language, country))
    if card.counsellor:
        signal(dispatcher, {"handoff": "counsellor_topic", "urgent": False, "topic": card_id})
    return [SlotSet("last_answer", card_id), SlotSet("pending_answer", None)]


def country_events(dispatcher: CollectingDispatcher, tracker: Tracker) -> tuple[str | None, list[dict[str, Any]]]:
    """The country to answer for, and the events that record a change of where the user is.

    Only a statement of where the user is ("lucrez in Spania") changes the stored country; a country the
    question is about ("somajul in Spania", "vreau sa plec in Germania") is answered for without being
    stored, and a country named as origin ("sunt din Moldova") changes nothing. With no country known, Italy or
    Spain named beside Romania or Moldova ("platesc impozit in italia, si in romania?"), else the words of one
    country's system ("busta paga", "el finiquito"), or in Romanian its borrowed words for the employer
    ("padronul", "jefu"), answer for it, without storing it."""
    country = country_of(tracker)
    text = tracker.latest_message.get("text") or ""
    here = located(text)
    if here and here != country:
        signal(dispatcher, {"profile": {"country": here}})
        return here, [SlotSet("country", here)]
    return mentioned(text) or country or abroad_beside_home(text) or hinted(text, language_of(tracker)), []


class ActionAnswer(Action):
    """Answers a question intent with its card."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Send the card of the latest intent."""
        card_id = (tracker.latest_message.get("intent") or {}).get("name") or ""
        if card_id not in cards():
            dispatcher.utter_message(response="utter_menu")
            return []
        country, events = country_events(dispatcher, tracker)
        return events + answer(dispatcher, tracker, card_id, country)


class ActionMore(Action):
    """Opens the card a "more" button names, or continues from the last card sent."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_more"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Send the named card, or the first "more" card of the last answer, or the menu."""
        knowledge = cards()
        card_id = next(tracker.get_latest_entity_values("answer"), None)
        if card_id not in knowledge:
            last = tracker.get_slot("last_answer")
            follow = knowledge[last].variant(country_of(tracker)).more if last in knowledge else ()
            card_id = follow[0] if follow else None
        if card_id is None:
            dispatcher.utter_message(response="utter_menu")
            return []
        return answer(dispatcher, tracker, card_id, country_of(tracker))


class ActionTopicMenu(Action):
    """Lists the questions of a topic as buttons."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_topic_menu"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Send the topic's introduction with one button per asked card."""
        intent = (tracker.latest_message.get("intent") or {}).get("name") or ""
        topic = TOPIC_INTENTS.get(intent)
        if topic is None:
            dispatcher.utter_message(response="utter_menu")
            return []
        language = language_of(tracker)
        buttons = [
            {"title": card.title[language], "payload": f"/{card.id}"}
            for card in cards().by_topic(topic)
            if card.asked
        ]
        dispatcher.utter_message(text=text(f"topic.intro.{topic}", language), buttons=buttons)
        return []
