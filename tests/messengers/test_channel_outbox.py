"""The messenger outboxes against the platforms' stand-ins: rate, order, retries, 429 and retry_after, stop
signals, replies before bulk, WhatsApp's 24-hour window and templates, rendering for each channel.

Real Redis, the real Delivery / Outbox / OutboxSender and channel classes, run in this process; the
platforms are the local stand-ins, reached over HTTP through the *_API_URL settings. Nothing is patched.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import pytest_asyncio
import redis as redis_sync
from redis.asyncio import Redis

from channels.registry import build_channels
from core.messages import Button, OutboundMessage
from core.settings import Settings
from messaging.conversations import Conversations
from messaging.delivery import Delivery, OutsideWindow
from messaging.outbox import Outbox, OutboxSender
from messaging.send_rate import SendRate
from messaging.web_outbox import WebOutbox
from tests.conftest import REDIS_PORT
from tests.messengers.conftest import OUTBOX_DB, StandIns, channel_env

PUBLIC = "https://helpdesk.example.org"


@dataclass
class Rig:
    """The outbound side of a gateway, in this process."""

    redis: Redis
    settings: Settings
    delivery: Delivery
    outbox: Outbox
    conversations: Conversations
    standins: StandIns
    channels: dict

    def sender(self, name: str, rate: float, max_attempts: int = 6) -> OutboxSender:
        return OutboxSender(
            self.channels[name],
            self.outbox,
            SendRate(self.redis, name, rate),
            self.conversations,
            max_attempts=max_attempts,
            retry_max_seconds=1.0,
        )


@pytest_asyncio.fixture
async def rig(fresh: StandIns) -> AsyncIterator[Rig]:
    redis = Redis(port=REDIS_PORT, db=OUTBOX_DB)
    await redis.flushdb()
    env = {k.lower(): v for k, v in channel_env(fresh, PUBLIC).items()}
    settings = Settings(redis_url=f"redis://127.0.0.1:{REDIS_PORT}/{OUTBOX_DB}", **env)
    channels = build_channels(settings, redis)
    assert sorted(channels) == ["sms", "telegram", "viber", "whatsapp"]
    outbox = Outbox(redis, 3600)
    conversations = Conversations(redis, 3600)
    delivery = Delivery(WebOutbox(redis, 3600), outbox, channels)
    yield Rig(redis, settings, delivery, outbox, conversations, fresh, channels)
    for channel in channels.values():
        await channel.aclose()
    await redis.aclose()


async def run_until(senders: list[OutboxSender], condition, timeout: float) -> None:
    tasks = [asyncio.create_task(s.run()) for s in senders]
    try:
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, "condition not met in time"
            await asyncio.sleep(0.05)
    finally:
        for s in senders:
            s.stop()
        await asyncio.wait(tasks, timeout=10)


def texts(requests: list[dict], key: str = "text") -> list[str]:
    return [str(r.get(key, "")) for r in requests]


async def test_telegram_sends_each_users_messages_in_order_at_the_rate(rig: Rig) -> None:
    users = [str(900_000 + i) for i in range(4)]
    for n in range(10):
        for user in users:
            await rig.delivery.send("telegram", user, [OutboundMessage(f"{user} message {n}")])
    tg = rig.standins.telegram
    await run_until([rig.sender("telegram", rate=20)], lambda: len(tg.messages()) >= 40, timeout=15)
    sent = tg.sent("/sendMessage")
    assert len(sent) == 40
    for user in users:
        mine = [m["text"] for m in tg.messages() if m["chat_id"] == user]
        assert mine == [f"{user} message {n}" for n in range(10)]
    times = [r.at for r in sent]
    assert times[-1] - times[0] >= 39 / 20 * 0.95  # never faster than 20 per second
    for start in times:
        assert sum(1 for t in times if start <= t < start + 1.0) <= 21


async def test_429_with_retry_after_pauses_the_channel_and_the_message_is_sent_once(rig: Rig) -> None:
    tg = rig.standins.telegram
    tg.fail_next("429", retry_after=1)
    ids = await rig.delivery.send("telegram", "900100", [OutboundMessage("first"), OutboundMessage("second")])
    await run_until([rig.sender("telegram", rate=50)], lambda: len(tg.sent("/sendMessage")) >= 3, timeout=10)
    sent = tg.sent("/sendMessage")
    assert [r.body["text"] for r in sent] == ["first", "first", "second"]
    assert sent[1].at - sent[0].at >= 0.95  # retry_after honoured
    for out_id in ids:
        record = await rig.outbox.record(out_id)
        assert record["status"] == "sent" and record["platform_id"]
    assert (await rig.outbox.record(ids[0]))["attempts"] == "2"


async def test_5xx_is_retried_with_backoff_and_given_up_after_the_bound(rig: Rig) -> None:
    vb = rig.standins.viber
    vb.fail_next("500", count=2)
    ok = await rig.delivery.send("viber", "user-a==", [OutboundMessage("after two 500s")])
    await run_until([rig.sender("viber", rate=50)], lambda: len(vb.messages()) >= 3, timeout=10)
    assert texts(vb.messages()) == ["after two 500s"] * 3
    assert (await rig.outbox.record(ok[0]))["status"] == "sent"

    vb.reset()
    vb.fail_next("503", count=10)
    lost = await rig.delivery.send("viber", "user-b==", [OutboundMessage("never accepted")])
    await run_until([rig.sender("viber", rate=50, max_attempts=3)], lambda: len(vb.messages()) >= 3, timeout=10)
    record = await rig.outbox.record(lost[0])
    assert record["status"] == "failed" and record["attempts"] == "3" and "503" in record["error"]
    assert len(vb.messages()) == 3


async def test_stop_signals_mark_the_user_unreachable_and_nothing_more_is_tried(rig: Rig) -> None:
    tg, tw, vb = rig.standins.telegram, rig.standins.twilio, rig.standins.viber
    tg.blocked.add(900200)
    tw.opted_out.add("whatsapp:+40700000200")
    vb.unsubscribed.add("gone==")
    await rig.redis.set("hd:wa:window:+40700000200", "1", ex=60)
    sends = [
        ("telegram", "900200"),
        ("whatsapp", "+40700000200"),
        ("viber", "gone=="),
    ]
    ids = {}
    for channel, user in sends:
        ids[channel] = await rig.delivery.send(channel, user, [OutboundMessage("one"), OutboundMessage("two")])
    senders = [rig.sender(name, rate=50) for name in ("telegram", "whatsapp", "viber")]

    records = redis_sync.Redis(port=REDIS_PORT, db=OUTBOX_DB, decode_responses=True)
    all_ids = [i for v in ids.values() for i in v]

    def all_failed() -> bool:
        return all(records.hget(f"hd:out:msg:{i}", "status") == "failed" for i in all_ids)

    await run_until(senders, all_failed, timeout=10)
    assert len(tg.sent("/sendMessage")) == 1 and len(tw.messages()) == 1 and len(vb.messages()) == 1
    for channel, user in sends:
        assert await rig.conversations.unreachable(f"{channel}:{user}")
        second = await rig.outbox.record(ids[channel][1])
        assert second["error"].startswith("user unreachable"), second
    assert "blocked" in (await rig.outbox.record(ids["telegram"][0]))["error"]
    assert "21610" in (await rig.outbox.record(ids["whatsapp"][0]))["error"]


async def test_replies_go_before_bulk(rig: Rig) -> None:
    tg = rig.standins.telegram
    for n in range(20):
        await rig.delivery.send("telegram", str(910_000 + n), [OutboundMessage(f"bulk {n}")], lane="bulk")
    for n in range(3):
        await rig.delivery.send("telegram", "900300", [OutboundMessage(f"reply {n}")])
    sender = rig.sender("telegram", rate=10)
    task = asyncio.create_task(sender.run())
    try:
        while len(tg.messages()) < 8:
            await asyncio.sleep(0.05)
        late = await rig.delivery.send("telegram", "900301", [OutboundMessage("late reply")])
        while len(tg.messages()) < 23 + 1:
            await asyncio.sleep(0.05)
    finally:
        sender.stop()
        await asyncio.wait([task], timeout=10)
    order = texts(tg.messages())
    assert order[:3] == ["reply 0", "reply 1", "reply 2"]
    position = order.index("late reply")
    assert 8 <= position <= 10, order  # overtakes the bulk still waiting: at most the one or two in hand
    assert sorted(order[3:]) == sorted([f"bulk {n}" for n in range(20)] + ["late reply"])
    assert (await rig.outbox.record(late[0]))["lane"] == "reply"


async def test_whatsapp_window_templates_and_numbered_options(rig: Rig) -> None:
    tw = rig.standins.twilio
    user = "+40700000400"
    assert not await rig.delivery.window_open("whatsapp", user)
    with pytest.raises(OutsideWindow):
        await rig.delivery.send("whatsapp", user, [OutboundMessage("free text outside the window")])
    await rig.delivery.send_template("whatsapp", user, "HX" + "1" * 32, {"1": "12 martie"})
    await rig.redis.set(f"hd:wa:window:{user}", "1", ex=60)  # what an incoming message does
    assert await rig.delivery.window_open("whatsapp", user)
    menu = OutboundMessage(
        "Alege un subiect:", (Button("Drepturi", "/topic_rights"), Button("Retur", "/topic_return"))
    )
    long_text = " ".join(f"Propoziția numărul {n} despre drepturi." for n in range(120))
    await rig.delivery.send("whatsapp", user, [menu, OutboundMessage(long_text)])
    await run_until([rig.sender("whatsapp", rate=50)], lambda: len(tw.messages()) >= 5, timeout=10)
    sent = tw.messages()
    assert sent[0]["ContentSid"] == "HX" + "1" * 32 and sent[0]["ContentVariables"] == '{"1": "12 martie"}'
    assert sent[0]["To"] == f"whatsapp:{user}" and sent[0]["From"] == "whatsapp:+14155238886"
    assert sent[0]["StatusCallback"] == f"{PUBLIC}/webhooks/whatsapp/status"
    assert sent[1]["Body"] == "Alege un subiect:\n\n1. Drepturi\n2. Retur"
    pieces = [m["Body"] for m in sent[2:]]
    assert len(pieces) == 3 and all(len(p) <= 1600 for p in pieces)
    assert all(p.endswith("drepturi.") for p in pieces)  # cut at sentence ends
    assert " ".join(pieces) == long_text


async def test_telegram_and_viber_render_keyboards_and_split_long_texts(rig: Rig) -> None:
    tg, vb = rig.standins.telegram, rig.standins.viber
    long_payload = '/choose_language{"language":"it","source":"a button with a payload over 64 bytes"}'
    buttons = (Button("Drepturi", "/topic_rights"), Button("Italiano", long_payload))
    text = " ".join(f"Aceasta este propoziția {n}." for n in range(400))
    await rig.delivery.send("telegram", "900500", [OutboundMessage(text, buttons)])
    await rig.delivery.send("viber", "kb-user==", [OutboundMessage("Alege:", buttons)])
    senders = [rig.sender("telegram", rate=50), rig.sender("viber", rate=50)]
    await run_until(senders, lambda: len(tg.messages()) >= 3 and len(vb.messages()) >= 1, timeout=10)
    pieces = tg.messages()
    assert [len(p["text"]) <= 4096 for p in pieces] == [True] * len(pieces) and len(pieces) == 3
    assert " ".join(p["text"] for p in pieces) == text
    assert all(p["text"].endswith(".") for p in pieces)
    assert "reply_markup" not in pieces[0] and "reply_markup" not in pieces[1]
    keyboard = pieces[2]["reply_markup"]["inline_keyboard"]
    assert [row[0]["text"] for row in keyboard] == ["Drepturi", "Italiano"]
    assert keyboard[0][0]["callback_data"] == "/topic_rights"
    token = keyboard[1][0]["callback_data"]
    assert len(token.encode()) <= 64 and token != long_payload
    assert (await rig.redis.get(f"hd:tg:cb:{token[2:]}")).decode() == long_payload
    viber = vb.messages()[0]
    assert (
        viber["receiver"] == "kb-user==" and viber["sender"] == {"name": "Helpdesk"} and viber["text"] == "Alege:"
    )
    assert [(b["Text"], b["ActionBody"], b["ActionType"]) for b in viber["keyboard"]["Buttons"]] == [
        ("Drepturi", "/topic_rights", "reply"),
        ("Italiano", long_payload, "reply"),
    ]


@pytest.mark.parametrize(
    ("channel", "user", "failures"),
    [
        ("telegram", "900600", ["500", "502"]),
        ("whatsapp", "+40700000600", ["429", "503"]),
        ("viber", "retry-user==", ["12", "500"]),
    ],
)
async def test_each_platforms_overload_and_server_errors_are_retried_until_sent_once(
    rig: Rig, channel: str, user: str, failures: list[str]
) -> None:
    stand_in = {"telegram": rig.standins.telegram, "whatsapp": rig.standins.twilio, "viber": rig.standins.viber}[
        channel
    ]
    for kind in failures:
        stand_in.fail_next(kind)
    await rig.redis.set(f"hd:wa:window:{user}", "1", ex=60)
    ids = await rig.delivery.send(channel, user, [OutboundMessage("după erori"), OutboundMessage("al doilea")])
    await run_until([rig.sender(channel, rate=50)], lambda: len(stand_in.messages()) >= 4, timeout=15)
    key = {"telegram": "text", "whatsapp": "Body", "viber": "text"}[channel]
    assert [m[key] for m in stand_in.messages()] == ["după erori"] * 3 + ["al doilea"]
    first, second = [await rig.outbox.record(i) for i in ids]
    assert (first["status"], first["attempts"], second["status"], second["attempts"]) == ("sent", "3", "sent", "1")


async def test_a_message_the_platform_refuses_fails_at_once_with_the_reason(rig: Rig) -> None:
    tw = rig.standins.twilio
    user = "+40700000700"
    await rig.redis.set(f"hd:wa:window:{user}", "1", ex=60)
    tw.fail_next("63016")
    ids = await rig.delivery.send("whatsapp", user, [OutboundMessage("refuzat"), OutboundMessage("trimis")])
    await run_until([rig.sender("whatsapp", rate=50)], lambda: len(tw.messages()) >= 2, timeout=10)
    refused, sent = [await rig.outbox.record(i) for i in ids]
    assert refused["status"] == "failed" and refused["attempts"] == "1" and "63016" in refused["error"]
    assert sent["status"] == "sent"
    assert await rig.conversations.unreachable(f"whatsapp:{user}") is None  # not a stop signal


async def test_a_retry_after_longer_than_the_lease_is_waited_out_by_one_sender_among_two(rig: Rig) -> None:
    tg = rig.standins.telegram
    tg.fail_next("429", retry_after=12)  # longer than the 10 s lease: the holder must keep it while waiting
    ids = await rig.delivery.send("telegram", "900800", [OutboundMessage("a"), OutboundMessage("b")])
    senders = [rig.sender("telegram", rate=50), rig.sender("telegram", rate=50)]  # two processes' senders
    await run_until(senders, lambda: len(tg.messages()) >= 3, timeout=25)
    await asyncio.sleep(1.0)
    sent = tg.sent("/sendMessage")
    assert [r.body["text"] for r in sent] == ["a", "a", "b"]
    assert sent[1].at - sent[0].at >= 11.9
    assert [(await rig.outbox.record(i))["status"] for i in ids] == ["sent", "sent"]
