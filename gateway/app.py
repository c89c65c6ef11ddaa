"""The gateway's FastAPI application: its routers (gateway/routers/, inbox/routes.py) stay thin, the work is in
the channel and service modules; one body limit for every route (gateway/body_limit.py), security headers on
every answer (gateway/security_headers.py), 503 while Redis is away (gateway/redis_unavailable.py).

Run it with `python -m gateway serve` (uvicorn); with EMBEDDED_WORKER=true (the default) the same
process also runs the worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI

from channels.registry import MESSENGERS
from core.settings import Settings, get_settings
from gateway.api_docs import messenger_paths
from gateway.body_limit import BodyLimit, BodyTooLarge, too_large
from gateway.redis_unavailable import EXCEPTIONS, unavailable
from gateway.routers import campaigns, chat_assets, health, messengers, web
from gateway.security_headers import SecurityHeaders
from gateway.services import Services
from inbox.routes import router as inbox_router

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the gateway app; the worker starts with it when EMBEDDED_WORKER is on."""
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = Services.build(settings)
        app.state.services = services
        await services.handoff.hint_first_account()
        worker = services.worker() if settings.embedded_worker else None
        task = asyncio.create_task(worker.run()) if worker else None
        senders = services.senders() if settings.embedded_worker else []
        sending = [asyncio.create_task(sender.run()) for sender in senders]
        runner = services.campaign_runner() if settings.embedded_worker else None
        if runner:
            sending.append(asyncio.create_task(runner.run()))
        try:
            yield
        finally:
            for sender in senders:
                sender.stop()
            if runner:
                runner.stop()
            if worker and task:
                worker.stop()
                await asyncio.wait_for(task, timeout=settings.rasa_timeout_seconds + 5)
            if sending:
                await asyncio.wait(sending, timeout=20)
            await services.aclose()

    app = FastAPI(title="Migrant helpdesk gateway", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.add_middleware(
        BodyLimit, webhook_limit=settings.max_webhook_bytes, messenger_names=frozenset(m.name for m in MESSENGERS)
    )
    app.add_middleware(SecurityHeaders, hsts_seconds=settings.hsts_seconds)  # the outer one: also on 413s
    app.add_exception_handler(BodyTooLarge, too_large)
    for exception in EXCEPTIONS:
        app.add_exception_handler(exception, unavailable)
    app.include_router(inbox_router)
    app.include_router(campaigns.router)
    app.include_router(chat_assets.router)
    app.include_router(web.router)  # before the messengers' /webhooks/{messenger}, which would take "web"
    app.include_router(messengers.router)
    app.include_router(health.router)
    # /openapi.json (public; the docs pages are off): each route's statuses and error bodies (gateway/api_docs.py)
    built = app.openapi
    app.openapi = lambda: messenger_paths(built(), [m.name for m in MESSENGERS])  # type: ignore[method-assign]
    return app
