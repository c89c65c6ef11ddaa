"""Telegram: webhooks verified by the secret token, read as typed updates, replies sent with python-telegram-bot.

Owns the Redis keys `hd:tg:cb:{token}` (button payloads longer than Telegram's 64-byte callback_data).
- Verify: `X-Telegram-Bot-Api-Secret-Token` equals TELEGRAM_WEBHOOK_SECRET (constant-time).
- Parse: the typed Update of channels/telegram_wire.py (a field of the wrong type is a 422); private chats
  only. Text, `/start [payload]` (sent to Rasa as `/greet`; a payload ro/it/es is a language choice), button
  presses (callback queries, answered in the webhook response), shared locations, media (voice, audio, photo,
  video, document, sticker...), and `my_chat_member` (kicked: the user blocked the bot; member: they are back).
- Send: `Bot.send_message` with an inline keyboard, through `TELEGRAM_API_URL`. 429 with retry_after,
  403 (blocked) and network errors become the outbox's SendError kinds.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
from typing import Any

from redis.asyncio import Redis
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.request import HTTPXRequest

from channels.base import ChannelBase
from channels.telegram_wire import Message, Update
from channels.wire import read
from core.languages import LANGUAGES, language_of
from core.messages import InboundMessage, OutboundMessage
from core.settings import Settings
from messaging.channel import BadPayload, Parsed, RawRequest, SendError, UserEvent, json_body, split_text

TEXT_LIMIT = 4096
CALLBACK_DATA_BYTES = 64
_SHORT_PREFIX = "t:"
_TOKEN_TTL_SECONDS = 90 * 24 * 3600
_MEDIA = ("voice", "audio", "photo", "video", "video_note", "document", "sticker", "animation", "contact")


class TelegramChannel(ChannelBase):
    """The Telegram Bot API channel."""

    name = "telegram"
    text_limit = TEXT_LIMIT

    @classmethod
    def from_settings(cls, settings: Settings, redis: Redis) -> TelegramChannel | None:
        """The channel, when its bot token and webhook secret are set."""
        if not (settings.telegram_bot_token and settings.telegram_webhook_secret):
            return None
        return cls(redis, settings.telegram_bot_token, settings.telegram_webhook_secret, settings.telegram_api_url)

    def __init__(self, redis: Redis, token: str, webhook_secret: str, api_url: str) -> None:
        self._redis = redis
        self._secret = webhook_secret.encode()
        request = HTTPXRequest(connection_pool_size=16, read_timeout=15, connect_timeout=5)
        self._bot = Bot(token, base_url=f"{api_url.rstrip('/')}/bot", request=request)
        self._ready = False
        self._init_lock = asyncio.Lock()

    # -- inbound --------------------------------------------------------------------------------------

    def verify(self, request: RawRequest) -> bool:
        """The secret token header matches TELEGRAM_WEBHOOK_SECRET."""
        given = request.header("x-telegram-bot-api-secret-token").encode()
        return bool(self._secret) and hmac.compare_digest(given, self._secret)

    async def parse(self, request: RawRequest) -> Parsed:
        """One Update: at most one message or user event."""
        data = json_body(request)
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            raise BadPayload("not a Telegram update: update_id missing", 422)
        update = read(Update, data, "Telegram update")
        parsed = Parsed(dedupe_id=str(update.update_id))
        if update.my_chat_member:
            member = update.my_chat_member
            kind = "unsubscribed" if member.new_chat_member.status in ("kicked", "left") else "subscribed"
            parsed.user_events.append(UserEvent(str(member.chat.id), kind))
        elif update.callback_query:
            await self._parse_callback(update, parsed)
        elif update.message:
            self._parse_message(update.update_id, update.message, parsed)
        else:
            parsed.ignored = "update type not used"
        return parsed

    async def _parse_callback(self, update: Update, parsed: Parsed) -> None:
        query = update.callback_query
        assert query is not None
        # Answer the button press in the webhook response (the Bot API allows one method call there).
        parsed.response = {"method": "answerCallbackQuery", "callback_query_id": query.id}
        chat = query.message.chat if query.message else None
        if chat is not None and chat.type != "private":
            parsed.ignored = "not a private chat"
            return
        payload = await self._payload_of(query.data or "")
        if not payload:
            parsed.ignored = "button no longer known"
            return
        user_id = str(chat.id if chat is not None else query.sender.id)
        parsed.messages.append(
            InboundMessage(
                self.name,
                user_id,
                payload,
                message_id=str(update.update_id),
                kind="button",
                locale=language_of(query.sender.language_code),
            )
        )

    def _parse_message(self, update_id: int, message: Message, parsed: Parsed) -> None:
        if message.chat.type != "private":
            parsed.ignored = "not a private chat"
            return
        base: dict[str, Any] = {
            "message_id": str(update_id),
            "locale": language_of(message.sender.language_code) if message.sender else None,
        }
        user_id = str(message.chat.id)
        text = message.text or ""
        if text.split(" ", 1)[0].split("@", 1)[0] == "/start":
            payload = text.split(" ", 1)[1].strip().lower() if " " in text else ""
            language = payload if payload in LANGUAGES else None
            parsed.messages.append(
                InboundMessage(self.name, user_id, "/greet", language=language, kind="start", **base)
            )
        elif message.location:
            location = message.location
            parsed.messages.append(
                InboundMessage(
                    self.name,
                    user_id,
                    "",
                    kind="location",
                    latitude=location.latitude,
                    longitude=location.longitude,
                    **base,
                )
            )
        elif media := next((m for m in _MEDIA if getattr(message, m, None)), None):
            caption = message.caption or ""
            parsed.messages.append(InboundMessage(self.name, user_id, caption, kind="media", media=media, **base))
        elif text:
            parsed.messages.append(InboundMessage(self.name, user_id, text, **base))
        else:
            parsed.ignored = "message type not used"

    async def _payload_of(self, callback_data: str) -> str:
        if not callback_data.startswith(_SHORT_PREFIX):
            return callback_data
        stored = await self._redis.get(f"hd:tg:cb:{callback_data[len(_SHORT_PREFIX) :]}")
        return stored.decode() if stored else ""

    # -- outbound -------------------------------------------------------------------------------------

    async def render(self, user_id: str, message: OutboundMessage) -> list[dict[str, Any]]:
        """sendMessage payloads; the last piece carries the buttons as an inline keyboard (one per row)."""
        pieces = split_text(message.text, self.text_limit) or ([""] if message.buttons else [])
        payloads: list[dict[str, Any]] = [{"text": piece} for piece in pieces]
        if message.buttons and payloads:
            rows = [
                [{"text": b.title, "callback_data": await self._callback_data(b.payload)}] for b in message.buttons
            ]
            payloads[-1]["inline_keyboard"] = rows
        return payloads

    async def _callback_data(self, payload: str) -> str:
        if len(payload.encode()) <= CALLBACK_DATA_BYTES and not payload.startswith(_SHORT_PREFIX):
            return payload
        token = hashlib.sha256(payload.encode()).hexdigest()[:24]
        await self._redis.set(f"hd:tg:cb:{token}", payload, ex=_TOKEN_TTL_SECONDS)
        return _SHORT_PREFIX + token

    async def send(self, user_id: str, payload: dict[str, Any]) -> str:
        """sendMessage; the platform id is `{chat id}:{message id}`."""
        markup = None
        if payload.get("inline_keyboard"):
            markup = InlineKeyboardMarkup(
                [
                    [InlineKeyboardButton(b["text"], callback_data=b["callback_data"]) for b in row]
                    for row in payload["inline_keyboard"]
                ]
            )
        try:
            await self._initialise()
            sent = await self._bot.send_message(chat_id=int(user_id), text=payload["text"], reply_markup=markup)
        except RetryAfter as exc:
            raise SendError("retry", str(exc), retry_after=_seconds(exc.retry_after), code="429") from exc
        except Forbidden as exc:
            raise SendError("stop", str(exc), code="403") from exc
        except BadRequest as exc:
            raise SendError("fail", str(exc), code="400") from exc
        except (TimedOut, NetworkError) as exc:
            raise SendError("retry", str(exc) or type(exc).__name__, code="network") from exc
        except TelegramError as exc:
            raise SendError("fail", str(exc), code=type(exc).__name__) from exc
        return f"{sent.chat_id}:{sent.message_id}"

    async def warm_up(self) -> None:
        """Initialise the Bot (getMe) before the first send."""
        await self._initialise()

    async def _initialise(self) -> None:
        if self._ready:
            return
        async with self._init_lock:
            if not self._ready:
                await self._bot.initialize()
                self._ready = True

    async def register(self, public_base_url: str) -> str:
        """setWebhook to PUBLIC_BASE_URL/webhooks/telegram with the secret token."""
        url = f"{public_base_url.rstrip('/')}/webhooks/telegram"
        await self._initialise()
        await self._bot.set_webhook(
            url=url,
            secret_token=self._secret.decode(),
            allowed_updates=["message", "callback_query", "my_chat_member"],
        )
        return f"telegram: webhook set to {url} (with the secret token)"

    async def aclose(self) -> None:
        """Close the Bot's connections."""
        if self._ready:
            await self._bot.shutdown()


def _seconds(value: int | float | dt.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)
