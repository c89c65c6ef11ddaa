"""Keeps the `language` slot equal to the language the gateway decided for this message.

The gateway detects or is told the user's language and sends it in the message metadata; this action
runs after every user message (as the slot's custom mapping) and copies it into the slot, so responses
pick their Romanian, Italian or Spanish variant.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

LANGUAGES = ("ro", "it", "es")


class ActionSetLanguage(Action):
    """Copies metadata["language"] of the latest user message into the `language` slot."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_set_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Set the slot when the metadata names one of our languages and it differs from the slot."""
        metadata = tracker.latest_message.get("metadata") or {}
        language = metadata.get("language")
        if language in LANGUAGES and language != tracker.get_slot("language"):
            return [SlotSet("language", language)]
        return []
