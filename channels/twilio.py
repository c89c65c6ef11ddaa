"""Twilio's Messages API, for the address types one Twilio account serves: WhatsApp (`whatsapp:+40...`) and
SMS (`+40...`). One handler; what differs between the two is configuration (`TwilioAddress`): the address
prefix, WhatsApp's 24-hour reply window and templates, and the Redis key prefix. Webhooks are checked with
Twilio's request validator, replies sent with the twilio client.

Owns the Redis keys `hd:wa:*` (WhatsApp) and `hd:sms:*` (SMS):
- `hd:wa:window:{user}`: set on every message from the user, expires after 24 hours: WhatsApp's customer
  service window, outside which only approved templates may be sent (SMS has no window).
- `hd:wa:options:{user}`, `hd:sms:options:{user}`: the button payloads of the numbered options last sent to
  the user (24 hours), so that an answer "2" becomes the second option's payload.

- Verify: `X-Twilio-Signature` with `twilio.request_validator.RequestValidator` over PUBLIC_BASE_URL + the path
  and the form fields; a missing header fails the check.
- Parse: the form fields `MessageSid`, `From`, `Body`, `WaId`, `Latitude`/`Longitude`, `ButtonPayload`,
  `NumMedia`/`MediaContentType0` (`ProfileName` is not kept); the status callback's `MessageSid`,
  `MessageStatus`, `ErrorCode` (21610: the user opted out; `To` must then be the user's address). Every form
  value is a string: the addresses and coordinates are checked explicitly (422 when wrong).
- Send: `client.messages.create_async` through TWILIO_API_URL, text split at 1600 characters, buttons as
  numbered options; WhatsApp templates by ContentSid + ContentVariables.
"""

from __future__ import annotations

import asyncio
import hmac
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from redis.asyncio import Redis
from twilio.base.exceptions import TwilioException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.rest.api.v2010.account import message as _messages_api  # loaded now, not in the first send

from channels.base import ChannelBase
from core.messages import InboundMessage, OutboundMessage
from core.settings import Settings
from messaging.channel import BadPayload, DeliveryStatus, Parsed, RawRequest, SendError, UserEvent, split_text

TEXT_LIMIT = 1600
WINDOW_SECONDS = 24 * 3600
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
STOP_CODES = frozenset({"21610"})  # the recipient replied STOP: unsubscribed
OUTSIDE_WINDOW_CODES = frozenset({"63016"})
_STATUSES = {
    "queued": "sent",
    "accepted": "sent",
    "sending": "sent",
    "sent": "sent",
    "delivered": "delivered",
    "read": "read",
    "failed": "failed",
    "undelivered": "undelivered",
}


@dataclass(frozen=True)
class TwilioAddress:
    """One address type of a Twilio account: the channel's name, how its addresses are written, whether it
    has WhatsApp's reply window and templates, and the prefix of its Redis keys."""

    channel: str
    label: str
    prefix: str
    reply_window: bool
    keys: str


WHATSAPP = TwilioAddress("whatsapp", "WhatsApp", "whatsapp:", reply_window=True, keys="hd:wa")
SMS = TwilioAddress("sms", "SMS", "", reply_window=False, keys="hd:sms")


class TwilioChannel(ChannelBase):
    """Messages through Twilio's Messages API, for one address type (WhatsApp or SMS)."""

    text_limit = TEXT_LIMIT
    status_callbacks = True

    @classmethod
    def from_settings(cls, address: TwilioAddress, settings: Settings, redis: Redis) -> TwilioChannel | None:
        """The channel of one address type, when the account and that type's sender number are set."""
        sender = settings.twilio_whatsapp_from if address is WHATSAPP else settings.twilio_sms_from
        if not (settings.twilio_account_sid and settings.twilio_auth_token and sender):
            return None
        return cls(
            redis,
            address=address,
            account_sid=settings.twilio_account_sid,
            auth_token=settings.twilio_auth_token,
            sender=sender,
            api_url=settings.twilio_api_url,
            public_base_url=settings.public_base_url,
        )

    def __init__(
        self,
        redis: Redis,
        *,
        address: TwilioAddress = WHATSAPP,
        account_sid: str,
        auth_token: str,
        sender: str,
        api_url: str,
        public_base_url: str,
    ) -> None:
        self.name = address.channel
        self.reply_window = self.templates = address.reply_window
        self._address = address
        self._redis = redis
        self._sid = account_sid
        self._token = auth_token
        self._validator = RequestValidator(auth_token)
        self._from = sender if sender.startswith(address.prefix) else address.prefix + sender
        self._api_url = api_url.rstrip("/")
        self._public = public_base_url.rstrip("/")
        self._client: Client | None = None
        self._lock = asyncio.Lock()

    # -- inbound --------------------------------------------------------------------------------------

    def verify(self, request: RawRequest) -> bool:
        """Twilio's signature over the public URL of the path and the form fields."""
        signature = request.header("x-twilio-signature")
        if not signature:
            return False
        params = _form(request.body)
        if params is None:
            return False
        expected = self._validator.compute_signature(self._public + request.path, params)
        return hmac.compare_digest(expected.encode(), signature.encode())

    async def parse(self, request: RawRequest) -> Parsed:
        """An incoming message (`/webhooks/{channel}`) or a status callback (`/webhooks/{channel}/status`)."""
        form = _form(request.body)
        if form is None:
            raise BadPayload("body is not a form (application/x-www-form-urlencoded)")
        sid = form.get("MessageSid") or form.get("SmsMessageSid") or ""
        if not sid:
            raise BadPayload("MessageSid missing", 422)
        if request.path.endswith("/status"):
            return self._parse_status(sid, form)
        return await self._parse_message(sid, form)

    def _parse_status(self, sid: str, form: dict[str, str]) -> Parsed:
        raw = form.get("MessageStatus") or form.get("SmsStatus") or ""
        if raw not in _STATUSES:
            raise BadPayload(f"unknown MessageStatus {raw!r}", 422)
        error = form.get("ErrorCode", "")
        parsed = Parsed(dedupe_id=f"status:{sid}:{raw}", response=_twiml())
        parsed.statuses.append(DeliveryStatus(sid, _STATUSES[raw], error))
        if error in STOP_CODES:
            parsed.user_events.append(UserEvent(self._address_user(form.get("To", ""), "To"), "unsubscribed"))
        return parsed

    async def _parse_message(self, sid: str, form: dict[str, str]) -> Parsed:
        user_id = self._address_user(form.get("From", ""), "From")
        location = _coordinates(form)  # checked before anything is stored
        parsed = Parsed(dedupe_id=sid, response=_twiml())
        base: dict[str, Any] = {"message_id": sid}
        body = form.get("Body", "")
        media_count = _media_count(form.get("NumMedia", ""))
        if self.reply_window:
            await self._redis.set(f"{self._address.keys}:window:{user_id}", "1", ex=WINDOW_SECONDS)
        if location is not None:
            lat, lon = location
            message = InboundMessage(self.name, user_id, "", kind="location", latitude=lat, longitude=lon, **base)
        elif form.get("ButtonPayload"):
            message = InboundMessage(self.name, user_id, form["ButtonPayload"], kind="button", **base)
        elif media_count > 0:
            media = _media_kind(form.get("MediaContentType0", ""))
            message = InboundMessage(self.name, user_id, body, kind="media", media=media, **base)
        elif option := await self._option(user_id, body):
            message = InboundMessage(self.name, user_id, option, kind="button", **base)
        elif body.strip():
            message = InboundMessage(self.name, user_id, body, **base)
        else:
            parsed.ignored = "message type not used"
            return parsed
        parsed.messages.append(message)
        return parsed

    async def _option(self, user_id: str, body: str) -> str | None:
        """The payload of numbered option `body` ("2", "2.") last offered to the user, if any."""
        number = body.strip().rstrip(".)")
        if not number.isdigit():
            return None
        stored = await self._redis.get(f"{self._address.keys}:options:{user_id}")
        options = json.loads(stored) if stored else []
        index = int(number) - 1
        return options[index] if 0 <= index < len(options) else None

    # -- outbound -------------------------------------------------------------------------------------

    async def render(self, user_id: str, message: OutboundMessage) -> list[dict[str, Any]]:
        """Body payloads; buttons become numbered options at the end, remembered for the user's answer."""
        text = message.text
        if message.buttons:
            lines = "\n".join(f"{i}. {b.title}" for i, b in enumerate(message.buttons, start=1))
            text = f"{text}\n\n{lines}" if text else lines
            payloads = json.dumps([b.payload for b in message.buttons], ensure_ascii=False)
            await self._redis.set(f"{self._address.keys}:options:{user_id}", payloads, ex=WINDOW_SECONDS)
        return [{"body": piece} for piece in split_text(text, self.text_limit)]

    async def render_template(
        self, user_id: str, template: str, variables: dict[str, str]
    ) -> list[dict[str, Any]]:
        """An approved WhatsApp template (Twilio Content API): ContentSid and its variables."""
        if not self.templates:
            return await super().render_template(user_id, template, variables)
        return [{"content_sid": template, "content_variables": json.dumps(variables, ensure_ascii=False)}]

    async def window_open(self, user_id: str) -> bool:
        """WhatsApp: true while the user's last message is less than 24 hours old; SMS: always."""
        if not self.reply_window:
            return True
        return bool(await self._redis.exists(f"{self._address.keys}:window:{user_id}"))

    async def windows_open(self, user_ids: list[str]) -> list[bool]:
        """`window_open` for many users in one round trip to Redis."""
        if not self.reply_window:
            return [True] * len(user_ids)
        async with self._redis.pipeline(transaction=False) as pipe:
            for user_id in user_ids:
                pipe.exists(f"{self._address.keys}:window:{user_id}")
            return [bool(found) for found in await pipe.execute()]

    async def send(self, user_id: str, payload: dict[str, Any]) -> str:
        """One Messages API call; the Twilio message SID."""
        client = await self._twilio()
        fields: dict[str, Any] = {
            "to": self._address.prefix + user_id,
            "from_": self._from,
            "status_callback": f"{self._public}/webhooks/{self.name}/status",
        }
        if "content_sid" in payload:
            fields["content_sid"] = payload["content_sid"]
            fields["content_variables"] = payload.get("content_variables", "{}")
        else:
            fields["body"] = payload["body"]
        try:
            message = await client.messages.create_async(**fields)
        except TwilioException as exc:
            raise _send_error(exc) from exc
        except (OSError, TimeoutError) as exc:  # aiohttp's connection errors are OSErrors
            raise SendError("retry", type(exc).__name__, code="network") from exc
        except Exception as exc:  # aiohttp.ClientError and other transport failures
            if type(exc).__module__.startswith("aiohttp"):
                raise SendError("retry", type(exc).__name__, code="network") from exc
            raise
        return str(message.sid)

    async def warm_up(self) -> None:
        """Build the client, load the Messages API's modules (twilio imports them on first use) and connect."""
        client = await self._twilio()
        assert _messages_api.MessageList is not None
        await client.api.v2010.accounts(self._sid).fetch_async()  # opens the connection, checks the credentials

    async def _twilio(self) -> Client:
        """The twilio client (its aiohttp session needs a running loop), pointed at TWILIO_API_URL."""
        async with self._lock:
            if self._client is None:
                client = Client(self._sid, self._token, http_client=AsyncTwilioHttpClient(timeout=15))
                client.api.base_url = self._api_url
                self._client = client
            return self._client

    async def register(self, public_base_url: str) -> str:
        """Twilio's webhooks are set in its console: say what to put there."""
        base = public_base_url.rstrip("/")
        where = (
            "Messaging > Senders > WhatsApp senders > your number"
            if self.name == WHATSAPP.channel
            else "Phone Numbers > Manage > Active numbers > your number > Messaging"
        )
        return (
            f"{self.name}: in the Twilio console ({where}), set\n"
            f"  'A message comes in'  POST {base}/webhooks/{self.name}\n"
            f"  'Status callback URL' POST {base}/webhooks/{self.name}/status\n"
            "  (each message we send also names the status callback URL itself)"
        )

    def _address_user(self, address: str, field: str) -> str:
        """The user id (E.164 number) of a Twilio address of this type; BadPayload 422 when it is none."""
        prefix = self._address.prefix
        user_id = address[len(prefix) :] if address.startswith(prefix) else ""
        if not user_id or not (prefix or user_id.startswith("+")):  # SMS: an E.164 number, no prefix
            raise BadPayload(f"{field} is not a {self._address.label} address", 422)
        return user_id

    async def aclose(self) -> None:
        """Close the aiohttp session."""
        if self._client is not None:
            http = self._client.http_client
            if isinstance(http, AsyncTwilioHttpClient):
                await http.close()


def _send_error(exc: TwilioException) -> SendError:
    code = str(getattr(exc, "code", "") or "")
    status = int(getattr(exc, "status", 0) or 0)
    reason = f"twilio {status} {code}: {getattr(exc, 'msg', '') or exc}".strip()
    if code in STOP_CODES:
        return SendError("stop", reason, code=code)
    if code in OUTSIDE_WINDOW_CODES:
        return SendError("fail", reason, code=code)
    if status == 429 or code == "20429" or status >= 500:
        return SendError("retry", reason, code=code or str(status))
    return SendError("fail", reason, code=code or str(status))


def _form(body: bytes) -> dict[str, str] | None:
    try:
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False))
    except (UnicodeDecodeError, ValueError):
        return None


def _media_count(value: str) -> int:
    """Twilio's NumMedia: a small decimal number, 0 otherwise ("²" and a number of 5,000 digits pass
    `str.isdigit` but not `int`: they were a 500)."""
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 3 else 0


def _coordinates(form: dict[str, str]) -> tuple[float, float] | None:
    """A shared location's Latitude and Longitude: finite and within range, else BadPayload 422."""
    if not (form.get("Latitude") and form.get("Longitude")):
        return None
    try:
        lat, lon = float(form["Latitude"]), float(form["Longitude"])
    except ValueError as exc:
        raise BadPayload("Latitude/Longitude are not numbers", 422) from exc
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):  # also false for NaN
        raise BadPayload("Latitude/Longitude are not coordinates", 422)
    return lat, lon


def _media_kind(content_type: str) -> str:
    major = content_type.split("/", 1)[0]
    return {"audio": "voice", "image": "photo", "video": "video"}.get(major, "document")


def _twiml() -> str:
    return EMPTY_TWIML
