"""Every language has all its texts: each locale file (core/locales/) has every key of the others, with the
same {placeholders}, no empty text; and every language in LANGUAGES has its content elsewhere too
(training data, knowledge cards, the assistant's responses: see docs/adding-a-language.md)."""

from __future__ import annotations

import string
from collections.abc import Iterator

import pytest

from core.languages import LANGUAGES
from core.locales import LOCALES, locale, text, texts
from knowledge.cards import load
from tests.conftest import ROOT


def leaves(node: object, prefix: str = "") -> Iterator[tuple[str, object]]:
    """(dotted key, value) of every text or list in a locale."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from leaves(value, f"{prefix}{key}.")
    else:
        yield prefix.rstrip("."), node


def placeholders(value: object) -> set[str]:
    items = value if isinstance(value, list) else [value]
    return {name for item in items for _, name, _, _ in string.Formatter().parse(str(item)) if name}


def test_there_is_a_locale_file_for_every_language_and_no_other() -> None:
    assert sorted(p.stem for p in LOCALES.glob("*.yml")) == sorted(LANGUAGES)


@pytest.mark.parametrize("language", LANGUAGES[1:])
def test_every_locale_has_every_key_with_the_same_placeholders(language: str) -> None:
    reference = dict(leaves(locale(LANGUAGES[0])))
    other = dict(leaves(locale(language)))
    assert sorted(other) == sorted(reference), set(other) ^ set(reference)
    for key, value in reference.items():
        assert placeholders(other[key]) == placeholders(value), key
        assert type(other[key]) is type(value), key
        if isinstance(value, list):
            assert len(other[key]) == len(value), key


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_text_is_empty(language: str) -> None:
    for key, value in leaves(locale(language)):
        items = value if isinstance(value, list) else [value]
        assert all(str(item).strip() for item in items), f"{language}: {key} is empty"


def test_texts_are_filled_in_and_an_unknown_language_gets_the_default() -> None:
    assert "Iași" in text("handoff.who", "it", centre="Iași", when="oggi")
    assert text("notice.waiting", "de") == text("notice.waiting", LANGUAGES[0])
    assert len(texts("weekday", "es")) == 7
    with pytest.raises(KeyError):
        text("no.such.key", "ro")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_has_its_content(language: str) -> None:
    assert list((ROOT / "nlu" / language).glob("*.yml")), f"no training data in nlu/{language}"
    for card in load().cards.values():
        assert language in card.title
        assert all(language in variant.text for variant in card.variants.values())
