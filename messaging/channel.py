"""The one small interface every messenger channel implements, and the shapes that cross it.

A channel module (channels/telegram.py, channels/twilio.py, channels/viber.py) holds everything that
is specific to one messenger: how its webhook is verified and parsed into `InboundMessage`s and events,
how an `OutboundMessage` is rendered into its API's payloads, how one payload is sent, and how its webhook
is registered; channels/base.py gives the defaults. Everything else (deduplication, the inbound queue, the
outbox with its rate, retries and delivery statuses) is shared. A new messenger is one module, one test
file and one line in `channels/registry.py` (docs/adding-a-messenger.md).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from core.messages import InboundMessage, OutboundMessage


@dataclass(frozen=True)
class RawRequest:
    """A webhook request as it arrived: the path, the headers (lower-case names) and the raw body."""

    path: str
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str:
        """A header's value, empty when missing."""
        return self.headers.get(name.lower(), "")


class BadPayload(Exception):
    """A verified webhook whose body cannot be understood: answered 4xx with the reason."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class DeliveryStatus:
    """A platform's report on a message we sent: sent, delivered, read or failed."""

    platform_id: str
    status: str
    error: str = ""


@dataclass(frozen=True)
class UserEvent:
    """Something a user did to the channel itself: "subscribed" (registered) or "unsubscribed" (stop)."""

    user_id: str
    kind: str
    locale: str | None = None


@dataclass
class Parsed:
    """What one webhook request carries.

    `dedupe_id` identifies the request itself (Telegram's update_id, Twilio's MessageSid, Viber's
    message_token) so a redelivered webhook is recognised even when it carries no message;
    `response` is the body to answer with instead of the default: JSON (a dict: Viber's welcome message,
    Telegram's answerCallbackQuery) or XML (a str: Twilio's empty TwiML).
    """

    dedupe_id: str = ""
    messages: list[InboundMessage] = field(default_factory=list)
    statuses: list[DeliveryStatus] = field(default_factory=list)
    user_events: list[UserEvent] = field(default_factory=list)
    response: dict[str, Any] | str | None = None
    ignored: str = ""  # why nothing was taken from a valid request (an event type we do not use)


class SendError(Exception):
    """Sending one payload failed. `kind` says what the outbox does about it.

    - "retry": try again later (rate limited, 5xx, network); `retry_after` seconds when the platform says.
    - "stop": the user cannot be reached any more (blocked the bot, unsubscribed, opted out).
    - "fail": this message can never be sent as it is (bad request, outside WhatsApp's 24-hour window).
    """

    def __init__(self, kind: str, reason: str, retry_after: float | None = None, code: str = "") -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason
        self.retry_after = retry_after
        self.code = code


class Channel(Protocol):
    """A messenger: verify and parse its webhooks, render and send our messages, register the webhook."""

    name: str
    reply_window: bool  # free text only within a window after the user's last message (WhatsApp)
    templates: bool  # approved templates can be sent
    status_callbacks: bool  # delivery reports arrive at /webhooks/{name}/status

    def verify(self, request: RawRequest) -> bool:
        """True only when the request proves it comes from the platform (constant-time comparison)."""
        ...

    async def parse(self, request: RawRequest) -> Parsed:
        """The messages, statuses and user events of a verified request; BadPayload if unreadable."""
        ...

    async def render(self, user_id: str, message: OutboundMessage) -> list[dict[str, Any]]:
        """The API payloads that show `message` to the user (split at the platform's limit, with buttons)."""
        ...

    async def render_template(
        self, user_id: str, template: str, variables: dict[str, str]
    ) -> list[dict[str, Any]]:
        """The payload of an approved template (WhatsApp); ValueError where the channel has none."""
        ...

    async def window_open(self, user_id: str) -> bool:
        """Whether free text may be sent to the user now (WhatsApp: within 24 hours of their last message)."""
        ...

    async def windows_open(self, user_ids: list[str]) -> list[bool]:
        """`window_open` for many users at once, in their order."""
        ...

    async def send(self, user_id: str, payload: dict[str, Any]) -> str:
        """Send one rendered payload; the platform's message id. Raises SendError."""
        ...

    async def warm_up(self) -> None:
        """Open connections and load what the first send needs, so that the first sends keep the rate."""
        ...

    async def register(self, public_base_url: str) -> str:
        """Point the platform's webhook at this gateway (or say what to configure); a line for the operator."""
        ...

    async def aclose(self) -> None:
        """Close network clients."""
        ...


_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")


def json_body(request: RawRequest) -> object:
    """The request's body as JSON; BadPayload (400) when it is not JSON, or nested deeper than the parser's
    recursion allows (hundreds of levels; the platforms nest a few)."""
    try:
        return json.loads(request.body)
    except ValueError as exc:
        raise BadPayload("body is not valid JSON") from exc
    except RecursionError as exc:
        raise BadPayload("body is not valid JSON: nested too deeply") from exc


def split_text(text: str, limit: int) -> list[str]:
    """Cut a text into pieces of at most `limit` characters, at sentence ends (else spaces) where possible.

    Line breaks between sentences are kept inside a piece; a piece never starts or ends with spaces.
    """
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    pieces: list[str] = []
    current = ""
    for separator, sentence in _sentences(text):
        for i, part in enumerate(_hard_split(sentence, limit)):
            joined = current + (separator if i == 0 else " ") + part if current else part
            if len(joined) <= limit:
                current = joined
            else:
                pieces.append(current)
                current = part
    if current:
        pieces.append(current)
    return pieces


def _sentences(text: str) -> list[tuple[str, str]]:
    """(separator before it, sentence) pairs; the separator is a space or the line breaks found."""
    out: list[tuple[str, str]] = []
    start = 0
    separator = ""
    for match in _SENTENCE_END.finditer(text):
        out.append((separator, text[start : match.start()].strip()))
        separator = "\n" * match.group().count("\n") or " "
        start = match.end()
    out.append((separator, text[start:].strip()))
    return [(sep, s) for sep, s in out if s]


def _hard_split(sentence: str, limit: int) -> list[str]:
    """A sentence longer than the limit is cut at the last space before it (or at the limit)."""
    parts: list[str] = []
    while len(sentence) > limit:
        cut = sentence.rfind(" ", 0, limit + 1)
        cut = cut if cut > limit // 2 else limit
        parts.append(sentence[:cut].strip())
        sentence = sentence[cut:].strip()
    if sentence:
        parts.append(sentence)
    return parts
