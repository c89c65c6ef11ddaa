"""The review page: every answer card side by side in Romanian, Italian and Spanish, with its country
variants, official sources, the date it was checked and the reviewers' notes.

`python -m knowledge page [--out results/knowledge.html]` (or `make knowledge`) writes it as one
self-contained HTML file that counsellors can open in any browser and print. The page's own words (headings,
labels) are Romanian unless the caller gives others: the inbox's `/inbox/knowledge` passes those of the
account's language (the `knowledge` texts of inbox/locales/); the answers themselves are always in all three.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
from pathlib import Path
from typing import Any

from core.languages import LANGUAGES
from knowledge.cards import ANY, Card, Knowledge, load
from knowledge.render import country_name
from knowledge.stale import DEFAULT_MAX_AGE_DAYS, report

TOPICS = ("rights", "mobility", "trafficking", "return")
# The page's words in Romanian (the default); the inbox gives those of the account's language, the same keys.
WORDS: dict[str, Any] = {
    "lang": "ro",
    "title": "Răspunsurile asistentului",
    "heading": "Răspunsurile asistentului, în cele trei limbi",
    "meta": "{count} carduri, generat la {date} din knowledge/content/*.yml",
    "sources": "surse · vezi și",
    "all_countries": "toate țările",
    "checked": "verificat la {date}",
    "by_country": "depinde de țară",
    "counsellor": "consilier",
    "only_more": "doar prin «mai mult»",
    "topics": {
        "rights": "Drepturi la muncă",
        "mobility": "Muncă legală în străinătate",
        "trafficking": "Trafic și exploatare",
        "return": "Întoarcere acasă",
    },
    "languages": {"ro": "română", "it": "italiană", "es": "spaniolă"},
    "countries": {},
}
STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1400px;padding:1rem;color:#1b1b1b}
h1{font-size:1.5rem}h2{margin-top:2.5rem;border-bottom:2px solid #444}h3{margin:1.5rem 0 .3rem}
.meta{color:#555;font-size:.9rem}.note{background:#fff6d6;padding:.4rem .6rem;border-radius:4px}
table{border-collapse:collapse;width:100%;table-layout:fixed;margin:.4rem 0 1rem}
th,td{border:1px solid #ccc;padding:.5rem;vertical-align:top;white-space:pre-wrap}
th{background:#f0f0f0;text-align:left}td.k{width:9rem;white-space:normal;background:#fafafa}
nav a{margin-right:1rem}@media print{nav{display:none}}
"""


def _e(text: object) -> str:
    return html.escape(str(text))


def _variant_name(key: str, words: dict[str, Any]) -> str:
    if key == ANY:
        return str(words["all_countries"])
    return str(words.get("countries", {}).get(key) or country_name(key, "ro"))


def _card(card: Card, cards: Knowledge, words: dict[str, Any]) -> str:
    rows = []
    for key, variant in card.variants.items():
        texts = "".join(f"<td>{_e(variant.text[lang])}</td>" for lang in LANGUAGES)
        sources = " ".join(f'<a href="{_e(s)}">{_e(s)}</a>' for s in variant.sources)
        more = ", ".join(_e(cards[m].title["ro"]) for m in variant.more) or "–"
        rows.append(
            f'<tr><td class="k">{_e(_variant_name(key, words))}</td>{texts}</tr>'
            f'<tr><td class="k">{_e(words["sources"])}</td><td colspan="3">{sources} · {more}</td></tr>'
        )
    flags = [
        words["by_country"] if card.by_country else "",
        words["counsellor"] if card.counsellor else "",
        words["only_more"] if not card.asked else "",
    ]
    note = f'<p class="note">{_e(card.note)}</p>' if card.note else ""
    heads = "".join(
        f'<th lang="{lang}">{_e(words["languages"].get(lang, lang))}: {_e(card.title[lang])}</th>'
        for lang in LANGUAGES
    )
    checked = words["checked"].format(date=card.checked.isoformat())
    return (
        f'<h3 id="{_e(card.id)}">{_e(card.title["ro"])} <small>({_e(card.id)})</small></h3>'
        f'<p class="meta">{_e(checked)} {_e(" · ".join(f for f in flags if f))}</p>{note}'
        f'<table><tr><th class="k"></th>{heads}</tr>{"".join(rows)}</table>'
    )


def _section(topic: str, cards: Knowledge, words: dict[str, Any]) -> str:
    cards_html = "".join(_card(c, cards, words) for c in cards.by_topic(topic))
    return f'<h2 id="t-{_e(topic)}">{_e(words["topics"].get(topic, topic))}</h2>{cards_html}'


def page(cards: Knowledge, words: dict[str, Any] | None = None) -> str:
    """The whole review page as HTML, its own words from `words` (Romanian when not given)."""
    words = {**WORDS, **(words or {})}
    present = {c.topic for c in cards.cards.values()}
    topics = [t for t in TOPICS if t in present] + sorted(present - set(TOPICS))
    nav = "".join(f'<a href="#t-{_e(t)}">{_e(words["topics"].get(t, t))}</a>' for t in topics)
    sections = "".join(_section(t, cards, words) for t in topics)
    today = dt.date.today().isoformat()
    meta = words["meta"].format(count=len(cards.cards), date=today)
    return (
        f'<!doctype html><html lang="{_e(words["lang"])}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{_e(words['title'])}</title><style>{STYLE}</style></head><body>"
        f"<h1>{_e(words['heading'])}</h1>"
        f'<p class="meta">{_e(meta)}</p>'
        f"<nav>{nav}</nav>{sections}</body></html>"
    )


def main() -> None:
    """Write the review page (`page`), or list the cards due for re-checking (`stale`)."""
    parser = argparse.ArgumentParser(prog="python -m knowledge")
    parser.add_argument("command", choices=["page", "stale"])
    parser.add_argument("--out", type=Path, default=Path("results/knowledge.html"))
    parser.add_argument("--days", type=int, default=DEFAULT_MAX_AGE_DAYS, help="age that makes a card stale")
    args = parser.parse_args()
    cards = load()
    if args.command == "stale":
        print(report(cards, args.days))
        return
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(page(cards), encoding="utf-8")
    print(f"{args.out}: {len(cards.cards)} answer cards in {len(LANGUAGES)} languages")
