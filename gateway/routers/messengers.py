"""The messenger webhooks: POST /webhooks/{messenger} for every messenger of channels/registry.py, and
/webhooks/{messenger}/status for those whose platform reports delivery to a URL of its own (Twilio).
The work is in gateway/webhooks.py."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from channels.registry import MESSENGERS
from core.api_errors import STORE, ErrorOut, responses
from gateway import webhooks
from gateway.deps import services_dep
from gateway.services import Services

router = APIRouter()
NAMES = frozenset(m.name for m in MESSENGERS)
ServicesDep = Annotated[Services, Depends(services_dep)]
# The schema lists each messenger's own path, body and signature header (api_docs.messenger_paths); 404 is a
# channel that is off.
ANSWERS = responses({400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut, **STORE})


@router.post("/webhooks/{messenger}", responses=ANSWERS)
async def messenger_webhook(messenger: str, request: Request, services: ServicesDep) -> Response:
    """A messenger's update: verified, parsed, queued; answered 2xx only once stored."""
    if messenger not in NAMES:
        raise HTTPException(404, "Not Found")
    return await webhooks.receive(services, messenger, request)


@router.post("/webhooks/{messenger}/status", responses=ANSWERS)
async def messenger_status(messenger: str, request: Request, services: ServicesDep) -> Response:
    """A delivery report sent to its own URL (Twilio's status callback)."""
    channel = services.channels.get(messenger)
    if messenger not in NAMES or (channel is not None and not channel.status_callbacks):
        raise HTTPException(404, "Not Found")
    return await webhooks.receive(services, messenger, request)
