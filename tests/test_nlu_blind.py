"""The honest measure of understanding: the blind set (tests/nlu_blind/, written apart from the training data
and never trained on) sent through the real stack as first messages, one person each.

A message counts as RIGHT when the first answer is the expected one, in the message's language, without a
needless question: the expected card (or the country question when the card depends on the country and the
message did not say it), the expected response, the centre answer, the answer to another language. A
clarifying question ("did you mean...?") is counted apart from a WRONG answer (another card or response
given with confidence): asking is safe, a wrong card is not. The figures are printed at the end of the run
and written to docs/nlu-report.md by `make nlu-report`; this test fails if a language falls below its floor
(the last measured share minus a margin), so understanding cannot quietly get worse.

`test_no_training_example_is_a_blind_message` refuses training data identical or nearly identical to a blind
message (sentences of four words or more with the same words after folding, or 85% of the same words).
"""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

import pytest
import yaml

from core.languages import LANGUAGES, fold
from core.locales import text
from knowledge.cards import COUNTRIES, knowledge
from knowledge.render import country_question, render
from messaging.language import foreign_language
from messaging.notices import foreign_notice
from tests.conftest import ROOT, Stack, post
from tests.figures import REPORT

BLIND = ROOT / "tests" / "nlu_blind"
# The share right per language must not fall below these: measured 2026-11-30 (77.2%, 74.4%, 74.4%)
# minus a margin for Rasa's training randomness. The goal is 0.90 (issue 10, not met yet).
FLOOR = {"ro": 0.72, "it": 0.70, "es": 0.70}
NEAR_DUPLICATE = 0.85
MIN_WORDS = 4  # "hola" or "buenos dias" in both sets is no copy: only sentences are compared
NEW_TOPICS = {
    "new:working_time": "rights_working_time",
    "new:pensions": "rights_pensions",
    "new:family_benefits": "rights_family_benefits",
    "new:taxes": "rights_taxes",
    "new:documents_abroad": "mobility_documents_abroad",
    "new:driving_licence": "rights_driving_licence",
    "new:housing": "rights_housing",
    "new:seasonal_work": "mobility_seasonal_work",
    "new:recruitment_fees": "mobility_recruitment_fees",
    "new:return_no_money": "return_no_money",
    "new:centre_info": "centre_info",
}
RESPONSES = {
    "greet": "utter_greet",
    "goodbye": "utter_goodbye",
    "thank": "utter_thank",
    "menu": "utter_menu",
    "out_of_scope": "utter_out_of_scope",
    "delete_my_data": "utter_confirm_delete",
    "handoff": "utter_human_requested",
}


def blind(language: str) -> list[dict[str, Any]]:
    return yaml.safe_load((BLIND / f"{language}.yml").read_text(encoding="utf-8"))["messages"]


def card_texts(card_id: str, language: str) -> set[str]:
    """The opening of every variant of a card, as it is sent."""
    cards = knowledge()
    return {str(render(cards, cards[card_id], language, country)["text"])[:120] for country in (None, *COUNTRIES)}


def _prefix(key: str, language: str) -> str:
    """A locale text up to its first placeholder (what every instance of it starts with)."""
    return text(key, language).split("{")[0]


def expected_answer(item: dict[str, Any], language: str, first: str, responses: dict) -> bool:
    """Whether the first answer is the one the label expects, in the message's language, asked nothing
    needless."""
    expect = NEW_TOPICS.get(item["expect"], item["expect"])
    if expect == "foreign":
        code = foreign_language(item["text"])
        return bool(code) and first == foreign_notice(code or "en").text
    if expect in RESPONSES:
        return first == responses[RESPONSES[expect]][language]["text"]
    if expect == "set_country":
        return first.startswith(_prefix("country.noted", language))
    if expect == "centre_info":
        openings = (_prefix("centre.one", language), _prefix("centre.nearest", language))
        return text("centre.about", language) in first or first.startswith(openings)
    if expect not in knowledge():
        return False
    asks_needed_country = knowledge()[expect].by_country and not item.get("country")
    asked = first == country_question(language)["text"]
    return first[:120] in card_texts(expect, language) or (bool(asks_needed_country) and asked)


def verdict(item: dict[str, Any], language: str, first: str, responses: dict) -> str:
    """right; clarify (a clarifying question: safe); or wrong (anything else given with confidence)."""
    if expected_answer(item, language, first, responses):
        return "right"
    return "clarify" if first == text("clarify.ask", language) else "wrong"


def measure(stack: Stack, responses: dict, language: str) -> tuple[Counter[str], Counter[str]]:
    """The verdicts, and the expected labels of the wrong answers (each written, with the answer given, to
    results/nlu_blind/{language}.yml for whoever improves the understanding)."""
    counts: Counter[str] = Counter()
    missed: Counter[str] = Counter()
    wrong: list[dict[str, str]] = []
    for item in blind(language):
        body = post(stack, f"blind-{uuid.uuid4().hex[:10]}", item["text"]).json()
        first = (body.get("messages") or [{"text": ""}])[0]["text"]
        found = verdict(item, language, first, responses)
        counts[found] += 1
        if found == "wrong":
            missed[item["expect"]] += 1
            wrong.append({"text": item["text"], "expect": item["expect"], "answered": first[:160]})
    out = ROOT / "results" / "nlu_blind"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{language}.yml").write_text(yaml.safe_dump(wrong, allow_unicode=True, width=110), encoding="utf-8")
    return counts, missed


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_blind_set_is_understood(stack: Stack, responses: dict, language: str) -> None:
    counts, missed = measure(stack, responses, language)
    total = sum(counts.values())
    share = counts["right"] / total
    worst = ", ".join(f"{label} {n}" for label, n in missed.most_common(8))
    REPORT.append(
        f"blind set [{language}]: right {counts['right']}/{total} ({share:.1%}), "
        f"clarifying questions {counts['clarify']}, wrong answers {counts['wrong']} (most: {worst})"
    )
    assert share >= FLOOR[language], counts


def training_texts() -> list[str]:
    found = []
    for path in sorted((ROOT / "nlu").glob("*/*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            found += [line.strip()[2:] for line in (block.get("examples") or "").splitlines() if line.strip()]
    return found


def test_no_training_example_is_a_blind_message() -> None:
    held_out = [set(fold(m["text"]).split()) for lang in LANGUAGES for m in blind(lang)]
    held_out = [words if len(words) >= MIN_WORDS else set() for words in held_out]
    index: dict[str, list[int]] = {}
    for i, words in enumerate(held_out):
        for word in words:
            index.setdefault(word, []).append(i)
    leaks = []
    for example in training_texts():
        words = set(fold(example).split())
        if len(words) < MIN_WORDS:
            continue
        candidates = {i for word in words for i in index.get(word, [])}
        leaks += [example for i in candidates if near_duplicate(words, held_out[i])]
    assert leaks == [], f"training examples that copy the blind set: {leaks[:10]}"


def near_duplicate(words: set[str], other: set[str]) -> bool:
    """Two sentences (their folded word sets) share at least NEAR_DUPLICATE of their words."""
    return bool(words and other) and len(words & other) / len(words | other) >= NEAR_DUPLICATE


def test_the_leak_check_sees_a_copied_message_and_not_a_different_one() -> None:
    message = next(m["text"] for m in blind("ro") if len(set(fold(m["text"]).split())) >= 15)
    words = set(fold(message).split())
    one_word_changed = set(fold(message).split()[1:]) | {"altceva"}
    assert near_duplicate(words, set(fold(message.upper()).split()))  # the same words, other spelling
    assert near_duplicate(words, one_word_changed)
    assert not near_duplicate(words, set(fold("cum imi cer banii de la patron daca nu am contract").split()))
