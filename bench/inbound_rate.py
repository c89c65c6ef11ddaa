"""Benchmark: how many messenger webhooks per second the inbound path accepts on this machine.

Starts one gateway process (no embedded worker, so nothing consumes the queue: this measures verify →
parse → deduplicate → queue durably → 2xx) with Telegram, WhatsApp and Viber on, then posts real-shaped,
correctly signed webhooks (tests/standins/platforms.py) from concurrent clients for a fixed time per
channel. Every accepted message is checked to be in the inbound queue afterwards.

Run: .venv/bin/python bench/inbound_rate.py [--seconds 10] [--concurrency 8]
Uses Redis at 127.0.0.1:$HELPDESK_TEST_REDIS_PORT (default 6379), database 4, which it empties.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

import httpx
import redis as redis_sync
from twilio.request_validator import RequestValidator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ops.local_stack import TEST_REDIS_PORT, LocalStack
from tests.standins.platforms import tg_message, vb_message, wa_message
from tests.standins.viber import sign

DB = 4
# Credentials of the local run only (the gateway here talks to nothing outside this machine).
TG_SECRET = "bench-secret"  # noqa: S105
TWILIO_TOKEN = "bench-twilio-token"  # noqa: S105
VIBER_TOKEN = "bench-viber-token"  # noqa: S105


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def requests_for(base: str) -> dict[str, Callable[[int], tuple[str, bytes, dict[str, str]]]]:
    validator = RequestValidator(TWILIO_TOKEN)

    def telegram(n: int) -> tuple[str, bytes, dict[str, str]]:
        body = json.dumps(tg_message(10_000_000 + n % 5000, f"buna ziua, mesajul {n}")).encode()
        return "/webhooks/telegram", body, {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}

    def whatsapp(n: int) -> tuple[str, bytes, dict[str, str]]:
        fields = wa_message(f"+4072{n % 5000:07d}", f"buna ziua, mesajul {n}")
        signature = validator.compute_signature(f"{base}/webhooks/whatsapp", fields)
        headers = {"X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"}
        return "/webhooks/whatsapp", urlencode(fields).encode(), headers

    def viber(n: int) -> tuple[str, bytes, dict[str, str]]:
        body = json.dumps(vb_message(f"user{n % 5000:06d}==", {"type": "text", "text": f"mesajul {n}"})).encode()
        return "/webhooks/viber", body, {"X-Viber-Content-Signature": sign(VIBER_TOKEN, body)}

    return {"telegram": telegram, "whatsapp": whatsapp, "viber": viber}


async def hammer(
    base: str, make: Callable[[int], tuple[str, bytes, dict[str, str]]], seconds: float, concurrency: int
) -> tuple[list[float], int, float]:
    latencies: list[float] = []
    failures = 0
    counter = iter(range(10**9))
    deadline = time.perf_counter() + seconds
    async with httpx.AsyncClient(
        base_url=base, timeout=30, limits=httpx.Limits(max_connections=concurrency)
    ) as client:

        async def one_client() -> None:
            nonlocal failures
            while time.perf_counter() < deadline:
                path, body, headers = make(next(counter))
                started = time.perf_counter()
                response = await client.post(
                    path, content=body, headers={"Content-Type": "application/json", **headers}
                )
                if response.status_code == 200:
                    latencies.append(time.perf_counter() - started)
                else:
                    failures += 1

        started = time.perf_counter()
        await asyncio.gather(*(one_client() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return latencies, failures, elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    redis = redis_sync.Redis(port=TEST_REDIS_PORT, db=DB)
    redis.flushdb()
    stack = LocalStack.create(Path("unused-model"), DB, DB + 1, embedded_worker=False)
    env = {
        "EMBEDDED_WORKER": "false",
        "LOG_LEVEL": "WARNING",
        "PUBLIC_BASE_URL": stack.gateway,
        "TELEGRAM_BOT_TOKEN": "123456:BENCH",
        "TELEGRAM_WEBHOOK_SECRET": TG_SECRET,
        "TWILIO_ACCOUNT_SID": "AC" + "2" * 32,
        "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "TWILIO_WHATSAPP_FROM": "whatsapp:+14155238886",
        "VIBER_AUTH_TOKEN": VIBER_TOKEN,
    }
    stack.specs["gateway"].env.update(env)
    stack.start("gateway")
    try:
        stack.wait_gateway()
        print(f"Inbound webhooks accepted per second (one gateway process, {args.concurrency} concurrent clients,")
        print(
            f"{args.seconds:.0f} s per channel; each message verified, parsed, deduplicated and queued in Redis)"
        )
        print(f"{'channel':10} {'accepted':>9} {'per second':>11} {'p50 ms':>7} {'p99 ms':>7} {'errors':>7}")
        total = 0
        for name, make in requests_for(stack.gateway).items():
            latencies, failures, elapsed = asyncio.run(hammer(stack.gateway, make, args.seconds, args.concurrency))
            total += len(latencies)
            print(
                f"{name:10} {len(latencies):9d} {len(latencies) / elapsed:11.0f} "
                f"{percentile(latencies, 50) * 1000:7.1f} {percentile(latencies, 99) * 1000:7.1f} {failures:7d}"
            )
        queued = sum(redis.xlen(key) for key in redis.scan_iter("hd:in:*") if redis.type(key) == b"stream")
        print(f"\nmessages in the inbound queue afterwards: {queued} (accepted: {total})")
        print(f"load average (1 min) at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    finally:
        stack.stop_all()


if __name__ == "__main__":
    main()
