""" "Delete my data", once confirmed: the assistant asks the gateway to erase everything it keeps about the
user (conversation, cases' personal fields, subscriptions, this tracker); the gateway confirms to the user.

A bare "yes" erases only right after the assistant asked "are you sure?"; anywhere else it shows the menu.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import signal

QUESTION = "utter_confirm_delete"


def asked_to_confirm(tracker: Tracker) -> bool:
    """True when the assistant's last action before the latest user message asked to confirm the erasure."""
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            if seen_user:
                return False
            seen_user = True
        elif (
            seen_user
            and event.get("event") == "action"
            and event.get("name")
            not in (
                "action_listen",
                "action_set_language",
                "action_extract_slots",
            )
        ):
            return event.get("name") == QUESTION
    return False


class ActionDeleteMyData(Action):
    """Signals the confirmed erasure request to the gateway."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_delete_my_data"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Emit the erase signal (the gateway erases and tells the user), if the user was asked first."""
        if not asked_to_confirm(tracker):
            dispatcher.utter_message(response="utter_menu")
            return []
        signal(dispatcher, {"privacy": "erase"})
        return []
