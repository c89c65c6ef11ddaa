"""The handoff desk: what the worker asks of the handoff. It opens a case when the assistant (or the safety
triage) signals that a person must answer, routes it to the nearest centre (asking where the person is from
when it does not know), tells the user who will answer and when (alerting whoever is on call for an urgent case
out of hours), puts the user's messages into the open case while the bot stays silent, tells the user who took
the case, where it moved and who wrote each counsellor message, offers the counsellor again when someone asks
"is anyone there?" soon after a close, erases a user's data on request, and runs the periodic housekeeping
(overflow to the supervisors' queue, pruning of the case indexes).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis

from core.messages import InboundMessage, OutboundMessage
from handoff import texts
from handoff.after_close import asks_for_someone
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
        on_call: str = "",
        reoffer_seconds: float = 0.0,
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
        self._on_call = on_call  # HANDOFF_ON_CALL: for centres whose data names nobody on call
        self._reoffer_seconds = reoffer_seconds  # HANDOFF_REOFFER_HOURS
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)  # the tests set another time

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
                if existing.state == "waiting" and fields.get("awaiting") != "origin":  # no counsellor has it yet
                    await self.tell(existing, [await self._urgent_notice(existing, language)], message.message_id)
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
            await self.tell(case, await self._who(case, language), message.message_id)
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

    async def _who(self, case: Case, language: str) -> list[OutboundMessage]:
        """Who answers and when; for an urgent case out of hours, whoever is on call is alerted first."""
        centre = self.centre_of(case)
        on_call = await self._alert_on_call(case, centre) if case.urgent else False
        country = (await self.conversations.fields(case.conversation_id)).get("country")
        return texts.who_answers(centre, self.clock(), language, case.urgent, on_call=on_call, country=country)

    async def _urgent_notice(self, case: Case, language: str) -> OutboundMessage:
        centre = self.centre_of(case)
        on_call = await self._alert_on_call(case, centre)
        country = (await self.conversations.fields(case.conversation_id)).get("country")
        return texts.urgent_notice(centre, self.clock(), language, on_call=on_call, country=country)

    def centre_of(self, case: Case) -> Centre:
        """The case's centre (the default one if the data file no longer has it)."""
        return self.centres.get(case.centre) or self.centres.default

    def on_call_for(self, centre: Centre) -> str:
        """Who is on call for the centre's urgent cases out of hours: its data entry, else HANDOFF_ON_CALL."""
        return centre.on_call or self._on_call

    async def _alert_on_call(self, case: Case, centre: Centre) -> bool:
        """An urgent case reached a closed centre: alert whoever is on call (an event every open inbox page of
        that centre and the supervisors receive, and an entry in the case's timeline). False if the centre is
        open (its counsellors on duty see the urgent case at once) or nobody is on call."""
        who = self.on_call_for(centre)
        if not who or centre.is_open(self.clock()):
            return False
        if case.on_call != f"{centre.id}:{who}":  # once per centre
            await self.cases.update(case, on_call=f"{centre.id}:{who}")
            await self.cases.add(case, "event", "on_call_alerted", to=who, centre=centre.id)
            await self.events.publish("case_on_call", case.id, centre.id, urgent=True, on_call=who)
            log.info("case %s: urgent out of hours at %s; on call (%s) alerted", case.id, centre.id, who)
        return True

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
        await self.tell(case, await self._who(case, language), message.message_id)

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
        """The conversation of a closed or handed-back case is answered by the bot again; the time of the close
        is kept (`closed_at`) for offering the counsellor again soon after."""
        fields = await self.conversations.fields(case.conversation_id)
        if fields.get("case") == case.id:
            closed = str(self.clock().timestamp())
            await self.conversations.set_fields(
                case.conversation_id, state="bot", case="", awaiting="", closed_at=closed
            )

    # The person's side of what counsellors do (inbox/service.py calls these) ------------------------------

    async def language_of(self, case: Case) -> str:
        """The person's language now (they may have changed it since the case opened)."""
        return (await self.conversations.fields(case.conversation_id)).get("language") or case.language

    async def counsellor_took(self, case: Case, name: str, centre_id: str) -> None:
        """Tell the person who took their case: "Maria de la centrul din Iași a preluat conversația"."""
        centre = self.centres.get(centre_id) or self.centre_of(case)
        await self.tell(case, [texts.claimed(name, centre, await self.language_of(case))])

    async def moved(self, case: Case) -> None:
        """Tell the person their case moved to another centre, and when its counsellors answer; an urgent case
        moved to a closed centre hears what happens now instead (its on-call person, if any, is alerted)."""
        language = await self.language_of(case)
        centre = self.centre_of(case)
        if case.urgent and not centre.is_open(self.clock()):
            await self.tell(case, [await self._urgent_notice(case, language)])
        else:
            await self.tell(case, [texts.transferred(centre, self.clock(), language)])

    async def counsellor_message(
        self, case: Case, username: str, name: str, centre_id: str, text: str
    ) -> OutboundMessage:
        """A counsellor's message with who wrote it; on a messenger the name and centre open it the first time
        in the case and whenever another counsellor writes (`said_by` records who spoke)."""
        centre = self.centres.get(centre_id) or self.centre_of(case)
        introduce = case.channel != "web" and case.voice != username
        return texts.from_counsellor(text, name, centre, await self.language_of(case), introduce=introduce)

    async def said_by(self, case: Case, username: str) -> None:
        """The counsellor's message went out: the person has seen their name."""
        if case.voice != username:
            await self.cases.update(case, voice=username)

    async def offer_again(
        self, message: InboundMessage, language: str, confident: Callable[[], Awaitable[bool]]
    ) -> bool:
        """Soon after a case closed (HANDOFF_REOFFER_HOURS), "is anyone there?" or a message the assistant does not
        understand confidently (`confident`, awaited only then) gets the counsellor offered again, not an answer
        card; True if it did. Button payloads ("/...") always go to the assistant."""
        if self._reoffer_seconds <= 0 or message.kind != "text" or message.text.strip().startswith("/"):
            return False
        closed = (await self.conversations.fields(message.conversation_id)).get("closed_at")
        if not closed or self.clock().timestamp() - float(closed) > self._reoffer_seconds:
            return False
        if not asks_for_someone(message.text) and await confident():
            return False
        offer = texts.offer_again(language)
        await self.send(message.channel, message.user_id, [offer], message.message_id)
        await self.record(message.conversation_id, "bot", [offer.text])
        log.info("counsellor offered again after a close (%s)", message.channel)
        return True

    async def housekeeping(self) -> None:
        """Overflow unclaimed cases to the supervisors and prune indexes; one worker at a time does it."""
        if not await self._redis.set(_HOUSEKEEPING_LOCK, "1", nx=True, ex=5):
            return
        older_than = datetime.now(UTC).timestamp() - self._overflow_seconds
        for case in await self.cases.mark_overflow(older_than):
            await self.events.publish("case_overflow", case.id, case.centre, urgent=case.urgent)
            log.info("case %s overflowed to the supervisors' queue", case.id)
        await self.cases.prune()
