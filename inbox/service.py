"""What counsellors do in the inbox, with the permission checks: see a queue, open a case, claim it, reply, write
private notes, label, reveal the number, transfer, close, hand back to the bot. Every action goes to the audit
log; every change is published for the other open inbox pages.

A counsellor sees and acts on the cases of their own centre only; a supervisor on every centre's cases;
campaign staff and admins on none (403).
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from core.messages import OutboundMessage
from handoff import texts
from handoff.cases import OUTCOMES, Case, glance
from handoff.desk import HandoffDesk
from inbox.accounts import Account, Accounts
from inbox.audit import Audit
from inbox.presence import Presence
from messaging.delivery import OutsideWindow, UnknownChannel

MAX_REPLY_CHARS = 4000
MAX_LABELS = 10
SEARCH_DAYS = 7  # the search covers open cases and the cases opened in the last week
SEARCH_RESULTS = 50
EARLIER_CASES = 20  # the case view lists at most this many earlier cases of the same person
# Channels whose user ids name the same person: a phone number on WhatsApp is the same number on SMS.
LINKED_CHANNELS = {"whatsapp": ("sms",), "sms": ("whatsapp",)}


class InboxError(Exception):
    """An action refused: `status` is the HTTP status to answer with; `code` and `params` name the reason for the
    page, which says it in the counsellor's language (`errors.{code}` in inbox/locales/)."""

    def __init__(self, status: int, reason: str, code: str = "", **params: object) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.code = code
        self.params = params


# The channels whose user id is the person's phone number: the only cases with a number to show. A web chat,
# Telegram or Viber id is an opaque handle: showing it tells a counsellor nothing and would be logged as a reveal.
NUMBERED_CHANNELS = frozenset({"whatsapp", "sms"})


def mask(user_id: str) -> str:
    """A user id (a phone number on WhatsApp) with all but its last three characters hidden (at most nine
    dots: a 36-character web chat id reads like a short handle, not a wall of dots)."""
    core = user_id.split(":", 1)[-1]
    return "•" * min(max(len(core) - 3, 3), 9) + core[-3:]


class Inbox:
    """The counsellors' actions on cases."""

    def __init__(
        self,
        desk: HandoffDesk,
        accounts: Accounts,
        audit: Audit,
        claim_seconds: int,
        *,
        templates: dict[str, str] | None = None,
        presence: Presence | None = None,
        sla_minutes: tuple[float, float] = (15.0, 60.0),
    ) -> None:
        self.desk = desk
        self.sla_minutes = sla_minutes  # a card is amber from the first, red from the second
        self.templates = templates or {}  # language -> the approved WhatsApp template (ContentSid)
        self.presence = presence or Presence(desk.cases.redis)
        self.accounts = accounts
        self.audit = audit
        self.claim_seconds = claim_seconds

    # Reading -----------------------------------------------------------------------------------------------

    def _summary(self, case: Case, holder: str = "") -> dict[str, Any]:
        centre = self.desk.centres.get(case.centre)
        return {
            "id": case.id,
            "centre": case.centre,
            "centre_name": centre.name if centre else case.centre,
            "language": case.language,
            "channel": case.channel,
            "reason": case.reason,
            "topic": case.topic,
            "urgent": case.urgent,
            "state": case.state,
            "assignee": case.assignee,
            "holder": holder,
            "overflow": case.overflow,
            "labels": case.labels,
            "origin": case.origin,
            "created_at": case.created_at,
            "waiting_seconds": max(0.0, (case.claimed_at or time.time()) - case.created_at),
        }

    async def queue(self, account: Account, centre: str | None = None) -> dict[str, Any]:
        """The open cases the account may see: one centre's, or (supervisors) every centre's, and the overflow (of
        the centre asked for, or of all)."""
        if not account.sees_cases():
            raise InboxError(403, "this account does not work with cases", "no_cases")
        if account.role == "counsellor":
            if centre and centre != account.centre:
                raise InboxError(403, "a counsellor sees the cases of their own centre only", "own_centre_only")
            centres = [account.centre]
        else:
            centres = [centre] if centre else [c.id for c in self.desk.centres.all()]
        cases: list[Case] = []
        for centre_id in centres:
            cases += await self.desk.cases.queue(centre_id)
        cases.sort(key=lambda c: (not c.urgent, c.created_at))
        out: dict[str, Any] = {"cases": await self._cards(cases)}
        if account.role == "supervisor":
            overflow = await self.desk.cases.overflowed()
            out["overflow"] = await self._cards([c for c in overflow if not centre or c.centre == centre])
        out["names"] = await self.accounts.names()
        out["sla_minutes"] = {"amber": self.sla_minutes[0], "red": self.sla_minutes[1]}
        return out

    async def _cards(self, cases: list[Case]) -> list[dict[str, Any]]:
        """Queue cards: the summary, the person's last message (phone numbers hidden), the unread count of the
        assigned counsellor, since when the person waits for an answer, and the country they are in."""
        ids = [c.id for c in cases]
        timelines = await self.desk.cases.timelines(ids)
        seen = await self.desk.cases.seen_by([(c.id, c.assignee) for c in cases])
        cards = []
        for case, timeline, upto in zip(cases, timelines, seen, strict=True):
            fields = await self.desk.conversations.fields(case.conversation_id) if case.is_open else {}
            cards.append(
                {
                    **self._summary(case, await self.desk.cases.holder(case.id)),
                    **glance(case, timeline, upto),
                    "country": fields.get("country", ""),
                }
            )
        return cards

    async def search(self, account: Account, query: str) -> dict[str, Any]:
        """Open and recent cases (SEARCH_DAYS) the account may see whose messages, notes, labels, origin, id or
        counsellor's name hold every word of the query (any case); cards as in the queue, never a number."""
        if not account.sees_cases():
            raise InboxError(403, "this account does not work with cases", "no_cases")
        words = query.casefold().split()
        if not words:
            return {"cases": [], "query": query}
        open_ids: list[Case] = []
        for centre in self.desk.centres.all():
            if account.may_see_centre(centre.id):
                open_ids += await self.desk.cases.queue(centre.id)
        recent = await self.desk.cases.recent(time.time() - SEARCH_DAYS * 24 * 3600)
        seen: set[str] = set()
        candidates: list[Case] = []
        for case in open_ids + sorted(recent, key=lambda c: -c.created_at):
            if case.id in seen or not account.may_see_centre(case.centre) or case.user_id == "erased":
                continue
            seen.add(case.id)
            candidates.append(case)
        names = await self.accounts.names()
        found: list[Case] = []
        for case, timeline in zip(
            candidates, await self.desk.cases.timelines([c.id for c in candidates]), strict=True
        ):
            parts = [case.id, case.origin, " ".join(case.labels), names.get(case.assignee, case.assignee)]
            parts += [
                str(e.get("text", "")) for e in timeline if e.get("kind") in ("user", "bot", "counsellor", "note")
            ]
            haystack = " ".join(parts).casefold()
            if all(word in haystack for word in words):
                found.append(case)
                if len(found) >= SEARCH_RESULTS:
                    break
        return {"cases": await self._cards(found), "names": names, "query": query}

    async def _case(self, account: Account, case_id: str) -> Case:
        if not account.sees_cases():
            raise InboxError(403, "this account does not work with cases", "no_cases")
        case = await self.desk.cases.get(case_id)
        if case is None:
            raise InboxError(404, "no such case", "no_such_case")
        if not account.may_see_centre(case.centre):
            raise InboxError(403, "this case belongs to another centre", "other_centre")
        return case

    async def case(self, account: Account, case_id: str) -> dict[str, Any]:
        """A case with its timeline, claim holder, masked number and the WhatsApp window state."""
        case = await self._case(account, case_id)
        await self.audit.log_once(account.username, "open", case.id)
        holder = await self.desk.cases.holder(case.id)
        window = await self._window_open(case)
        fields = await self.desk.conversations.fields(case.conversation_id) if case.is_open else {}
        timeline = await self.desk.cases.timeline(case.id)
        if account.username in (holder, case.assignee):  # the assigned counsellor has read it all now
            await self.desk.cases.mark_seen(case, account.username, len(timeline))
        return {
            **self._summary(case, holder),
            "user": mask(case.user_id),
            "has_number": case.channel in NUMBERED_CHANNELS,
            "country": fields.get("country", ""),
            "claimed_at": case.claimed_at,
            "first_response_at": case.first_response_at,
            "closed_at": case.closed_at,
            "outcome": case.outcome,
            "window_open": window,
            "template_ready": bool(self.templates.get(case.language) or self.templates.get("ro")),
            "timeline": timeline,
            "mine": holder == account.username,
            "names": await self.accounts.names(),
            "urgent_message": urgent_message(case, timeline),
            **await self._earlier(account, case),
        }

    async def _earlier(self, account: Account, case: Case) -> dict[str, Any]:
        """The person's other cases (this conversation, and the same number on a linked channel), newest first:
        those the account may open as short cards, and how many more belong to centres it may not see."""
        if case.user_id == "erased":
            return {"earlier": [], "earlier_elsewhere": 0}
        conversations = [case.conversation_id]
        conversations += [f"{other}:{case.user_id}" for other in LINKED_CHANNELS.get(case.channel, ())]
        found: list[Case] = []
        for conversation in conversations:
            found += await self.desk.cases.of_conversation(conversation)
        others = sorted((c for c in found if c.id != case.id), key=lambda c: -c.created_at)
        visible = [c for c in others if account.may_see_centre(c.centre)][:EARLIER_CASES]
        cards = [{**self._summary(c), "closed_at": c.closed_at, "outcome": c.outcome} for c in visible]
        return {
            "earlier": cards,
            "earlier_elsewhere": sum(1 for c in others if not account.may_see_centre(c.centre)),
        }

    async def _window_open(self, case: Case) -> bool | None:
        """Whether free text can reach the user (WhatsApp's 24-hour window); None where no window applies."""
        if not self.desk.delivery.has_reply_window(case.channel) or not case.is_open:
            return None
        try:
            return await self.desk.delivery.window_open(case.channel, case.user_id)
        except UnknownChannel:
            return None

    async def reveal(self, account: Account, case_id: str) -> str:
        """The user's full id (phone number); the reveal is logged. Only WhatsApp and SMS cases have one."""
        case = await self._case(account, case_id)
        if case.channel not in NUMBERED_CHANNELS:
            raise InboxError(409, "only WhatsApp and SMS cases have a phone number", "no_number")
        await self.audit.log(account.username, "reveal_number", case.id)
        return case.user_id

    # Changing ----------------------------------------------------------------------------------------------

    async def _open(self, account: Account, case_id: str) -> Case:
        """The case, which must be open."""
        case = await self._case(account, case_id)
        if not case.is_open:
            raise InboxError(409, "the case is closed", "case_closed")
        return case

    async def _not_held_by_another(self, account: Account, case_id: str) -> Case:
        """The open case, unless a colleague holds its claim (a supervisor may act on any)."""
        case = await self._open(account, case_id)
        holder = await self.desk.cases.holder(case.id)
        if holder and holder != account.username and account.role != "supervisor":
            raise await self._claimed_by(holder)
        return case

    async def _mine(self, account: Account, case_id: str) -> Case:
        """The case, which must be open and claimed by this account (the claim is renewed)."""
        case = await self._open(account, case_id)
        holder = await self.desk.cases.holder(case.id)
        if holder != account.username:
            raise (
                await self._claimed_by(holder)
                if holder
                else InboxError(409, "claim the case first", "claim_first")
            )
        await self.desk.cases.claim(case, account.username, self.claim_seconds)
        return case

    async def _claimed_by(self, holder: str) -> InboxError:
        """The refusal of an action on a case a colleague holds (the page shows the colleague's name)."""
        colleague = await self.accounts.get(holder)
        return InboxError(409, f"claimed by {holder}", "claimed_by", name=colleague.name if colleague else holder)

    async def claim(self, account: Account, case_id: str) -> dict[str, Any]:
        """Claim a case (exclusive; renews one's own claim). 409 if a colleague holds it."""
        case = await self._open(account, case_id)
        was = case.assignee
        holder = await self.desk.cases.claim(case, account.username, self.claim_seconds)
        if holder != account.username:
            raise await self._claimed_by(holder)
        if was != account.username:
            await self.desk.cases.add(case, "event", "claimed", by=account.username)
            await self.desk.conversations.set_fields(case.conversation_id, state="human")
            await self.desk.counsellor_took(case, account.name, account.centre or case.centre)
            await self.audit.log(account.username, "claim", case.id)
            await self.desk.events.publish("case_claimed", case.id, case.centre, urgent=case.urgent)
        return {"holder": holder, "claim_seconds": self.claim_seconds}

    async def reply(self, account: Account, case_id: str, text: str) -> None:
        """Send a reply on the user's channel, in order, and add it to the timeline."""
        text = text.strip()
        if not text or len(text) > MAX_REPLY_CHARS:
            raise InboxError(
                422, f"a reply has 1 to {MAX_REPLY_CHARS} characters", "reply_length", max=MAX_REPLY_CHARS
            )
        case = await self._mine(account, case_id)
        try:
            message = await self.desk.counsellor_message(
                case, account.username, account.name, account.centre, text
            )
            await self.desk.delivery.send(case.channel, case.user_id, [message], lane="reply")
        except OutsideWindow as exc:
            reason = "outside the WhatsApp 24-hour window: send the approved template"
            raise InboxError(409, reason, "outside_window") from exc
        except UnknownChannel as exc:
            raise InboxError(
                409, f"the {case.channel} channel is off", "channel_off", channel=case.channel
            ) from exc
        await self.desk.said_by(case, account.username)
        await self._replied(account, case, text, "reply")

    async def send_template(self, account: Account, case_id: str) -> None:
        """WhatsApp outside the 24-hour window: send the approved template that invites the user to write."""
        case = await self._mine(account, case_id)
        if not self.desk.delivery.has_templates(case.channel):
            raise InboxError(
                409, "templates are for WhatsApp outside the 24-hour window", "templates_whatsapp_only"
            )
        template = self.templates.get(case.language) or self.templates.get("ro", "")
        if not template:
            reason = "no approved template is configured (WHATSAPP_COUNSELLOR_TEMPLATE_*)"
            raise InboxError(409, reason, "no_template")
        centre = self.desk.centres.get(case.centre)
        variables = {"1": centre.name if centre else case.centre}
        await self.desk.delivery.send_template(case.channel, case.user_id, template, variables)
        await self._replied(account, case, f"[template {template}]", "template")

    async def _replied(self, account: Account, case: Case, text: str, action: str) -> None:
        await self.desk.cases.add(case, "counsellor", text, by=account.username)
        if not case.first_response_at:
            await self.desk.cases.update(case, first_response_at=time.time())
        await self.audit.log(account.username, action, case.id)
        await self.desk.events.publish("case_message", case.id, case.centre, urgent=case.urgent)

    async def note(self, account: Account, case_id: str, text: str) -> None:
        """A private note (never sent to the user)."""
        text = text.strip()
        if not text or len(text) > MAX_REPLY_CHARS:
            raise InboxError(
                422, f"a note has 1 to {MAX_REPLY_CHARS} characters", "note_length", max=MAX_REPLY_CHARS
            )
        case = await self._case(account, case_id)
        await self.desk.cases.add(case, "note", text, by=account.username)
        await self.audit.log(account.username, "note", case.id)
        await self.desk.events.publish("case_updated", case.id, case.centre, urgent=case.urgent)

    async def label(self, account: Account, case_id: str, labels: list[str]) -> list[str]:
        """Set the case's labels (short words, at most ten)."""
        clean = sorted({lbl.strip().lower()[:30] for lbl in labels if lbl.strip()})
        if len(clean) > MAX_LABELS:
            raise InboxError(422, f"at most {MAX_LABELS} labels", "too_many_labels", max=MAX_LABELS)
        case = await self._case(account, case_id)
        await self.desk.cases.update(case, labels=clean)
        await self.audit.log(account.username, "labels", case.id, ",".join(clean))
        await self.desk.events.publish("case_updated", case.id, case.centre, urgent=case.urgent)
        return clean

    async def transfer(
        self, account: Account, case_id: str, centre: str = "", counsellor: str = "", reason: str = ""
    ) -> None:
        """Move the case to another centre's queue, or give it to a named counsellor; `reason` (staff's words,
        never sent to the person) stays in the timeline."""
        case = await self._not_held_by_another(account, case_id)
        previous = case.centre
        if counsellor:
            target = await self.accounts.get(counsellor)
            if not target or not target.active or target.role != "counsellor":
                raise InboxError(422, "no such counsellor", "no_such_counsellor")
            if target.centre != case.centre:
                await self.desk.cases.move(case, target.centre)
            await self.desk.cases.give(case, target.username, self.claim_seconds)
            await self.desk.conversations.set_fields(case.conversation_id, state="human")
            detail = f"counsellor {target.username}"
        elif centre:
            if self.desk.centres.get(centre) is None:
                raise InboxError(422, "no such centre", "no_such_centre")
            await self.desk.cases.move(case, centre)
            await self.desk.conversations.set_fields(case.conversation_id, state="queued")
            detail = f"centre {centre}"
        else:
            raise InboxError(422, "say which centre or counsellor", "transfer_where")
        why = {"why": reason.strip()} if reason.strip() else {}
        await self.desk.cases.add(case, "event", "transferred", by=account.username, to=detail, **why)
        if counsellor:  # the person hears who has their case now, or where it went
            await self.desk.counsellor_took(case, target.name, target.centre)
        else:
            await self.desk.moved(case)
        await self.audit.log(account.username, "transfer", case.id, detail)
        await self.desk.events.publish(
            "case_updated", case.id, case.centre, previous_centre=previous, urgent=case.urgent
        )

    async def close(self, account: Account, case_id: str, outcome: str, hand_back: bool = False) -> None:
        """Close the case with an outcome (or hand it back to the bot); the bot answers the user again."""
        if not hand_back and outcome not in OUTCOMES:
            raise InboxError(422, f"outcome must be one of {', '.join(OUTCOMES)}", "bad_outcome")
        case = await self._not_held_by_another(account, case_id)
        outcome = "handed_back" if hand_back else outcome
        await self.desk.cases.close(case, outcome)
        await self.desk.cases.add(case, "event", "handed_back" if hand_back else "closed", by=account.username)
        await self.desk.return_to_bot(case)
        await self.desk.tell(case, [OutboundMessage(texts.text("handed_back", case.language))])
        await self.audit.log(account.username, "hand_back" if hand_back else "close", case.id, outcome)
        await self.desk.events.publish("case_updated", case.id, case.centre, urgent=case.urgent)

    # Figures -----------------------------------------------------------------------------------------------

    async def figures(self, account: Account, days: int = 30, since: float | None = None) -> dict[str, Any]:
        """For supervisors: cases waiting, time to first response and to close, per centre, language, topic; of
        the cases opened in the last `days` days, or since `since` (Unix seconds: the page's "today")."""
        if account.role != "supervisor":
            raise InboxError(403, "figures are for supervisors", "figures_supervisors")
        start = since if since is not None else time.time() - days * 24 * 3600
        cases = await self.desk.cases.recent(start)

        def group(key: str) -> dict[str, dict[str, Any]]:
            out: dict[str, list[Case]] = {}
            for case in cases:
                value = getattr(case, key) or "-"
                out.setdefault(value, []).append(case)
            return {name: _figures(items) for name, items in sorted(out.items())}

        topics: dict[str, list[Case]] = {}
        for case in cases:
            topics.setdefault(case.topic or case.reason, []).append(case)
        on_duty: dict[str, list[str]] = {}
        for username in await self.presence.online():
            person = await self.accounts.get(username)
            if person and person.active and person.sees_cases():
                on_duty.setdefault(person.centre or "all centres", []).append(person.name)
        return {
            "days": days,
            "since": start,
            "on_duty": on_duty,
            "total": _figures(cases),
            "by_centre": group("centre"),
            "by_language": group("language"),
            "by_topic": {name: _figures(items) for name, items in sorted(topics.items())},
        }


def urgent_message(case: Case, timeline: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The person's message that made the case urgent: the last one before the case was made urgent (the
    `urgent` event) or, for a case urgent from the start, before it opened; None for a case that is not urgent."""
    if not case.urgent:
        return None
    marks = [i for i, e in enumerate(timeline) if e.get("kind") == "event" and e.get("text") == "urgent"]
    marks = marks or [i for i, e in enumerate(timeline) if e.get("kind") == "event" and e.get("text") == "opened"]
    if not marks:
        return None
    before = [e for e in timeline[: marks[0]] if e.get("kind") == "user"]
    if not before:
        return None
    return {"text": str(before[-1].get("text", "")), "at": before[-1].get("at")}


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def _figures(cases: list[Case]) -> dict[str, Any]:
    first = [c.first_response_at - c.created_at for c in cases if c.first_response_at]
    closed = [c.closed_at - c.created_at for c in cases if c.closed_at]
    return {
        "cases": len(cases),
        "waiting": sum(1 for c in cases if c.state == "waiting"),
        "open": sum(1 for c in cases if c.is_open),
        "overflow": sum(1 for c in cases if c.overflow and c.state == "waiting"),
        "median_first_response_seconds": _median(first),
        "median_close_seconds": _median(closed),
    }
