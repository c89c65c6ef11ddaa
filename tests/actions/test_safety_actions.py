"""action_safety_alert: the hotline card first, for where the user is (the stored country, else where the
message says they are now, else every country's lines), then an urgent handoff signal. A country named as
origin in a danger message never stands for where the user is, and nothing is stored."""

from __future__ import annotations

import pytest
from action_testing import card, run, tracker

from actions.safety import SAFETY_CARD, ActionSafetyAlert

URGENT = {"signal": {"handoff": "safety", "urgent": True, "topic": SAFETY_CARD}}


def test_the_hotline_differs_by_country() -> None:
    assert len({card(SAFETY_CARD, "ro", c)["text"] for c in ("it", "es", "md", None)}) == 4


@pytest.mark.parametrize(
    ("language", "message", "stored", "hotline_of"),
    [
        ("ro", "sunt din Moldova si patronul mi-a luat pasaportul", "it", "it"),
        ("ro", "sunt in Spania, patronul ne tine inchisi", None, "es"),
        ("it", "il capo mi ha tolto il passaporto, sono in Spagna", None, "es"),
        ("es", "lucrez in Spania dar sunt din Moldova si ma ameninta", "it", "it"),
        ("ro", "sunt din Moldova, m-au inchis", None, None),
        ("es", "nos tienen encerrados en la finca", None, None),
    ],
    ids=[
        "stored over origin",
        "where they are",
        "where they are, Italian",
        "stored over the message",
        "origin only",
        "none",
    ],
)
async def test_the_hotline_is_for_where_the_user_is(
    language: str, message: str, stored: str | None, hotline_of: str | None
) -> None:
    shown, events = await run(
        ActionSafetyAlert(), tracker(message, "report_danger", slots={"language": language, "country": stored})
    )
    assert shown == [card(SAFETY_CARD, language, hotline_of), URGENT]
    assert events == []
