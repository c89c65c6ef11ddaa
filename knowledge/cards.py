"""Answer cards and how they are read from `knowledge/content/*.yml`.

A card answers one question. Its text exists in every language (ro, it, es); when the law differs by
country, it has one variant per country the user may be in (it, es, ro, md) and `any` for the rest.
Each variant names its official sources; each card the date its facts were last checked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from core.languages import LANGUAGES

CONTENT = Path(__file__).resolve().parent / "content"
COUNTRIES = ("it", "es", "ro", "md", "other")
ANY = "any"


class ContentError(ValueError):
    """A content file does not follow the card format (the message says which card and why)."""


@dataclass(frozen=True)
class Variant:
    """One version of a card's answer: the text per language, its sources and the cards offered next."""

    text: dict[str, str]
    sources: tuple[str, ...]
    more: tuple[str, ...] = ()


@dataclass(frozen=True)
class Card:
    """An answer: its id (also the intent that asks for it), topic, button title per language and variants."""

    id: str
    topic: str
    title: dict[str, str]
    checked: dt.date
    variants: dict[str, Variant]
    by_country: bool = False
    counsellor: bool = False
    asked: bool = True  # False: reached only through another card's "more" buttons, no intent of its own
    note: str = ""  # for reviewers: what is not confirmed and so not said as fact

    def variant(self, country: str | None) -> Variant:
        """The variant for a user in `country` (the `any` variant when there is none of its own)."""
        if country and country in self.variants:
            return self.variants[country]
        return self.variants[ANY] if ANY in self.variants else next(iter(self.variants.values()))

    def needs_country(self, country: str | None) -> bool:
        """True when the answer depends on the country and the user's country is not known yet."""
        return self.by_country and not country


@dataclass(frozen=True)
class Knowledge:
    """Every card, by id, in the order of the content files."""

    cards: dict[str, Card] = field(default_factory=dict)

    def __getitem__(self, card_id: str) -> Card:
        return self.cards[card_id]

    def __contains__(self, card_id: object) -> bool:
        return card_id in self.cards

    def by_topic(self, topic: str) -> list[Card]:
        """The cards of one topic, in file order."""
        return [c for c in self.cards.values() if c.topic == topic]


def _texts(raw: object, where: str) -> dict[str, str]:
    if not isinstance(raw, dict) or set(raw) != set(LANGUAGES):
        raise ContentError(f"{where}: needs exactly the languages {', '.join(LANGUAGES)}")
    texts = {lang: str(raw[lang]).strip() for lang in LANGUAGES}
    if not all(texts.values()):
        raise ContentError(f"{where}: empty text")
    return texts


def _card(card_id: str, topic: str, raw: dict[str, object]) -> Card:
    variants_raw = raw.get("variants")
    if not isinstance(variants_raw, dict) or not variants_raw:
        raise ContentError(f"{card_id}: no variants")
    variants = {}
    for key, value in variants_raw.items():
        if key not in (*COUNTRIES, ANY) or not isinstance(value, dict):
            raise ContentError(f"{card_id}: unknown variant {key!r}")
        variants[key] = Variant(
            text=_texts(value.get("text"), f"{card_id}/{key}"),
            sources=tuple(str(s) for s in value.get("sources") or ()),
            more=tuple(str(m) for m in value.get("more") or ()),
        )
    checked = raw.get("checked")
    if not isinstance(checked, dt.date):
        raise ContentError(f"{card_id}: `checked` must be a date (YYYY-MM-DD)")
    return Card(
        id=card_id,
        topic=topic,
        title=_texts(raw.get("title"), f"{card_id}/title"),
        checked=checked,
        variants=variants,
        by_country=bool(raw.get("by_country", False)),
        counsellor=bool(raw.get("counsellor", False)),
        asked=bool(raw.get("asked", True)),
        note=str(raw.get("note", "")).strip(),
    )


def load(directory: Path = CONTENT) -> Knowledge:
    """Read every content file; ContentError names the first card that does not follow the format."""
    cards: dict[str, Card] = {}
    for path in sorted(directory.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        topic = str(data.get("topic") or path.stem)
        for card_id, raw in (data.get("answers") or {}).items():
            if card_id in cards:
                raise ContentError(f"{card_id}: defined twice ({path.name})")
            cards[card_id] = _card(card_id, topic, raw)
    return Knowledge(cards)


@lru_cache(maxsize=1)
def knowledge() -> Knowledge:
    """The cards of `knowledge/content/`, read once per process."""
    return load()
