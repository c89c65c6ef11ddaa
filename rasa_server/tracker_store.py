"""Rasa's Redis tracker store, with a save whose cost does not grow with the square of the conversation.

Rasa 3.6's `RedisTrackerStore.save` reads the stored conversation back (every session, turned into event
objects), then merges the tracker it holds (the last session only, as `retrieve` gives it) into it. When the
two agree up to the stored end it keeps the held one; otherwise it compares every held event with every
stored event (`as_dict`, quadratic). They never agree in practice: the stored conversation opens with
`SlotSet(session_started_metadata)` *before* `action_session_start`, which the last session leaves out. So
every turn took the quadratic path: 67 ms at turn 5, 0.8 s at turn 100, 5 s at turn 200
(bench/conversation_load.py, docs/performance.md).

`SessionTrackerStore.save` works on the stored JSON instead: it finds where the held events start among the
stored ones (the stored events from there must be exactly the held events up to the stored end, compared
once each, as `as_dict`, the form Rasa's own merge compares) and writes the earlier events followed by the
held ones. Linear, no event objects built for the earlier sessions, and the same result as Rasa's merge. When
the two do not line up (another writer, which the lock store prevents) it falls back to Rasa's own save.
Reading a tracker back resolves each event's class from a table built once, instead of searching every
subclass of `Event` for every event (`Event.resolve_by_type`).
"""

from __future__ import annotations

import json
from typing import Any

from rasa.core.tracker_store import RedisTrackerStore, TrackerDeserialisationException
from rasa.shared.core.conversation import Dialogue
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.utils.common import all_subclasses

_EVENT_CLASSES: dict[str, type[Event]] = {}


def event_class(type_name: str) -> type[Event]:
    """The class of an event type name, as `Event.resolve_by_type` finds it (the first subclass with it)."""
    if not _EVENT_CLASSES:
        for cls in all_subclasses(Event):
            _EVENT_CLASSES.setdefault(cls.type_name, cls)
    found = _EVENT_CLASSES.get(type_name)
    return found if found is not None else Event.resolve_by_type(type_name)  # raises as Rasa does


def deserialise_events(serialised: list[dict[str, Any]]) -> list[Event]:
    """`rasa.shared.core.events.deserialise_events` with the class table (unknown types: Rasa's own path)."""
    found = []
    for parameters in serialised:
        name = parameters.get("event")
        if name is None or name == "topic":
            continue
        event = event_class(name)._from_parameters(parameters)
        if event:
            found.append(event)
    return found


def merged_events(stored: list[dict[str, Any]], held: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    """The stored events (as dicts, every session) followed by the held ones not yet stored; None when the held
    events do not continue the stored ones."""
    if not stored:
        return held
    last = stored[-1]["timestamp"]
    already = 0  # the held events that are already stored: those up to the stored end
    while already < len(held) and held[already]["timestamp"] <= last:
        already += 1
    start = len(stored) - already
    if start < 0 or stored[start:] != held[:already]:
        return None
    return stored[:start] + held


class SessionTrackerStore(RedisTrackerStore):
    """The Redis tracker store with a linear save (see the module's docstring)."""

    async def save(self, tracker: DialogueStateTracker, timeout: float | None = None) -> None:
        """Store the held tracker after the earlier sessions of the stored one."""
        raw = self.red.get(self.key_prefix + tracker.sender_id)
        if raw is None:
            return await super().save(tracker, timeout)
        held = [event.as_dict() for event in tracker.events]
        # Events as stored compare equal to their as_dict only after a JSON round trip (tuples, numbers).
        events = merged_events(json.loads(raw).get("events", []), json.loads(json.dumps(held)))
        if events is None:
            return await super().save(tracker, timeout)
        await self.stream_events(tracker)
        if not timeout and self.record_exp:
            timeout = self.record_exp
        serialised = json.dumps({"events": events, "name": tracker.sender_id})
        self.red.set(self.key_prefix + tracker.sender_id, serialised, ex=timeout)
        return None

    def deserialise_tracker(self, sender_id: str, serialised_tracker: str | bytes) -> DialogueStateTracker | None:
        """Rasa's deserialisation, with each event's class from the table."""
        tracker = self.init_tracker(sender_id)
        try:
            parameters = json.loads(serialised_tracker)
        except UnicodeDecodeError as exc:
            raise TrackerDeserialisationException(
                "Tracker cannot be deserialised: trackers are stored as JSON."
            ) from exc
        tracker.recreate_from_dialogue(
            Dialogue(parameters.get("name"), deserialise_events(parameters.get("events", [])))
        )
        return tracker
