"""Benchmark: the CPU an HTTP client library spends per call, as the gateway calls Rasa (issue 14).

A trivial aiohttp server (in a child process) answers `POST /webhooks/rest/webhook` with a Rasa-like JSON
reply; this process then makes 3,000 calls, 32 at a time, first with httpx (what the gateway used) and then
with aiohttp (what messaging/rasa_client.py uses), on uvloop like the gateway, and prints each library's
client CPU per call (user + system, from getrusage) and the wall time.

Run: .venv/bin/python bench/http_client_cost.py [--calls 3000] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import resource
import socket
import time
from collections.abc import Awaitable, Callable

import aiohttp
import httpx
import uvloop
from aiohttp import web

BODY = {"sender": "s", "message": "lucrez in italia si nu m-au platit", "metadata": {"language": "ro"}}
REPLY = [
    {"recipient_id": "s", "text": "Salut, iata ce poti face. " * 5, "buttons": [{"title": "a", "payload": "/b"}]}
]


def serve(port: int) -> None:
    async def answer(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response(REPLY)

    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", answer)
    web.run_app(app, host="127.0.0.1", port=port, print=None)


async def with_httpx(url: str, calls: int, concurrency: int) -> None:
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
    async with httpx.AsyncClient(limits=limits) as client:
        gate = asyncio.Semaphore(concurrency)

        async def one() -> None:
            async with gate:
                (await client.post(url, json=BODY)).json()

        await asyncio.gather(*(one() for _ in range(calls)))


async def with_aiohttp(url: str, calls: int, concurrency: int) -> None:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256)) as client:
        gate = asyncio.Semaphore(concurrency)

        async def one() -> None:
            async with gate, client.post(url, json=BODY) as response:
                await response.json()

        await asyncio.gather(*(one() for _ in range(calls)))


def measure(name: str, run: Callable[[str, int, int], Awaitable[None]], url: str, calls: int, n: int) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    uvloop.run(run(url, calls, n))
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    print(
        f"  {name:8} {cpu / calls * 1000:6.2f} ms of client CPU per call, {time.perf_counter() - started:5.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = multiprocessing.Process(target=serve, args=(port,), daemon=True)
    server.start()
    url = f"http://127.0.0.1:{port}/webhooks/rest/webhook"
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    print(f"{args.calls} calls, {args.concurrency} at a time, on uvloop")
    try:
        for name, run in (("httpx", with_httpx), ("aiohttp", with_aiohttp)):
            measure(name, run, url, args.calls, args.concurrency)
    finally:
        server.terminate()


if __name__ == "__main__":
    main()
