"""The languages the helpdesk speaks, and the one way text is folded for matching words.

Adding a language starts here (docs/adding-a-language.md): its code goes in LANGUAGES, then every place
that needs content for it is found by the tests (locale files, knowledge cards, training data, domain
responses).
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from pathlib import Path
from typing import Any

import yaml

LANGUAGES: tuple[str, ...] = ("ro", "it", "es")
DEFAULT_LANGUAGE = "ro"  # the conversation's language until one is known

_NOT_DECOMPOSED = str.maketrans({"ß": "ss"})
_NOT_A_LETTER = re.compile(r"[^a-z0-9\u0400-\u04ff]+")


OTHER_LANGUAGES_FILE = Path(__file__).resolve().parent / "other_languages.yml"


@cache
def other_languages() -> dict[str, dict[str, Any]]:
    """The languages we do not speak: their marker words and what we answer (core/other_languages.yml)."""
    return yaml.safe_load(OTHER_LANGUAGES_FILE.read_text(encoding="utf-8"))


def language_of(code: object) -> str | None:
    """One of our languages from a platform's locale code ("it", "it-IT", "es_ES"), or None."""
    short = str(code or "").lower().replace("_", "-").split("-")[0]
    return short if short in LANGUAGES else None


def fold(text: str) -> str:
    """Lower case, no diacritics (ș ş ț ţ ă â î ñ à fold to plain letters; Cyrillic kept, й as и),
    punctuation as single spaces: how place names, country names and danger words are compared."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_NOT_DECOMPOSED).lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_NOT_A_LETTER.sub(" ", plain).split())
