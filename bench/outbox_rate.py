"""Benchmark: does the outbox keep each channel's configured send rate, second by second?

Starts local stand-ins of the Telegram Bot API, Twilio's Messages API and Viber's REST API (the same
servers the tests use), queues enough messages for every channel to send for the whole run (many users,
reply lane), then runs worker processes (`python -m gateway worker`, the real outbox senders) against
them. The stand-ins record when each request arrives; the report counts arrivals in every one-second
window from the first arrival on, per channel, and prints the worst deviation from the configured rate.

Run: .venv/bin/python bench/outbox_rate.py [--seconds 60] [--workers 2]
     [--telegram-rate 25] [--whatsapp-rate 20] [--viber-rate 20]
Uses Redis at 127.0.0.1:$HELPDESK_TEST_REDIS_PORT (default 6379), database 4, which it empties.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import subprocess
import sys
import time
from pathlib import Path

import redis as redis_sync
from redis.asyncio import Redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from channels.registry import build_channels
from core.messages import OutboundMessage
from core.settings import Settings
from messaging.delivery import Delivery
from messaging.outbox import Outbox
from messaging.web_outbox import WebOutbox
from ops.local_stack import LOGS, TEST_REDIS_PORT
from ops.stack import GATEWAY_PYTHON, ROOT
from tests.standins.platforms import StandIns, channel_env
from tests.standins.telegram import TelegramStandIn
from tests.standins.twilio import TwilioStandIn
from tests.standins.viber import ViberStandIn

DB = 4
USERS = 300


async def fill(settings: Settings, seconds: int, rates: dict[str, float]) -> None:
    redis = Redis.from_url(settings.redis_url)
    channels = build_channels(settings, redis)
    delivery = Delivery(WebOutbox(redis, 3600), Outbox(redis, 3600), channels)
    for name, rate in rates.items():
        total = int(rate * (seconds + 5))
        for n in range(total):
            user = f"+4070{n % USERS:07d}" if name == "whatsapp" else f"{7_000_000 + n % USERS}"
            if name == "whatsapp":
                await redis.set(f"hd:wa:window:{user}", "1", ex=3600)
            await delivery.send(name, user, [OutboundMessage(f"{name} bench message {n}")])
    for channel in channels.values():
        await channel.aclose()
    await redis.aclose()


def per_second(times: list[float], seconds: int) -> list[int]:
    start = min(times)
    counts = [0] * seconds
    for t in times:
        k = int(t - start)
        if k < seconds:
            counts[k] += 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--telegram-rate", type=float, default=Settings().telegram_send_rate)
    parser.add_argument("--whatsapp-rate", type=float, default=Settings().whatsapp_send_rate)
    parser.add_argument("--viber-rate", type=float, default=Settings().viber_send_rate)
    args = parser.parse_args()
    rates = {"telegram": args.telegram_rate, "whatsapp": args.whatsapp_rate, "viber": args.viber_rate}

    standins = StandIns(
        TelegramStandIn("123456:BENCH"), TwilioStandIn("AC" + "1" * 32, "bench-token"), ViberStandIn("bench-viber")
    )
    env = channel_env(standins, "https://helpdesk.example.org")
    env.update(
        {
            "TELEGRAM_BOT_TOKEN": "123456:BENCH",
            "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
            "TWILIO_AUTH_TOKEN": "bench-token",
            "VIBER_AUTH_TOKEN": "bench-viber",
            "TELEGRAM_SEND_RATE": str(args.telegram_rate),
            "WHATSAPP_SEND_RATE": str(args.whatsapp_rate),
            "VIBER_SEND_RATE": str(args.viber_rate),
            "REDIS_URL": f"redis://127.0.0.1:{TEST_REDIS_PORT}/{DB}",
            "RASA_URL": "http://127.0.0.1:9",
            "INBOUND_PARTITIONS": "2",
            "LOG_LEVEL": "WARNING",
        }
    )
    redis_sync.Redis(port=TEST_REDIS_PORT, db=DB).flushdb()
    settings = Settings(**{k.lower(): v for k, v in env.items() if k.lower() in Settings.model_fields})
    print(f"queueing messages for {args.seconds} s at {rates} ...", flush=True)
    asyncio.run(fill(settings, args.seconds, rates))

    LOGS.mkdir(parents=True, exist_ok=True)
    workers = []
    for i in range(args.workers):
        log = (LOGS / f"bench-outbox-worker-{i}.log").open("wb")
        workers.append(
            subprocess.Popen(
                [str(GATEWAY_PYTHON), "-m", "gateway", "worker"],
                env={**os.environ, **env},
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    load_before = os.getloadavg()[0]
    print(f"{args.workers} worker processes sending for {args.seconds} s ...", flush=True)
    paths = (
        (standins.telegram, "/sendMessage"),
        (standins.twilio, "/Messages.json"),
        (standins.viber, "/send_message"),
    )

    def span(stand_in: StandIns | object, path: str) -> float:
        times = [r.at for r in stand_in.sent(path)]  # type: ignore[attr-defined]
        return max(times) - min(times) if times else 0.0

    deadline = time.monotonic() + args.seconds + 60
    while time.monotonic() < deadline and min(span(s, p) for s, p in paths) < args.seconds + 0.5:
        time.sleep(0.5)  # until every channel has sent for the whole run (processes take a while to start)
    for proc in workers:
        proc.terminate()
    for proc in workers:
        proc.wait(timeout=30)

    print(f"\nOutbox send rate, {args.seconds} one-second windows per channel ({args.workers} worker processes)")
    header = f"{'channel':10} {'configured/s':>12} {'min/s':>6} {'max/s':>6} {'mean/s':>7} {'worst dev':>9}"
    print(f"{header} {'seconds within 5%':>18}  sent")
    worst_all = 0.0
    for name, stand_in, path in (
        ("telegram", standins.telegram, "/sendMessage"),
        ("whatsapp", standins.twilio, "/Messages.json"),
        ("viber", standins.viber, "/send_message"),
    ):
        times = [r.at for r in stand_in.sent(path)]
        counts = per_second(times, args.seconds)
        rate = rates[name]
        worst = max(abs(c - rate) / rate for c in counts)
        worst_all = max(worst_all, worst)
        mean = sum(counts) / len(counts)
        if os.environ.get("BENCH_VERBOSE"):
            print(name, counts)
            ordered = sorted(times)
            gaps = sorted(((b - a, i) for i, (a, b) in enumerate(itertools.pairwise(ordered))), reverse=True)[:5]
            print("  longest gaps (s, after message #):", [(round(g, 3), i) for g, i in gaps])
        within = sum(1 for c in counts if abs(c - rate) <= 0.05 * rate)
        print(
            f"{name:10} {rate:12.1f} {min(counts):6d} {max(counts):6d} {mean:7.2f} {worst * 100:8.1f}% "
            f"{within:>12d} of {len(counts)}  {len(times)}"
        )
    load_after = os.getloadavg()[0]
    print(f"\nload average (1 min) before / after: {load_before:.2f} / {load_after:.2f} on {os.cpu_count()} cores")
    print(
        f"worst deviation in any second: {worst_all * 100:.1f}% ({'within' if worst_all <= 0.05 else 'OVER'} 5%)"
    )
    for s in (standins.telegram, standins.twilio, standins.viber):
        s.stop()


if __name__ == "__main__":
    main()
