"""What the platforms send to our webhooks, in their real shapes and signed as they sign them.

Used by the tests and the inbound benchmark: Telegram Updates (JSON, secret-token header), Twilio's
WhatsApp form posts (X-Twilio-Signature by twilio's own RequestValidator), Viber callbacks (JSON, hex
HMAC-SHA256 of the body).
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from twilio.request_validator import RequestValidator

from tests.standins.telegram import TelegramStandIn
from tests.standins.twilio import TwilioStandIn
from tests.standins.viber import ViberStandIn, sign

_ids = itertools.count(int(time.time() * 1000) % 1_000_000_000)


def next_id() -> int:
    """A fresh platform id (update_id, message_id, message_token)."""
    return next(_ids)


# -- Telegram -------------------------------------------------------------------------------------------


def tg_user(chat_id: int, language: str = "ro") -> dict[str, Any]:
    """A Telegram user object."""
    return {"id": chat_id, "is_bot": False, "first_name": "Ana", "language_code": language}


def tg_message(chat_id: int, text: str | None = None, language: str = "ro", **extra: Any) -> dict[str, Any]:
    """An Update with a private-chat message (text, or extra fields such as location, voice, photo)."""
    message: dict[str, Any] = {
        "message_id": next_id(),
        "from": tg_user(chat_id, language),
        "chat": {"id": chat_id, "type": "private", "first_name": "Ana"},
        "date": int(time.time()),
        **extra,
    }
    if text is not None:
        message["text"] = text
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split(" ")[0])}]
    return {"update_id": next_id(), "message": message}


def tg_callback(chat_id: int, data: str, language: str = "ro") -> dict[str, Any]:
    """An Update with a button press (callback_query) on one of our messages."""
    return {
        "update_id": next_id(),
        "callback_query": {
            "id": str(next_id()),
            "from": tg_user(chat_id, language),
            "chat_instance": "-1234",
            "data": data,
            "message": {
                "message_id": next_id(),
                "from": {"id": 7000001, "is_bot": True, "first_name": "Helpdesk"},
                "chat": {"id": chat_id, "type": "private"},
                "date": int(time.time()),
                "text": "...",
            },
        },
    }


def tg_member(chat_id: int, status: str) -> dict[str, Any]:
    """A my_chat_member Update: the user blocked ("kicked") or restarted ("member") the bot."""
    old = "member" if status == "kicked" else "kicked"
    bot = {"id": 7000001, "is_bot": True, "first_name": "Helpdesk"}
    banned = {"until_date": 0}  # a "kicked" member state carries until_date (0: for ever)
    return {
        "update_id": next_id(),
        "my_chat_member": {
            "chat": {"id": chat_id, "type": "private"},
            "from": tg_user(chat_id),
            "date": int(time.time()),
            "old_chat_member": {"status": old, "user": bot, **(banned if old == "kicked" else {})},
            "new_chat_member": {"status": status, "user": bot, **(banned if status == "kicked" else {})},
        },
    }


def post_telegram(base: str, update: dict[str, Any] | bytes, secret: str | None) -> httpx.Response:
    """POST an Update as Telegram does (with the secret token header unless `secret` is None)."""
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    body = update if isinstance(update, bytes) else json.dumps(update).encode()
    return httpx.post(f"{base}/webhooks/telegram", content=body, headers=headers, timeout=30)


# -- WhatsApp through Twilio ---------------------------------------------------------------------------


def wa_message(phone: str, body: str = "", account_sid: str = "AC" + "0" * 32, **extra: str) -> dict[str, str]:
    """The form fields Twilio posts for an incoming WhatsApp message."""
    sid = f"SM{next_id():032d}"
    return {
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ProfileName": "Ana",
        "MessageType": "text",
        "SmsSid": sid,
        "WaId": phone.lstrip("+"),
        "SmsStatus": "received",
        "Body": body,
        "To": "whatsapp:+14155238886",
        "NumSegments": "1",
        "ReferralNumMedia": "0",
        "MessageSid": sid,
        "AccountSid": account_sid,
        "From": f"whatsapp:{phone}",
        "ApiVersion": "2010-04-01",
        **extra,
    }


def wa_status(
    sid: str, status: str, phone: str, error_code: str = "", account_sid: str = "AC" + "0" * 32
) -> dict[str, str]:
    """The form fields of Twilio's status callback for a message we sent."""
    fields = {
        "ChannelPrefix": "whatsapp",
        "ApiVersion": "2010-04-01",
        "MessageStatus": status,
        "SmsSid": sid,
        "SmsStatus": status,
        "ChannelInstallSid": "XE" + "0" * 32,
        "To": f"whatsapp:{phone}",
        "From": "whatsapp:+14155238886",
        "MessageSid": sid,
        "AccountSid": account_sid,
    }
    if error_code:
        fields["ErrorCode"] = error_code
    return fields


def post_whatsapp(
    base: str, public_base: str, path: str, fields: dict[str, str], auth_token: str | None, forge: bool = False
) -> httpx.Response:
    """POST a form as Twilio does, signed with the auth token over PUBLIC_BASE_URL + path (None: no header)."""
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if auth_token is not None:
        signature = RequestValidator(auth_token).compute_signature(public_base + path, fields)
        # A forged signature differs in its first character (never equal to the real one: "A" would match 1 in 64).
        forged = ("B" if signature.startswith("A") else "A") + signature[1:]
        headers["X-Twilio-Signature"] = forged if forge else signature
    return httpx.post(f"{base}{path}", content=urlencode(fields).encode(), headers=headers, timeout=30)


# -- Viber ---------------------------------------------------------------------------------------------


def vb_user(user_id: str, language: str = "ro") -> dict[str, Any]:
    """A Viber user object."""
    return {"id": user_id, "name": "Ana", "avatar": "", "country": "RO", "language": language, "api_version": 10}


def vb_message(user_id: str, message: dict[str, Any], language: str = "ro") -> dict[str, Any]:
    """A `message` callback."""
    return {
        "event": "message",
        "timestamp": int(time.time() * 1000),
        "chat_hostname": "SN-CHAT-05_",
        "message_token": next_id(),
        "sender": vb_user(user_id, language),
        "message": message,
        "silent": False,
    }


def vb_event(event: str, user_id: str, **extra: Any) -> dict[str, Any]:
    """Another callback: subscribed, unsubscribed, conversation_started, delivered, seen, failed."""
    data: dict[str, Any] = {"event": event, "timestamp": int(time.time() * 1000), "message_token": next_id()}
    if event in ("subscribed", "conversation_started"):
        data["user"] = vb_user(user_id, extra.pop("language", "ro"))
    else:
        data["user_id"] = user_id
    data.update(extra)
    return data


def post_viber(base: str, event: dict[str, Any] | bytes, auth_token: str | None) -> httpx.Response:
    """POST a callback as Viber does, signed with the auth token (None: no signature header)."""
    body = event if isinstance(event, bytes) else json.dumps(event).encode()
    headers = {"Content-Type": "application/json"}
    if auth_token is not None:
        headers["X-Viber-Content-Signature"] = sign(auth_token, body)
    return httpx.post(f"{base}/webhooks/viber", content=body, headers=headers, timeout=30)


# -- all three stand-ins and the settings that point a stack at them -----------------------------------

TG_TOKEN = "123456:TEST-token_for-the-standin"
TG_SECRET = "tg-secret-0123456789"
TWILIO_SID = "AC" + "0" * 32
TWILIO_TOKEN = "twilio-auth-token-0123456789abcd"
WA_FROM = "whatsapp:+14155238886"
SMS_FROM = "+14155550100"
VIBER_TOKEN = "445da6az1s345z78-dazcczb2542zv51a-e0vc5fva17480im9"


@dataclass
class StandIns:
    """The three platforms."""

    telegram: TelegramStandIn
    twilio: TwilioStandIn
    viber: ViberStandIn

    def reset(self) -> None:
        """Forget requests, scripted failures and user states."""
        for s in (self.telegram, self.twilio, self.viber):
            s.reset()
        self.telegram.blocked.clear()
        self.twilio.opted_out.clear()
        self.viber.unsubscribed.clear()


def channel_env(standins: StandIns, public_base_url: str) -> dict[str, str]:
    """The settings that turn the three channels on, pointed at the stand-ins."""
    return {
        "TELEGRAM_BOT_TOKEN": TG_TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": TG_SECRET,
        "TELEGRAM_API_URL": standins.telegram.url,
        "TWILIO_ACCOUNT_SID": TWILIO_SID,
        "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "TWILIO_WHATSAPP_FROM": WA_FROM,
        "TWILIO_SMS_FROM": SMS_FROM,
        "TWILIO_API_URL": standins.twilio.url,
        "VIBER_AUTH_TOKEN": VIBER_TOKEN,
        "VIBER_API_URL": f"{standins.viber.url}/pa",
        "PUBLIC_BASE_URL": public_base_url,
        "COALESCE_SECONDS": "1.0",
        "OUTBOX_RETRY_MAX_SECONDS": "1",
        "TELEGRAM_SEND_RATE": "50",
        "WHATSAPP_SEND_RATE": "50",
        "VIBER_SEND_RATE": "50",
        "SMS_SEND_RATE": "50",
    }
