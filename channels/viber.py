"""Viber: callbacks verified by their HMAC signature, messages sent with Viber's REST API (httpx).

- Verify: `X-Viber-Content-Signature` is the hex HMAC-SHA256 of the raw body with VIBER_AUTH_TOKEN.
- Parse: each event read as its typed model (channels/viber_wire.py; a wrong type is a 422): `message`
  (text, keyboard presses, location, picture/video/file/sticker as media), `subscribed` (registers the
  user), `unsubscribed` (a stop signal), `conversation_started` (answered with the welcome message in the
  HTTP response, as Viber requires), `delivered`, `seen`, `failed` (delivery statuses), and `webhook`
  (Viber's check when the webhook is set). Others are acknowledged and ignored.
- Send: POST VIBER_API_URL/send_message with the `X-Viber-Auth-Token` header; buttons as a Viber keyboard
  of reply buttons. Errors come as a `status` in a 200 JSON body: 5 and 6 (not registered, not subscribed)
  are stop signals, 12 (too many requests) is retried.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import httpx
from redis.asyncio import Redis

from channels.base import ChannelBase
from channels.viber_wire import Callback, MessageEvent, Status, Unsubscribed, UserOpened
from channels.wire import read
from core.languages import language_of
from core.messages import InboundMessage, OutboundMessage
from core.settings import Settings
from messaging.channel import (
    BadPayload,
    DeliveryStatus,
    Parsed,
    RawRequest,
    SendError,
    UserEvent,
    json_body,
    split_text,
)
from messaging.notices import notice

TEXT_LIMIT = 7000  # Viber's maximum text length
EVENT_TYPES = ["delivered", "seen", "failed", "subscribed", "unsubscribed", "conversation_started"]
STOP_STATUSES = frozenset({5, 6})  # receiverNotRegistered, receiverNotSubscribed
RETRY_STATUSES = frozenset({12})  # tooManyRequests
_MEDIA = {"picture": "photo", "video": "video", "file": "document", "sticker": "sticker", "contact": "contact"}
_STATUS = {"delivered": "delivered", "seen": "read", "failed": "failed"}
_EVENTS: dict[str, type[Callback]] = {
    "message": MessageEvent,
    "subscribed": UserOpened,
    "conversation_started": UserOpened,
    "unsubscribed": Unsubscribed,
    **dict.fromkeys(_STATUS, Status),
}


class ViberChannel(ChannelBase):
    """A Viber bot (public account) through the REST bot API."""

    name = "viber"
    text_limit = TEXT_LIMIT

    @classmethod
    def from_settings(cls, settings: Settings, redis: Redis) -> ViberChannel | None:
        """The channel, when its auth token is set."""
        if not settings.viber_auth_token:
            return None
        return cls(settings.viber_auth_token, settings.viber_api_url, settings.viber_bot_name)

    def __init__(self, auth_token: str, api_url: str, bot_name: str) -> None:
        self._token = auth_token.encode()
        self._sender = {"name": bot_name}
        self._http = httpx.AsyncClient(
            base_url=api_url.rstrip("/"),
            headers={"X-Viber-Auth-Token": auth_token},
            timeout=httpx.Timeout(15, connect=5),
        )

    # -- inbound --------------------------------------------------------------------------------------

    def verify(self, request: RawRequest) -> bool:
        """The hex HMAC-SHA256 of the raw body with the auth token."""
        given = request.header("x-viber-content-signature").strip().lower()
        if not given:
            return False
        expected = hmac.new(self._token, request.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected.encode(), given.encode())

    async def parse(self, request: RawRequest) -> Parsed:
        """One callback event, read as its typed model (channels/viber_wire.py)."""
        data = json_body(request)
        if not isinstance(data, dict) or not isinstance(data.get("event"), str):
            raise BadPayload("not a Viber callback: event missing", 422)
        callback = read(_EVENTS.get(data["event"], Callback), data, "Viber callback")
        event, token = callback.event, callback.token()
        parsed = Parsed(dedupe_id=f"{event}:{token}" if token else "")
        if isinstance(callback, MessageEvent):
            parsed.messages.append(self._message(callback, token))
        elif isinstance(callback, UserOpened) and event == "conversation_started":
            parsed.response = self._welcome(language_of(callback.user.language))
        elif isinstance(callback, UserOpened):
            user = callback.user
            parsed.user_events.append(UserEvent(user.id, "subscribed", language_of(user.language)))
        elif isinstance(callback, Unsubscribed):
            parsed.user_events.append(UserEvent(callback.user_id, "unsubscribed"))
        elif isinstance(callback, Status):
            parsed.statuses.append(DeliveryStatus(token, _STATUS[event], callback.desc))
        else:
            parsed.ignored = f"event {event!r} not used"
        return parsed

    def _message(self, callback: MessageEvent, token: str) -> InboundMessage:
        sender, message = callback.sender, callback.message
        base: dict[str, Any] = {"message_id": token, "locale": language_of(sender.language)}
        kind = message.type
        text = message.text or ""
        if kind == "location":
            if message.location is None:
                raise BadPayload("location without lat/lon", 422)
            lat, lon = message.location.lat, message.location.lon
            return InboundMessage(self.name, sender.id, "", kind="location", latitude=lat, longitude=lon, **base)
        if kind in _MEDIA:
            return InboundMessage(self.name, sender.id, text, kind="media", media=_MEDIA[kind], **base)
        if kind in ("text", "url") or text:
            text = text or message.media or ""
            if not text.strip():
                raise BadPayload("empty text message", 422)
            return InboundMessage(
                self.name, sender.id, text, kind="button" if text.startswith("/") else "text", **base
            )
        return InboundMessage(self.name, sender.id, "", kind="media", media=kind, **base)

    def _welcome(self, language: str | None) -> dict[str, Any]:
        """The welcome message Viber shows when a user opens the chat (sent as the HTTP response)."""
        message = notice("welcome", language or "ro")
        return {"sender": self._sender, "type": "text", "text": message.text, "keyboard": _keyboard(message)}

    # -- outbound -------------------------------------------------------------------------------------

    async def render(self, user_id: str, message: OutboundMessage) -> list[dict[str, Any]]:
        """send_message bodies (without the receiver); the last one carries the keyboard."""
        pieces = split_text(message.text, self.text_limit)
        payloads: list[dict[str, Any]] = [{"type": "text", "text": piece} for piece in pieces]
        if message.buttons and payloads:
            payloads[-1]["keyboard"] = _keyboard(message)
        return payloads

    async def send(self, user_id: str, payload: dict[str, Any]) -> str:
        """POST send_message; the message_token."""
        body = {"receiver": user_id, "min_api_version": 1, "sender": self._sender, **payload}
        try:
            response = await self._http.post("/send_message", json=body)
        except httpx.HTTPError as exc:
            raise SendError("retry", type(exc).__name__, code="network") from exc
        if response.status_code == 429 or response.status_code >= 500:
            retry_after = response.headers.get("retry-after", "")
            after = float(retry_after) if retry_after.replace(".", "", 1).isdigit() else None
            raise SendError(
                "retry", f"viber http {response.status_code}", retry_after=after, code=str(response.status_code)
            )
        try:
            answer = response.json()
        except ValueError as exc:
            raise SendError("retry", f"viber http {response.status_code}: not JSON", code="bad_response") from exc
        status = answer.get("status")
        reason = f"viber status {status}: {answer.get('status_message', '')}"
        if status == 0:
            return str(answer.get("message_token", ""))
        if status in STOP_STATUSES:
            raise SendError("stop", reason, code=str(status))
        if status in RETRY_STATUSES:
            raise SendError("retry", reason, code=str(status))
        raise SendError("fail", reason, code=str(status))

    async def warm_up(self) -> None:
        """Open the connection with get_account_info (also checks the token) before the first send."""
        response = await self._http.post("/get_account_info", json={})
        status = response.json().get("status")
        if status != 0:
            raise RuntimeError(f"viber get_account_info: status {status}")

    async def register(self, public_base_url: str) -> str:
        """POST set_webhook to PUBLIC_BASE_URL/webhooks/viber with the events we use."""
        url = f"{public_base_url.rstrip('/')}/webhooks/viber"
        response = await self._http.post(
            "/set_webhook", json={"url": url, "event_types": EVENT_TYPES, "send_name": False, "send_photo": False}
        )
        answer = response.json()
        if answer.get("status") != 0:
            raise RuntimeError(f"viber set_webhook failed: {answer.get('status')} {answer.get('status_message')}")
        return f"viber: webhook set to {url}"

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._http.aclose()


def _keyboard(message: OutboundMessage) -> dict[str, Any]:
    buttons = [
        {
            "ActionType": "reply",
            "ActionBody": b.payload,
            "Text": b.title,
            "TextSize": "regular",
            "Columns": 6,
            "Rows": 1,
        }
        for b in message.buttons
    ]
    return {"Type": "keyboard", "DefaultHeight": False, "Buttons": buttons}
