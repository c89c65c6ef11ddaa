"""The languages the helpdesk speaks, and the one way text is folded for matching words.

Adding a language starts here (docs/adding-a-language.md): its code goes in LANGUAGES, then every place
that needs content for it is found by the tests (locale files, knowledge cards, training data, domain
responses).
"""

from __future__ import annotations

import re
import unicodedata

LANGUAGES: tuple[str, ...] = ("ro", "it", "es")
DEFAULT_LANGUAGE = "ro"  # the conversation's language until one is known

_NOT_DECOMPOSED = str.maketrans({"ß": "ss"})
_NOT_A_LETTER = re.compile(r"[^a-z0-9\u0400-\u04ff]+")


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
