"""What the action tests share: the repository root on sys.path, a rasa_sdk Tracker built by hand, and an
action run with rasa-sdk's CollectingDispatcher, its messages reduced to what the user and the gateway get.

These tests run in their own Python 3.10 venv with rasa-sdk (`make actions-test`, --noconftest): the main
pytest run (Python 3.11, no rasa_sdk) leaves tests/actions out (tests/conftest.py: collect_ignore).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # the actions, core and knowledge packages, whatever the working directory
    sys.path.insert(0, str(ROOT))

from rasa_sdk import Action, Tracker  # noqa: E402  (after the path is set)
from rasa_sdk.executor import CollectingDispatcher  # noqa: E402

from knowledge.cards import knowledge  # noqa: E402
from knowledge.render import render  # noqa: E402


def user_event(text: str, intent: str | None = None) -> dict[str, Any]:
    """A `user` event as it is in a tracker's events (Rasa's parse data inside)."""
    parse_data = {"text": text, "intent": {"name": intent, "confidence": 0.9} if intent else {}}
    return {"event": "user", "text": text, "parse_data": parse_data, "metadata": {}}


def action_event(name: str) -> dict[str, Any]:
    """An `action` event (an action or a response the assistant ran)."""
    return {"event": "action", "name": name}


def tracker(
    text: str = "",
    intent: str | None = None,
    *,
    slots: dict[str, Any] | None = None,
    entities: list[dict[str, Any]] | None = None,
    metadata: dict[str, Any] | None = None,
    ranking: list[str] | None = None,
    confidence: float = 0.9,
    before: list[dict[str, Any]] | None = None,
    after: list[dict[str, Any]] | None = None,
    sender: str = "web:test-user",
) -> Tracker:
    """The tracker an action sees right after a user message: `before` it the earlier events, `after` it the
    actions that already ran for it (action_set_language...)."""
    latest: dict[str, Any] = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence} if intent else {},
        "entities": entities or [],
        "intent_ranking": [{"name": name, "confidence": 0.5} for name in ranking or []],
        "metadata": metadata or {},
    }
    events = [*(before or []), {"event": "user", "text": text, "parse_data": latest, "metadata": metadata or {}}]
    return Tracker(
        sender_id=sender,
        slots={"language": "ro", "country": None, "pending_answer": None, "last_answer": None, **(slots or {})},
        latest_message=latest,
        events=[*events, *(after or [])],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def shown(dispatcher: CollectingDispatcher) -> list[dict[str, Any]]:
    """Each message sent: {"text", "buttons"}, {"signal": the custom JSON} or {"response": a domain response}."""
    out: list[dict[str, Any]] = []
    for message in dispatcher.messages:
        if message.get("custom"):
            out.append({"signal": message["custom"]})
        elif message.get("response"):
            out.append({"response": message["response"]})
        else:
            out.append({"text": message["text"], "buttons": message.get("buttons") or []})
    return out


async def run(action: Action, tracker_: Tracker) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Run an action: what it sent (see `shown`) and the events it returned."""
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker_, {})
    return shown(dispatcher), events


def card(card_id: str, language: str, country: str | None) -> dict[str, Any]:
    """A card as the user sees it, rendered by the knowledge package itself."""
    return render(knowledge(), knowledge()[card_id], language, country)
