"""Talks to the Rasa server: its REST channel for messages, its token-protected HTTP API for status.

Rasa's REST channel has no authentication of its own, so Rasa listens on loopback or a private network
and only the gateway reaches it. A reply that is a custom JSON payload (`{"custom": {...}}`) carries a
signal for the gateway (for example a handoff request) rather than text for the user.

The calls go through aiohttp: under load httpx cost about 3 ms of CPU per call in the gateway (its connection
pool and anyio layers), aiohttp about 0.2 ms (docs/performance.md). Failures keep the names the metrics
have always used (`hd_rasa_errors_total{reason}`): ConnectError, ReadTimeout, RemoteProtocolError, HTTP <code>.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from core.messages import Button, OutboundMessage

_INTENT_PAYLOAD = re.compile(r"^/([A-Za-z0-9_]+)(\{.*\})?\s*$", re.DOTALL)


class RasaUnavailable(Exception):
    """Rasa could not answer now (not started, restarting, overloaded): try again later."""


@dataclass
class RasaReply:
    """What Rasa answered to one user message."""

    messages: list[OutboundMessage] = field(default_factory=list)
    signals: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0


def failure(exc: BaseException) -> str:
    """The name a failed call is counted under (the names of the httpx era, kept for dashboards)."""
    if isinstance(exc, aiohttp.ClientConnectorError | ConnectionRefusedError):
        return "ConnectError"
    if isinstance(exc, asyncio.TimeoutError | aiohttp.ServerTimeoutError):
        return "ReadTimeout"
    if isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError | aiohttp.ClientOSError):
        return "RemoteProtocolError"
    return type(exc).__name__


class RasaClient:
    """An HTTP client for one Rasa server."""

    def __init__(self, base_url: str, token: str, timeout_seconds: float) -> None:
        self._base = base_url.rstrip("/")
        self._token = token
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._session: aiohttp.ClientSession | None = None
        self._intents: frozenset[str] | None = None

    def _http(self) -> aiohttp.ClientSession:
        """The connection pool, made on first use (aiohttp wants a running event loop); as many kept-alive
        connections as turns under way at once (the worker's lanes)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=256, limit_per_host=256), timeout=self._timeout
            )
        return self._session

    async def aclose(self) -> None:
        """Close the connection pool."""
        if self._session is not None:
            await self._session.close()

    async def _request(
        self, method: str, path: str, *, timeout: float | None = None, **kwargs: object
    ) -> tuple[int, Any]:
        """(status, JSON body or None) of one call; raises RasaUnavailable when Rasa cannot be reached."""
        options: dict[str, object] = dict(kwargs)
        if timeout is not None:
            options["timeout"] = aiohttp.ClientTimeout(total=timeout)
        try:
            async with self._http().request(method, self._base + path, **options) as response:
                if response.status != 200:
                    await response.read()
                    return response.status, None
                return response.status, await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise RasaUnavailable(failure(exc)) from exc
        except ValueError as exc:  # not JSON
            raise RasaUnavailable("invalid JSON") from exc

    async def ready(self) -> bool:
        """True when the server answers and has a model loaded."""
        try:
            status, body = await self._request("GET", "/status", params={"token": self._token}, timeout=3)
        except RasaUnavailable:
            return False
        return status == 200 and isinstance(body, dict) and bool(body.get("model_file"))

    async def send(self, conversation_id: str, text: str, metadata: dict[str, Any]) -> RasaReply:
        """Send one user message and return the bot's replies; raises RasaUnavailable."""
        body = {"sender": conversation_id, "message": await self._safe_text(text), "metadata": metadata}
        started = time.perf_counter()
        status, items = await self._request("POST", "/webhooks/rest/webhook", json=body)
        elapsed = time.perf_counter() - started
        if status != 200:
            raise RasaUnavailable(f"HTTP {status}")
        reply = RasaReply(seconds=elapsed)
        for item in items if isinstance(items, list) else []:
            if isinstance(item.get("custom"), dict):
                reply.signals.append(item["custom"])
            elif item.get("text") or item.get("buttons"):
                buttons = tuple(Button(str(b["title"]), str(b["payload"])) for b in item.get("buttons") or [])
                reply.messages.append(OutboundMessage(str(item.get("text") or ""), buttons))
        return reply

    async def intent(self, text: str) -> tuple[str, float]:
        """The intent Rasa's NLU reads in a text and its confidence, without a turn in any conversation (the
        token-protected /model/parse); raises RasaUnavailable."""
        status, body = await self._request(
            "POST", "/model/parse", params={"token": self._token}, json={"text": text}
        )
        if status != 200 or not isinstance(body, dict):
            raise RasaUnavailable(f"HTTP {status}")
        found = body.get("intent") or {}
        return str(found.get("name") or ""), float(found.get("confidence") or 0.0)

    async def _safe_text(self, text: str) -> str:
        """A user's text as Rasa should see it.

        Rasa reads "/name{...}" as an intent given directly (that is how buttons work); a user typing
        "/something" that is no intent of ours would confuse it, so the slash is dropped for those.
        """
        match = _INTENT_PAYLOAD.match(text)
        if not match:
            return text
        if match.group(1) in await self._known_intents():
            return text
        return text.lstrip("/")

    async def _known_intents(self) -> frozenset[str]:
        if self._intents is None:
            try:
                status, body = await self._request(
                    "GET", "/domain", params={"token": self._token}, headers={"Accept": "application/json"}
                )
            except RasaUnavailable as exc:
                raise RasaUnavailable("domain not readable") from exc
            if status != 200 or not isinstance(body, dict):
                raise RasaUnavailable("domain not readable")
            intents = body.get("intents", [])
            self._intents = frozenset(i if isinstance(i, str) else next(iter(i)) for i in intents)
        return self._intents
