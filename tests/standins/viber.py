"""A stand-in for Viber's REST bot API (https://chatapi.viber.com/pa/...): send_message and set_webhook.

Speaks its wire format: JSON bodies with the `X-Viber-Auth-Token` header; answers HTTP 200 with
`{"status": 0, "status_message": "ok", "message_token": N}` or an error status in the body (2
invalidAuthToken, 3 badData, 6 notSubscribed, 12 tooManyRequests). On set_webhook it first sends the
`webhook` event, signed, to the given URL, as Viber does, and succeeds only if that is answered 200.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import httpx

from tests.standins.base import Answer, Received, StandIn

STATUS_MESSAGES = {
    2: "invalidAuthToken",
    3: "badData",
    5: "receiverNotRegistered",
    6: "notSubscribed",
    12: "tooManyRequests",
}


def sign(token: str, body: bytes) -> str:
    """X-Viber-Content-Signature: hex HMAC-SHA256 of the body with the auth token."""
    return hmac.new(token.encode(), body, hashlib.sha256).hexdigest()


class ViberStandIn(StandIn):
    """The bot API of one Viber bot, under /pa."""

    def __init__(self, auth_token: str) -> None:
        self.auth_token = auth_token
        self.unsubscribed: set[str] = set()
        self.webhook: dict[str, Any] = {}
        self._next_token = 5_741_311_803_571_721_000
        super().__init__()

    def messages(self) -> list[dict[str, Any]]:
        """The send_message calls received."""
        return [r.body for r in self.sent("/send_message")]

    def answer(self, received: Received) -> Answer:
        """Check the token, then route by path."""
        if received.headers.get("x-viber-auth-token", "") != self.auth_token:
            return _status(2)
        path = received.path.split("?", 1)[0]
        if path == "/pa/set_webhook":
            return self._set_webhook(received.body)
        if path == "/pa/send_message":
            return self._send_message(received.body)
        if path == "/pa/get_account_info":
            account = {
                "id": "pa:75346594275468546724",
                "name": "Helpdesk",
                "uri": "helpdesk",
                "subscribers_count": 0,
            }
            return Answer(200, {"status": 0, "status_message": "ok", **account})
        return Answer(404, {"status": 1, "status_message": "invalidUrl"})

    def _set_webhook(self, body: dict[str, Any]) -> Answer:
        url = str(body.get("url", ""))
        event = json.dumps({"event": "webhook", "timestamp": int(time.time() * 1000), "message_token": 1}).encode()
        try:
            check = httpx.post(
                url,
                content=event,
                headers={
                    "X-Viber-Content-Signature": sign(self.auth_token, event),
                    "Content-Type": "application/json",
                },
                timeout=10,
            )
        except httpx.HTTPError:
            return Answer(200, {"status": 1, "status_message": "invalidUrl"})
        if check.status_code != 200:
            return Answer(200, {"status": 1, "status_message": "invalidUrl"})
        self.webhook = dict(body)
        return Answer(200, {"status": 0, "status_message": "ok", "event_types": body.get("event_types", [])})

    def _send_message(self, body: dict[str, Any]) -> Answer:
        failure = self.next_failure()
        if failure:
            kind, _ = failure
            if kind == "12":
                return _status(12)
            status = int(kind)
            return Answer(status, {"error": "Internal Server Error"})
        sender = body.get("sender")
        if not body.get("receiver") or not isinstance(sender, dict) or not sender.get("name"):
            return _status(3)
        if body.get("type") == "text" and not (0 < len(str(body.get("text", ""))) <= 7000):
            return _status(3)
        if body["receiver"] in self.unsubscribed:
            return _status(6)
        with self.lock:
            self._next_token += 1
            token = self._next_token
        return Answer(
            200, {"status": 0, "status_message": "ok", "message_token": token, "chat_hostname": "SN-CHAT-05_"}
        )


def _status(status: int) -> Answer:
    return Answer(200, {"status": status, "status_message": STATUS_MESSAGES.get(status, "generalError")})
