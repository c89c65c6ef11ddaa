"""A stand-in for the Telegram Bot API (https://core.telegram.org/bots/api): /bot{token}/{method}.

Speaks its wire format: requests as form fields (python-telegram-bot sends JSON-encoded values such as
`reply_markup` as strings) or JSON; answers `{"ok": true, "result": ...}` or
`{"ok": false, "error_code": N, "description": "...", "parameters": {"retry_after": N}}`.
"""

from __future__ import annotations

import json
import time
from typing import Any

from tests.standins.base import Answer, Received, StandIn


class TelegramStandIn(StandIn):
    """The Bot API of one bot."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.blocked: set[int] = set()
        self.webhook: dict[str, Any] = {}
        self._next_id = 100
        super().__init__()

    def messages(self) -> list[dict[str, Any]]:
        """The sendMessage calls received, with reply_markup decoded."""
        out = []
        for r in self.sent("/sendMessage"):
            body = dict(r.body)
            if isinstance(body.get("reply_markup"), str):
                body["reply_markup"] = json.loads(body["reply_markup"])
            out.append(body)
        return out

    def answer(self, received: Received) -> Answer:
        """Route by method name."""
        prefix = f"/bot{self.token}/"
        if not received.path.startswith(prefix):
            return Answer(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        method = received.path[len(prefix) :].split("?", 1)[0]
        if method == "getMe":
            user = {"id": 7000001, "is_bot": True, "first_name": "Helpdesk", "username": "helpdesk_test_bot"}
            return Answer(200, {"ok": True, "result": user})
        if method == "setWebhook":
            self.webhook = dict(received.body)
            return Answer(200, {"ok": True, "result": True, "description": "Webhook was set"})
        if method == "answerCallbackQuery":
            return Answer(200, {"ok": True, "result": True})
        if method == "sendMessage":
            return self._send_message(received.body)
        return Answer(404, {"ok": False, "error_code": 404, "description": "Not Found"})

    def _send_message(self, body: dict[str, Any]) -> Answer:  # noqa: PLR0911
        failure = self.next_failure()
        if failure:
            kind, details = failure
            if kind == "429":
                after = int(details.get("retry_after", 1))
                return Answer(
                    429,
                    {
                        "ok": False,
                        "error_code": 429,
                        "description": f"Too Many Requests: retry after {after}",
                        "parameters": {"retry_after": after},
                    },
                )
            status = int(kind)
            return Answer(status, {"ok": False, "error_code": status, "description": "Internal Server Error"})
        try:
            chat_id = int(body.get("chat_id", ""))
        except ValueError:
            return Answer(400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"})
        text = str(body.get("text", ""))
        if not text:
            return Answer(
                400, {"ok": False, "error_code": 400, "description": "Bad Request: message text is empty"}
            )
        if len(text) > 4096:
            return Answer(400, {"ok": False, "error_code": 400, "description": "Bad Request: message is too long"})
        if chat_id in self.blocked:
            return Answer(
                403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}
            )
        with self.lock:
            self._next_id += 1
            message_id = self._next_id
        result = {
            "message_id": message_id,
            "from": {"id": 7000001, "is_bot": True, "first_name": "Helpdesk", "username": "helpdesk_test_bot"},
            "chat": {"id": chat_id, "type": "private", "first_name": "User"},
            "date": int(time.time()),
            "text": text,
        }
        return Answer(200, {"ok": True, "result": result})
