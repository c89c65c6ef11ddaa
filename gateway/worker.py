"""The worker: takes accepted messages from the inbound queue, gets the answer, hands it to the outbox.

Each partition's conversations are answered side by side, each conversation's messages one at a time and in
order (`_Lanes`): nobody waits behind another person's turn (that wait doubled the tail latency under load,
docs/performance.md). At most `max_in_flight` turns are under way at once in one worker.

For each message, in its conversation's order: settle the language (stored, detected or chosen), ask
Rasa with the language in the metadata, deliver the replies. If Rasa is down or slow, the user is told
once, in their language, that the answer will come, and the message waits in the queue: it is retried
until Rasa answers, never dropped. The worker runs inside the gateway process in the embedded setup
(`EMBEDDED_WORKER=true`) or as its own processes (`python -m gateway worker`) at scale.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import logging
import os
import socket
import time
import uuid
from typing import Any

from broadcasts.dialogue import SubscriptionDesk
from core.messages import InboundMessage, OutboundMessage
from handoff.desk import HandoffDesk
from knowledge.cards import COUNTRIES
from knowledge.countries import located
from messaging import metrics
from messaging.conversations import Conversation, Conversations
from messaging.delivery import Delivery, OutsideWindow, UnknownChannel
from messaging.inbound_queue import Entry, InboundQueue
from messaging.language import as_rasa_text, foreign_language, resolve, undecided
from messaging.notices import foreign_notice, languages_offer, notice
from messaging.rasa_client import RasaClient, RasaReply, RasaUnavailable
from messaging.web_outbox import WebOutbox
from safety.alert import SAFETY_SIGNAL, hotline_message
from safety.triage import Assessment, assess

log = logging.getLogger(__name__)

LEASE_MS = 15_000
HEARTBEAT_SECONDS = 5
HOUSEKEEPING_SECONDS = 5
_RETRY_FIRST_SECONDS = 0.5
_RETRY_MAX_SECONDS = 5.0
_WAIT_NOTICE_EVERY_SECONDS = 600
_MAX_FRAGMENTS = 10  # at most this many fragments make one turn
# After a case closed, a message the assistant reads below this confidence, or as one of these intents, offers
# the counsellor again (handoff/desk.py, offer_again).
UNSURE_BELOW = 0.5
_MISSES = ("nlu_fallback", "out_of_scope")
LANGUAGES_OFFERED_FOR_SECONDS = 30 * 86_400  # the three languages are offered once; then Romanian is the default


class Worker:
    """Handles the inbound queue's partitions that this process can take."""

    def __init__(
        self,
        queue: InboundQueue,
        conversations: Conversations,
        rasa: RasaClient,
        web_outbox: WebOutbox,
        *,
        desk: HandoffDesk,
        delivery: Delivery | None = None,
        coalesce_seconds: float = 0.0,
        subscriptions: SubscriptionDesk | None = None,
        max_in_flight: int = 64,
    ) -> None:
        self._queue = queue
        self._conversations = conversations
        self._rasa = rasa
        self._web = web_outbox
        self._delivery = delivery or Delivery(web_outbox)
        self._coalesce = coalesce_seconds  # messenger fragments this close together are one turn
        self._desk = desk  # cases and the inbox
        self._subscriptions = subscriptions  # subscribing to alerts and leaving (broadcasts/dialogue.py)
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._stopping = asyncio.Event()
        self.held: set[int] = set()
        self._share = queue.partitions
        # Turns answered at once by this worker, over all its partitions and conversations.
        self._in_flight = asyncio.Semaphore(max_in_flight)

    async def run(self) -> None:
        """Work every partition this process can hold until `stop` is called."""
        log.info("worker %s started on %d partitions", self.owner, self._queue.partitions)
        await self._heartbeat()
        beat = asyncio.create_task(self._keep_beating())
        house = asyncio.create_task(self._keep_house())
        try:
            await asyncio.gather(*(self._run_partition(p) for p in range(self._queue.partitions)))
        finally:
            beat.cancel()
            house.cancel()
            with contextlib.suppress(Exception):
                await self._queue.leave(self.owner)
        log.info("worker %s stopped", self.owner)

    def stop(self) -> None:
        """Finish the message in hand, then stop."""
        self._stopping.set()

    async def _heartbeat(self) -> None:
        alive = await self._queue.heartbeat(self.owner, ttl_seconds=HEARTBEAT_SECONDS * 3)
        self._share = self._queue.fair_share(alive)

    async def _keep_beating(self) -> None:
        while not self._stopping.is_set():
            await self._sleep(HEARTBEAT_SECONDS)
            try:
                await self._heartbeat()
            except Exception:
                log.warning("worker heartbeat failed; retrying", exc_info=True)

    async def _keep_house(self) -> None:
        """The handoff's periodic work (overflow to the supervisors' queue), every few seconds."""
        while not self._stopping.is_set():
            try:
                await self._desk.housekeeping()
            except Exception:
                log.warning("handoff housekeeping failed; retrying", exc_info=True)
            await self._sleep(HOUSEKEEPING_SECONDS)

    async def _run_partition(self, partition: int) -> None:
        while not self._stopping.is_set():
            try:
                if partition not in self.held and len(self.held) >= self._share:
                    await self._sleep(LEASE_MS / 3000)  # this worker has its fair share already
                    continue
                if not await self._queue.hold(partition, self.owner, LEASE_MS):
                    self.held.discard(partition)
                    await self._sleep(LEASE_MS / 3000)
                    continue
                self.held.add(partition)
                await _Lanes(self, partition).work()
                if len(self.held) > self._share:  # more workers now: give this partition back
                    self.held.discard(partition)
                    await self._queue.release(partition, self.owner)
                    await self._sleep(LEASE_MS / 1000)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("partition %d: error, retrying", partition)
                await self._sleep(1)
        self.held.discard(partition)
        try:
            await self._queue.release(partition, self.owner)
        except Exception:  # shutting down: the lease expires by itself
            log.debug("could not release partition %d", partition, exc_info=True)

    async def _answer_turn(self, entry: Entry, absorbed: set[str]) -> bool:
        """Answer an entry with the fragments that follow it, then mark them done; False if stopping first."""
        async with self._in_flight:
            turn = await self._turn(entry)
            absorbed.update(fragment.entry_id for fragment in turn[1:])
            if not await self._handle_once(_merged(turn)):
                return False  # stopping: the entries stay pending for the next holder
            for fragment in turn:
                await self._queue.done(fragment)
            return True

    async def _turn(self, entry: Entry) -> list[Entry]:
        """The entry and the text fragments the same messenger user sent right after it, each within
        COALESCE_SECONDS of the one before (people type in fragments): they are answered as one turn.
        Waits until the user has paused that long; later entries are looked up in the stream itself."""
        first = entry.message
        if first is None or not _fragment(first) or self._coalesce <= 0:
            return [entry]
        turn = [entry]
        while len(turn) < _MAX_FRAGMENTS and not self._stopping.is_set():
            last = turn[-1].message
            assert last is not None
            pause = last.received_at + self._coalesce - time.time()
            if pause > 0:
                await self._sleep(pause)
                await self._queue.hold(entry.partition, self.owner, LEASE_MS)
            more: list[Entry] = []
            for later in await self._queue.after(entry.partition, turn[-1].entry_id):
                message = later.message
                if message is None or message.conversation_id != first.conversation_id:
                    continue
                previous = (more[-1] if more else turn[-1]).message
                assert previous is not None
                if not _fragment(message) or message.received_at - previous.received_at > self._coalesce:
                    break
                more.append(later)
            if not more:
                break
            turn.extend(more[: _MAX_FRAGMENTS - len(turn)])
        return turn

    async def _handle_once(self, entry: Entry) -> bool:
        """`_handle`, unless a worker that died before marking the entry done had answered it already: then it is
        not answered twice, and only what followed the replies (the assistant's signals) is done again, since
        acting twice on a signal is better than not at all."""
        message = entry.message
        signals = await self._queue.answered(message) if message is not None else None
        if message is None or signals is None:
            return await self._handle(entry)
        started = time.perf_counter()
        conversation = await self._conversations.get(message.conversation_id)
        language, _ = resolve(conversation.language or message.locale, message.text, message.language)
        for signal in signals:
            await self._signal(message, language, signal)
        await self._finish_early(message, started, "answered_before")
        return True

    async def _handle(self, entry: Entry) -> bool:
        """Answer one message; False if the worker is stopping before it could."""
        message = entry.message
        if message is None:
            metrics.WORKER_MESSAGES.labels(result="unreadable").inc()
            return True
        started = time.perf_counter()
        conversation = await self._conversations.get(message.conversation_id)
        language, _ = resolve(conversation.language or message.locale, message.text, message.language)
        # A first message that does not tell its language ("ok", "ciao") and no client hint: none is stored yet.
        offer = message.kind == "text" and undecided(
            conversation.language or message.locale, message.text, message.language
        )
        await self._conversations.touch(message.conversation_id, message.channel, None if offer else language)
        if message.kind == "location" and message.latitude is not None and message.longitude is not None:
            await self._conversations.set_location(message.conversation_id, message.latitude, message.longitude)
        alert, conversation = await self._safety_first(message, conversation, language)

        # Handoff: while a case is open (state "queued" or "human") the message goes into the case, live to
        # the counsellor, and the bot stays silent.
        # ("Delete my data" buttons still reach the assistant, which asks for confirmation.)
        if conversation.state in ("queued", "human") and not self._desk.for_the_bot(message.text):
            await self._desk.on_user_message(message, language)
            if alert.urgent:
                await self._signal(message, language, SAFETY_SIGNAL)
            await self._finish_early(message, started, "to_case")
            return True
        await self._desk.record(message.conversation_id, "user", [message.text])
        if alert.urgent:
            await self._signal(message, language, SAFETY_SIGNAL)
            await self._finish_early(message, started, "safety_alert")
            return True
        if await self._answered_without_rasa(message, language, started, offer):
            return True
        reply = await self._ask_rasa_until_answered(entry, message, language, conversation.country)
        if reply is None:
            return False
        # The replies and the record that they were stored go in one transaction (the entry is done after).
        await self._deliver(message, reply.messages, once=self._queue.answer_record(message, reply.signals))
        await self._desk.record(message.conversation_id, "bot", [m.text for m in reply.messages])
        for signal in reply.signals:  # after the replies: the user reads the bot's answer, then the handoff's
            await self._signal(message, language, signal)
        if message.kind == "start" and self._subscriptions:  # Telegram /start: the alerts are offered
            await self._deliver(message, await self._subscriptions.offer_if_new(message, language))
        total = time.perf_counter() - started
        metrics.WORKER_MESSAGES.labels(result="answered").inc()
        metrics.WORKER_OVERHEAD.observe(max(total - reply.seconds, 0.0))
        metrics.QUEUE_WAIT.observe(max(time.time() - message.received_at, 0.0))
        if message.channel == "web":
            await self._web.finish(message.message_id, {"rasa": reply.seconds * 1000, "worker": total * 1000})
        return True

    async def _answered_without_rasa(
        self, message: InboundMessage, language: str, started: float, offer_languages: bool = False
    ) -> bool:
        """What Rasa need not see: a location or a file without text (a notice says it was noted, or that only
        text is understood yet), and a message in a language we do not speak (one short answer in it and in
        ours, with the language buttons and a counsellor); subscribing to alerts and leaving them (the
        payloads /subscribe..., /unsubscribe, STOP / BASTA / BAJA and the leaving phrases); soon after a case
        closed, "is anyone there?" or a message the assistant is unsure of (the counsellor offered again)."""
        if self._subscriptions and (answer := await self._subscriptions.answer(message, language)) is not None:
            await self._deliver(message, answer)
            await self._finish_early(message, started, "subscription")
            return True
        if message.kind in ("location", "media") and not message.text.strip():
            kind = "location_saved" if message.kind == "location" else "media_only"
            await self._deliver(message, [notice(kind, language)])
            await self._finish_early(message, started, message.kind)
            return True
        foreign = foreign_language(message.text) if message.kind == "text" else None
        if foreign:
            await self._deliver(message, [foreign_notice(foreign)])
            await self._finish_early(message, started, "foreign")
            return True
        if offer_languages and await self._conversations.first_notice(
            message.conversation_id, "languages", LANGUAGES_OFFERED_FOR_SECONDS
        ):
            await self._deliver(message, [languages_offer()])
            await self._finish_early(message, started, "languages")
            return True
        # Soon after a case closed, "e cineva acolo?" or a message the assistant is unsure of gets the
        # counsellor offered again (handoff/desk.py), not an unrelated answer card.
        if await self._desk.offer_again(message, language, lambda: self._understood(message.text, language)):
            await self._finish_early(message, started, "offer_again")
            return True
        return False

    async def _safety_first(
        self, message: InboundMessage, conversation: Conversation, language: str
    ) -> tuple[Assessment, Conversation]:
        """Safety first: danger signs get the hotline of the user's country before anything else answers,
        whoever owns the conversation and whether or not Rasa is up; the case is then opened as urgent.

        Otherwise a statement of where the user is ("lucrez in Italia") is kept, whatever the assistant
        makes of the rest of the message, so that a later danger message gets the hotline that works
        there. A danger message never changes it: the place it names is often where the person is from."""
        alert = assess(message.text)
        if alert.urgent:
            metrics.SAFETY_ALERTS.inc()
            foreign = foreign_language(message.text) if message.kind == "text" else None
            await self._deliver(message, [hotline_message(language, conversation.country, message.text, foreign)])
        elif (here := located(message.text)) and here != conversation.country:
            await self._conversations.set_fields(message.conversation_id, country=here)
            conversation = dataclasses.replace(conversation, country=here)
        return alert, conversation

    async def _finish_early(self, message: InboundMessage, started: float, result: str) -> None:
        """Count a message finished without asking Rasa, and release a web chat request waiting for it."""
        metrics.WORKER_MESSAGES.labels(result=result).inc()
        if message.channel == "web":
            await self._web.finish(message.message_id, {"worker": (time.perf_counter() - started) * 1000})

    async def _signal(self, message: InboundMessage, language: str, signal: dict[str, Any]) -> None:
        """Act on a signal for the gateway (a custom JSON reply from the assistant, or the safety triage).

        {"handoff": reason, "urgent": bool, "topic": id} opens a case (handoff/desk.py), {"privacy": "erase"}
        erases the user's data; {"profile": ...} is stored by the assistant's side; {"subscription": "offer"}
        asks which alerts they want, {"subscription": "stop"} ends their subscription (broadcasts/dialogue.py).
        """
        profile = signal.get("profile")
        if isinstance(profile, dict) and profile.get("country") in COUNTRIES:
            await self._conversations.set_fields(message.conversation_id, country=profile["country"])
            if self._subscriptions:
                await self._subscriptions.refresh(message.conversation_id, language, profile["country"])
        if self._subscriptions and signal.get("subscription"):
            await self._deliver(message, await self._subscriptions.on_signal(message, language, signal))
        await self._desk.on_signal(message, language, signal)

    async def _understood(self, text: str, language: str) -> bool:
        """Whether the assistant reads the text confidently: an intent of ours above UNSURE_BELOW. While Rasa is
        unavailable the message takes the usual way (it waits for Rasa)."""
        try:
            intent, confidence = await self._rasa.intent(as_rasa_text(text, language))
        except RasaUnavailable:
            return True
        return intent not in _MISSES and confidence >= UNSURE_BELOW

    async def _ask_rasa_until_answered(
        self, entry: Entry, message: InboundMessage, language: str, country: str | None
    ) -> RasaReply | None:
        # The message id, the same on every try, is kept in Rasa's tracker. A try that may follow a turn Rasa
        # finished without our hearing of it (a retry, or an entry an earlier holder left unfinished) says
        # `retry`: Rasa then answers a message it already answered from its tracker instead of running the
        # turn again (rasa_server/replays.py); a first try spares Rasa that look.
        metadata: dict[str, Any] = {
            "language": language,
            "channel": message.channel,
            "message_id": message.message_id,
        }
        if country:
            metadata["country"] = country
        if entry.redelivered:
            metadata["retry"] = True
        delay = _RETRY_FIRST_SECONDS
        while not self._stopping.is_set():
            if delay > _RETRY_FIRST_SECONDS:
                metadata["retry"] = True
            try:
                text = as_rasa_text(message.text, language)
                reply = await self._rasa.send(message.conversation_id, text, metadata)
                metrics.RASA_SECONDS.observe(reply.seconds)
                if delay > _RETRY_FIRST_SECONDS:
                    log.info("Rasa answers again; partition %d goes on", entry.partition)
                await self._conversations.clear_notice(message.conversation_id, "waiting")
                return reply
            except RasaUnavailable as exc:
                metrics.RASA_ERRORS.labels(reason=str(exc)[:40]).inc()
                level = logging.WARNING if delay == _RETRY_FIRST_SECONDS else logging.DEBUG
                log.log(level, "Rasa unavailable (%s); partition %d waits and retries", exc, entry.partition)
                await self._tell_waiting(entry.partition)
                await self._queue.hold(entry.partition, self.owner, LEASE_MS)
                await self._sleep(delay)
                delay = min(delay * 2, _RETRY_MAX_SECONDS)
        return None

    async def _tell_waiting(self, partition: int) -> None:
        """Tell everyone whose message waits in this partition, once, that the answer will come."""
        for waiting in await self._queue.waiting(partition):
            conversation = await self._conversations.get(waiting.conversation_id)
            if await self._conversations.first_notice(
                waiting.conversation_id, "waiting", _WAIT_NOTICE_EVERY_SECONDS
            ):
                language, _ = resolve(conversation.language, waiting.text, waiting.language)
                await self._deliver(waiting, [notice("waiting", language)])

    async def _deliver(
        self, message: InboundMessage, replies: list[OutboundMessage], once: tuple[str, str, int] | None = None
    ) -> None:
        if once and not replies:  # nothing to send: the record that the message was answered alone
            await self._queue.record_answer(once)
            return
        try:
            await self._delivery.send(
                message.channel, message.user_id, replies, reply_to=message.message_id, once=once
            )
        except UnknownChannel:
            log.error("no outbox for channel %s; %d replies not sent", message.channel, len(replies))
        except OutsideWindow:
            log.warning("%s: 24-hour window closed; %d replies not sent", message.channel, len(replies))

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)


class _Lanes:
    """One partition while this worker holds it: each conversation's messages in a lane of their own, answered
    one at a time and in order, the lanes side by side, so nobody waits behind another person's turn.

    Entries an earlier holder left unfinished are read first, then new ones as they come; the lease is renewed
    at every read. When the lease is lost, the worker is stopping or has more than its share, no more is read,
    and the lanes finish what they hold (a stopping worker leaves the rest pending for the next holder)."""

    def __init__(self, worker: Worker, partition: int) -> None:
        self._worker = worker
        self._partition = partition
        self._lanes: dict[str, collections.deque[Entry]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._absorbed: set[str] = set()  # fragments already answered as part of an earlier turn
        self._stopped = False
        self._failed = False

    async def work(self) -> None:
        """Read and dispatch until the partition should be left, then let the lanes finish."""
        worker, queue = self._worker, self._worker._queue
        try:
            after = "0"
            while pending := await queue.read_pending(self._partition, after):
                for entry in pending:
                    self._dispatch(entry)
                after = pending[-1].entry_id
            while not worker._stopping.is_set() and not self._stopped and len(worker.held) <= worker._share:
                for entry in await queue.read_new(self._partition, block_ms=1000):
                    self._dispatch(entry)
                if not await queue.hold(self._partition, worker.owner, LEASE_MS):
                    break
        finally:
            self._stopped = True  # the lanes finish the turn in hand; the rest stays pending for the next holder
            if self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._failed:
            await worker._sleep(1)  # then the partition is read again from its pending entries, in order

    def _dispatch(self, entry: Entry) -> None:
        key = entry.message.conversation_id if entry.message is not None else entry.entry_id
        lane = self._lanes.get(key)
        if lane is not None:
            lane.append(entry)
            return
        self._lanes[key] = collections.deque([entry])
        task = asyncio.create_task(self._run(key))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, key: str) -> None:
        lane = self._lanes[key]
        try:
            while lane and not self._stopped:
                entry = lane[0]
                if entry.entry_id in self._absorbed:
                    self._absorbed.discard(entry.entry_id)
                elif not await self._worker._answer_turn(entry, self._absorbed):
                    self._stopped = True
                    break
                lane.popleft()
        except Exception:
            log.exception(
                "partition %d: error in a conversation's lane; its messages stay pending", self._partition
            )
            self._stopped = self._failed = True  # the partition is read again from its pending entries
        finally:
            del self._lanes[key]


def _fragment(message: InboundMessage) -> bool:
    """A plain text from a messenger user, which may be one fragment of a longer turn."""
    return message.channel != "web" and message.kind == "text" and not message.text.startswith("/")


def _merged(turn: list[Entry]) -> Entry:
    """One entry whose text is the fragments' texts, one per line."""
    first = turn[0]
    if len(turn) == 1 or first.message is None:
        return first
    text = "\n".join(e.message.text for e in turn if e.message)
    return Entry(first.partition, first.entry_id, dataclasses.replace(first.message, text=text))
