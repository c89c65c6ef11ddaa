"""For operators: /healthz (the process answers), /readyz (Redis and Rasa answer) and /metrics (Prometheus)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from gateway.deps import services_of
from gateway.services import Services
from messaging import metrics

router = APIRouter()
ServicesDep = Annotated[Services, Depends(services_of)]


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(services: ServicesDep) -> JSONResponse:
    """Ready when Redis and Rasa both answer (503 otherwise)."""
    try:
        redis_ok = bool(await asyncio.wait_for(services.redis.ping(), timeout=2))
    except Exception:  # any failure means not ready
        redis_ok = False
    rasa_ok = await services.rasa.ready()
    ready = redis_ok and rasa_ok
    return JSONResponse({"ready": ready, "redis": redis_ok, "rasa": rasa_ok}, 200 if ready else 503)


@router.get("/metrics")
async def prometheus(services: ServicesDep) -> Response:
    """Prometheus metrics, with the inbound queue's depth measured now."""
    with contextlib.suppress(Exception):
        metrics.QUEUE_DEPTH.set(await services.queue.depth())
    return PlainTextResponse(generate_latest().decode(), media_type=CONTENT_TYPE_LATEST)
