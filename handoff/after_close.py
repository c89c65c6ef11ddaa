"""After a case closed: whether a message is someone asking if anyone is there ("e cineva acolo?", "c'è
qualcuno?", "¿hay alguien?"), from the phrases in handoff/data/anyone_there.yml, compared folded."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

from core.languages import fold

PHRASES_FILE = Path(__file__).parent / "data" / "anyone_there.yml"
MAX_WORDS = 8  # longer messages say more than "is anyone there?": the assistant reads them


@cache
def phrases() -> dict[str, tuple[tuple[str, ...], ...]]:
    """Every language's phrases, as folded words."""
    data = yaml.safe_load(PHRASES_FILE.read_text(encoding="utf-8"))
    return {language: tuple(tuple(fold(p).split()) for p in items) for language, items in data.items()}


def asks_for_someone(text: str) -> bool:
    """A short message that contains a phrase of any language asking whether anyone is there."""
    words = fold(text).split()
    if not words or len(words) > MAX_WORDS:
        return False
    for found in phrases().values():
        for phrase in found:
            n = len(phrase)
            if any(tuple(words[i : i + n]) == phrase for i in range(len(words) - n + 1)):
                return True
    return False
