"""Keeps the `language` and `country` slots equal to what the gateway knows for this message.

The gateway detects or is told the user's language, and keeps where the user said they are; it sends
both in the message metadata. This action runs after every user message (as the slots' custom mapping)
and copies them into the slots, so responses pick their Romanian, Italian or Spanish variant and every
action (the safety card above all) answers for the same country the gateway's own safety alert uses.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from core.languages import LANGUAGES
from knowledge.cards import COUNTRIES


class ActionSetLanguage(Action):
    """Copies metadata["language"] and metadata["country"] of the latest user message into their slots."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_set_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Set each slot whose metadata value is one we know and differs from the slot."""
        metadata = tracker.latest_message.get("metadata") or {}
        events: list[dict[str, Any]] = []
        for slot, known in (("language", LANGUAGES), ("country", COUNTRIES)):
            value = metadata.get(slot)
            if value in known and value != tracker.get_slot(slot):
                events.append(SlotSet(slot, value))
        return events
