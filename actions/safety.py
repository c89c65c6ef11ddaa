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

from actions.common import cards, country_of, language_of, send, signal
from knowledge.countries import located
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
        """Hotline first, then the signal. The hotline is the one that works where the user is: the stored
        country, else the country the message says they are in now, else every country's card. A place
        named in a danger message never changes the stored country (it is often the person's origin)."""
        knowledge = cards()
        country = country_of(tracker) or located(tracker.latest_message.get("text") or "")
        send(dispatcher, render(knowledge, knowledge[SAFETY_CARD], language_of(tracker), country))
        signal(dispatcher, {"handoff": "safety", "urgent": True, "topic": SAFETY_CARD})
        return []
