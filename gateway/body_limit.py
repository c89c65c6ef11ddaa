"""One request-body limit for every route, enforced as the body streams in (a chunked body is never read
whole before its size is known): a body over the limit of its path is answered 413 with a JSON reason.

Limits by path: the messenger webhooks MAX_WEBHOOK_BYTES (platforms send large updates), everything else
(the web chat, the inbox) 64 KiB. A refused messenger webhook is counted in `hd_webhook_rejected_total`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import JSONResponse

from messaging import metrics

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

DEFAULT_LIMIT = 64 * 1024
_MESSENGER_PREFIX = "/webhooks/"


class BodyTooLarge(HTTPException):
    """The body passed its limit while streaming in (an HTTPException, so that FastAPI's own body reading
    lets it through; `too_large` turns it into the 413 answer)."""

    def __init__(self, limit: int, channel: str) -> None:
        super().__init__(413, f"body too large: at most {limit} bytes")
        self.limit = limit
        self.channel = channel


class BodyLimit:
    """ASGI middleware: 413 for a body larger than its path's limit, announced or streamed."""

    def __init__(self, app: ASGIApp, webhook_limit: int, messenger_names: frozenset[str]) -> None:
        self._app = app
        self._webhook_limit = webhook_limit
        self._messengers = messenger_names

    def _limit_and_channel(self, path: str) -> tuple[int, str]:
        """The path's limit, and the channel whose webhook it is ("" for other routes)."""
        if path.startswith(_MESSENGER_PREFIX):
            name = path[len(_MESSENGER_PREFIX) :].split("/", 1)[0]
            if name in self._messengers:
                return self._webhook_limit, name
            if name == "web":
                return DEFAULT_LIMIT, name
        return DEFAULT_LIMIT, ""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, counting its body; refuse it once it is over the limit."""
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        limit, channel = self._limit_and_channel(scope["path"])
        length = dict(scope.get("headers") or []).get(b"content-length", b"")
        if length.isdigit() and int(length) > limit:
            await _refuse(send, limit, channel)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit, channel)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self._app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _refuse(send, limit, channel)


def too_large(request: Request, exc: Exception) -> JSONResponse:
    """The 413 answer to a body over its limit (the app's handler of BodyTooLarge)."""
    assert isinstance(exc, BodyTooLarge)
    _count(exc.channel)
    return JSONResponse({"error": exc.detail}, 413)


def _count(channel: str) -> None:
    if channel:
        metrics.INBOUND.labels(channel=channel, result="rejected_413").inc()
    if channel and channel != "web":
        metrics.WEBHOOK_REJECTED.labels(channel=channel, reason="413").inc()


async def _refuse(send: Send, limit: int, channel: str) -> None:
    _count(channel)
    body = json.dumps({"error": f"body too large: at most {limit} bytes"}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
