"""Short messages the gateway itself sends (not the assistant): the texts are in core/locales/."""

from __future__ import annotations

from core.languages import LANGUAGES
from core.locales import text
from core.messages import Button, OutboundMessage

# Buttons that go with a notice: (the locale key of its title, payload).
_BUTTONS: dict[str, list[tuple[str, str]]] = {
    "media_only": [("button.human", "/request_human")],
    "welcome": [(f"language_name.{code}", f'/choose_language{{"language":"{code}"}}') for code in LANGUAGES],
}


def notice(kind: str, language: str) -> OutboundMessage:
    """The notice of a kind in a language, with its buttons."""
    buttons = tuple(Button(text(key, language), payload) for key, payload in _BUTTONS.get(kind, []))
    return OutboundMessage(text(f"notice.{kind}", language), buttons)
