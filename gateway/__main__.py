"""Command line: `python -m gateway serve` runs the gateway (and the embedded worker);
`python -m gateway worker` runs a worker, the messenger outbox senders and the campaign runner alone (set
EMBEDDED_WORKER=false on the gateways then); `python -m gateway register` points the Telegram and Viber webhooks at
PUBLIC_BASE_URL and prints what to configure in the Twilio console."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

import uvicorn
import uvloop

from core.settings import get_settings
from gateway.services import Services


def _logging(level: str) -> None:
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request URL at info level; URLs can carry identifiers.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # twilio logs each API request and response at info level; responses carry phone numbers and texts.
    logging.getLogger("twilio").setLevel(logging.WARNING)


async def _run_worker() -> None:
    services = Services.build(get_settings())
    worker = services.worker()
    senders = services.senders()
    runner = services.campaign_runner()

    def stop() -> None:
        worker.stop()
        runner.stop()
        for sender in senders:
            sender.stop()

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)
    try:
        await asyncio.gather(worker.run(), runner.run(), *(sender.run() for sender in senders))
    finally:
        await services.aclose()


async def _register() -> int:
    """Register the webhooks of every channel that is on; 1 if one failed."""
    settings = get_settings()
    services = Services.build(settings)
    failed = 0
    try:
        if not services.channels:
            print("no messenger channel is on: set the credentials first (docs/channels.md)")
        for name, channel in services.channels.items():
            try:
                print(await channel.register(settings.public_base_url))
            except Exception as exc:  # report every channel, then fail
                failed = 1
                print(f"{name}: registration failed: {exc}", file=sys.stderr)
    finally:
        await services.aclose()
    return failed


def main() -> None:
    """Parse the command and run it."""
    parser = argparse.ArgumentParser(prog="python -m gateway")
    parser.add_argument("command", choices=["serve", "worker", "register"])
    args = parser.parse_args()
    settings = get_settings()
    _logging(settings.log_level)
    if args.command == "serve":
        uvicorn.run(
            "gateway.app:create_app",
            factory=True,
            host=settings.gateway_host,
            port=settings.gateway_port,
            log_level=settings.log_level.lower(),
            access_log=False,
            # X-Forwarded-For is believed only from TRUSTED_PROXIES (never by default, not even from loopback,
            # uvicorn's own default); the client is then its right-most address that is not a trusted proxy.
            proxy_headers=bool(settings.trusted_proxies),
            forwarded_allow_ips=settings.trusted_proxies or "",
        )
    elif args.command == "register":
        sys.exit(asyncio.run(_register()))
    else:
        uvloop.run(_run_worker())  # the event loop uvicorn uses for `serve`


if __name__ == "__main__":
    main()
