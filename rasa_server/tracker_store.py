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

A conversation's live record is bounded: once it holds more than `TRIM_AT_TURNS` user turns, the save moves
all but the last `KEEP_TURNS` turns to a list of earlier events (`rasa:earlier:{conversation}`, same expiry)
and opens the live record with the state at the cut carried over as events marked `{"carried": true}` (every
slot that was set, an active loop, a pause). Rasa then reads, replays, featurizes and sends to the action
server a conversation of at most `TRIM_AT_TURNS` turns, so turn 200 costs what turn 5 does. Nothing the
assistant decides on is lost: the policies look at the last five states (MemoizationPolicy's max_history; the
rules are shorter) and the custom actions at the last two user turns. `retrieve_full_tracker` (Rasa's
`GET /conversations/{id}/tracker`, `rasa export`) joins the earlier events and the live record back into the
whole conversation, without the carried events.
"""

from __future__ import annotations

import json
from typing import Any

from rasa.core.tracker_store import RedisTrackerStore, TrackerDeserialisationException
from rasa.shared.core.conversation import Dialogue
from rasa.shared.core.events import ActiveLoop, ConversationPaused, Event, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.utils.common import all_subclasses

_EVENT_CLASSES: dict[str, type[Event]] = {}
# The live record keeps the last KEEP_TURNS user turns once it holds more than TRIM_AT_TURNS.
KEEP_TURNS = 4
TRIM_AT_TURNS = 5
CARRIED = {"carried": True}


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


def is_carried(event: dict[str, Any]) -> bool:
    """True for an event the live record opens with to carry the state of the turns moved out of it."""
    return (event.get("metadata") or {}).get("carried") is True


def cut_index(events: list[dict[str, Any]]) -> int:
    """Where the live record is cut: 0 while it holds no more than TRIM_AT_TURNS user turns, else at the
    `action_listen` before the KEEP_TURNS-th last user message."""
    users = [n for n, event in enumerate(events) if event.get("event") == "user"]
    if len(users) <= TRIM_AT_TURNS:
        return 0
    cut = users[-KEEP_TURNS]
    before = events[cut - 1]
    if before.get("event") == "action" and before.get("name") == "action_listen":
        cut -= 1
    return cut


class SessionTrackerStore(RedisTrackerStore):
    """The Redis tracker store with a linear save and a bounded live record (see the module's docstring)."""

    def earlier_key(self, sender_id: str) -> str:
        """The list of the conversation's events moved out of the live record (JSON arrays, oldest first)."""
        prefix = self.key_prefix.removesuffix("tracker:")
        return f"{prefix}earlier:{sender_id}"

    async def save(self, tracker: DialogueStateTracker, timeout: float | None = None) -> None:
        """Store the held tracker after the earlier sessions of the stored one, the live record bounded."""
        key = self.key_prefix + tracker.sender_id
        raw = self.red.get(key)
        # Events as stored compare equal to their as_dict only after a JSON round trip (tuples, numbers).
        held = json.loads(json.dumps([event.as_dict() for event in tracker.events]))
        events = held if raw is None else merged_events(json.loads(raw).get("events", []), held)
        if events is None:
            return await super().save(tracker, timeout)
        await self.stream_events(tracker)
        if not timeout and self.record_exp:
            timeout = self.record_exp
        cut = cut_index(events)
        pipe = self.red.pipeline()
        if cut:
            earlier = [event for event in events[:cut] if not is_carried(event)]
            events = self.carried(tracker.sender_id, events[:cut], events[cut]["timestamp"]) + events[cut:]
            pipe.rpush(self.earlier_key(tracker.sender_id), json.dumps(earlier))
        pipe.set(key, json.dumps({"events": events, "name": tracker.sender_id}), ex=timeout)
        if timeout:
            pipe.expire(self.earlier_key(tracker.sender_id), int(float(timeout)))
        pipe.execute()
        return None

    def carried(self, sender_id: str, before: list[dict[str, Any]], timestamp: float) -> list[dict[str, Any]]:
        """The events that give a tracker the state `before` leaves it in: each slot that was set, the
        active loop, a pause; marked as carried, at the time of the first event kept."""
        state = DialogueStateTracker.from_events(sender_id, deserialise_events(before), self.domain.slots)
        found: list[Event] = [
            SlotSet(slot.name, slot.value, timestamp=timestamp, metadata=dict(CARRIED))
            for slot in state.slots.values()
            if slot.has_been_set
        ]
        if state.active_loop_name:
            found.append(ActiveLoop(state.active_loop_name, timestamp=timestamp, metadata=dict(CARRIED)))
        if state.is_paused():
            found.append(ConversationPaused(timestamp=timestamp, metadata=dict(CARRIED)))
        return json.loads(json.dumps([event.as_dict() for event in found]))

    async def retrieve_full_tracker(self, sender_id: str) -> DialogueStateTracker | None:
        """The whole conversation: the earlier events, then the live record without its carried events."""
        raw = self.red.get(self.key_prefix + sender_id)
        if raw is None:
            return None
        events: list[dict[str, Any]] = []
        for chunk in self.red.lrange(self.earlier_key(sender_id), 0, -1):
            events.extend(json.loads(chunk))
        events.extend(event for event in json.loads(raw).get("events", []) if not is_carried(event))
        return self.deserialise_tracker(sender_id, json.dumps({"events": events, "name": sender_id}))

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
