"""The inbox's texts per language: one file per language in inbox/locales/ (`ro.json`, `en.json`), nested keys.

The page loads its language's file (`/inbox/locales/{language}.json`) and looks every text up there; the server
uses the same files for the login page. A language is available when its file is there; Romanian is the default.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

LOCALES = Path(__file__).parent / "locales"
DEFAULT = "ro"


@cache
def languages() -> tuple[str, ...]:
    """The languages of the inbox: the locale files there are, the default first."""
    found = sorted(path.stem for path in LOCALES.glob("*.json"))
    return tuple(sorted(found, key=lambda language: language != DEFAULT))


def pick(language: str | None) -> str:
    """`language` when the inbox has it, else the default."""
    return language if language in languages() else DEFAULT


@cache
def locale(language: str) -> dict[str, Any]:
    """A language's texts, as nested objects."""
    return json.loads((LOCALES / f"{pick(language)}.json").read_text(encoding="utf-8"))


def text(language: str, key: str, **params: object) -> str:
    """The text of `key` ("login.wrong") in `language` (the default's when missing), `{name}` filled in."""
    for source in (locale(language), locale(DEFAULT)):
        found: Any = source
        for part in key.split("."):
            found = found.get(part) if isinstance(found, dict) else None
        if isinstance(found, str):
            return found.format(**params) if params else found
    return key
