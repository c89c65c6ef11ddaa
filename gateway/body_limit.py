"""One request-body limit for every route, enforced as the body streams in (a chunked body is never read
whole before its size is known): a body over the limit of its path is answered 413 with a JSON reason.

Limits by path: the messenger webhooks MAX_WEBHOOK_BYTES (platforms send large updates), everything else
(the web chat, the inbox, the campaigns) 64 KiB. A refused messenger webhook is counted in
`hd_webhook_rejected_total`. A route that answers without reading the body (401, 404...) still has it
counted: its answer waits for the rest up to the limit, and a body over it is answered 413 instead. After a
refusal at most DRAIN_BYTES more of the body are read (and dropped), so that a client that is still sending can
read the 413; a longer body gets `Connection: close` and the server stops reading it.
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
DRAIN_BYTES = 1024 * 1024  # read and dropped after a refusal, then the connection is closed
_CLOSE = (b"connection", b"close")
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
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length", b"")
        if length.isdigit() and int(length) > limit:
            # The announced rest is dropped as it arrives (keep-alive) unless it is too long to wait for.
            await _refuse(send, limit, channel, close=int(length) > limit + DRAIN_BYTES)
            return
        body = _Body(receive, limit, done=b"transfer-encoding" not in headers and length in (b"", b"0"))
        started = refused = False

        async def counting_receive() -> Message:
            message = await body.take()
            if body.over:
                await body.drain()
                raise BodyTooLarge(limit, channel)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started, refused
            if refused:
                return  # this middleware answered 413 in the app's place
            if message["type"] == "http.response.start":
                if not body.over:
                    await body.rest()  # the app answers before reading the body: its size still counts
                    if body.over:
                        refused = True
                        await body.drain()
                        await _refuse(send, limit, channel, close=not body.done)
                        return
                started = True
                if not body.done:
                    message = {**message, "headers": [*message.get("headers", []), _CLOSE]}
            await send(message)

        try:
            await self._app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started and not refused:
                await _refuse(send, limit, channel, close=not body.done)


class _Body:
    """One request's body as it arrives: how much came, whether it ended, whether it passed the limit."""

    def __init__(self, receive: Receive, limit: int, done: bool) -> None:
        self._receive = receive
        self._limit = limit
        self.received = 0
        self.done = done  # no more of it will come (a request without a body is done from the start)

    @property
    def over(self) -> bool:
        """More than the limit arrived."""
        return self.received > self._limit

    async def take(self) -> Message:
        """The next message from the server, counted."""
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            self.done = not message.get("more_body", False)
        else:
            self.done = True  # the client went away
        return message

    async def rest(self) -> None:
        """Read (and drop) what the app left unread, until the end or the limit."""
        while not self.done and not self.over:
            await self.take()

    async def drain(self) -> None:
        """Read and drop at most DRAIN_BYTES more of a refused body, so a client still sending reads the 413."""
        until = self.received + DRAIN_BYTES
        while not self.done and self.received <= until:
            await self.take()


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


async def _refuse(send: Send, limit: int, channel: str, close: bool) -> None:
    _count(channel)
    body = json.dumps({"error": f"body too large: at most {limit} bytes"}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 413, "headers": headers + ([_CLOSE] if close else [])})
    await send({"type": "http.response.body", "body": body})
