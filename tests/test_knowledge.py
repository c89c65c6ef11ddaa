"""The knowledge is complete and consistent: every answer exists in Romanian, Italian and Spanish with the
same numbers and links, an official source and a check date; every asked answer can be asked (an intent
with training examples in each language and a rule); every response of the domain has all three variants."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

import pytest
import yaml

from knowledge.cards import ANY, LANGUAGES, Card, Knowledge, load
from knowledge.render import MAX_MORE_BUTTONS, MAX_SOURCES_SHOWN, card_text
from tests.conftest import ROOT

MAX_TEXT_CHARS = 650
MAX_URGENT_TEXT_CHARS = 900  # the cards that list every country's lines and the consular route
URGENT_CARDS = {"report_danger", "trafficking_help"}
MAX_TITLE_CHARS = 20
MIN_EXAMPLES = 25
LINK = re.compile(r"https?://[^\s,;)]+[^\s,;).]|[\w.+-]+@[\w-]+\.[\w.]+[^\s,;).]")
# A form or act named by letters and a number: EX-18, INL 31, A1, U1, E 401, HG 622/2022.
FORM = re.compile(r"\b[A-Z]{1,3}[- ]?\d{1,4}(?:/\d{2,4})?\b")
# A whole number as written: a phone number with its spaces (+373 22 23 33 09), 24/7, 1+2, 250.000,
# a date 2026-11-30; then the unit after it, if any (euro, lei, %, days, hours...).
AMOUNT = re.compile(r"(€\s?)?(\+?\d+(?:[ .,/:+-]\d+)*)(?:\s?(?:de\s)?([^\W\d_]+|%|€))?")
UNITS = {
    "EUR": ("€", "euro", "eur"),
    "lei": ("lei", "leu", "ron"),
    "MDL": ("mdl",),
    "%": ("%",),
    "hour": ("h", "ore", "oră", "ora", "hora", "horas", "ore/zi"),
    "day": ("zi", "zile", "giorno", "giorni", "día", "días", "dia", "dias"),
    "week": ("săptămână", "săptămâni", "settimana", "settimane", "semana", "semanas"),
    "month": ("lună", "luni", "mese", "mesi", "mensilità", "mes", "meses", "mensualidades"),
    "year": ("an", "ani", "anul", "anno", "anni", "año", "años"),
}
UNIT_OF = {word: unit for unit, words in UNITS.items() for word in words}


KNOWLEDGE: Knowledge = load()
CARDS: list[Card] = list(KNOWLEDGE.cards.values())


def facts(text: str) -> Counter[str]:
    """Every fact a text states as a whole token: links and e-mail addresses, forms and acts, and numbers
    as written (a phone number is one token) with their unit. A single changed digit changes a token."""
    found: Counter[str] = Counter(LINK.findall(text))
    rest = LINK.sub(" ", text)
    found.update(f"form:{re.sub(r'[- ]', '', f)}" for f in FORM.findall(rest))
    for euro, number, word in AMOUNT.findall(FORM.sub(" ", rest)):
        unit = "EUR" if euro else UNIT_OF.get((word or "").lower(), "")
        found[f"{number}{' ' + unit if unit else ''}"] += 1
    return found


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
    """Every topic's menu lists questions, and the intents answered with a card are exactly the asked cards
    (an intent sent to action_answer without a card would get the menu instead of an answer)."""
    topics = {"rights", "mobility", "trafficking", "return"}
    assert {c.topic for c in CARDS} == topics
    rules = rule_actions()
    for topic in topics:
        assert rules.get(f"topic_{topic}") == ["action_topic_menu"], f"{topic}: no menu intent"
        assert [c for c in KNOWLEDGE.by_topic(topic) if c.asked], f"{topic}: no question in its menu"
    card_actions = {"action_answer", "action_safety_alert"}  # they answer an intent with the card of that name
    answered_with_a_card = {intent for intent, actions in rules.items() if card_actions & set(actions)}
    assert answered_with_a_card == {c.id for c in CARDS if c.asked}
    assert answered_with_a_card <= set(domain()["intents"])


@pytest.mark.parametrize(("card_id", "key", "texts"), list(variants()), ids=lambda v: str(v)[:40])
def test_every_variant_says_the_same_numbers_and_links_in_every_language(
    card_id: str, key: str, texts: dict[str, str]
) -> None:
    stated = {lang: facts(texts[lang]) for lang in LANGUAGES}
    for lang in LANGUAGES[1:]:
        assert stated[lang] == stated["ro"], (
            f"{card_id}/{key}: ro vs {lang}: only in ro {sorted((stated['ro'] - stated[lang]).elements())}, "
            f"only in {lang} {sorted((stated[lang] - stated['ro']).elements())}"
        )
    limit = MAX_URGENT_TEXT_CHARS if card_id in URGENT_CARDS else MAX_TEXT_CHARS
    for lang, text in texts.items():
        assert len(text) <= limit, f"{card_id}/{key}/{lang}: {len(text)} characters"


@pytest.mark.parametrize(
    ("original", "changed"),
    [
        ("Linia: 800 290 290, gratuit.", "Linia: 800 290 800, gratuit."),
        ("Din străinătate: +373 22 23 33 09.", "Din străinătate: +373 22 23 33 08."),
        ("Scrie la trata@policia.es", "Scrie la trata@policia.com"),
        ("Până la 250.000 lei.", "Până la 250.000 MDL."),
        ("În 30 de zile.", "În 30 de luni."),
        ("Formularul EX-18.", "Formularul EX-19."),
        ("Vezi https://www.inps.it/prestazioni", "Vezi https://www.inps.it/prestazione"),
        ("Sună la 112 sau 0800 800 678.", "Sună la 112 sau 0800 800 687."),
    ],
)
def test_the_parity_check_sees_one_changed_fact(original: str, changed: str) -> None:
    assert facts(original) != facts(changed)


def test_the_parity_check_reads_the_same_fact_in_every_language() -> None:
    assert facts("Până la 40.000 € în 30 de zile, 24/7: 0 800 77777.") == facts(
        "Fino a 40.000 euro in 30 giorni, 24/7: 0 800 77777."
    )


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
        if all("custom" in v and "text" not in v for v in variants_):
            continue  # a signal to the gateway (bot/domain/subscription.yml), never shown: the gateway's texts are
            # in core/locales/
        by_language: dict[str, str] = {}
        for variant in variants_:
            conditions = variant.get("condition") or []
            language = next((c["value"] for c in conditions if c["name"] == "language"), "ro")
            by_language[language] = variant["text"]
        assert set(by_language) == set(LANGUAGES), f"{name}: languages {sorted(by_language)}"
        stated = {lang: facts(text) for lang, text in by_language.items()}
        assert stated["it"] == stated["ro"] == stated["es"], f"{name}: numbers or links differ"


def test_a_message_shows_the_first_sources_and_counts_the_others() -> None:
    many = max(CARDS, key=lambda c: len(c.variant(None).sources))
    sources = many.variant(None).sources
    assert len(sources) > MAX_SOURCES_SHOWN
    for lang in LANGUAGES:
        shown = card_text(many, lang, None)
        assert all(s in shown for s in sources[:MAX_SOURCES_SHOWN])
        assert not any(s in shown for s in sources[MAX_SOURCES_SHOWN:])
        assert str(len(sources) - MAX_SOURCES_SHOWN) in shown.split("\n")[-2]
