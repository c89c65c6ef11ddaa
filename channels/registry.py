"""The messenger channels this gateway runs: one line per channel, on when its credentials are set.

A channel whose credentials are unset is off, and its webhook answers 404 (the contract). Adding a
channel: write its module (the `Channel` interface of channels/channel.py) and add it here.
"""

from __future__ import annotations

from redis.asyncio import Redis

from channels.channel import Channel
from channels.settings import Settings
from channels.telegram import TelegramChannel
from channels.viber import ViberChannel
from channels.whatsapp import WhatsAppChannel


def build_channels(settings: Settings, redis: Redis) -> dict[str, Channel]:
    """The channels whose credentials are set, by name."""
    channels: dict[str, Channel] = {}
    if settings.telegram_bot_token and settings.telegram_webhook_secret:
        channels["telegram"] = TelegramChannel(
            redis, settings.telegram_bot_token, settings.telegram_webhook_secret, settings.telegram_api_url
        )
    if settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_whatsapp_from:
        channels["whatsapp"] = WhatsAppChannel(
            redis,
            account_sid=settings.twilio_account_sid,
            auth_token=settings.twilio_auth_token,
            sender=settings.twilio_whatsapp_from,
            api_url=settings.twilio_api_url,
            public_base_url=settings.public_base_url,
        )
    if settings.viber_auth_token:
        channels["viber"] = ViberChannel(
            settings.viber_auth_token, settings.viber_api_url, settings.viber_bot_name
        )
    return channels


def send_rate(settings: Settings, channel: str) -> float:
    """The configured send rate of a channel (messages per second, all processes together)."""
    rates = {
        "telegram": settings.telegram_send_rate,
        "whatsapp": settings.whatsapp_send_rate,
        "viber": settings.viber_send_rate,
    }
    return rates[channel]
