"""A stand-in for Twilio's Messages API: POST /2010-04-01/Accounts/{AccountSid}/Messages.json.

Speaks its wire format: HTTP basic auth (AccountSid:AuthToken), form fields `To`, `From`, `Body` or
`ContentSid`/`ContentVariables`, `StatusCallback`; answers 201 with the message resource, or Twilio's error
JSON `{"code": 21610, "message": "...", "more_info": "...", "status": 400}`.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

from tests.standins.base import Answer, Received, StandIn

ERRORS = {
    "21610": (400, "Attempt to send to unsubscribed recipient"),
    "63016": (400, "Failed to send freeform message because you are outside the allowed window."),
    "429": (429, "Too Many Requests"),
    "500": (500, "Internal Server Error"),
    "503": (503, "Service Unavailable"),
}


class TwilioStandIn(StandIn):
    """The Messages API of one account."""

    def __init__(self, account_sid: str, auth_token: str) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.opted_out: set[str] = set()  # addresses ("whatsapp:+40...", "+40...") that replied STOP
        super().__init__()

    def messages(self) -> list[dict[str, Any]]:
        """The Messages.json calls received."""
        return [r.body for r in self.sent("/Messages.json")]

    def answer(self, received: Received) -> Answer:  # noqa: PLR0911
        """Check basic auth and the path, then create the message or fail as scripted (or fetch the account)."""
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        if received.headers.get("authorization", "") != f"Basic {expected}":
            return _error(401, 20003, "Authenticate")
        path = received.path.split("?", 1)[0]
        if received.method == "GET" and path == f"/2010-04-01/Accounts/{self.account_sid}.json":
            return Answer(
                200, {"sid": self.account_sid, "friendly_name": "Helpdesk", "status": "active", "type": "Full"}
            )
        if path != f"/2010-04-01/Accounts/{self.account_sid}/Messages.json":
            return _error(404, 20404, "The requested resource was not found")
        failure = self.next_failure()
        if failure:
            kind, _ = failure
            status, message = ERRORS[kind]
            code = int(kind) if len(kind) > 3 else 20000 + status
            return _error(status, code, message)
        body = received.body
        to, sender = str(body.get("To", "")), str(body.get("From", ""))
        if not _address(to) or _address(to) != _address(sender):  # WhatsApp to WhatsApp, SMS to SMS
            return _error(400, 21211, "Invalid 'To' Phone Number")
        if to in self.opted_out:
            return _error(400, 21610, ERRORS["21610"][1])
        text = str(body.get("Body", ""))
        if not text and not body.get("ContentSid"):
            return _error(400, 21619, "A text message body or media urls must be specified.")
        if len(text) > 1600:
            return _error(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
        sid = "SM" + uuid.uuid4().hex
        resource = {
            "sid": sid,
            "account_sid": self.account_sid,
            "to": to,
            "from": body.get("From"),
            "body": text,
            "status": "queued",
            "num_segments": "1",
            "num_media": "0",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "date_created": "Tue, 24 Nov 2026 23:30:00 +0000",
            "date_updated": "Tue, 24 Nov 2026 23:30:00 +0000",
            "date_sent": None,
            "price": None,
            "error_code": None,
            "error_message": None,
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
        }
        return Answer(201, resource)


def _address(value: str) -> str:
    """The address type of a Twilio address: "whatsapp" (whatsapp:+E.164), "sms" (+E.164), or "" if neither."""
    kind, number = ("whatsapp", value[len("whatsapp:") :]) if value.startswith("whatsapp:") else ("sms", value)
    return kind if number.startswith("+") and number[1:].isdigit() else ""


def _error(status: int, code: int, message: str) -> Answer:
    return Answer(
        status,
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
    )
