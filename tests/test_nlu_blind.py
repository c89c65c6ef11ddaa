"""The honest measure of understanding: two blind sets (tests/nlu_blind/, written apart from the training data
and never trained on) sent through the real stack as first messages, one person each.

- The first set (tests/nlu_blind/{ro,it,es}.yml, 787 messages) was measured once before the training data was
  changed (docs/nlu-report.md keeps that first figure); its wrong answers were then read to find the classes
  of failure, so it is no longer blind and its figure flatters.
- The second set (tests/nlu_blind/second/, 749 messages) was written later by someone who saw neither the
  training data nor the first set, and is measured as it is: nobody improving the assistant reads it.

A message counts as RIGHT when the first answer is the expected one, in the message's language, without a
needless question: the expected card (or the country question when the card depends on the country and the
message did not say it), the expected response, the centre answer, the answer to another language; a danger
message in another language gets the safety answer opened in that language; a message whose language cannot
be told ("ciao", "menu") gets the offer of the three languages; a question about trafficking signs or help that
describes them happening gets the card or the safety answer. A clarifying question ("did you mean...?") is
counted apart from a WRONG answer (another card or response given with confidence): asking is safe, a wrong
card is not. The figures are printed at the end of the run and written to docs/nlu-report.md by
`make nlu-report`; this test fails if a language falls below its floor (the last measured share minus a
margin), so understanding cannot quietly get worse.

`test_no_training_example_is_a_blind_message` refuses training data identical or nearly identical to a blind
message (sentences of four words or more with the same words after folding, or 85% of the same words).
"""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

import pytest
import yaml

from core.languages import LANGUAGES, fold, other_languages
from core.locales import text
from knowledge.cards import COUNTRIES, knowledge
from knowledge.render import country_question, render
from messaging.language import foreign_language, undecided
from messaging.notices import foreign_notice, languages_offer
from safety.triage import assess
from tests.conftest import ROOT, Stack, post
from tests.figures import REPORT

BLIND = ROOT / "tests" / "nlu_blind"
SETS = {"first": BLIND, "second": BLIND / "second"}
# The share right per set and language must not fall below these: the last measured share (2026-12-01,
# stop 24: first set 95.8%, 95.8%, 95.8%; second set 91.1%, 90.3%, 93.1%) minus about 3 points. The goal is
# 90% on the second.
FLOOR = {
    "first": {"ro": 0.92, "it": 0.92, "es": 0.93},
    "second": {"ro": 0.88, "it": 0.87, "es": 0.89},
}
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
# Asking whether something is trafficking, or where to turn, while describing its signs happening to the writer
# or someone close ("they don't let her go out alone, is this trafficking?", "I escaped, who do I turn to?"):
# the safety answer (the hotline, a counsellor alerted) is right too: docs/safety-triage.md.
SAFETY_ANSWERS_TOO = {"trafficking_signs", "trafficking_help"}
RESPONSES = {
    "greet": "utter_greet",
    "goodbye": "utter_goodbye",
    "thank": "utter_thank",
    "menu": "utter_menu",
    "out_of_scope": "utter_out_of_scope",
    "delete_my_data": "utter_confirm_delete",
    "handoff": "utter_human_requested",
}


def blind(language: str, which: str = "first") -> list[dict[str, Any]]:
    return yaml.safe_load((SETS[which] / f"{language}.yml").read_text(encoding="utf-8"))["messages"]


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
    if expect == "foreign" or (undecided(None, item["text"]) and not foreign_language(item["text"])):
        return language_answer(item["text"], first)
    if expect in RESPONSES:
        return first == responses[RESPONSES[expect]][language]["text"]
    if expect == "set_country":
        return first.startswith(_prefix("country.noted", language))
    if expect == "centre_info":
        openings = (_prefix("centre.one", language), _prefix("centre.nearest", language))
        return text("centre.about", language) in first or first.startswith(openings)
    if expect not in knowledge():
        return False
    safety = expect in SAFETY_ANSWERS_TOO and first[:120] in card_texts("report_danger", language)
    asks_needed_country = knowledge()[expect].by_country and not item.get("country")
    asked = first == country_question(language)["text"]
    return safety or first[:120] in card_texts(expect, language) or (bool(asks_needed_country) and asked)


def language_answer(message: str, first: str) -> bool:
    """A message in a language we do not speak gets the short answer in it (danger first: the safety answer,
    opened in that language); one too short to tell gets the offer of the three languages."""
    code = foreign_language(message)
    if not code:
        return first == languages_offer().text
    if assess(message).urgent:
        return first.startswith(other_languages()[code]["danger"])
    return first == foreign_notice(code).text


def verdict(item: dict[str, Any], language: str, answer: list[str], responses: dict) -> str:
    """right; clarify (a clarifying question in the answer, e.g. after "noted: Spain": safe); or wrong
    (anything else given with confidence). `answer`: the texts of the first answer, in order."""
    first = answer[0] if answer else ""
    if expected_answer(item, language, first, responses):
        return "right"
    return "clarify" if text("clarify.ask", language) in answer else "wrong"


def measure(stack: Stack, responses: dict, language: str, which: str) -> tuple[Counter[str], Counter[str]]:
    """The verdicts, and the expected labels of the wrong answers. The first set's wrong answers are written,
    with the answer given, to results/nlu_blind/{language}.yml for whoever improves the understanding; the
    second set's are not written anywhere (it stays blind)."""
    counts: Counter[str] = Counter()
    missed: Counter[str] = Counter()
    wrong: list[dict[str, str]] = []
    for item in blind(language, which):
        body = post(stack, f"blind-{uuid.uuid4().hex[:10]}", item["text"]).json()
        answer = [str(m.get("text") or "") for m in body.get("messages") or []]
        first = answer[0] if answer else ""
        found = verdict(item, language, answer, responses)
        counts[found] += 1
        if found == "wrong":
            missed[item["expect"]] += 1
            wrong.append({"text": item["text"], "expect": item["expect"], "answered": first[:160]})
    if which == "first":
        out = ROOT / "results" / "nlu_blind"
        out.mkdir(parents=True, exist_ok=True)
        dump = yaml.safe_dump(wrong, allow_unicode=True, width=110)
        (out / f"{language}.yml").write_text(dump, encoding="utf-8")
    return counts, missed


@pytest.mark.parametrize("which", SETS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_blind_set_is_understood(stack: Stack, responses: dict, language: str, which: str) -> None:
    counts, missed = measure(stack, responses, language, which)
    total = sum(counts.values())
    share = counts["right"] / total
    worst = ", ".join(f"{label} {n}" for label, n in missed.most_common(8)) if which == "first" else "not shown"
    REPORT.append(
        f"blind set {which} [{language}]: right {counts['right']}/{total} ({share:.1%}), "
        f"clarifying questions {counts['clarify']}, wrong answers {counts['wrong']} (most: {worst})"
    )
    assert share >= FLOOR[which][language], counts


def training_texts() -> list[str]:
    found = []
    for path in sorted((ROOT / "nlu").glob("*/*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            found += [line.strip()[2:] for line in (block.get("examples") or "").splitlines() if line.strip()]
    return found


def test_no_training_example_is_a_blind_message() -> None:
    held_out = [set(fold(m["text"]).split()) for which in SETS for lang in LANGUAGES for m in blind(lang, which)]
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
