"""Benchmark of the gateway's own cost per message: everything except the time spent inside Rasa.

Starts the real stack (action server, Rasa with the trained model, gateway with its embedded worker) on
free ports against the local Redis, sends web chat messages in the three languages one after another,
and splits each round trip with the Server-Timing header the gateway returns:
  total    = the client's POST /webhooks/web round trip
  rasa     = time inside Rasa's REST call (measured by the worker)
  overhead = total - rasa: HTTP, validation, dedupe and queueing, language detection, conversation
             state, Rasa client, outbox and the webhook's wait for the worker
Then measures how many messages per second the inbound path accepts (POST ?wait=0, concurrent clients).

Run: .venv/bin/python bench/gateway_overhead.py [--messages 300] [--accept-seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

import httpx
import redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ops.local_stack import LocalStack, trained_model

GATEWAY_DB, RASA_DB = 9, 8
TEXTS = [
    "buna ziua",
    "nu mi-au platit salariul",
    "vreau sa ma intorc acasa",
    "buongiorno",
    "non mi pagano lo stipendio",
    "voglio tornare in Moldavia",
    "hola buenas",
    "no me pagan el sueldo",
    "quiero volver a mi pais",
    "multumesc",
]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def timing(header: str) -> dict[str, float]:
    parts = (item.strip().split(";dur=") for item in header.split(","))
    return {name: float(value) for name, value in parts}


def measure_overhead(stack: LocalStack, count: int) -> None:
    totals, rasas, overheads = [], [], []
    with httpx.Client(base_url=stack.gateway, timeout=60) as client:
        for i in range(count + 20):
            sender = f"bench-{i % 50}-{uuid.uuid4().hex[:6]}"
            started = time.perf_counter()
            response = client.post("/webhooks/web", json={"sender": sender, "text": TEXTS[i % len(TEXTS)]})
            total_ms = (time.perf_counter() - started) * 1000
            assert response.status_code == 200, response.text
            if i < 20:  # warm-up
                continue
            rasa_ms = timing(response.headers["server-timing"])["rasa"]
            totals.append(total_ms)
            rasas.append(rasa_ms)
            overheads.append(total_ms - rasa_ms)
    print(f"\nSequential web chat messages: {count} (after 20 warm-up), 3 languages")
    print("| per message | mean | p50 | p95 | p99 |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for label, values in (("total round trip", totals), ("inside Rasa", rasas), ("gateway overhead", overheads)):
        print(
            f"| {label} | {statistics.fmean(values):.1f} ms | {percentile(values, 50):.1f} ms | "
            f"{percentile(values, 95):.1f} ms | {percentile(values, 99):.1f} ms |"
        )


async def measure_accept_rate(stack: LocalStack, seconds: float, clients: int) -> None:
    accepted = 0
    deadline = time.perf_counter() + seconds

    async def client_loop(n: int) -> None:
        nonlocal accepted
        async with httpx.AsyncClient(base_url=stack.gateway, timeout=30) as client:
            i = 0
            while time.perf_counter() < deadline:
                body = {"sender": f"accept-{n}-{i % 20}", "text": TEXTS[i % len(TEXTS)]}
                response = await client.post("/webhooks/web?wait=0", json=body)
                assert response.status_code == 202, response.text
                accepted += 1
                i += 1

    started = time.perf_counter()
    await asyncio.gather(*(client_loop(n) for n in range(clients)))
    elapsed = time.perf_counter() - started
    print(
        f"\nInbound accept rate (POST /webhooks/web?wait=0, {clients} concurrent clients, one gateway process): "
        f"{accepted / elapsed:.0f} messages/s over {elapsed:.1f} s ({accepted} messages stored)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--accept-seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()
    model = Path(os.environ["HELPDESK_MODEL"]) if os.environ.get("HELPDESK_MODEL") else trained_model()
    for db in (GATEWAY_DB, RASA_DB):
        redis.Redis(db=db).flushdb()
    stack = LocalStack.create(model, GATEWAY_DB, RASA_DB, log_level="WARNING")
    stack.start("actions", "rasa", "gateway")
    try:
        stack.wait_gateway()
        stack.wait_ready()
        print(f"machine: {os.cpu_count()} cores; model {model.name}")
        measure_overhead(stack, args.messages)
        asyncio.run(measure_accept_rate(stack, args.accept_seconds, args.clients))
    finally:
        stack.stop_all()
        for db in (GATEWAY_DB, RASA_DB):
            redis.Redis(db=db).flushdb()


if __name__ == "__main__":
    main()
