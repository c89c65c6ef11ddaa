"""The urgent answer to danger: the emergency and hotline numbers of the user's country first, in their
language, then an urgent handoff to a counsellor.

The gateway's own safety triage (safety/triage.py) catches danger before the assistant sees the message
and sends the same card; this action is the second net, for danger the assistant recognises that the
triage's word lists did not.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import country_events
from actions.common import cards, language_of, send, signal
from knowledge.render import render

SAFETY_CARD = "report_danger"


class ActionSafetyAlert(Action):
    """Sends the hotline card and asks the gateway for an urgent handoff."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_safety_alert"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Hotline first (for the known or named country; every country's when unknown), then the signal."""
        knowledge = cards()
        country, events = country_events(dispatcher, tracker)
        send(dispatcher, render(knowledge, knowledge[SAFETY_CARD], language_of(tracker), country))
        signal(dispatcher, {"handoff": "safety", "urgent": True, "topic": SAFETY_CARD})
        return events
