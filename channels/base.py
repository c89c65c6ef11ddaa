"""What every messenger shares: the defaults of the `Channel` interface (messaging/channel.py) and the
capabilities a messenger declares instead of being checked by name.

A messenger module subclasses `ChannelBase`, sets `name`, `text_limit` and its capabilities, and writes
only what is its own (verify, parse, render, send, register). Capabilities:
- `reply_window`: free text may be sent only within a window after the user's last message (WhatsApp's
  24 hours); `window_open` then says whether it is open, and `templates` must be true.
- `templates`: approved message templates can be sent (`render_template`).
- `status_callbacks`: the platform reports delivery to a URL of its own, `/webhooks/{name}/status`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from core.messages import OutboundMessage
from messaging.channel import Parsed, RawRequest


class ChannelBase(ABC):
    """Defaults for a messenger with no reply window and no templates, and nothing to warm up or close."""

    name: str = ""
    text_limit: int = 4096
    reply_window: bool = False
    templates: bool = False
    status_callbacks: bool = False  # delivery reports come to /webhooks/{name}/status (Twilio)

    @abstractmethod
    def verify(self, request: RawRequest) -> bool:
        """True only when the request proves it comes from the platform."""

    @abstractmethod
    async def parse(self, request: RawRequest) -> Parsed:
        """The messages, statuses and user events of a verified request."""

    @abstractmethod
    async def render(self, user_id: str, message: OutboundMessage) -> list[dict[str, Any]]:
        """The API payloads that show `message` to the user."""

    async def render_template(
        self, user_id: str, template: str, variables: dict[str, str]
    ) -> list[dict[str, Any]]:
        """The payload of an approved template; this messenger has none."""
        raise ValueError(f"{self.name} has no message templates")

    async def window_open(self, user_id: str) -> bool:
        """A messenger without a reply window can write to the user at any time."""
        return True

    async def windows_open(self, user_ids: list[str]) -> list[bool]:
        """`window_open` for many users at once (a campaign's audience)."""
        return [await self.window_open(user_id) for user_id in user_ids]

    @abstractmethod
    async def send(self, user_id: str, payload: dict[str, Any]) -> str:
        """Send one rendered payload; the platform's message id."""

    async def warm_up(self) -> None:
        """Nothing to open before the first send."""
        return

    @abstractmethod
    async def register(self, public_base_url: str) -> str:
        """Point the platform's webhook at this gateway, or say what to configure."""

    async def aclose(self) -> None:
        """Nothing to close."""
        return
