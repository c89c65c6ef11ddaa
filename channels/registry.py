"""The messengers this gateway can run: one line each. A messenger is on when its credentials are set
(its `from_settings` returns a channel); one that is off answers 404 on its webhook (the contract).

Adding a messenger (docs/adding-a-messenger.md): one module (a `ChannelBase` subclass with `from_settings`),
one test file, and one line below with the setting that holds its send rate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from redis.asyncio import Redis

from channels.telegram import TelegramChannel
from channels.twilio import SMS, WHATSAPP, TwilioChannel
from channels.viber import ViberChannel
from core.settings import Settings
from messaging.channel import Channel


@dataclass(frozen=True)
class Messenger:
    """A messenger the gateway knows: its name (the webhook path /webhooks/{name}), how it is built from the
    settings (None when off) and the setting that holds its send rate (messages per second, all processes)."""

    name: str
    build: Callable[[Settings, Redis], Channel | None]
    rate_setting: str


MESSENGERS: tuple[Messenger, ...] = (
    Messenger("telegram", TelegramChannel.from_settings, "telegram_send_rate"),
    Messenger("whatsapp", partial(TwilioChannel.from_settings, WHATSAPP), "whatsapp_send_rate"),
    Messenger("sms", partial(TwilioChannel.from_settings, SMS), "sms_send_rate"),
    Messenger("viber", ViberChannel.from_settings, "viber_send_rate"),
)


def build_channels(settings: Settings, redis: Redis) -> dict[str, Channel]:
    """The channels whose credentials are set, by name."""
    built = {m.name: m.build(settings, redis) for m in MESSENGERS}
    return {name: channel for name, channel in built.items() if channel is not None}


def send_rate(settings: Settings, channel: str) -> float:
    """The configured send rate of a channel (messages per second, all processes together)."""
    messenger = next(m for m in MESSENGERS if m.name == channel)
    return float(getattr(settings, messenger.rate_setting))
