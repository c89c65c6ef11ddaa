"""Security headers on every answer of the gateway: nosniff, no referrer, no framing, a Content-Security-Policy.

A route that sets a header itself keeps its own (the inbox's review page has its own policy). Pages get
PAGE_POLICY: their scripts and styles are files of the gateway, none inline (gateway/static/chat.html keeps
its texts in a JSON data block, which is not run). Every other answer (JSON, text) gets API_POLICY, which
allows nothing. Strict-Transport-Security is sent only when HSTS_SECONDS is set (behind https only).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
COMMON = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)


class SecurityHeaders:
    """ASGI middleware: adds the headers a response does not set itself."""

    def __init__(self, app: ASGIApp, hsts_seconds: int = 0) -> None:
        self._app = app
        self._hsts = (b"strict-transport-security", f"max-age={hsts_seconds}".encode()) if hsts_seconds else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; add the missing headers to the response's start."""
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": self._completed(list(message.get("headers", [])))}
            await send(message)

        await self._app(scope, receive, send_with_headers)

    def _completed(self, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        present = {name.lower(): value for name, value in headers}
        wanted = list(COMMON)
        page = present.get(b"content-type", b"").startswith(b"text/html")
        wanted.append((b"content-security-policy", (PAGE_POLICY if page else API_POLICY).encode()))
        if self._hsts:
            wanted.append(self._hsts)
        return headers + [(name, value) for name, value in wanted if name not in present]
