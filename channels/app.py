"""The gateway's FastAPI application: routes stay thin, the work is in the channel and service modules.

Run it with `python -m channels serve` (uvicorn); with EMBEDDED_WORKER=true (the default) the same
process also runs the worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI, Query, Request
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from channels import metrics, web_chat, webhooks
from channels.services import MAX_BLOCK_SECONDS, Services
from channels.settings import Settings, get_settings
from handoff.routes import router as inbox_router

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the gateway app; the worker starts with it when EMBEDDED_WORKER is on."""
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = Services.build(settings)
        app.state.services = services
        worker = services.worker() if settings.embedded_worker else None
        task = asyncio.create_task(worker.run()) if worker else None
        senders = services.senders() if settings.embedded_worker else []
        sending = [asyncio.create_task(sender.run()) for sender in senders]
        try:
            yield
        finally:
            for sender in senders:
                sender.stop()
            if worker and task:
                worker.stop()
                await asyncio.wait_for(task, timeout=settings.rasa_timeout_seconds + 5)
            if sending:
                await asyncio.wait(sending, timeout=20)
            await services.aclose()

    app = FastAPI(title="Migrant helpdesk gateway", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.include_router(inbox_router)

    def services_of(request: Request) -> Services:
        return request.app.state.services

    @app.post("/webhooks/web")
    async def web_webhook(request: Request, wait: float | None = Query(default=None, ge=0)) -> JSONResponse:
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > web_chat.MAX_BODY_BYTES:
            return JSONResponse({"error": f"body too large: at most {web_chat.MAX_BODY_BYTES} bytes"}, 413)
        result = await web_chat.receive(services_of(request), await request.body(), wait)
        headers = {}
        if result.server_timing:
            headers["Server-Timing"] = ", ".join(f"{k};dur={v:.2f}" for k, v in result.server_timing.items())
        return JSONResponse(result.body, result.status, headers=headers)

    @app.get("/webhooks/web/messages")
    async def web_messages(
        request: Request,
        sender: str = Query(min_length=1, max_length=128),
        after: str = Query(default="0-0", pattern=r"^\d+-\d+$"),
        wait: float = Query(default=0, ge=0, le=MAX_BLOCK_SECONDS),
    ) -> JSONResponse:
        """Messages for a web user after a cursor; with `wait`, long-polls up to that many seconds."""
        messages, cursor = await services_of(request).web_outbox.read(sender, after, block_ms=int(wait * 1000))
        return JSONResponse({"messages": messages, "cursor": cursor})

    @app.post("/webhooks/telegram")
    async def telegram_webhook(request: Request) -> Response:
        return await webhooks.receive(services_of(request), "telegram", request)

    @app.post("/webhooks/whatsapp")
    @app.post("/webhooks/whatsapp/status")
    async def whatsapp_webhook(request: Request) -> Response:
        return await webhooks.receive(services_of(request), "whatsapp", request)

    @app.post("/webhooks/viber")
    async def viber_webhook(request: Request) -> Response:
        return await webhooks.receive(services_of(request), "viber", request)

    @app.get("/chat")
    async def chat_page() -> FileResponse:
        return FileResponse(STATIC / "chat.html", media_type="text/html; charset=utf-8")

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        services = services_of(request)
        try:
            redis_ok = bool(await asyncio.wait_for(services.redis.ping(), timeout=2))
        except Exception:  # any failure means not ready
            redis_ok = False
        rasa_ok = await services.rasa.ready()
        ready = redis_ok and rasa_ok
        return JSONResponse({"ready": ready, "redis": redis_ok, "rasa": rasa_ok}, 200 if ready else 503)

    @app.get("/metrics")
    async def prometheus(request: Request) -> Response:
        with contextlib.suppress(Exception):
            metrics.QUEUE_DEPTH.set(await services_of(request).queue.depth())
        return PlainTextResponse(generate_latest().decode(), media_type=CONTENT_TYPE_LATEST)

    return app
