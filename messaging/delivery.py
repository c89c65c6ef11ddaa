"""The one door for every message to a user: bot replies, gateway notices, counsellor replies and
broadcasts all call `Delivery.send`, which hands them to the outbox of the user's channel.

Lanes: "reply" (answers in a conversation, counsellor messages) always goes before "bulk" (broadcasts)
on the same channel. The web chat has no rate to keep: its messages go straight to the user's stream.
Messenger messages are rendered for their channel (keyboards, numbered options, split at the length
limit) and queued in the channel's outbox (messaging/outbox.py), which sends them at the channel's rate.

WhatsApp allows free text only within 24 hours of the user's last message: outside that window `send`
raises `OutsideWindow`, and the caller can send an approved template with `send_template` instead.
"""

from __future__ import annotations

import logging

from core.messages import OutboundMessage
from messaging.channel import Channel
from messaging.outbox import Outbox
from messaging.web_outbox import WebOutbox

log = logging.getLogger(__name__)

LANES = ("reply", "bulk")


class UnknownChannel(Exception):
    """A message was addressed to a channel this gateway cannot send on."""


class OutsideWindow(Exception):
    """WhatsApp's 24-hour window is closed for this user: free text cannot be sent, a template can."""

    def __init__(self, channel: str, user_id: str) -> None:
        super().__init__(f"{channel}: the user's last message is older than 24 hours; send a template")
        self.channel = channel
        self.user_id = user_id


class Delivery:
    """Routes outbound messages to the outbox of their channel."""

    def __init__(
        self, web_outbox: WebOutbox, outbox: Outbox | None = None, channels: dict[str, Channel] | None = None
    ) -> None:
        self._web = web_outbox
        self._outbox = outbox
        self._channels = channels or {}

    async def send(
        self,
        channel: str,
        user_id: str,
        messages: list[OutboundMessage],
        *,
        reply_to: str = "",
        lane: str = "reply",
        notify: str = "",
        once: tuple[str, str, int] | None = None,
    ) -> list[str]:
        """Queue `messages` for one user on `channel`, in order; the outbound message ids (none for the web).
        `notify`: see Outbox.enqueue; `once`: a (key, value, TTL) stored in the same transaction as the messages
        (the worker's record that it answered an inbound message, messaging/inbound_queue.py).

        Raises UnknownChannel if that channel is off, OutsideWindow for WhatsApp outside the 24-hour window.
        """
        if lane not in LANES:
            raise ValueError(f"lane must be one of {LANES}")
        if not messages:
            return []
        if channel == "web":
            await self._web.deliver(user_id, messages, reply_to=reply_to, once=once)
            return []
        handler = self._channel(channel)
        if not await handler.window_open(user_id):
            raise OutsideWindow(channel, user_id)
        payloads = [p for message in messages for p in await handler.render(user_id, message)]
        assert self._outbox is not None
        return await self._outbox.enqueue(
            channel, user_id, payloads, lane=lane, reply_to=reply_to, notify=notify, once=once
        )

    async def send_template(
        self,
        channel: str,
        user_id: str,
        template: str,
        variables: dict[str, str] | None = None,
        *,
        lane: str = "reply",
        notify: str = "",
    ) -> list[str]:
        """Queue an approved WhatsApp template (Twilio Content API: `template` is the ContentSid, `variables`
        its ContentVariables, e.g. {"1": "Maria"}); allowed outside the 24-hour window. ValueError on other
        channels, UnknownChannel if the channel is off."""
        handler = self._channel(channel)
        payloads = await handler.render_template(user_id, template, variables or {})
        assert self._outbox is not None
        return await self._outbox.enqueue(channel, user_id, payloads, lane=lane, notify=notify)

    def has_reply_window(self, channel: str) -> bool:
        """Whether the channel limits free text to a window after the user's last message (WhatsApp)."""
        handler = self._channels.get(channel)
        return bool(handler and handler.reply_window)

    def has_templates(self, channel: str) -> bool:
        """Whether approved templates can be sent on the channel (WhatsApp)."""
        handler = self._channels.get(channel)
        return bool(handler and handler.templates)

    async def window_open(self, channel: str, user_id: str) -> bool:
        """Whether free text can be sent to the user now (False only for WhatsApp outside 24 hours)."""
        if channel == "web":
            return True
        return await self._channel(channel).window_open(user_id)

    async def windows_open(self, channel: str, user_ids: list[str]) -> list[bool]:
        """`window_open` for many users of one channel at once, in their order."""
        if channel == "web":
            return [True] * len(user_ids)
        return await self._channel(channel).windows_open(user_ids)

    async def status(self, out_id: str) -> dict[str, str]:
        """What is known about one outbound message: channel, user, lane, status, platform_id, error, attempts."""
        return await self._outbox.record(out_id) if self._outbox else {}

    def _channel(self, channel: str) -> Channel:
        handler = self._channels.get(channel)
        if handler is None or self._outbox is None:
            raise UnknownChannel(channel)
        return handler
