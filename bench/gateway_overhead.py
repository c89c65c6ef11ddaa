"""Benchmark of the gateway's own cost per message: everything except the time spent inside Rasa.

Starts the real stack (action server, Rasa with the trained model, gateway with its embedded worker) on
free ports against the local Redis, sends web chat messages in the three languages one after another,
and splits each round trip with the Server-Timing header the gateway returns:
  total    = the client's POST /webhooks/web round trip
  rasa     = time inside Rasa's REST call (measured by the worker)
  overhead = total - rasa: HTTP, validation, dedupe and queueing, language detection, conversation
             state, Rasa client, outbox and the webhook's wait for the worker
Then measures how many messages per second the inbound path accepts (POST ?wait=0, concurrent clients); past
the queue's depth limit (INBOUND_MAX_TOTAL, back-pressure) the rest are refused with 503, counted apart.

`--accept-latency N` measures instead the inbound path alone and what the depth check adds to it (issue 13): three
gateway processes without worker or Rasa, on a redis-server of their own, take N sequential POST ?wait=0 each,
in turn: limits off (0), limits checked but never reached, and over the limit (every post answered 503).

Run: .venv/bin/python bench/gateway_overhead.py [--messages 300] [--accept-seconds 10]
     .venv/bin/python bench/gateway_overhead.py --accept-latency 3000
Uses Redis at 127.0.0.1:$HELPDESK_TEST_REDIS_PORT (default 6379), databases 9 and 8, which it empties.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx
import redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.settings import Settings
from ops.local_stack import TEST_REDIS_PORT, LocalStack, free_port, trained_model
from ops.redis_server import RedisServer
from ops.stack import ROOT, processes

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
    answers: Counter[int] = Counter()
    deadline = time.perf_counter() + seconds

    async def client_loop(n: int) -> None:
        async with httpx.AsyncClient(base_url=stack.gateway, timeout=30) as client:
            i = 0
            while time.perf_counter() < deadline:
                body = {"sender": f"accept-{n}-{i % 20}", "text": TEXTS[i % len(TEXTS)]}
                response = await client.post("/webhooks/web?wait=0", json=body)
                assert response.status_code in (202, 503), response.text  # 503: over the depth limit
                answers[response.status_code] += 1
                i += 1

    started = time.perf_counter()
    await asyncio.gather(*(client_loop(n) for n in range(clients)))
    elapsed = time.perf_counter() - started
    accepted, refused = answers[202], answers[503]
    print(
        f"\nInbound accept rate (POST /webhooks/web?wait=0, {clients} concurrent clients, one gateway process): "
        f"{(accepted + refused) / elapsed:.0f} requests/s over {elapsed:.1f} s: {accepted} messages stored, "
        f"{refused} refused with 503 (INBOUND_MAX_TOTAL {stack.settings.inbound_max_total}, "
        f"INBOUND_MAX_PER_PARTITION {stack.settings.inbound_max_per_partition})"
    )


def measure_accept_latency(count: int) -> None:
    """Sequential POST ?wait=0 round trips of three gateways (no worker, no Rasa), in turn: the depth check's cost."""
    configs = {
        "limits off (0)": (0, 0),
        "limits checked, not reached": (10**9, 10**9),
        "over the limit (503)": (1, 1),
    }
    with tempfile.TemporaryDirectory() as folder:
        server = RedisServer(Path(folder))
        server.start()
        port = server.port
        stacks: dict[str, LocalStack] = {}
        try:
            for db, (label, (per_partition, total)) in enumerate(configs.items()):
                settings = Settings(
                    redis_url=f"redis://127.0.0.1:{port}/{db}",
                    rasa_url=f"http://127.0.0.1:{free_port()}",
                    gateway_port=free_port(),
                    log_level="WARNING",
                )
                specs = {p.name: p for p in processes(settings, ROOT / "no-model", actions_port=free_port())}
                specs["gateway"].env.update(
                    {
                        "EMBEDDED_WORKER": "false",
                        "LOG_LEVEL": "WARNING",
                        "INBOUND_MAX_PER_PARTITION": str(per_partition),
                        "INBOUND_MAX_TOTAL": str(total),
                    }
                )
                stacks[label] = LocalStack(settings, specs)
                stacks[label].start("gateway")
            for stack in stacks.values():
                stack.wait_gateway()
            times: dict[str, list[float]] = {label: [] for label in configs}
            clients = {label: httpx.Client(base_url=stack.gateway, timeout=30) for label, stack in stacks.items()}
            for i in range(count + 100):
                for label, client in clients.items():
                    body = {"sender": f"lat-{uuid.uuid4().hex[:12]}", "text": TEXTS[i % len(TEXTS)]}
                    started = time.perf_counter()
                    response = client.post("/webhooks/web?wait=0", json=body)
                    elapsed = (time.perf_counter() - started) * 1000
                    expected = 503 if label.startswith("over") and i > 0 else 202
                    assert response.status_code == expected, (label, response.status_code, response.text)
                    if i >= 100:  # warm-up
                        times[label].append(elapsed)
            for client in clients.values():
                client.close()
        finally:
            for stack in stacks.values():
                stack.stop_all()
            server.stop()
    print(
        f"\nPOST /webhooks/web?wait=0, {count} sequential requests per gateway (after 100 warm-up), taken in turn"
    )
    print("| gateway | mean | p50 | p95 | p99 |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for label, values in times.items():
        print(
            f"| {label} | {statistics.fmean(values):.2f} ms | {percentile(values, 50):.2f} ms | "
            f"{percentile(values, 95):.2f} ms | {percentile(values, 99):.2f} ms |"
        )
    off, on = times["limits off (0)"], times["limits checked, not reached"]
    print(
        f"added by the check: mean {statistics.fmean(on) - statistics.fmean(off):+.3f} ms, "
        f"p50 {percentile(on, 50) - percentile(off, 50):+.3f} ms, p99 {percentile(on, 99) - percentile(off, 99):+.3f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--accept-seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument(
        "--accept-latency", type=int, default=0, help="only the inbound path's latency, N requests"
    )
    args = parser.parse_args()
    if args.accept_latency:
        measure_accept_latency(args.accept_latency)
        return
    model = Path(os.environ["HELPDESK_MODEL"]) if os.environ.get("HELPDESK_MODEL") else trained_model()
    for db in (GATEWAY_DB, RASA_DB):
        redis.Redis(port=TEST_REDIS_PORT, db=db).flushdb()
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
            redis.Redis(port=TEST_REDIS_PORT, db=db).flushdb()


if __name__ == "__main__":
    main()
