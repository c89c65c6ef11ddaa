"""The counsellors' actions in-process against a real Redis: the claim lock expires, notes stay private, labels,
transfer to a counsellor of another centre, close with an outcome, figures, accounts being disabled, the inbox's
language kept on the account and the reasons of refusals for the page, and the approved WhatsApp template outside
the 24-hour window (queued in the real WhatsApp outbox)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from channels.registry import build_channels
from core.messages import InboundMessage
from core.settings import Settings
from handoff.cases import Case
from handoff.texts import text as handoff_text
from inbox.accounts import Account, AccountError
from inbox.service import InboxError
from inbox.wiring import HandoffServices
from messaging.conversations import Conversations
from messaging.delivery import Delivery
from messaging.outbox import Outbox
from messaging.web_outbox import WebOutbox
from ops.local_stack import TEST_REDIS_PORT

DB, RASA_DB = 10, 9
RETENTION = 90 * 24 * 3600
PASSWORD = "correct horse battery staple"


@pytest.fixture
async def handoff() -> AsyncIterator[HandoffServices]:
    settings = Settings(redis_url=f"redis://127.0.0.1:{TEST_REDIS_PORT}/{DB}", rasa_redis_db=RASA_DB)
    redis = Redis.from_url(settings.redis_url)
    await redis.flushdb()
    services = HandoffServices.build(
        settings, redis, Conversations(redis, RETENTION), Delivery(WebOutbox(redis, RETENTION))
    )
    yield services
    await services.aclose()
    await redis.aclose()


async def team(handoff: HandoffServices) -> dict[str, Account]:
    centres = set(handoff.centres.by_id)
    made = {}
    for name, role, centre in (
        ("ana", "counsellor", "iasi"),
        ("ion", "counsellor", "iasi"),
        ("dan", "counsellor", "bacau"),
    ):
        made[name] = await handoff.accounts.add(
            name, PASSWORD, role=role, centre=centre, name=name.title(), centres=centres
        )
    made["sup"] = await handoff.accounts.add(
        "sup", PASSWORD, role="supervisor", centre="", name="Sup", centres=centres
    )
    return made


async def new_case(handoff: HandoffServices, user: str = "u1") -> Case:
    await handoff.desk.conversations.set_fields(f"web:{user}", origin="Iași")
    return await handoff.desk.open_case(InboundMessage("web", user, "operator"), "ro", "user_request", False, "")


async def sent_to(handoff: HandoffServices, user: str) -> list[str]:
    messages, _ = await WebOutbox(handoff.desk.cases._redis, RETENTION).read(user, "0-0")
    return [str(m["text"]) for m in messages]


async def test_a_claim_is_exclusive_until_its_lock_expires(handoff: HandoffServices) -> None:
    people = await team(handoff)
    case = await new_case(handoff)
    handoff.inbox.claim_seconds = 1
    assert (await handoff.inbox.claim(people["ana"], case.id))["holder"] == "ana"
    with pytest.raises(InboxError) as refused:
        await handoff.inbox.claim(people["ion"], case.id)
    assert refused.value.status == 409 and "ana" in refused.value.reason
    await asyncio.sleep(1.2)  # Ana left: her lock expired
    assert (await handoff.inbox.claim(people["ion"], case.id))["holder"] == "ion"
    with pytest.raises(InboxError):
        await handoff.inbox.reply(people["ana"], case.id, "still here?")


async def test_notes_stay_private_and_replies_go_out_and_count_as_first_response(handoff: HandoffServices) -> None:
    people = await team(handoff)
    case = await new_case(handoff)
    await handoff.inbox.claim(people["ana"], case.id)
    before = await sent_to(handoff, "u1")
    assert before[-1] == "Ana de la centrul din Iași a preluat conversația și îți scrie aici."  # issue 12
    await handoff.inbox.note(people["ana"], case.id, "pare că e vorba de salariu neplătit")
    assert await sent_to(handoff, "u1") == before
    await handoff.inbox.reply(people["ana"], case.id, "Bună ziua, vă ascult.")
    assert (await sent_to(handoff, "u1"))[-1] == "Bună ziua, vă ascult."
    kinds = [(e["kind"], e.get("by")) for e in await handoff.desk.cases.timeline(case.id)]
    assert ("note", "ana") in kinds and ("counsellor", "ana") in kinds
    labels = await handoff.inbox.label(people["ana"], case.id, [" Wages ", "wages", "contract", ""])
    assert labels == ["contract", "wages"]
    figures = await handoff.inbox.figures(people["sup"])
    iasi = figures["by_centre"]["iasi"]
    assert iasi["cases"] == 1 and iasi["median_first_response_seconds"] is not None
    assert figures["by_language"]["ro"]["open"] == 1 and figures["by_topic"]["user_request"]["cases"] == 1
    with pytest.raises(InboxError) as not_for_counsellors:
        await handoff.inbox.figures(people["ana"])
    assert not_for_counsellors.value.status == 403


async def test_transfer_to_a_counsellor_of_another_centre_then_close(handoff: HandoffServices) -> None:
    people = await team(handoff)
    case = await new_case(handoff)
    await handoff.inbox.claim(people["ana"], case.id)
    await handoff.inbox.transfer(people["ana"], case.id, counsellor="dan")
    moved = await handoff.desk.cases.get(case.id)
    assert moved is not None and moved.centre == "bacau" and moved.assignee == "dan"
    assert await handoff.desk.cases.holder(case.id) == "dan"
    with pytest.raises(InboxError) as gone:
        await handoff.inbox.case(people["ana"], case.id)  # Iași cannot see it any more
    assert gone.value.status == 403
    with pytest.raises(InboxError) as bad:
        await handoff.inbox.close(people["dan"], case.id, "whatever")
    assert bad.value.status == 422
    await handoff.inbox.close(people["dan"], case.id, "referred")
    closed = await handoff.desk.cases.get(case.id)
    assert closed is not None and closed.state == "closed" and closed.outcome == "referred" and closed.closed_at
    assert (await handoff.desk.conversations.fields("web:u1"))["state"] == "bot"
    assert (await sent_to(handoff, "u1"))[-1] == handoff_text("handed_back", "ro")
    assert await handoff.desk.cases.queue("bacau") == []
    actions = [e["action"] for e in await handoff.audit.entries(case.id)]
    assert actions[:3] == ["close", "transfer", "claim"]  # newest first


async def test_a_disabled_account_cannot_log_in(handoff: HandoffServices) -> None:
    await team(handoff)
    assert await handoff.accounts.check("ion", PASSWORD) is not None
    assert await handoff.accounts.check("ion", "wrong password") is None
    await handoff.accounts.set_active("ion", False)
    assert await handoff.accounts.check("ion", PASSWORD) is None
    stored = await handoff.desk.cases._redis.hget("hd:inbox:user:ion", "hash")
    assert stored.startswith(b"$argon2id$") and PASSWORD.encode() not in stored


async def test_the_inbox_language_is_kept_on_the_account_and_refusals_name_their_reason(
    handoff: HandoffServices,
) -> None:
    """Issue 12: Romanian unless the account chose; the page's words for a refusal (code and params)."""
    made = await team(handoff)
    assert made["ana"].language == "ro" and (await handoff.accounts.get("ana")).language == "ro"
    await handoff.accounts.set_language("ana", "en")
    assert (await handoff.accounts.get("ana")).language == "en"
    with pytest.raises(AccountError) as wrong:
        await handoff.accounts.set_language("ana", "de")
    assert wrong.value.code == "bad_language"
    assert (await handoff.accounts.get("ana")).language == "en"
    centres = set(handoff.centres.by_id)
    eva = await handoff.accounts.add(
        "eva", PASSWORD, role="counsellor", centre="iasi", name="", centres=centres, language="en"
    )
    assert eva.language == "en" and eva.name == "eva"
    with pytest.raises(AccountError) as taken:
        await handoff.accounts.add("eva", PASSWORD, role="counsellor", centre="iasi", name="", centres=centres)
    assert (taken.value.code, taken.value.params) == ("account_exists", {"username": "eva"})
    assert await handoff.accounts.names() == {"ana": "Ana", "dan": "Dan", "eva": "eva", "ion": "Ion", "sup": "Sup"}
    case = await new_case(handoff)
    await handoff.inbox.claim(made["ana"], case.id)
    with pytest.raises(InboxError) as held:
        await handoff.inbox.claim(made["ion"], case.id)
    assert (held.value.status, held.value.reason) == (409, "claimed by ana")  # the API's detail, as before
    assert (held.value.code, held.value.params) == ("claimed_by", {"name": "Ana"})  # the page's words
    with pytest.raises(InboxError) as elsewhere:
        await handoff.inbox.case(made["dan"], case.id)
    assert (elsewhere.value.status, elsewhere.value.code) == (403, "other_centre")
    seen = await handoff.inbox.case(made["ion"], case.id)
    assert seen["names"]["ana"] == "Ana" and seen["holder"] == "ana"


async def test_outside_the_whatsapp_window_only_the_approved_template_goes_out() -> None:
    settings = Settings(
        redis_url=f"redis://127.0.0.1:{TEST_REDIS_PORT}/{DB}",
        rasa_redis_db=RASA_DB,
        twilio_account_sid="AC" + "0" * 32,
        twilio_auth_token="twilio-auth-token-0123456789abcd",
        twilio_whatsapp_from="whatsapp:+14155238886",
        whatsapp_counsellor_template_ro="HX" + "1" * 32,
    )
    redis = Redis.from_url(settings.redis_url)
    await redis.flushdb()
    channels = build_channels(settings, redis)
    delivery = Delivery(WebOutbox(redis, RETENTION), Outbox(redis, RETENTION), channels)
    handoff = HandoffServices.build(settings, redis, Conversations(redis, RETENTION), delivery)
    try:
        people = await team(handoff)
        number = "+40721000111"
        await handoff.desk.conversations.set_fields(f"whatsapp:{number}", origin="Iași")
        case = await handoff.desk.open_case(
            InboundMessage("whatsapp", number, "operator"), "ro", "user_request", False, ""
        )
        await handoff.inbox.claim(people["ana"], case.id)
        assert (await handoff.inbox.case(people["ana"], case.id))["window_open"] is False  # no message in 24 h
        with pytest.raises(InboxError) as refused:
            await handoff.inbox.reply(people["ana"], case.id, "Bună ziua")
        assert refused.value.status == 409 and "template" in refused.value.reason
        await handoff.inbox.send_template(people["ana"], case.id)
        queued = [f for _, f in await redis.xrange("hd:out:whatsapp:reply")]
        assert len(queued) == 1
        payload = json.loads(queued[0][b"j"])["payload"]
        assert payload["content_sid"] == "HX" + "1" * 32
        assert json.loads(payload["content_variables"]) == {"1": "Iași"}
        timeline = await handoff.desk.cases.timeline(case.id)
        assert timeline[-1]["kind"] == "counsellor" and timeline[-1]["text"].startswith("[template")
    finally:
        for channel in channels.values():
            await channel.aclose()
        await handoff.aclose()
        await redis.aclose()


async def test_a_case_lists_the_persons_earlier_cases_on_linked_channels(handoff: HandoffServices) -> None:
    """Issue 12: the same conversation's and, for WhatsApp and SMS, the same number's cases, within the centres
    the account may see; the others only counted."""
    people = await team(handoff)
    number = "+40722000111"

    async def opened(channel: str, centre: str, user: str = number) -> Case:
        return await handoff.desk.cases.open(
            conversation_id=f"{channel}:{user}",
            channel=channel,
            user_id=user,
            language="ro",
            centre=centre,
            reason="user_request",
            urgent=False,
            topic="",
            origin="",
            history=[],
        )

    first = await opened("whatsapp", "iasi")
    await handoff.desk.cases.close(first, "resolved")
    elsewhere = await opened("whatsapp", "bacau")
    await opened("web", "iasi")  # a web chat id is nobody's number: not linked
    await opened("sms", "iasi", "+40722000999")  # another person
    now = await opened("sms", "iasi")
    seen = await handoff.inbox.case(people["ana"], now.id)
    assert [c["id"] for c in seen["earlier"]] == [first.id]
    assert seen["earlier"][0]["outcome"] == "resolved" and seen["earlier_elsewhere"] == 1
    everything = await handoff.inbox.case(people["sup"], now.id)
    assert [c["id"] for c in everything["earlier"]] == [elsewhere.id, first.id]  # newest first
    assert everything["earlier_elsewhere"] == 0


async def test_only_whatsapp_and_sms_cases_show_a_number_and_each_showing_is_logged(
    handoff: HandoffServices,
) -> None:
    people = await team(handoff)
    number = "+40722000111"
    for channel, user, has_number in (
        ("whatsapp", number, True),
        ("sms", number, True),
        ("telegram", "123456789", False),
        ("viber", "01234567890A==", False),
        ("web", "5f0c3b8e-2f44-4a4e-9d7a-1c2b3d4e5f60", False),
    ):
        case = await handoff.desk.cases.open(
            conversation_id=f"{channel}:{user}",
            channel=channel,
            user_id=user,
            language="ro",
            centre="iasi",
            reason="user_request",
            urgent=False,
            topic="",
            origin="",
            history=[],
        )
        seen = await handoff.inbox.case(people["ana"], case.id)
        assert seen["has_number"] is has_number and seen["user"].endswith(user[-3:]) and len(seen["user"]) <= 12
        if has_number:
            assert await handoff.inbox.reveal(people["ana"], case.id) == user
        else:
            with pytest.raises(InboxError) as refused:
                await handoff.inbox.reveal(people["ana"], case.id)
            assert refused.value.code == "no_number"
        logged = [e for e in await handoff.inbox.audit.entries(case.id) if e["action"] == "reveal_number"]
        assert len(logged) == (1 if has_number else 0)


async def test_the_message_that_made_a_case_urgent(handoff: HandoffServices) -> None:
    people = await team(handoff)
    await handoff.desk.conversations.set_fields("web:u7", origin="Iași")
    await handoff.desk.record("web:u7", "user", ["bună", "m-a bătut patronul"])
    urgent = await handoff.desk.open_case(
        InboundMessage("web", "u7", "m-a bătut patronul"), "ro", "safety", True, ""
    )
    assert (await handoff.inbox.case(people["ana"], urgent.id))["urgent_message"]["text"] == "m-a bătut patronul"

    case = await new_case(handoff, "u8")  # not urgent, then made urgent by a later message
    assert (await handoff.inbox.case(people["ana"], case.id))["urgent_message"] is None
    await handoff.desk.cases.add(case, "user", "mi-e frică să ies din casă")
    await handoff.desk.open_case(
        InboundMessage("web", "u8", "mi-e frică să ies din casă"), "ro", "safety", True, ""
    )
    await handoff.desk.cases.add(case, "user", "mai sunteți acolo?")
    shown = (await handoff.inbox.case(people["ana"], case.id))["urgent_message"]
    assert shown["text"] == "mi-e frică să ies din casă"
