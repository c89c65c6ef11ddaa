"""The web chat channel: validates a posted message, queues it, and answers with the bot's replies.

Contract (docs/design-contract.md): POST `{"sender": "...", "text": "...", "language"?: "ro|it|es"}` is
answered with `{"messages": [{"text": "...", "buttons": [{"title", "payload"}]}]}`. The message is
stored in the inbound queue before anything else happens; the handler then waits (up to
WEB_REPLY_WAIT_SECONDS, or less with `?wait=`) for the worker to answer it. If the answer takes
longer (Rasa starting or down), the response is 202 with `"pending": true` and whatever notice was sent
so far, and the replies arrive later through GET /webhooks/web/messages, which the /chat page polls.
Over the inbound queue's depth limit (messaging/inbound_backlog.py) a new message is 503 + Retry-After and not
stored; the page resends it with the same message_id.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError, field_validator

from channels.wire import person_text
from core.languages import LANGUAGES
from core.messages import InboundMessage
from gateway.services import Services
from messaging import metrics
from messaging.inbound_queue import Admission

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
BACKLOG_RETRY_AFTER_SECONDS = 5  # a resend this much later finds room: Rasa answers ~12 messages a second


class WebMessageIn(BaseModel):
    """The JSON a web chat client posts."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    sender: StrictStr = Field(min_length=1, max_length=128)
    text: StrictStr = Field(min_length=1)
    language: StrictStr | None = None
    message_id: StrictStr | None = Field(default=None, min_length=1, max_length=128)

    @field_validator("sender")
    @classmethod
    def _printable_sender(cls, value: str) -> str:
        if _CONTROL.search(value):
            raise ValueError("sender must not contain control characters")
        return value

    @field_validator("text", mode="before")
    @classmethod
    def _storable_text(cls, value: object) -> object:
        """A lone surrogate ("\\ud800" in the JSON) becomes U+FFFD: the message is kept and can be stored."""
        return person_text(value) if isinstance(value, str) else value

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        code = value.lower().replace("_", "-").split("-")[0]
        if code not in LANGUAGES:
            raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
        return code


@dataclass(frozen=True)
class WebResult:
    """The HTTP answer for one posted message."""

    status: int
    body: dict[str, Any]
    server_timing: dict[str, float] | None = None
    retry_after: int | None = None  # seconds, for a 503


def _error(status: int, reason: str, details: list[str] | None = None) -> WebResult:
    metrics.INBOUND.labels(channel="web", result=f"rejected_{status}").inc()
    body: dict[str, Any] = {"error": reason}
    if details:
        body["details"] = details
    return WebResult(status, body)


def parse(raw: bytes, max_text_chars: int) -> WebMessageIn | WebResult:
    """The posted message, or the 4xx answer that says what is wrong with it."""
    try:  # the standard parser, which keeps a lone surrogate escape (pydantic's JSON parser refuses it)
        data = json.loads(raw)
    except ValueError:
        return _error(400, "body is not valid JSON")
    except RecursionError:
        return _error(400, "body is not valid JSON: nested too deeply")
    try:
        posted = WebMessageIn.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        details = [f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in errors]
        return _error(422, "invalid message", details)
    if len(posted.text) > max_text_chars:
        return _error(413, f"text too long: at most {max_text_chars} characters")
    return posted


async def receive(services: Services, raw: bytes, wait_seconds: float | None = None) -> WebResult:
    """Handle one POST /webhooks/web body; wait for the replies up to `wait_seconds` (default: settings)."""
    posted = parse(raw, services.settings.max_text_chars)
    if isinstance(posted, WebResult):
        return posted
    client_id = {"message_id": posted.message_id} if posted.message_id else {}
    message = InboundMessage("web", posted.sender, posted.text, language=posted.language, **client_id)
    outbox = services.web_outbox
    cursor = await outbox.cursor(message.user_id)
    admission = await services.backlog.admit(message)
    if admission is Admission.FULL:
        refused = _error(503, "too many messages are waiting to be answered; send this message again shortly")
        return WebResult(refused.status, refused.body, retry_after=BACKLOG_RETRY_AFTER_SECONDS)
    if admission is Admission.DUPLICATE:
        metrics.INBOUND.labels(channel="web", result="duplicate").inc()
        return WebResult(200, {"messages": [], "duplicate": True})
    metrics.INBOUND.labels(channel="web", result="accepted").inc()
    if wait_seconds is None:
        wait_seconds = services.settings.web_reply_wait_seconds
    timing = await outbox.wait_finished(
        message.message_id, min(wait_seconds, services.settings.web_reply_wait_seconds)
    )
    replies, new_cursor = await outbox.read(message.user_id, cursor, reply_to=message.message_id)
    body: dict[str, Any] = {"messages": replies, "cursor": new_cursor, "message_id": message.message_id}
    body.update(await language_of(services, message.user_id))
    if timing is None:
        body["pending"] = True
        return WebResult(202, body)
    return WebResult(200, body, timing)


async def language_of(services: Services, sender: str) -> dict[str, str]:
    """`{"language": code}` of a web user's conversation, the language the answers are in; `{}` while unknown."""
    language = (await services.conversations.get(f"web:{sender}")).language
    return {"language": language} if language else {}
