"""Talks to the Rasa server: its REST channel for messages, its token-protected HTTP API for status.

Rasa's REST channel has no authentication of its own, so Rasa listens on loopback or a private network
and only the gateway reaches it. A reply that is a custom JSON payload (`{"custom": {...}}`) carries a
signal for the gateway (for example a handoff request) rather than text for the user.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

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


class RasaClient:
    """An HTTP client for one Rasa server."""

    def __init__(self, base_url: str, token: str, timeout_seconds: float) -> None:
        self._token = token
        self._http = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout_seconds)
        self._intents: frozenset[str] | None = None

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def ready(self) -> bool:
        """True when the server answers and has a model loaded."""
        try:
            response = await self._http.get("/status", params={"token": self._token}, timeout=3)
            return response.status_code == 200 and bool(response.json().get("model_file"))
        except (httpx.HTTPError, ValueError):
            return False

    async def send(self, conversation_id: str, text: str, metadata: dict[str, Any]) -> RasaReply:
        """Send one user message and return the bot's replies; raises RasaUnavailable."""
        body = {"sender": conversation_id, "message": await self._safe_text(text), "metadata": metadata}
        started = time.perf_counter()
        try:
            response = await self._http.post("/webhooks/rest/webhook", json=body)
        except httpx.HTTPError as exc:
            raise RasaUnavailable(type(exc).__name__) from exc
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise RasaUnavailable(f"HTTP {response.status_code}")
        reply = RasaReply(seconds=elapsed)
        for item in response.json():
            if isinstance(item.get("custom"), dict):
                reply.signals.append(item["custom"])
            elif item.get("text") or item.get("buttons"):
                buttons = tuple(Button(str(b["title"]), str(b["payload"])) for b in item.get("buttons") or [])
                reply.messages.append(OutboundMessage(str(item.get("text") or ""), buttons))
        return reply

    async def intent(self, text: str) -> tuple[str, float]:
        """The intent Rasa's NLU reads in a text and its confidence, without a turn in any conversation (the
        token-protected /model/parse); raises RasaUnavailable."""
        try:
            response = await self._http.post("/model/parse", params={"token": self._token}, json={"text": text})
            response.raise_for_status()
            found = response.json().get("intent") or {}
        except (httpx.HTTPError, ValueError) as exc:
            raise RasaUnavailable(type(exc).__name__) from exc
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
                response = await self._http.get(
                    "/domain", params={"token": self._token}, headers={"Accept": "application/json"}
                )
                response.raise_for_status()
                intents = response.json().get("intents", [])
            except (httpx.HTTPError, ValueError) as exc:
                raise RasaUnavailable("domain not readable") from exc
            self._intents = frozenset(i if isinstance(i, str) else next(iter(i)) for i in intents)
        return self._intents
