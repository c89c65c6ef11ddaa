"""Back-pressure on the inbound queue (issue 13 item 9), against a real gateway process and a Redis server of this
module's own: over INBOUND_MAX_PER_PARTITION or INBOUND_MAX_TOTAL the web chat is refused (503 + Retry-After,
nothing stored) while a duplicate is still recognised and the messengers are still accepted; /metrics and /readyz
report the backlog; a worker with a Rasa stand-in drains it; every accepted message is answered exactly once."""

from __future__ import annotations

import asyncio
import time
import uuid
import zlib
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
import redis as redis_sync
from prometheus_client.parser import text_string_to_metric_families
from redis.asyncio import Redis

from core.messages import InboundMessage
from messaging.inbound_backlog import REFRESH_SECONDS, InboundBacklog
from messaging.inbound_queue import Admission, InboundQueue
from ops.local_stack import wait_until
from ops.stack import GATEWAY_PYTHON, Process
from tests.standins.base import Answer, Received, StandIn
from tests.standins.platforms import TG_SECRET, TG_TOKEN, post_telegram, tg_message
from tests.standins.telegram import TelegramStandIn
from tests.test_gateway_hardening import RedisServer, start_gateway

PARTITIONS, MAX_PER_PARTITION, MAX_TOTAL = 4, 3, 8


class EchoRasa(StandIn):
    """Rasa's REST channel and HTTP API, answering every message at once with `echo: {message}`."""

    def answer(self, received: Received) -> Answer:
        path = received.path.split("?", 1)[0]
        if path == "/status":
            return Answer(200, {"model_file": "standin.tar.gz"})
        if path.startswith("/domain"):
            return Answer(200, {"intents": ["greet"]})
        message = received.body.get("message", "")
        return Answer(200, [{"recipient_id": received.body.get("sender", ""), "text": f"echo: {message}"}])  # type: ignore[arg-type]

    def turns(self) -> Counter[str]:
        """How many times Rasa was asked each message."""
        return Counter(r.body.get("message", "") for r in self.sent("/webhooks/rest/webhook"))


def partition(conversation_id: str) -> int:
    """The partition messaging/inbound_queue.py puts a conversation in (checked against Redis below)."""
    return zlib.crc32(conversation_id.encode()) % PARTITIONS


def senders_in(p: int, prefix: str, count: int) -> list[str]:
    """`count` web chat senders whose conversations fall in partition `p`."""
    found: list[str] = []
    while len(found) < count:
        sender = f"{prefix}-{uuid.uuid4().hex[:8]}"
        if partition(f"web:{sender}") == p:
            found.append(sender)
    return found


def chats_in(p: int, count: int) -> list[int]:
    """`count` Telegram chat ids whose conversations fall in partition `p`."""
    return [c for c in range(900_000_000, 900_010_000) if partition(f"telegram:{c}") == p][:count]


def gauges(base: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics by name and labels."""
    exposed = httpx.get(f"{base}/metrics", timeout=10).text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(exposed)
        for s in family.samples
    }


def stored_ids(r: redis_sync.Redis) -> list[str]:
    """The message ids in the inbound queue now, every partition."""
    ids = []
    for p in range(PARTITIONS):
        for _, fields in r.xrange(f"hd:in:{p}"):
            ids.append(InboundMessage.from_json(fields[b"m"]).message_id)
    return ids


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def test_the_partition_limit_is_exact_and_the_total_is_cached(redis_server: RedisServer) -> None:
    redis = Redis(port=redis_server.port, db=1)
    await redis.flushdb()
    try:
        queue = InboundQueue(redis, partitions=PARTITIONS, dedupe_ttl_seconds=60)
        backlog = InboundBacklog(queue, max_per_partition=2, max_total=3)
        first, second, third = (InboundMessage("web", s, "buna") for s in senders_in(0, "unit", 3))
        assert await backlog.admit(first) is Admission.STORED
        assert await backlog.admit(second) is Admission.STORED
        assert await backlog.admit(third) is Admission.FULL  # the partition holds 2
        assert await backlog.admit(first) is Admission.DUPLICATE  # still recognised over the limit
        assert not await redis.exists(f"hd:dedupe:web:{third.message_id}")  # a resend is taken later
        elsewhere = InboundMessage("web", senders_in(1, "unit", 1)[0], "buna")
        assert await backlog.admit(elsewhere) is Admission.STORED  # total 3 now, the cached figure says 2
        late = InboundMessage("web", senders_in(2, "unit", 1)[0], "buna")
        assert await backlog.admit(late) is Admission.FULL  # this process counted its own acceptance
        await asyncio.sleep(0.3)
        measured = await backlog.measure()
        assert measured.depths == [2, 1, 0, 0] and measured.total == 3
        assert measured.full_partitions == [0] and measured.backlogged
        assert 0.25 < measured.oldest_seconds < 5
        # Another process drains a message: this one sees it within REFRESH_SECONDS, not before.
        await redis.delete(queue.stream_key(1))
        assert await backlog.admit(late) is Admission.FULL
        await asyncio.sleep(REFRESH_SECONDS + 0.05)
        assert await backlog.admit(late) is Admission.STORED
    finally:
        await redis.flushdb()
        await redis.aclose()


def test_over_the_limit_the_web_chat_waits_and_the_messengers_do_not(redis_server: RedisServer) -> None:
    r = redis_sync.Redis(port=redis_server.port, db=0)
    r.flushdb()
    rasa, telegram = EchoRasa(), TelegramStandIn(TG_TOKEN)
    env = {
        "RASA_URL": rasa.url,
        "EMBEDDED_WORKER": "false",  # nothing answers until the worker below starts: the messages wait
        "INBOUND_PARTITIONS": str(PARTITIONS),
        "INBOUND_MAX_PER_PARTITION": str(MAX_PER_PARTITION),
        "INBOUND_MAX_TOTAL": str(MAX_TOTAL),
        "TELEGRAM_BOT_TOKEN": TG_TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": TG_SECRET,
        "TELEGRAM_API_URL": telegram.url,
        "COALESCE_SECONDS": "0",
    }
    stack = start_gateway(redis_server, **env)
    base = stack.gateway
    texts: dict[str, str] = {}  # message_id -> text, of the web messages the gateway took

    def web(sender: str, mid: str, wait: float = 0) -> httpx.Response:
        text = texts.get(mid) or f"buna ziua, am o intrebare {mid}"
        body = {"sender": sender, "text": text, "message_id": mid, "language": "ro"}
        answer = httpx.post(f"{base}/webhooks/web", params={"wait": wait}, json=body, timeout=30)
        if answer.status_code in (200, 202) and not answer.json().get("duplicate"):
            texts[mid] = text
        return answer

    try:
        # A partition at its limit: the next new web message there is refused and not stored.
        full = senders_in(0, "full", 4)
        for i, sender in enumerate(full[:3]):
            assert web(sender, f"p0-{i}").status_code == 202
        assert r.xlen("hd:in:0") == MAX_PER_PARTITION  # the test's partitions are the gateway's
        refused = web(full[3], "p0-3")
        assert refused.status_code == 503, refused.text
        assert refused.headers["content-type"] == "application/json"
        assert refused.headers["retry-after"] == "5"
        assert set(refused.json()) == {"error"} and refused.json()["error"]
        assert "p0-3" not in stored_ids(r) and not r.exists("hd:dedupe:web:p0-3")
        assert r.xlen("hd:in:0") == MAX_PER_PARTITION
        # A resend of a stored message is still a duplicate, 200, not stored twice.
        again = web(full[0], "p0-0")
        assert again.status_code == 200 and again.json() == {"messages": [], "duplicate": True}
        assert stored_ids(r).count("p0-0") == 1
        # Another partition has room.
        assert web(senders_in(1, "other", 1)[0], "p1-0").status_code == 202

        # Telegram over the limit (partition 0 is full, the total goes past it): accepted and stored.
        chats = chats_in(0, 6)
        for chat in chats:
            answer = post_telegram(base, tg_message(chat, f"buna ziua, intrebare din chat {chat}"), TG_SECRET)
            assert answer.status_code == 200 and answer.json() == {"ok": True}, answer.text
        assert r.xlen("hd:in:0") == MAX_PER_PARTITION + len(chats)
        depth = MAX_PER_PARTITION + 1 + len(chats)
        assert sum(r.xlen(f"hd:in:{p}") for p in range(PARTITIONS)) == depth > MAX_TOTAL

        # The total over its limit: an empty partition refuses the web chat too (within REFRESH_SECONDS).
        time.sleep(REFRESH_SECONDS + 0.1)
        late_sender = senders_in(2, "late", 1)[0]
        assert r.xlen("hd:in:2") == 0
        late = web(late_sender, "p2-0")
        assert late.status_code == 503 and late.headers["retry-after"] == "5", late.text
        assert "p2-0" not in stored_ids(r) and not r.exists("hd:dedupe:web:p2-0")

        # Reported: /metrics and /readyz (200: every replica shares this backlog, and the messengers must get in).
        seen = gauges(base)
        assert seen[("hd_inbound_queue_depth", ())] == depth
        assert seen[("hd_inbound_partition_depth", (("partition", "0"),))] == MAX_PER_PARTITION + len(chats)
        assert seen[("hd_inbound_partition_depth", (("partition", "2"),))] == 0
        assert seen[("hd_inbound_oldest_seconds", ())] > REFRESH_SECONDS
        assert seen[("hd_inbound_backlogged", ())] == 1
        rejected = ("hd_inbound_messages_total", (("channel", "web"), ("result", "rejected_503")))
        assert seen[rejected] == 2
        ready = httpx.get(f"{base}/readyz", timeout=10)
        assert ready.status_code == 200, ready.text
        body = ready.json()
        assert body["ready"] is True and body["backlogged"] is True
        assert body["queue_depth"] == depth and body["full_partitions"] == [0]
        assert body["oldest_seconds"] > REFRESH_SECONDS

        # A worker drains the queue; the web chat is taken again, the refused messages on their resend.
        stack.specs["worker"] = Process(
            "worker", [str(GATEWAY_PYTHON), "-m", "gateway", "worker"], stack.specs["gateway"].env
        )
        stack.start("worker")
        wait_until(lambda: httpx.get(f"{base}/readyz", timeout=10).json()["queue_depth"] == 0, 60, "not drained")
        assert httpx.get(f"{base}/readyz", timeout=10).json()["backlogged"] is False
        for sender, mid in ((full[3], "p0-3"), (late_sender, "p2-0"), (full[0], "p0-new")):
            answer = web(sender, mid, wait=20)
            assert answer.status_code == 200, answer.text
            assert [m["text"] for m in answer.json()["messages"]] == [f"echo: {texts[mid]}"]
        assert gauges(base)[("hd_inbound_backlogged", ())] == 0

        # Every accepted message answered exactly once, the refused ones only after their resend.
        tg_texts = [f"buna ziua, intrebare din chat {chat}" for chat in chats]
        wait_until(lambda: len(telegram.messages()) >= len(chats), 30, "Telegram answers missing")
        time.sleep(1)  # a second answer, if any, would arrive now
        turns = rasa.turns()
        assert sorted(turns) == sorted([*texts.values(), *tg_texts])
        assert set(turns.values()) == {1}
        answers: Counter[str] = Counter()
        for key in r.scan_iter("hd:web:out:*"):
            for _, fields in r.xrange(key):
                answers[fields[b"reply_to"].decode()] += 1
        assert answers == Counter(dict.fromkeys(texts, 1))
        sent = Counter((str(m["chat_id"]), m["text"]) for m in telegram.messages())
        assert sent == Counter({(str(c), f"echo: {t}"): 1 for c, t in zip(chats, tg_texts, strict=True)})
    finally:
        stack.stop_all()
        rasa.stop()
        telegram.stop()
        r.flushdb()
