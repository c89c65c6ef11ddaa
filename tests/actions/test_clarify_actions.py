"""action_clarify: asks which question the user means, with buttons for the likeliest questions and a person;
after a second sentence in a row that it did not understand, hands over to a counsellor."""

from __future__ import annotations

import pytest
from action_testing import run, tracker, user_event

from actions.clarify import MAX_CHOICES, ActionClarify
from core.locales import text
from knowledge.cards import knowledge

RANKING = ["nlu_fallback", "rights_registration", "topic_rights", "rights_unemployment_u2", "trafficking_help"]
HANDOFF = {"signal": {"handoff": "not_understood", "urgent": False, "topic": None}}


def asked(language: str) -> list[dict]:
    """The question with the likeliest asked cards and topics (a card reached only through "more" is not one)."""
    assert not knowledge()["rights_unemployment_u2"].asked
    buttons = [
        {"title": knowledge()["rights_registration"].title[language], "payload": "/rights_registration"},
        {"title": text("topic.title.rights", language), "payload": "/topic_rights"},
        {"title": knowledge()["trafficking_help"].title[language], "payload": "/trafficking_help"},
    ]
    assert len(buttons) == MAX_CHOICES
    human = {"title": text("button.human", language), "payload": "/request_human"}
    return [{"text": text("clarify.ask", language), "buttons": [*buttons, human]}]


@pytest.mark.parametrize("language", ["ro", "it", "es"])
async def test_a_first_miss_asks_with_the_likeliest_questions(language: str) -> None:
    missed = tracker("ceva despre hartiile mele", "nlu_fallback", slots={"language": language}, ranking=RANKING)
    assert await run(ActionClarify(), missed) == (asked(language), [])


async def test_a_second_miss_in_a_row_hands_over() -> None:
    again = tracker(
        "nu stiu cum sa spun altfel",
        "nlu_fallback",
        slots={"language": "it"},
        ranking=RANKING,
        before=[
            user_event("ceva despre hartiile mele", "nlu_fallback"),
            {"event": "action", "name": "action_clarify"},
        ],
    )
    assert await run(ActionClarify(), again) == (
        [{"text": text("clarify.handoff", "it"), "buttons": []}, HANDOFF],
        [],
    )


@pytest.mark.parametrize(
    ("before", "latest"),
    [
        ("ok", "ceva despre hartiile mele"),
        ("ceva despre hartiile mele", "??"),
        ("unde ma inregistrez la primarie", "ceva despre hartiile mele"),
    ],
    ids=["the first was not a sentence", "the second is not a sentence", "the first was understood"],
)
async def test_only_two_misunderstood_sentences_in_a_row_hand_over(before: str, latest: str) -> None:
    first_intent = "rights_registration" if before.startswith("unde") else "nlu_fallback"
    again = tracker(latest, "nlu_fallback", ranking=RANKING, before=[user_event(before, first_intent)])
    assert await run(ActionClarify(), again) == (asked("ro"), [])
