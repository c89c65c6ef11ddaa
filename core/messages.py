"""The internal shapes of messages that cross the gateway, independent of any channel's wire format."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import asdict, dataclass, field, fields


@dataclass(frozen=True)
class Button:
    """A quick reply: what the user sees and what is sent back when it is chosen."""

    title: str
    payload: str


@dataclass(frozen=True)
class InboundMessage:
    """One message from a user, as every channel's parser produces it."""

    channel: str
    user_id: str
    text: str
    message_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    language: str | None = None  # a language the client states explicitly (web chat field, /start payload)
    received_at: float = field(default_factory=time.time)
    # Added by the messenger channels; defaults keep older queued JSON readable.
    kind: str = "text"  # "text", "button" (text is the payload), "start", "location", "media"
    locale: str | None = None  # the app's language setting (Telegram, Viber): a hint for a new conversation
    latitude: float | None = None  # a shared location (kind "location")
    longitude: float | None = None
    media: str | None = None  # "voice", "audio", "photo", "video", "document", "sticker", ... (kind "media")

    @property
    def conversation_id(self) -> str:
        """The conversation's id, shared by the queue, the conversation store and Rasa's tracker."""
        return f"{self.channel}:{self.user_id}"

    def to_json(self) -> str:
        """Serialise for the inbound queue."""
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str | bytes) -> InboundMessage:
        """Parse what `to_json` wrote (fields unknown to this version are ignored)."""
        data = json.loads(raw)
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class Author:
    """Who wrote a message, when it is a person and not the assistant: a counsellor's display name and centre."""

    kind: str  # "counsellor"
    name: str
    centre: str


@dataclass(frozen=True)
class OutboundMessage:
    """One bot or counsellor message to a user."""

    text: str
    buttons: tuple[Button, ...] = ()
    author: Author | None = None  # a counsellor's message: the web chat shows who wrote it (`from`)

    def to_dict(self) -> dict[str, object]:
        """The web chat contract's shape: {"text": ..., "buttons": [{"title", "payload"}], "from"?: {...}}."""
        out: dict[str, object] = {"text": self.text}
        if self.buttons:
            out["buttons"] = [asdict(b) for b in self.buttons]
        if self.author:
            out["from"] = asdict(self.author)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> OutboundMessage:
        """Parse what `to_dict` wrote."""
        buttons = data.get("buttons") or []
        assert isinstance(buttons, list)
        author = data.get("from")
        return cls(
            text=str(data.get("text", "")),
            buttons=tuple(Button(**b) for b in buttons),
            author=Author(**author) if isinstance(author, dict) else None,
        )
