"""The knowledge is complete and consistent: every answer exists in Romanian, Italian and Spanish with the
same numbers and links, an official source and a check date; every asked answer can be asked (an intent
with training examples in each language and a rule); every response of the domain has all three variants."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import yaml

from knowledge.cards import ANY, LANGUAGES, Card, Knowledge, load
from knowledge.render import MAX_MORE_BUTTONS, card_text
from tests.conftest import ROOT

MAX_TEXT_CHARS = 650
MAX_TITLE_CHARS = 20
MIN_EXAMPLES = 25
NUMBER = re.compile(r"\d+")
LINK = re.compile(r"https?://[^\s,;)]+[^\s,;).]|[\w.+-]+@[\w-]+\.[\w.]+[^\s,;).]")

KNOWLEDGE: Knowledge = load()
CARDS: list[Card] = list(KNOWLEDGE.cards.values())


def facts(text: str) -> tuple[set[str], set[str]]:
    """The numbers and the links/e-mails a text states."""
    links = set(LINK.findall(text))
    return set(NUMBER.findall(LINK.sub(" ", text))), links


def variants() -> Iterator[tuple[str, str, dict[str, str]]]:
    for card in CARDS:
        for key, variant in card.variants.items():
            yield card.id, key, variant.text


def nlu_examples() -> dict[str, dict[str, int]]:
    """Number of training examples per language and intent."""
    counts: dict[str, dict[str, int]] = {lang: {} for lang in LANGUAGES}
    for lang in LANGUAGES:
        for path in (ROOT / "nlu" / lang).glob("*.yml"):
            for item in yaml.safe_load(path.read_text()).get("nlu") or []:
                if "intent" in item:
                    lines = [x for x in item["examples"].splitlines() if x.strip().startswith("- ")]
                    counts[lang][item["intent"]] = counts[lang].get(item["intent"], 0) + len(lines)
    return counts


def domain() -> dict[str, object]:
    merged: dict[str, object] = {"intents": [], "responses": {}}
    for path in sorted((ROOT / "bot" / "domain").glob("*.yml")):
        data = yaml.safe_load(path.read_text()) or {}
        merged["intents"] += [i if isinstance(i, str) else next(iter(i)) for i in data.get("intents") or []]
        merged["responses"].update(data.get("responses") or {})
    return merged


def rule_actions() -> dict[str, list[str]]:
    """For each intent, the actions its rule runs."""
    found: dict[str, list[str]] = {}
    for path in (ROOT / "stories").glob("*.yml"):
        for rule in yaml.safe_load(path.read_text()).get("rules") or []:
            steps = rule["steps"]
            intents = [s["intent"] for s in steps[:1] if "intent" in s]
            intents += [o["intent"] for s in steps[:1] for o in s.get("or", [])]
            for intent in intents:
                found[intent] = [s["action"] for s in steps[1:] if "action" in s]
    return found


def test_there_is_knowledge_on_every_topic() -> None:
    assert {c.topic for c in CARDS} >= {"rights", "mobility", "trafficking", "return"}
    assert len(CARDS) >= 20


@pytest.mark.parametrize(("card_id", "key", "texts"), list(variants()), ids=lambda v: str(v)[:40])
def test_every_variant_says_the_same_numbers_and_links_in_every_language(
    card_id: str, key: str, texts: dict[str, str]
) -> None:
    stated = {lang: facts(texts[lang]) for lang in LANGUAGES}
    for lang in LANGUAGES[1:]:
        assert stated[lang][0] == stated["ro"][0], f"{card_id}/{key}: numbers differ ro vs {lang}"
        assert stated[lang][1] == stated["ro"][1], f"{card_id}/{key}: links differ ro vs {lang}"
    for lang, text in texts.items():
        assert len(text) <= MAX_TEXT_CHARS, f"{card_id}/{key}/{lang}: {len(text)} characters"


@pytest.mark.parametrize("card", CARDS, ids=lambda c: c.id)
def test_every_card_has_sources_a_date_a_short_title_and_real_links(card: Card) -> None:
    for key, variant in card.variants.items():
        assert variant.sources, f"{card.id}/{key}: no source"
        assert all(s.startswith("https://") for s in variant.sources), f"{card.id}/{key}: sources must be https"
        assert len(variant.more) <= MAX_MORE_BUTTONS
        for other in variant.more:
            assert other in KNOWLEDGE, f"{card.id}/{key}: more → unknown card {other}"
    assert all(0 < len(t) <= MAX_TITLE_CHARS for t in card.title.values()), card.title
    if card.by_country:
        assert ANY in card.variants, f"{card.id}: a card by country needs an `any` variant"
    for lang in LANGUAGES:
        assert card.checked.isoformat() in card_text(card, lang, None)


def test_every_asked_card_can_be_asked_in_every_language() -> None:
    counts = nlu_examples()
    intents = set(domain()["intents"])
    rules = rule_actions()
    for card in CARDS:
        if not card.asked:
            continue
        assert card.id in intents, f"{card.id}: not an intent of the domain"
        assert card.id in rules, f"{card.id}: no rule answers it"
        for lang in LANGUAGES:
            assert counts[lang].get(card.id, 0) >= MIN_EXAMPLES, f"{card.id}: too few {lang} examples"


def test_every_intent_has_enough_examples_in_every_language() -> None:
    counts = nlu_examples()
    for intent in domain()["intents"]:
        if intent == "nlu_fallback":
            continue
        for lang in LANGUAGES:
            assert counts[lang].get(intent, 0) >= MIN_EXAMPLES, (
                f"{intent}: {counts[lang].get(intent, 0)} in {lang}"
            )


def test_every_response_exists_in_every_language_with_the_same_numbers_and_links() -> None:
    for name, variants_ in domain()["responses"].items():
        by_language: dict[str, str] = {}
        for variant in variants_:
            conditions = variant.get("condition") or []
            language = next((c["value"] for c in conditions if c["name"] == "language"), "ro")
            by_language[language] = variant["text"]
        assert set(by_language) == set(LANGUAGES), f"{name}: languages {sorted(by_language)}"
        stated = {lang: facts(text) for lang, text in by_language.items()}
        assert stated["it"] == stated["ro"] == stated["es"], f"{name}: numbers or links differ"
