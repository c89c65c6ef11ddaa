"""Benchmark: broadcasts at 100,000 subscribers (issue 11), in four parts, each printed as it ends.

1. Audience: Redis database 1 (emptied first) is filled with N subscribers through the real store
   (broadcasts/subscribers.py: four channels, three languages, five countries, eight centres, one to four
   topics, 5% stopped); `Subscribers.count` (the page's live count: every channel, eligible and stopped,
   bitmaps) is timed for a few audiences, median and worst of 20 runs, and `Subscribers.freeze` (a campaign's
   start: the audience stored per channel, sets) once each.
2. Enqueue: a campaign to everyone (four channels) is approved and started, and one
   CampaignRunner with no rate limit (nothing is sent) feeds all of it into the outboxes' bulk lanes: the time
   from the start to the last person queued. (The real runner keeps each lane only ~2 s ahead of the rate.)
3. Rate: worker processes (`python -m gateway worker`: the real runner and outbox senders) send a second such
   campaign to local stand-ins of the Telegram, Twilio and Viber APIs, which accept every request at once (no
   limit of their own); messages arriving per channel are counted over SECONDS seconds, overall and in each
   one-second window, against the configured rate.
4. Replies: during those same SECONDS seconds, and for SECONDS seconds before the campaign with the same
   processes idle, new people write to the helpdesk through the real Telegram, WhatsApp and Viber webhooks
   (signed as the platforms sign them) at REPLIES messages per second per channel; a stand-in of Rasa answers
   each at once, and the answer goes the real way (inbound queue, worker, the outboxes' `reply` lane, the
   channel's shared send rate). A message's latency is from posting the webhook to its answer arriving at the
   platform's stand-in; the figure is p99 during the campaign / p99 without it (goal <= 1.2). Rasa's own time
   (hundreds of ms, noisy on 2 cores) would be the same in both runs and is left out: the ratio is the
   gateway's alone, the strictest form of it.

Run: .venv/bin/python bench/broadcast.py [--subscribers 100000] [--seconds 40] [--workers 2] [--replies 2]
     [--telegram-rate 25] [--whatsapp-rate 20] [--viber-rate 20] [--skip-send] [--skip-enqueue]
Uses Redis at 127.0.0.1:$HELPDESK_TEST_REDIS_PORT (default 6379), database 1, which it empties before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
from redis.asyncio import Redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from broadcasts.campaigns import Draft
from broadcasts.runner import CampaignRunner
from broadcasts.subscribers import Audience, Subscriber, Subscribers
from broadcasts.topics import CHANNELS, TOPICS
from core.settings import Settings
from gateway.routers.campaigns import outside_window
from gateway.services import Services
from inbox.accounts import Account
from ops.local_stack import LOGS, TEST_REDIS_PORT, free_port, wait_until
from ops.stack import GATEWAY_PYTHON, ROOT
from tests.standins.base import Answer, Received, StandIn
from tests.standins.platforms import (
    TG_SECRET,
    TG_TOKEN,
    TWILIO_SID,
    TWILIO_TOKEN,
    VIBER_TOKEN,
    StandIns,
    channel_env,
    post_telegram,
    post_viber,
    post_whatsapp,
    tg_message,
    vb_message,
    wa_message,
)
from tests.standins.telegram import TelegramStandIn
from tests.standins.twilio import TwilioStandIn
from tests.standins.viber import ViberStandIn

DB = 1  # the broadcast tests' database (tests/conftest.py); never one a running stack uses
CENTRES = ("iasi", "botosani", "suceava", "piatra-neamt", "vaslui", "bacau", "chisinau", "ungheni")
AUDIENCES = {
    "everyone": Audience(),
    "ro, alerts": Audience(language=("ro",), topic=("alerts",)),
    "it+es, in it, rights or return": Audience(language=("it", "es"), country=("it",), topic=("rights", "return")),
    "telegram+viber, centre iasi": Audience(channel=("telegram", "viber"), centre=("iasi",)),
    "ro+it+es, 3 countries, 2 topics, 4 centres": Audience(
        language=("ro", "it", "es"),
        country=("it", "es", "md"),
        topic=("rights", "alerts"),
        centre=("iasi", "suceava", "chisinau", "bacau"),
    ),
}
SENT = ("telegram", "whatsapp", "viber")  # the campaigns of parts 2-4 go to these
PATHS = {"telegram": "/sendMessage", "whatsapp": "/Messages.json", "viber": "/send_message"}
PUBLIC = "https://helpdesk.example.org"
ANA = Account("ana", "Ana", "campaigns", "")
MARIA = Account("maria", "Maria", "supervisor", "")


def user_of(channel: str, i: int) -> str:
    """A user id the stand-in accepts."""
    return {
        "telegram": str(7_000_000 + i),
        "whatsapp": f"+4070{i:07d}",
        "viber": f"vb{i}==",
        "sms": f"+4071{i:07d}",
    }[channel]


async def fill(redis: Redis, subscribers: Subscribers, n: int) -> float:
    rng = random.Random(7)
    started = time.perf_counter()
    batch: list[Subscriber] = []
    for i in range(n):
        topics = tuple(t for t in TOPICS if rng.random() < 0.5) or ("alerts",)
        batch.append(
            Subscriber(
                channel=CHANNELS[i % 4],
                user=user_of(CHANNELS[i % 4], i),
                language=("ro", "it", "es")[rng.randrange(3)],
                country=("it", "es", "ro", "md", "other")[rng.randrange(5)],
                centre=CENTRES[rng.randrange(8)] if rng.random() < 0.7 else "",
                topics=topics,
                consent="bench",
            )
        )
        if len(batch) == 50:
            await asyncio.gather(*(subscribers.subscribe(s) for s in batch))
            batch = []
    await asyncio.gather(*(subscribers.subscribe(s) for s in batch))
    stopped = [f"{CHANNELS[i % 4]}:{user_of(CHANNELS[i % 4], i)}" for i in range(0, n, 20)]  # 5% left
    for start in range(0, len(stopped), 50):
        await asyncio.gather(*(subscribers.stop(m, "bench") for m in stopped[start : start + 50]))
    async with redis.pipeline(transaction=False) as pipe:  # WhatsApp: everyone wrote within 24 hours
        for i in range(0, n, 4):
            pipe.set(f"hd:wa:window:{user_of('whatsapp', i)}", "1", ex=3 * 3600)
        await pipe.execute()
    return time.perf_counter() - started


async def part_audience(redis: Redis, subscribers: Subscribers) -> None:
    print(f"\n{'audience':44} {'people':>8} {'count p50 ms':>13} {'worst ms':>9} {'freeze ms':>10}")
    for name, audience in AUDIENCES.items():
        times = []
        for _ in range(20):
            started = time.perf_counter()
            counts = await subscribers.count(audience)
            times.append((time.perf_counter() - started) * 1000)
        keys = {c: f"bench:freeze:{c}" for c in CHANNELS}
        started = time.perf_counter()
        frozen = await subscribers.freeze(audience, keys)
        freeze_ms = (time.perf_counter() - started) * 1000
        assert frozen.eligible == counts.eligible and frozen.stopped == counts.stopped, (frozen, counts)
        await redis.delete(*keys.values())
        print(
            f"{name:44} {counts.total:>8} {statistics.median(times):>13.2f} {max(times):>9.2f} {freeze_ms:>10.1f}",
            flush=True,
        )


async def new_campaign(services: Services, name: str, channels: tuple[str, ...] = SENT) -> str:
    campaigns = services.broadcasts.campaigns
    draft = Draft.of(
        {
            "name": name,
            "texts": {"ro": "Atenție la ofertele false de muncă.", "it": "Attenzione.", "es": "Atención."},
            "fallback": "ro",
            "audience": {"channel": list(channels)},
        }
    )
    campaign = await campaigns.create(ANA, draft)
    await campaigns.approve(MARIA, campaign.id)
    await campaigns.start(ANA, campaign.id)
    return campaign.id


async def part_enqueue(services: Services) -> None:
    """Part 2: the whole campaign into the bulk lanes, as fast as the runner can."""
    b = services.broadcasts
    runner = CampaignRunner(
        services.redis,
        campaigns=b.campaigns,
        subscribers=b.subscribers,
        conversations=b.conversations,
        delivery=b.delivery,
        outbox=b.outbox,
        rates={c: 1e9 for c in CHANNELS},  # no limit: only the runner's own work is timed
        recognition="Helpdesk · cod LUNA",
        retention_seconds=3600,
    )
    times = []
    for _ in range(3):
        started = time.perf_counter()
        closed = await outside_window(services, Audience())
        times.append((time.perf_counter() - started) * 1000)
    print(
        f"\nWhatsApp subscribers outside the 24-hour window (the page's second figure): {closed:,}, "
        f"median of 3: {statistics.median(times):.0f} ms"
    )
    started = time.perf_counter()
    campaign_id = await new_campaign(services, "bench enqueue", CHANNELS)
    campaign = await b.campaigns.need(campaign_id)
    await runner.freeze(campaign)
    frozen = time.perf_counter() - started
    while (await b.campaigns.need(campaign_id)).state != "done":
        await runner.run_once()
    total = time.perf_counter() - started
    queued = {c: await services.outbox.waiting(c, "bulk") for c in CHANNELS}
    n = sum(queued.values())
    print(
        f"\nenqueue: {n:,} messages into the bulk lanes ({queued}) in {total:.1f} s "
        f"({n / total:,.0f}/s; the audience fixed in {frozen * 1000:.0f} ms)",
        flush=True,
    )
    # Out of the way of part 3: the queued messages, the records the runner would follow.
    await services.redis.delete(*(services.outbox.stream_key(c, "bulk") for c in CHANNELS))
    await services.redis.zrem("hd:camps:tracking", campaign_id)
    await services.redis.delete(f"hd:camp:{campaign_id}:open")


def text_of(channel: str, body: dict[str, object]) -> str:
    return str(body.get("Body") if channel == "whatsapp" else body.get("text", ""))


def to_of(channel: str, body: dict[str, object]) -> str:
    """The user a request to a stand-in is for."""
    if channel == "telegram":
        return str(body.get("chat_id", ""))
    if channel == "whatsapp":
        return str(body.get("To", "")).removeprefix("whatsapp:")
    return str(body.get("receiver", ""))


class RasaStandIn(StandIn):
    """Answers like Rasa's REST channel at once, so that only the gateway's own path is timed."""

    def answer(self, received: Received) -> Answer:
        path = received.path.split("?", 1)[0]
        if path == "/status":
            return Answer(200, {"model_file": "bench.tar.gz"})
        if path.startswith("/domain"):
            return Answer(200, {"intents": ["greet"]})
        reply = [{"recipient_id": received.body.get("sender", ""), "text": "Bună! Cu ce vă pot ajuta?"}]
        return Answer(200, reply)  # type: ignore[arg-type]


def post_reply(gateway: str, channel: str, user: str) -> None:
    """A person writes to the helpdesk through the channel's real webhook."""
    if channel == "telegram":
        response = post_telegram(gateway, tg_message(int(user), "Bună ziua, am o întrebare", "ro"), TG_SECRET)
    elif channel == "whatsapp":
        fields = wa_message(user, "Bună ziua, am o întrebare")
        response = post_whatsapp(gateway, PUBLIC, "/webhooks/whatsapp", fields, TWILIO_TOKEN)
    else:
        event = vb_message(user, {"type": "text", "text": "Bună ziua, am o întrebare"}, "ro")
        response = post_viber(gateway, event, VIBER_TOKEN)
    assert response.status_code == 200, response.text


async def replies(gateway: str, seconds: float, per_second: float, first: int) -> dict[tuple[str, str], float]:
    """Messages from new people on every channel at `per_second` each, for `seconds`: when each was posted."""
    posted: dict[tuple[str, str], float] = {}
    step = 1 / per_second
    n = 0
    began = time.monotonic()
    while time.monotonic() - began < seconds:
        for channel in SENT:
            k = first + n
            user = {"telegram": str(800_000_000 + k), "whatsapp": f"+4079{k:07d}", "viber": f"rp{k}=="}[channel]
            posted[(channel, user)] = time.time()
            await asyncio.to_thread(post_reply, gateway, channel, user)
        n += 1
        await asyncio.sleep(max(0.0, began + n * step - time.monotonic()))
    await asyncio.sleep(3)  # the last answers arrive
    return posted


def latencies(standins: dict[str, StandIn], posted: dict[tuple[str, str], float]) -> list[float]:
    """Webhook posted -> the answer at the platform's stand-in, ms, for every message posted."""
    first: dict[tuple[str, str], float] = {}
    for channel, stand_in in standins.items():
        for r in stand_in.sent(PATHS[channel]):
            key = (channel, to_of(channel, r.body))
            if key in posted and key not in first:
                first[key] = r.at
    missing = len(posted) - len(first)
    if missing:
        print(f"  {missing} of {len(posted)} messages got no answer within the run")
    return sorted((first[k] - posted[k]) * 1000 for k in first)


def p(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def _up(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


async def part_send(
    args: argparse.Namespace, settings: Settings, env: dict[str, str], s: StandIns, gateway: str
) -> None:
    """Parts 3 and 4: a gateway process (webhooks only) and worker processes (worker, runner, senders)."""
    standins: dict[str, StandIn] = {"telegram": s.telegram, "whatsapp": s.twilio, "viber": s.viber}
    rates = {"telegram": args.telegram_rate, "whatsapp": args.whatsapp_rate, "viber": args.viber_rate}
    services = Services.build(settings)
    LOGS.mkdir(parents=True, exist_ok=True)
    processes = []
    for i, command in enumerate(["serve"] + ["worker"] * args.workers):
        log = (LOGS / f"bench-broadcast-{command}-{i}.log").open("wb")
        processes.append(
            subprocess.Popen(
                [str(GATEWAY_PYTHON), "-m", "gateway", command],
                env={**os.environ, **env},
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    try:
        wait_until(lambda: _up(f"{gateway}/healthz"), 30, "the gateway did not start")
        await asyncio.sleep(3)  # the workers start
        await replies(gateway, 3, args.replies, 0)  # warm up
        print(f"\nmessages without a campaign: {args.seconds:.0f} s, {args.replies}/s per channel ...", flush=True)
        base = latencies(standins, await replies(gateway, args.seconds, args.replies, 100_000))
        campaign_id = await new_campaign(services, "bench send")
        while not all(len(s.sent(PATHS[c])) > 200 for c, s in standins.items()):
            await asyncio.sleep(0.2)  # the campaign is flowing on every channel
        await asyncio.sleep(3)
        load_before = os.getloadavg()[0]
        print(f"messages and campaign together: {args.seconds:.0f} s ...", flush=True)
        t0 = time.time()
        during_task = asyncio.create_task(replies(gateway, args.seconds, args.replies, 200_000))
        await asyncio.sleep(args.seconds)
        t1 = time.time()
        during = latencies(standins, await during_task)
        load_after = os.getloadavg()[0]
        await services.broadcasts.campaigns.cancel(ANA, campaign_id)

        print(f"\nsend rate over {args.seconds} s while the campaign runs ({args.workers} worker processes)")
        print(
            f"{'channel':10} {'configured/s':>12} {'mean/s':>7} {'off by':>7} {'bulk/s':>7} "
            f"{'min/s':>6} {'max/s':>6} {'seconds within 5%':>18}"
        )
        for channel, stand_in in standins.items():
            arrived = [r for r in stand_in.sent(PATHS[channel]) if t0 <= r.at < t1]
            bulk = [r for r in arrived if "cod LUNA" in text_of(channel, r.body)]
            per = [0] * int(args.seconds)
            for r in arrived:
                k = int(r.at - t0)
                if k < len(per):
                    per[k] += 1
            rate = rates[channel]
            mean = len(arrived) / (t1 - t0)
            within = sum(1 for c in per if abs(c - rate) <= 0.05 * rate)
            print(
                f"{channel:10} {rate:12.1f} {mean:7.2f} {(mean - rate) / rate * 100:6.1f}% "
                f"{len(bulk) / (t1 - t0):7.2f} {min(per):6d} {max(per):6d} {within:>12d} of {len(per)}"
            )
        print(
            f"\nreply latency, webhook posted -> answer at the stand-in ({len(base)} and {len(during)} messages)"
        )
        print(f"{'':22} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
        for name, values in (("without a campaign", base), ("during the campaign", during)):
            print(f"{name:22} {p(values, 0.5):8.1f} {p(values, 0.99):8.1f} {max(values):8.1f}")
        ratio = p(during, 0.99) / p(base, 0.99)
        print(f"p99 ratio: {ratio:.2f} (goal <= 1.2: {'met' if ratio <= 1.2 else 'NOT met'})")
        print(
            f"load average (1 min) at the start / end of the campaign window: {load_before:.2f} / {load_after:.2f}"
        )
    finally:
        for proc in processes:
            proc.terminate()
        for proc in processes:
            proc.wait(timeout=30)
        await services.aclose()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=40)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--replies", type=float, default=2.0, help="replies per second per channel")
    parser.add_argument("--telegram-rate", type=float, default=Settings().telegram_send_rate)
    parser.add_argument("--whatsapp-rate", type=float, default=Settings().whatsapp_send_rate)
    parser.add_argument("--viber-rate", type=float, default=Settings().viber_send_rate)
    parser.add_argument("--skip-send", action="store_true", help="parts 1 and 2 only")
    parser.add_argument("--skip-enqueue", action="store_true", help="no part 2")
    args = parser.parse_args()

    s = StandIns(TelegramStandIn(TG_TOKEN), TwilioStandIn(TWILIO_SID, TWILIO_TOKEN), ViberStandIn(VIBER_TOKEN))
    rasa = RasaStandIn()
    port = free_port()
    env = channel_env(s, PUBLIC)
    env.update(
        {
            "RASA_URL": rasa.url,
            "GATEWAY_PORT": str(port),
            "EMBEDDED_WORKER": "false",
            "COALESCE_SECONDS": "0",
            "TELEGRAM_SEND_RATE": str(args.telegram_rate),
            "WHATSAPP_SEND_RATE": str(args.whatsapp_rate),
            "VIBER_SEND_RATE": str(args.viber_rate),
            "REDIS_URL": f"redis://127.0.0.1:{TEST_REDIS_PORT}/{DB}",
            "INBOUND_PARTITIONS": "2",
            "LOG_LEVEL": "WARNING",
            "BROADCAST_RECOGNITION": "Helpdesk · cod LUNA",
        }
    )
    settings = Settings(**{k.lower(): v for k, v in env.items() if k.lower() in Settings.model_fields})
    redis = Redis(port=TEST_REDIS_PORT, db=DB)
    await redis.flushdb()
    try:
        subscribers = Subscribers(redis, 3600)
        print(f"filling {args.subscribers:,} subscribers ...", flush=True)
        print(f"filled in {await fill(redis, subscribers, args.subscribers):.1f} s")
        await part_audience(redis, subscribers)
        services = Services.build(settings)
        try:
            if not args.skip_enqueue:
                await part_enqueue(services)
        finally:
            await services.aclose()
        if not args.skip_send:
            await part_send(args, settings, env, s, f"http://127.0.0.1:{port}")
        print(f"\nload average (1 min): {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    finally:
        await redis.flushdb()
        await redis.aclose()
        for stand_in in (s.telegram, s.twilio, s.viber, rasa):
            stand_in.stop()


if __name__ == "__main__":
    asyncio.run(main())
