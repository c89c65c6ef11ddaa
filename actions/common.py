"""What every answering action needs: the user's language and country from the tracker, the knowledge
cards, and the signals the gateway acts on (custom JSON messages, never shown to the user)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from core.languages import DEFAULT_LANGUAGE, LANGUAGES
from knowledge.cards import COUNTRIES, Knowledge, knowledge


def cards() -> Knowledge:
    """The answer cards (read once per process)."""
    return knowledge()


def language_of(tracker: Tracker) -> str:
    """The conversation's language (the slot the gateway's metadata keeps current)."""
    language = tracker.get_slot("language")
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def country_of(tracker: Tracker) -> str | None:
    """Where the user said they are, if they did."""
    country = tracker.get_slot("country")
    return country if country in COUNTRIES else None


def send(dispatcher: CollectingDispatcher, message: dict[str, Any]) -> None:
    """Send a rendered message ({"text", "buttons"})."""
    dispatcher.utter_message(text=message["text"], buttons=message.get("buttons") or [])


def signal(dispatcher: CollectingDispatcher, payload: dict[str, Any]) -> None:
    """Send the gateway a signal: a handoff, a profile fact, a privacy request."""
    dispatcher.utter_message(json_message=payload)
