"""Every text the helpdesk shows people, per language: `core/locales/{language}.yml`, read once per process.

`text("handoff.who", "it", centre="Iași", when="...")` is the text at a dotted key, with its {placeholders}
filled in. A language that is not one of ours gets the default language's text (the conversation's
language is always one of ours once known; this only covers a first message). A missing key is a bug
that tests/test_locales.py catches: every locale file has every key, with the same placeholders.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

from core.languages import DEFAULT_LANGUAGE, LANGUAGES

LOCALES = Path(__file__).resolve().parent / "locales"


@cache
def locale(language: str) -> dict[str, Any]:
    """The whole locale of one language, as nested dicts."""
    return yaml.safe_load((LOCALES / f"{language}.yml").read_text(encoding="utf-8"))


def _entry(key: str, language: str) -> object:
    """The value at a dotted key in a language's locale (a text, a list or a table)."""
    node: Any = locale(language if language in LANGUAGES else DEFAULT_LANGUAGE)
    for part in key.split("."):
        node = node[part]
    return node


def text(key: str, language: str, **values: object) -> str:
    """The text at a dotted key, in a language, with its {placeholders} filled from `values`."""
    found = _entry(key, language)
    if not isinstance(found, str):
        raise TypeError(f"{key} is not a text")
    return found.format(**values) if values else found


def texts(key: str, language: str) -> list[str]:
    """The list of texts at a dotted key (the weekdays...)."""
    found = _entry(key, language)
    if not isinstance(found, list):
        raise TypeError(f"{key} is not a list")
    return [str(item) for item in found]
