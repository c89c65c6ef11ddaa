"""What one alert looks like for one person: the campaign's text in their language (or the fallback's), its
buttons, the deployment's recognition line (people can tell a genuine alert from an imitation) and the one
line that says how to stop."""

from __future__ import annotations

from broadcasts.campaigns import Campaign
from core.locales import text
from core.messages import Button, OutboundMessage


def footer(language: str, recognition: str) -> str:
    """The two lines added to every alert: the recognition line and how to stop."""
    return text("broadcast.genuine", language, line=recognition) + "\n" + text("broadcast.how_to_stop", language)


def alert_message(campaign: Campaign, language: str, body: str, recognition: str) -> OutboundMessage:
    """The alert in `language` (the language of `body`): text, footer, buttons."""
    buttons = tuple(
        Button(str((b.get("titles") or {}).get(language, "")), str(b["payload"]))
        for b in campaign.buttons
        if (b.get("titles") or {}).get(language)
    )
    return OutboundMessage(f"{body}\n\n{footer(language, recognition)}", buttons)
