"""The handoff desk: what the worker asks of the handoff. It opens a case when the assistant (or the safety
triage) signals that a person must answer, routes it to the nearest centre (asking where the person is from
when it does not know), tells the user who will answer and when, puts the user's messages into the open case
while the bot stays silent, erases a user's data on request, and runs the periodic housekeeping (overflow
to the supervisors' queue, pruning of the case indexes).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis

from core.messages import InboundMessage, OutboundMessage
from handoff import texts
from handoff.cases import Case, Cases
from handoff.events import Events
from handoff.privacy import Eraser
from handoff.transcript import Transcripts
from knowledge.centres import Centre, Centres
from knowledge.places import Gazetteer
from messaging.conversations import Conversations
from messaging.delivery import Delivery, OutsideWindow, UnknownChannel

log = logging.getLogger(__name__)

REASONS = ("user_request", "not_understood", "counsellor_topic", "safety")
# Button payloads of "delete my data" (the assistant's intents): they reach the assistant even during a case.
PRIVACY_PAYLOADS = ("/delete_my_data", "/confirm_delete", "/cancel_delete")
_HOUSEKEEPING_LOCK = "hd:handoff:housekeeping"


def _location(message: InboundMessage, fields: dict[str, str]) -> tuple[float, float] | None:
    """A shared location: in this message, or the last one stored on the conversation."""
    if message.latitude is not None and message.longitude is not None:
        return float(message.latitude), float(message.longitude)
    return Conversations.location_in(fields)


class HandoffDesk:
    """Cases for conversations: opening, routing, the user's side of an open case, erasure, housekeeping."""

    def __init__(
        self,
        *,
        redis: Redis,
        conversations: Conversations,
        delivery: Delivery,
        cases: Cases,
        transcripts: Transcripts,
        centres: Centres,
        gazetteer: Gazetteer,
        events: Events,
        eraser: Eraser,
        overflow_seconds: int,
    ) -> None:
        self._redis = redis
        self.conversations = conversations
        self.delivery = delivery
        self.cases = cases
        self.transcripts = transcripts
        self.centres = centres
        self.gazetteer = gazetteer
        self.events = events
        self.eraser = eraser
        self._overflow_seconds = overflow_seconds

    async def record(self, conversation_id: str, kind: str, texts_: list[str]) -> None:
        """Keep what the user wrote ("user") or the bot replied ("bot") for a later case's timeline."""
        await self.transcripts.record(conversation_id, kind, texts_)

    async def on_signal(self, message: InboundMessage, language: str, signal: dict[str, Any]) -> None:
        """Act on a signal: {"handoff": reason, "urgent"?, "topic"?} opens a case; {"privacy": "erase"} erases."""
        if signal.get("privacy") == "erase":
            await self.eraser.erase(message.conversation_id, message.channel, message.user_id)
            erased = [OutboundMessage(texts.text("erased", language))]
            await self.send(message.channel, message.user_id, erased, message.message_id)
            return
        if "handoff" in signal:
            reason = str(signal["handoff"]) if signal["handoff"] in REASONS else "user_request"
            urgent = bool(signal.get("urgent")) or reason == "safety"
            await self.open_case(message, language, reason, urgent, str(signal.get("topic") or ""))

    async def open_case(
        self, message: InboundMessage, language: str, reason: str, urgent: bool, topic: str
    ) -> Case:
        """Open a case for the conversation (or escalate the open one), route it, and tell the user."""
        cid = message.conversation_id
        fields = await self.conversations.fields(cid)
        existing = await self.cases.get(fields["case"]) if fields.get("case") else None
        if existing and existing.is_open:
            if urgent and not existing.urgent:
                await self.cases.update(existing, urgent=True, reason=reason)
                await self.cases.add(existing, "event", "urgent", reason=reason)
                await self.events.publish("case_updated", existing.id, existing.centre, urgent=True)
            return existing
        history = await self.transcripts.read(cid)
        centre, origin = self._route(message, fields, history)
        case = await self.cases.open(
            conversation_id=cid,
            channel=message.channel,
            user_id=message.user_id,
            language=language,
            centre=(centre or self.centres.default).id,
            reason=reason,
            urgent=urgent,
            topic=topic,
            origin=origin,
            history=history,
        )
        await self.conversations.set_fields(cid, state="queued", case=case.id, awaiting="" if centre else "origin")
        if reason == "safety":  # the safety triage has sent the hotline before the case opened
            await self.cases.add(case, "event", "safety alert: the hotline was sent")
        await self.events.publish("case_new", case.id, case.centre, urgent=urgent)
        log.info("case %s opened: centre %s, reason %s, urgent %s", case.id, case.centre, reason, urgent)
        if centre:
            await self.tell(case, self._who(case, language), message.message_id)
        else:  # an urgent case hears at once that it is urgent; who answers follows the origin
            first = [OutboundMessage(texts.text("urgent", language))] if urgent else []
            await self.tell(case, [*first, texts.ask_origin(language)], message.message_id)
        return case

    def _route(
        self, message: InboundMessage, fields: dict[str, str], history: list[dict[str, Any]]
    ) -> tuple[Centre | None, str]:
        """The centre for what is known of the person (shared location, else their place), and that place.

        Their place is the one they gave before, else a place of the region this message names ("Sono a
        Bacău, posso parlare con qualcuno?"), else one their earlier messages named, newest first: the
        desk does not ask for what the person already said."""
        point = _location(message, fields)
        if point:
            return self.centres.for_location(*point), ""
        place = self.gazetteer.find(fields["origin"]) if fields.get("origin") else None
        said = [message.text] + [e["text"] for e in reversed(history) if e.get("kind") == "user"]
        place = place or next((p for text in said if (p := self.gazetteer.find(text, fuzzy=False))), None)
        if place:
            return self.centres.nearest(place.lat, place.lon, place.country), place.name
        return None, ""

    def _who(self, case: Case, language: str, urgent_told: bool = False) -> list[OutboundMessage]:
        centre = self.centres.get(case.centre) or self.centres.default
        return texts.who_answers(centre, datetime.now(UTC), language, case.urgent and not urgent_told)

    @staticmethod
    def for_the_bot(text: str) -> bool:
        """Whether a message goes to the assistant even while a case is open: the "delete my data" buttons."""
        return text.strip().split("{", 1)[0] in PRIVACY_PAYLOADS

    async def on_user_message(self, message: InboundMessage, language: str) -> None:
        """A message in a conversation a case holds: into the case, live to the counsellor; the bot is silent.

        If the desk asked where the person is from, the message is also the answer: it routes the case.
        """
        cid = message.conversation_id
        fields = await self.conversations.fields(cid)
        case = await self.cases.get(fields.get("case", "")) if fields.get("case") else None
        if case is None or not case.is_open:  # the case expired or was closed meanwhile: back to the bot
            await self.conversations.set_fields(cid, state="bot", case="", awaiting="")
            return
        await self.cases.add(case, "user", message.text)
        if fields.get("awaiting") == "origin":
            await self._answer_origin(message, language, case, fields)
        await self.events.publish("case_message", case.id, case.centre, urgent=case.urgent)

    async def _answer_origin(
        self, message: InboundMessage, language: str, case: Case, fields: dict[str, str]
    ) -> None:
        point = _location(message, fields)
        place = None if point or message.text.strip() == texts.ORIGIN_OTHER else self.gazetteer.find(message.text)
        if point:
            centre = self.centres.for_location(*point)
        elif place:
            centre = self.centres.nearest(place.lat, place.lon, place.country)
        else:
            centre = self.centres.default
        origin = place.name if place else ""
        await self.conversations.set_fields(message.conversation_id, awaiting="", origin=origin)
        if case.state == "waiting" and centre.id != case.centre:
            previous = case.centre
            await self.cases.move(case, centre.id)
            await self.cases.add(case, "event", "routed", centre=centre.id)
            await self.events.publish(
                "case_updated", case.id, centre.id, previous_centre=previous, urgent=case.urgent
            )
        if origin:
            await self.cases.update(case, origin=origin)
        who = self._who(case, language, urgent_told=True)
        await self.tell(case, who, message.message_id)

    async def tell(self, case: Case, messages: list[OutboundMessage], reply_to: str = "") -> None:
        """Send the desk's own messages to the case's person and show them in the case's timeline."""
        await self.send(case.channel, case.user_id, messages, reply_to)
        for sent in messages:
            await self.cases.add(case, "bot", sent.text)

    async def send(self, channel: str, user_id: str, messages: list[OutboundMessage], reply_to: str = "") -> None:
        """Send messages to a user through the one door (Delivery), in order, on the reply lane; `reply_to` is
        the user's message they answer (the web chat returns them in that message's HTTP response)."""
        try:
            await self.delivery.send(channel, user_id, messages, reply_to=reply_to, lane="reply")
        except UnknownChannel:
            log.error("no outbox for channel %s; %d handoff messages not sent", channel, len(messages))
        except OutsideWindow:
            log.warning("%s: 24-hour window closed; %d handoff messages not sent", channel, len(messages))

    async def return_to_bot(self, case: Case) -> None:
        """The conversation of a closed or handed-back case is answered by the bot again."""
        fields = await self.conversations.fields(case.conversation_id)
        if fields.get("case") == case.id:
            await self.conversations.set_fields(case.conversation_id, state="bot", case="", awaiting="")

    async def housekeeping(self) -> None:
        """Overflow unclaimed cases to the supervisors and prune indexes; one worker at a time does it."""
        if not await self._redis.set(_HOUSEKEEPING_LOCK, "1", nx=True, ex=5):
            return
        older_than = datetime.now(UTC).timestamp() - self._overflow_seconds
        for case in await self.cases.mark_overflow(older_than):
            await self.events.publish("case_overflow", case.id, case.centre, urgent=case.urgent)
            log.info("case %s overflowed to the supervisors' queue", case.id)
        await self.cases.prune()
