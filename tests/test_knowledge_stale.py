"""The list of cards due for re-checking: a card is stale once its check date is older than the limit."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

from knowledge.cards import load
from knowledge.stale import report, stale
from tests.conftest import ROOT

CARDS = load()


def test_a_card_is_stale_once_older_than_the_limit() -> None:
    newest = max(c.checked for c in CARDS.cards.values())
    oldest = min(c.checked for c in CARDS.cards.values())
    due = stale(CARDS, 10, today=newest + dt.timedelta(days=11))
    assert {c.id for c, _ in due} >= {c.id for c in CARDS.cards.values() if c.checked == newest}
    assert [age for _, age in due] == sorted((age for _, age in due), reverse=True)
    assert stale(CARDS, 10, today=oldest + dt.timedelta(days=10)) == []


def test_the_report_names_each_stale_card_with_its_sources() -> None:
    card = next(iter(CARDS.cards.values()))
    text = report(CARDS, 0, today=max(c.checked for c in CARDS.cards.values()) + dt.timedelta(days=1))
    assert f"{card.id}: checked {card.checked.isoformat()}" in text
    assert card.variant(None).sources[0] in text


def test_make_knowledge_lists_the_stale_cards() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "knowledge", "stale", "--days", "0"],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    due = stale(CARDS, 0)
    assert out.stdout.splitlines()[0].startswith(f"{len(due)} of {len(CARDS.cards)} cards" if due else "All ")
    assert all(f"  {card.id}: checked" in out.stdout for card, _ in due)
