"""Benchmark: does logging in stall the gateway? /healthz latency while 20 staff logins run at once.

Starts one gateway process (no embedded worker, no Rasa needed), creates 20 inbox accounts, then for a fixed
time keeps 20 logins in flight (each client logs in again as soon as it is answered; argon2id, about 150 ms of
CPU each) while a probe asks `/healthz` every 20 ms. Prints /healthz p50/p99/max with and without the logins,
and the logins per second. Before issue 13 the hash was checked on the event loop: /healthz went from ~7 ms to
~1.5 s; now it runs in a bounded thread pool (INBOX_HASH_THREADS).

Run: .venv/bin/python bench/login_latency.py [--seconds 10] [--logins 20] [--hash-threads 2]
Uses Redis at 127.0.0.1:$HELPDESK_TEST_REDIS_PORT (default 6379), database 10, which it empties.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

import httpx
import redis as redis_sync
from redis.asyncio import Redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from inbox.accounts import Accounts
from knowledge.centres import Centres
from ops.local_stack import TEST_REDIS_PORT, LocalStack

DB = 10
PASSWORD = "correct horse battery staple"  # noqa: S105 (the benchmark accounts' password)
TOKEN = "b" * 32  # the login form's double-submit token: any value, the same in the cookie and the form


async def _accounts(count: int) -> list[str]:
    redis = Redis(port=TEST_REDIS_PORT, db=DB)
    accounts = Accounts(redis)
    centres = set(Centres.load("iasi").by_id)
    names = [f"bench-{i}" for i in range(count)]
    for name in names:
        await accounts.add(name, PASSWORD, role="counsellor", centre="iasi", name=name, centres=centres)
    accounts.passwords.close()
    await redis.aclose()
    return names


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def _probe(client: httpx.AsyncClient, until: float) -> list[float]:
    """/healthz round trips (ms), one every 20 ms, on a connection of its own."""
    found = []
    while time.monotonic() < until:
        started = time.perf_counter()
        response = await client.get("/healthz")
        response.raise_for_status()
        found.append((time.perf_counter() - started) * 1000)
        await asyncio.sleep(0.02)
    return found


async def _log_in_again_and_again(client: httpx.AsyncClient, username: str, until: float) -> int:
    done = 0
    while time.monotonic() < until:
        response = await client.post(
            "/inbox/login",
            data={"csrf": TOKEN, "username": username, "password": PASSWORD},
            headers={"Cookie": f"hd_login={TOKEN}"},
        )
        if response.status_code != 303:
            raise SystemExit(f"login answered {response.status_code}: {response.text[:200]}")
        done += 1
    return done


async def measure(base: str, names: list[str], seconds: float) -> None:
    """Print /healthz latency alone, then while the logins run."""
    # Every client is made before the clock starts: making twenty at once stalls this process's own loop
    # (an SSL context each), which the probe would count against the gateway.
    clients = [httpx.AsyncClient(base_url=base, timeout=60) for _ in range(len(names) + 1)]
    probe, logins = clients[0], clients[1:]
    quiet = await _probe(probe, time.monotonic() + 3)
    until = time.monotonic() + seconds
    results = await asyncio.gather(
        _probe(probe, until), *(_log_in_again_and_again(c, n, until) for c, n in zip(logins, names, strict=True))
    )
    for client in clients:
        await client.aclose()
    loaded, done = results[0], sum(results[1:])
    print("| /healthz | p50 | p99 | max | samples |\n| --- | ---: | ---: | ---: | ---: |")
    for label, values in (("alone", quiet), (f"{len(names)} logins in flight", loaded)):
        print(
            f"| {label} | {_percentile(values, 0.5):.1f} ms | {_percentile(values, 0.99):.1f} ms "
            f"| {max(values):.1f} ms | {len(values)} |"
        )
    print(
        f"\nlogins: {done} in {seconds:.0f} s = {done / seconds:.1f}/s (median probe {statistics.median(loaded):.1f} ms)"
    )


def main() -> None:
    """Start the gateway, measure, stop it and empty the database."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--logins", type=int, default=20)
    parser.add_argument("--hash-threads", type=int, default=2)
    args = parser.parse_args()
    redis = redis_sync.Redis(port=TEST_REDIS_PORT, db=DB)
    redis.flushdb()
    names = asyncio.run(_accounts(args.logins))
    stack = LocalStack.create(Path("unused-model"), DB, DB - 1)
    env = {"EMBEDDED_WORKER": "false", "LOG_LEVEL": "WARNING", "INBOX_HASH_THREADS": str(args.hash_threads)}
    stack.specs["gateway"].env.update(env)
    stack.start("gateway")
    try:
        stack.wait_gateway()
        asyncio.run(measure(stack.gateway, names, args.seconds))
    finally:
        stack.stop_all()
        redis.flushdb()


if __name__ == "__main__":
    main()
