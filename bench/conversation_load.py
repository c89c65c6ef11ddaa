"""Benchmark: what a turn costs (issue 14), one at a time and under load, Rasa alone and through the gateway.

The real stack (action server, Rasa with the trained model, gateway with its embedded worker) runs against a
Redis server of its own, started on a free port in a temporary directory and removed afterwards. In one run:

1. **One at a time** (after a warm-up), N samples each: Rasa's NLU alone (`/model/parse`); a full turn through
   Rasa's REST channel answering a domain response ("thanks") and a knowledge card; the same conversation's
   ten conversations of 200 turns, turn 5 against turns 40 and 200 (does a turn cost more as it grows?).
2. **Load**: USERS simulated people in conversation (each a few turns in ro, it or es, one message after the
   answer to the previous one, no think time), first against Rasa's REST channel alone, then through the
   gateway (`POST /webhooks/web`, which answers once the replies are ready), for SECONDS seconds each:
   turns per second, p50/p95/p99, and the ratio of the gateway's p99 to Rasa's.
3. CPU seconds and RSS of each process (from /proc), at the start and end of each phase.

4. With `--soak SECONDS`, only: the load through the gateway for that long, each process's RSS every minute.

Run: .venv/bin/python bench/conversation_load.py [--samples 30] [--users 32] [--seconds 30] [--partitions N]
     .venv/bin/python bench/conversation_load.py --soak 600
The figures and the profile are in docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ops import local_stack
from ops.local_stack import LocalStack, trained_model
from ops.redis_server import RedisServer

LONG_CONVERSATIONS = 10
CONVERSATIONS = {
    "ro": [
        "buna ziua",
        "lucrez in italia si nu m-au platit de 2 luni",
        "ce acte imi trebuie pentru rezidenta?",
        "multumesc",
        "cum fac plangere?",
    ],
    "it": [
        "buongiorno",
        "lavoro in spagna senza contratto, cosa rischio?",
        "come mi iscrivo all'anagrafe?",
        "grazie",
        "quali sono i segnali di tratta?",
    ],
    "es": [
        "hola",
        "trabajo en italia y no me pagan las horas extra",
        "como me empadrono en madrid?",
        "gracias",
        "quiero volver a rumania, hay ayudas?",
    ],
}
THANKS = {"ro": "multumesc", "it": "grazie", "es": "gracias"}
CARD = {"ro": "lucrez in italia fara contract, ce risc?", "it": "lavoro in italia senza contratto, cosa rischio?"}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def proc_stats(pid: int) -> tuple[float, float]:
    """CPU seconds (user + system) and RSS in MiB of one process."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        rss = int(fields[21]) * os.sysconf("SC_PAGE_SIZE") / 2**20
        return cpu, rss
    except (OSError, IndexError, ValueError):
        return float("nan"), float("nan")


def print_processes(label: str, pids: dict[str, int], before: dict[str, tuple[float, float]]) -> None:
    now = {name: proc_stats(pid) for name, pid in pids.items()}
    parts = [f"{name} cpu {now[name][0] - before[name][0]:.1f} s rss {now[name][1]:.0f} MiB" for name in pids]
    print(f"  processes during {label}: " + "; ".join(parts))


class Stack:
    """The real processes against a Redis server of their own."""

    def __init__(self, model: Path) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="bench-turns-"))
        self.redis = RedisServer(self.tmp)
        self.redis.start()
        self.redis_port = self.redis.port
        local_stack.TEST_REDIS_PORT = self.redis_port  # read when the stack is created
        self.local = LocalStack.create(model, 0, 1, web_reply_wait_seconds=25, log_level="WARNING")
        self.local.start("actions", "rasa", "gateway")
        self.local.wait_gateway(60)
        self.local.wait_ready(300)

    @property
    def rasa(self) -> str:
        return self.local.settings.rasa_url

    @property
    def gateway(self) -> str:
        return self.local.gateway

    def pids(self) -> dict[str, int]:
        found = {name: proc.pid for name, proc in self.local.procs.items()}
        assert self.redis.proc is not None
        found["redis"] = self.redis.proc.pid
        return found

    def close(self) -> None:
        self.local.stop_all()
        self.redis.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)


async def rasa_turn(client: aiohttp.ClientSession, rasa: str, sender: str, text: str, language: str) -> float:
    body = {"sender": sender, "message": text, "metadata": {"language": language, "channel": "web"}}
    started = time.perf_counter()
    async with client.post(f"{rasa}/webhooks/rest/webhook", json=body) as response:
        response.raise_for_status()
        assert await response.json(), "Rasa gave no answer"
    return (time.perf_counter() - started) * 1000


async def gateway_turn(
    client: aiohttp.ClientSession, gateway: str, sender: str, text: str, language: str
) -> float:
    body = {"sender": sender, "text": text, "language": language, "message_id": uuid.uuid4().hex}
    started = time.perf_counter()
    async with client.post(f"{gateway}/webhooks/web", json=body) as response:
        assert response.status == 200, (response.status, (await response.text())[:200])
        await response.read()
    return (time.perf_counter() - started) * 1000


async def one_at_a_time(stack: Stack, samples: int) -> None:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as client:
        token = stack.local.settings.rasa_token
        for _ in range(5):  # warm-up
            await rasa_turn(client, stack.rasa, uuid.uuid4().hex, "buna ziua", "ro")
        parse = []
        for _ in range(samples):
            started = time.perf_counter()
            async with client.post(
                f"{stack.rasa}/model/parse", params={"token": token}, json={"text": CARD["ro"]}
            ) as r:
                r.raise_for_status()
                await r.read()
            parse.append((time.perf_counter() - started) * 1000)
        thanks, card, card_gw = [], [], []
        for i in range(samples):
            language = ("ro", "it")[i % 2]
            thanks.append(await rasa_turn(client, stack.rasa, uuid.uuid4().hex, THANKS[language], language))
            card.append(await rasa_turn(client, stack.rasa, uuid.uuid4().hex, CARD[language], language))
            card_gw.append(
                await gateway_turn(client, stack.gateway, f"b{uuid.uuid4().hex}", CARD[language], language)
            )
        print(f"\none at a time, {samples} samples each              p50 ms   p95 ms")
        for name, values in (
            ("Rasa NLU only (/model/parse)", parse),
            ("turn via Rasa REST: 'thanks' (a response)", thanks),
            ("turn via Rasa REST: a knowledge card", card),
            ("turn via the gateway: a knowledge card", card_gw),
        ):
            print(f"  {name:44} {pct(values, 0.5):7.1f} {pct(values, 0.95):8.1f}")
        # Long conversations: does a turn cost more as it grows? Ten conversations of 200 turns, the same five
        # messages in turn (turns 5, 40 and 200 are the same message); the p50 of each turn over the ten.
        texts = CONVERSATIONS["ro"]
        runs = []
        for _ in range(LONG_CONVERSATIONS):
            sender = uuid.uuid4().hex
            runs.append(
                [await rasa_turn(client, stack.rasa, sender, texts[t % len(texts)], "ro") for t in range(1, 201)]
            )
        at = {t: statistics.median(run[t - 1] for run in runs) for t in (5, 40, 200)}
        first, late = (statistics.median(run[t - 1] for run in runs for t in range(a, a + 5)) for a in (1, 196))
        print(
            f"  {LONG_CONVERSATIONS} conversations of 200 turns, Rasa REST, p50 ms at turn 5: {at[5]:.1f}, "
            f"turn 40: {at[40]:.1f}, turn 200: {at[200]:.1f} (turn 200 / turn 5: {at[200] / at[5]:.2f}); "
            f"turns 1-5: {first:.1f}, 196-200: {late:.1f}"
        )


async def load(stack: Stack, users: int, seconds: float, through_gateway: bool) -> list[float]:
    latencies: list[float] = []
    stop_at = time.monotonic() + seconds

    async def person(n: int, client: aiohttp.ClientSession) -> None:
        language = ("ro", "it", "es")[n % 3]
        while time.monotonic() < stop_at:
            sender = f"load{n}-{uuid.uuid4().hex[:8]}"
            for text in CONVERSATIONS[language]:
                if time.monotonic() >= stop_at:
                    return
                if through_gateway:
                    latencies.append(await gateway_turn(client, stack.gateway, sender, text, language))
                else:
                    latencies.append(await rasa_turn(client, stack.rasa, sender, text, language))

    connector = aiohttp.TCPConnector(limit=users + 4)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as client:
        await asyncio.gather(*(person(n, client) for n in range(users)))
    return latencies


async def soak(stack: Stack, users: int, seconds: float, pids: dict[str, int]) -> None:
    """USERS people in conversation through the gateway for SECONDS, each process's RSS printed every minute:
    does any process grow?"""
    names = sorted(pids)
    print(f"\nsoak: {users} users through /webhooks/web for {seconds:.0f} s; RSS MiB per process")
    print("  minute  turns/s  " + "  ".join(f"{name:>8}" for name in names))
    done = 0
    for minute in range(int(-(-seconds // 60))):
        span = min(60.0, seconds - 60 * minute)
        values = await load(stack, users, span, through_gateway=True)
        done += len(values)
        rss = [proc_stats(pids[name])[1] for name in names]
        print(f"  {minute + 1:6d}  {len(values) / span:7.1f}  " + "  ".join(f"{r:8.1f}" for r in rss), flush=True)
    print(f"  {done} turns in all")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--users", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument(
        "--soak", type=float, default=0, help="only a load through the gateway this many seconds, RSS every minute"
    )
    parser.add_argument(
        "--partitions", type=int, default=0, help="INBOUND_PARTITIONS for the gateway (0: default)"
    )
    args = parser.parse_args()
    if args.partitions:
        os.environ["INBOUND_PARTITIONS"] = str(args.partitions)  # the gateway process reads its settings from here
    random.seed(1)
    model = Path(os.environ["HELPDESK_MODEL"]) if os.environ.get("HELPDESK_MODEL") else trained_model()
    print(f"load average (1 min) at the start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores", flush=True)
    stack = Stack(model)
    try:
        pids = stack.pids()
        if args.soak:
            await soak(stack, args.users, args.soak, pids)
            return
        before = {name: proc_stats(pid) for name, pid in pids.items()}
        await one_at_a_time(stack, args.samples)
        print_processes("one at a time", pids, before)
        if not args.skip_load:
            results = {}
            for label, through in (("Rasa REST alone", False), ("through /webhooks/web", True)):
                before = {name: proc_stats(pid) for name, pid in pids.items()}
                values = await load(stack, args.users, args.seconds, through)
                results[label] = values
                print(
                    f"\n{args.users} users, {label}: {len(values) / args.seconds:.1f} turns/s, "
                    f"p50 {pct(values, 0.5):.0f} ms, p95 {pct(values, 0.95):.0f} ms, p99 {pct(values, 0.99):.0f} ms"
                )
                print_processes(label, pids, before)
            ratio = pct(results["through /webhooks/web"], 0.99) / pct(results["Rasa REST alone"], 0.99)
            print(f"\np99 through the gateway / p99 of Rasa alone: {ratio:.2f} (goal <= 1.2)")
        print(f"load average (1 min) at the end: {os.getloadavg()[0]:.2f}")
    finally:
        stack.close()


if __name__ == "__main__":
    asyncio.run(main())
