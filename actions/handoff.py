"""Signals a request for a person to the gateway, which records it for the counsellors.

The signal is a custom JSON message (`{"handoff": "user_request", "urgent": false}`): the gateway takes
it out of the replies and files the request, so the action server needs no access to the gateway's data.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher


class ActionRequestHuman(Action):
    """Asks the gateway to record the request (the rule before it has told the user)."""

    def name(self) -> str:
        """The action's name in the domain."""
        return "action_request_human"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Emit the handoff signal."""
        dispatcher.utter_message(json_message={"handoff": "user_request", "urgent": False, "topic": None})
        return []
