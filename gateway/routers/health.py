"""For operators: /healthz (the process answers), /readyz (Redis and Rasa answer, the backlog) and /metrics."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel

from core.api_errors import ErrorOut, responses, too_large
from gateway.deps import services_dep
from gateway.services import Services
from messaging import metrics
from messaging.inbound_backlog import Backlog

router = APIRouter()
ServicesDep = Annotated[Services, Depends(services_dep)]


class Readiness(BaseModel):
    """Whether Redis and Rasa answer; the inbound backlog while Redis answers (its figures absent otherwise)."""

    ready: bool
    redis: bool
    rasa: bool
    backlogged: bool | None = None
    queue_depth: int | None = None
    oldest_seconds: float | None = None
    full_partitions: list[int] | None = None


@router.get("/healthz", responses=responses({413: ErrorOut}))
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    responses={
        200: {"model": Readiness},
        **responses({413: ErrorOut}),
        503: {"description": "Redis or Rasa does not answer", "model": Readiness},
    },
)
async def readyz(services: ServicesDep) -> JSONResponse:
    """Ready when Redis and Rasa both answer (503 otherwise). A backlog is reported, not a 503: it is shared by
    every replica through Redis, and the messengers must still reach the gateway (docs/architecture.md)."""
    try:
        redis_ok = bool(await asyncio.wait_for(services.redis.ping(), timeout=2))
    except Exception:  # any failure means not ready
        redis_ok = False
    rasa_ok = await services.rasa.ready()
    ready = redis_ok and rasa_ok
    body: dict[str, object] = {"ready": ready, "redis": redis_ok, "rasa": rasa_ok}
    with contextlib.suppress(Exception):  # Redis away: no figures
        backlog = await _measured(services)
        body.update(
            backlogged=backlog.backlogged,
            queue_depth=backlog.total,
            oldest_seconds=round(backlog.oldest_seconds, 3),
            full_partitions=backlog.full_partitions,
        )
    return JSONResponse(body, 200 if ready else 503)


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}}, **too_large()},
)
async def prometheus(services: ServicesDep) -> Response:
    """Prometheus metrics, with the inbound queue's depth (total, per partition, oldest age) measured now."""
    with contextlib.suppress(Exception):
        await _measured(services)
    return PlainTextResponse(generate_latest().decode(), media_type=CONTENT_TYPE_LATEST)


async def _measured(services: Services) -> Backlog:
    """The backlog measured now, also set in the gauges."""
    backlog = await asyncio.wait_for(services.backlog.measure(), timeout=2)
    metrics.QUEUE_DEPTH.set(backlog.total)
    for partition, depth in enumerate(backlog.depths):
        metrics.PARTITION_DEPTH.labels(partition=str(partition)).set(depth)
    metrics.QUEUE_OLDEST.set(backlog.oldest_seconds)
    metrics.BACKLOGGED.set(1 if backlog.backlogged else 0)
    return backlog
