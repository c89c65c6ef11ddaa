"""A campaign survives its sending process being killed: two worker processes (`python -m gateway worker`: the
campaign runner and the outbox senders) send one campaign at the same time, one is killed with SIGKILL in the
middle, another one starts; nobody gets the alert twice, nobody is missed, and a message that was in flight at
the kill is counted `unconfirmed` in the report. Redis database 3, the Telegram stand-in."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from collections import Counter
from collections.abc import Iterator

import pytest
import redis as redis_sync
from redis.asyncio import Redis

from broadcasts.campaigns import Campaigns, Draft
from broadcasts.report import progress
from broadcasts.subscribers import Subscriber, Subscribers
from inbox.accounts import Account
from inbox.audit import Audit
from ops.local_stack import LOGS, TEST_REDIS_PORT, wait_until
from ops.stack import GATEWAY_PYTHON, ROOT
from tests.standins.platforms import TG_TOKEN, StandIns, channel_env
from tests.standins.telegram import TelegramStandIn
from tests.standins.twilio import TwilioStandIn
from tests.standins.viber import ViberStandIn

DB = 1  # as tests/test_broadcast_send.py (the modules run one after the other, each empties it first)
PEOPLE = 300
URL = f"redis://127.0.0.1:{TEST_REDIS_PORT}/{DB}"


@pytest.fixture
def standins() -> Iterator[StandIns]:
    found = StandIns(TelegramStandIn(TG_TOKEN), TwilioStandIn("AC" + "0" * 32, "t" * 32), ViberStandIn("v" * 40))
    yield found
    for s in (found.telegram, found.twilio, found.viber):
        s.stop()


@pytest.fixture
def workers(standins: StandIns) -> Iterator:
    started: list[subprocess.Popen[bytes]] = []
    env = dict(os.environ)
    env.update(channel_env(standins, "https://helpdesk.example.org"))
    env.update(REDIS_URL=URL, RASA_URL="http://127.0.0.1:9", INBOUND_PARTITIONS="2", TELEGRAM_SEND_RATE="60")

    def start() -> subprocess.Popen[bytes]:
        LOGS.mkdir(parents=True, exist_ok=True)
        log = (LOGS / f"broadcast-crash-{len(started)}.log").open("wb")
        argv = [str(GATEWAY_PYTHON), "-m", "gateway", "worker"]
        proc = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=30)


async def _start_campaign() -> str:
    redis = Redis.from_url(URL)
    await redis.flushdb()
    subscribers = Subscribers(redis, 3600)
    for n in range(PEOPLE):
        await subscribers.subscribe(Subscriber("telegram", str(8_000_000 + n), ("ro", "it", "es")[n % 3]))
    campaigns = Campaigns(redis, Audit(redis, 1))
    draft = Draft.of({"name": "crash", "texts": {"ro": "Alertă", "it": "Avviso", "es": "Aviso"}})
    campaign = await campaigns.create(Account("ana", "Ana", "campaigns", ""), draft)
    await campaigns.approve(Account("maria", "Maria", "supervisor", ""), campaign.id)
    await campaigns.start(Account("ana", "Ana", "campaigns", ""), campaign.id)
    await redis.aclose()
    return campaign.id


async def _report(campaign_id: str) -> dict:
    redis = Redis.from_url(URL)
    found = await progress(redis, await Campaigns(redis, Audit(redis, 1)).need(campaign_id))
    await redis.aclose()
    return found


def test_killed_mid_campaign_with_two_senders_nobody_twice_nobody_missed(standins: StandIns, workers) -> None:
    campaign_id = asyncio.run(_start_campaign())
    standins.telegram.delay = 0.05  # each send takes a while: the kill lands in the middle of one
    first, second = workers(), workers()  # two processes at once
    r = redis_sync.Redis(port=TEST_REDIS_PORT, db=DB, decode_responses=True)
    wait_until(lambda: len(standins.telegram.messages()) >= 80, 60, "nothing was sent")
    # The process that holds the channel's outbox lease (its value is "host:pid:tag") is killed mid-send.
    holder = int(r.get("hd:out:lease:telegram").split(":")[1])
    victim = next(p for p in (first, second) if p.pid == holder)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=10)
    assert len(standins.telegram.messages()) < PEOPLE
    workers()  # a third one starts, as after a restart
    wait_until(lambda: r.hget(f"hd:camp:{campaign_id}", "state") == "done", 90, "the campaign did not finish")

    def settled() -> bool:
        total = asyncio.run(_report(campaign_id))["total"]
        return total["sent"] + total["unconfirmed"] + total["failed"] == PEOPLE

    wait_until(settled, 60, "not every message reached a final status")
    received = Counter(str(m["chat_id"]) for m in standins.telegram.messages())
    assert max(received.values()) == 1, [u for u, n in received.items() if n > 1]  # nobody twice
    report = asyncio.run(_report(campaign_id))
    done = r.hgetall(f"hd:camp:{campaign_id}:done")
    assert len(done) == PEOPLE  # everyone has an outcome: nobody missed
    unconfirmed = [
        m.split(":", 1)[1]
        for m, outcome in done.items()
        if outcome == "unconfirmed" or r.hget(f"hd:out:msg:{outcome[2:]}", "status") == "unconfirmed"
    ]
    never = {str(8_000_000 + n) for n in range(PEOPLE)} - set(received)
    assert never <= set(unconfirmed)  # whoever got nothing was in flight at the kill, and is counted so
    # In flight at the kill: the outbox's sends under way (at most 8 in parallel) and at most one being queued
    # (usually one or more: a send takes longer than the interval between two; none if the kill fell between).
    assert report["total"]["unconfirmed"] <= 9
    assert report["total"]["sent"] + report["total"]["unconfirmed"] == PEOPLE
    assert report["total"]["remaining"] == 0
