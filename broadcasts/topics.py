"""What people can subscribe to, the filters of an audience, and the payloads an alert's buttons may carry."""

from __future__ import annotations

TOPICS: tuple[str, ...] = ("rights", "mobility", "alerts", "return")  # work rights, legal work abroad,
# safety and scam alerts, return programmes
CHANNELS: tuple[str, ...] = ("whatsapp", "telegram", "viber", "sms")  # the messengers alerts go out on
FILTERS: tuple[str, ...] = ("language", "country", "channel", "topic", "centre")  # what an audience filters by
# An alert's buttons lead into a topic of the assistant (the menu's own payloads, bot/domain/core.yml).
BUTTON_PAYLOADS: tuple[str, ...] = (
    "/topic_rights",
    "/topic_mobility",
    "/topic_trafficking",
    "/topic_return",
    "/request_human",
)
