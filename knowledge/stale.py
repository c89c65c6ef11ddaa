"""Which cards are due for re-checking: those whose `checked` date is older than a number of days.

`python -m knowledge stale --days 180` (also printed by `make knowledge`) lists them, oldest first, with
their sources, so the NGO knows which facts to verify again against the pages the cards cite. The exit
code is 0 either way: a list to act on, not a failure.
"""

from __future__ import annotations

import datetime as dt

from knowledge.cards import Card, Knowledge

DEFAULT_MAX_AGE_DAYS = 180


def stale(cards: Knowledge, max_age_days: int, today: dt.date | None = None) -> list[tuple[Card, int]]:
    """The cards checked more than `max_age_days` days before `today`, oldest first, with their age."""
    today = today or dt.date.today()
    aged = [(card, (today - card.checked).days) for card in cards.cards.values()]
    return sorted(((c, age) for c, age in aged if age > max_age_days), key=lambda pair: -pair[1])


def report(cards: Knowledge, max_age_days: int, today: dt.date | None = None) -> str:
    """The stale list as text: one line per card and the sources to re-read."""
    due = stale(cards, max_age_days, today)
    if not due:
        return f"All {len(cards.cards)} cards were checked in the last {max_age_days} days."
    lines = [f"{len(due)} of {len(cards.cards)} cards were last checked more than {max_age_days} days ago:"]
    for card, age in due:
        sources = sorted({s for v in card.variants.values() for s in v.sources})
        lines.append(f"  {card.id}: checked {card.checked.isoformat()} ({age} days); re-read {' '.join(sources)}")
    return "\n".join(lines)
