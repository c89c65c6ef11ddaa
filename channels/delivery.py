"""The one door for every message to a user: bot replies, gateway notices, later counsellor replies and
broadcasts all call `Delivery.send`, which hands them to the outbox of the user's channel.

Lanes: "reply" (answers in a conversation, counsellor messages) always goes before "bulk" (broadcasts)
on the same channel. The web chat has no rate to keep: its messages go straight to the user's stream.
"""

from __future__ import annotations

import logging

from channels.messages import OutboundMessage
from channels.web_outbox import WebOutbox

log = logging.getLogger(__name__)

LANES = ("reply", "bulk")


class UnknownChannel(Exception):
    """A message was addressed to a channel this gateway cannot send on."""


class Delivery:
    """Routes outbound messages to the outbox of their channel."""

    def __init__(self, web_outbox: WebOutbox) -> None:
        self._web = web_outbox

    async def send(
        self,
        channel: str,
        user_id: str,
        messages: list[OutboundMessage],
        *,
        reply_to: str = "",
        lane: str = "reply",
    ) -> None:
        """Queue `messages` for one user on `channel`, in order; UnknownChannel if that channel is off."""
        if lane not in LANES:
            raise ValueError(f"lane must be one of {LANES}")
        if not messages:
            return
        if channel == "web":
            await self._web.deliver(user_id, messages, reply_to=reply_to)
            return
        raise UnknownChannel(channel)
