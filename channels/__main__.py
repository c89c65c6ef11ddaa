"""Command line: `python -m channels serve` runs the gateway (and the embedded worker);
`python -m channels worker` runs a worker alone (set EMBEDDED_WORKER=false on the gateways then)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal

import uvicorn

from channels.services import Services
from channels.settings import get_settings


def _logging(level: str) -> None:
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request URL at info level; URLs can carry identifiers.
    logging.getLogger("httpx").setLevel(logging.WARNING)


async def _run_worker() -> None:
    services = Services.build(get_settings())
    worker = services.worker()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, worker.stop)
    try:
        await worker.run()
    finally:
        await services.aclose()


def main() -> None:
    """Parse the command and run it."""
    parser = argparse.ArgumentParser(prog="python -m channels")
    parser.add_argument("command", choices=["serve", "worker"])
    args = parser.parse_args()
    settings = get_settings()
    _logging(settings.log_level)
    if args.command == "serve":
        uvicorn.run(
            "channels.app:create_app",
            factory=True,
            host=settings.gateway_host,
            port=settings.gateway_port,
            log_level=settings.log_level.lower(),
            access_log=False,
        )
    else:
        asyncio.run(_run_worker())


if __name__ == "__main__":
    main()
