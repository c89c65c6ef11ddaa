"""The web chat: POST /webhooks/web (a message, answered with the replies), GET /webhooks/web/messages (the
replies after a cursor, long-polled) and the page itself at /chat. The work is in gateway/web_chat.py."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import AfterValidator

from core.api_errors import STORE, ErrorOut, InvalidOut, responses, too_large
from core.languages import LANGUAGES
from core.locales import locale, text
from gateway import web_chat
from gateway.api_docs import web_request
from gateway.deps import services_dep
from gateway.services import MAX_BLOCK_SECONDS, Services

router = APIRouter()
STATIC = Path(__file__).resolve().parent.parent / "static"
ServicesDep = Annotated[Services, Depends(services_dep)]
_STREAM_PART_MAX = 2**64 - 1


def _stream_id(value: str) -> str:
    """A cursor Redis takes as an exclusive start: two numbers below 2**64, not the largest id (else a 422,
    where Redis would refuse it with an error)."""
    ms, seq = (int(part) for part in value.split("-"))
    if max(ms, seq) > _STREAM_PART_MAX or ms == seq == _STREAM_PART_MAX:
        raise ValueError("after must be a message id: two numbers below 2^64")
    return value


Cursor = Annotated[str, Query(pattern=r"^\d{1,20}-\d{1,20}$"), AfterValidator(_stream_id)]


@router.post(
    "/webhooks/web",
    responses=responses({202: None, 400: ErrorOut, 422: ErrorOut | InvalidOut, **STORE}),
    openapi_extra=web_request(),
)
async def web_webhook(
    request: Request, services: ServicesDep, wait: float | None = Query(default=None, ge=0)
) -> JSONResponse:
    """One message from the web chat; the answer carries the replies (or 202 and the cursor to poll)."""
    result = await web_chat.receive(services, await request.body(), wait)
    headers = {"Retry-After": str(result.retry_after)} if result.retry_after else {}
    if result.server_timing:
        headers["Server-Timing"] = ", ".join(f"{k};dur={v:.2f}" for k, v in result.server_timing.items())
    return JSONResponse(result.body, result.status, headers=headers)


@router.get("/webhooks/web/messages", responses=responses({422: InvalidOut, **STORE}))
async def web_messages(
    services: ServicesDep,
    sender: str = Query(min_length=1, max_length=128),
    after: Cursor = "0-0",
    wait: float = Query(default=0, ge=0, le=MAX_BLOCK_SECONDS),
) -> JSONResponse:
    """Messages for a web user after a cursor; with `wait`, long-polls up to that many seconds."""
    messages, cursor = await services.web_outbox.read(sender, after, block_ms=int(wait * 1000))
    return JSONResponse({"messages": messages, "cursor": cursor, **await web_chat.language_of(services, sender)})


@router.get("/chat", response_class=HTMLResponse, responses=too_large())
async def chat_page() -> HTMLResponse:
    """The web chat page, with its texts in every language from core/locales/ (`web_chat.*`)."""
    return HTMLResponse(_chat_page())


@cache
def _chat_page() -> str:
    keys = locale(LANGUAGES[0])["web_chat"]
    texts = {key: {lang: text(f"web_chat.{key}", lang) for lang in LANGUAGES} for key in keys}
    page = (STATIC / "chat.html").read_text(encoding="utf-8")
    return page.replace("/*LOCALE_TEXTS*/{}", json.dumps(texts, ensure_ascii=False).replace("</", "<\\/"))
