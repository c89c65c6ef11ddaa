"""Deleting one's data: the assistant asks for confirmation first (a rule), and action_delete_my_data signals
the erasure to the gateway only right after that question; a "yes" anywhere else shows the menu."""

from __future__ import annotations

import pytest
import yaml
from action_testing import ROOT, action_event, run, tracker, user_event

from actions.privacy import QUESTION, ActionDeleteMyData

ASK = user_event("vreau sa-mi sterg datele", "delete_my_data")
ERASE = [{"signal": {"privacy": "erase"}}]
MENU = [{"response": "utter_menu"}]


def test_asking_to_delete_ones_data_is_answered_with_the_question_not_the_erasure() -> None:
    rules = yaml.safe_load((ROOT / "stories" / "rules.yml").read_text(encoding="utf-8"))["rules"]
    actions = {
        rule["steps"][0]["intent"]: [s["action"] for s in rule["steps"][1:]]
        for rule in rules
        if "intent" in rule["steps"][0]
    }
    assert actions["delete_my_data"] == [QUESTION]
    assert actions["confirm_delete"] == ["action_delete_my_data"]


@pytest.mark.parametrize(
    ("before", "after", "shown"),
    [
        ([ASK, action_event(QUESTION), action_event("action_listen")], [], ERASE),
        (
            [ASK, action_event(QUESTION), action_event("action_listen")],
            [action_event("action_set_language")],
            ERASE,
        ),
        ([], [], MENU),
        (
            [ASK, action_event(QUESTION), user_event("nu stiu", "nlu_fallback"), action_event("action_clarify")],
            [],
            MENU,
        ),
        ([user_event("salut", "greet"), action_event("utter_greet")], [], MENU),
    ],
    ids=[
        "right after the question",
        "after the language action",
        "never asked",
        "asked earlier",
        "another question",
    ],
)
async def test_the_erasure_is_signalled_only_right_after_the_question(
    before: list[dict], after: list[dict], shown: list[dict]
) -> None:
    yes = tracker("da", "confirm_delete", before=before, after=after)
    assert await run(ActionDeleteMyData(), yes) == (shown, [])
