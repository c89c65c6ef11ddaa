"""Short messages the gateway itself sends (not the assistant): the texts are in core/locales/."""

from __future__ import annotations

from core.languages import LANGUAGES, other_languages
from core.locales import text
from core.messages import Button, OutboundMessage

# Buttons that go with a notice: (the locale key of its title, payload).
_BUTTONS: dict[str, list[tuple[str, str]]] = {
    "media_only": [("button.human", "/request_human")],
    "welcome": [(f"language_name.{code}", f'/choose_language{{"language":"{code}"}}') for code in LANGUAGES],
}


def foreign_notice(code: str) -> OutboundMessage:
    """The answer to a message in a language we do not speak (`code`, of core/other_languages.yml): a line in
    that language, a line in each of ours, a button per language of ours and one for a counsellor."""
    spec = other_languages()[code]
    lines = [spec["reply"], *(text("notice.foreign", lang) for lang in LANGUAGES)]
    buttons = [
        Button(text(f"language_name.{lang}", lang), f'/choose_language{{"language":"{lang}"}}')
        for lang in LANGUAGES
    ]
    buttons.append(Button(spec["counsellor"], "/request_human"))
    return OutboundMessage("\n\n".join(lines), tuple(buttons))


def languages_offer() -> OutboundMessage:
    """The answer to a first message whose language cannot be told ("ok", "ciao"): the welcome in each of our
    languages, with a button per language."""
    lines = [text("notice.welcome", lang) for lang in LANGUAGES]
    buttons = tuple(
        Button(text(key, lang), payload)
        for lang, (key, payload) in zip(LANGUAGES, _BUTTONS["welcome"], strict=True)
    )
    return OutboundMessage("\n\n".join(lines), buttons)


def notice(kind: str, language: str) -> OutboundMessage:
    """The notice of a kind in a language, with its buttons."""
    buttons = tuple(Button(text(key, language), payload) for key, payload in _BUTTONS.get(kind, []))
    return OutboundMessage(text(f"notice.{kind}", language), buttons)
