"""The review page: every answer card side by side in Romanian, Italian and Spanish, with its country
variants, official sources, the date it was checked and the reviewers' notes.

`python -m knowledge page [--out results/knowledge.html]` (or `make knowledge`) writes it as one
self-contained HTML file that counsellors can open in any browser and print.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
from pathlib import Path

from core.languages import LANGUAGES
from knowledge.cards import ANY, Card, Knowledge, load
from knowledge.render import country_name
from knowledge.stale import DEFAULT_MAX_AGE_DAYS, report

LANGUAGE_NAMES = {"ro": "Română", "it": "Italiano", "es": "Español"}
TOPIC_NAMES = {
    "rights": "Drepturi / Diritti / Derechos",
    "mobility": "Mobilitate legală / Mobilità legale / Movilidad legal",
    "trafficking": "Trafic și exploatare / Tratta e sfruttamento / Trata y explotación",
    "return": "Întoarcere / Ritorno / Retorno",
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


def _variant_name(key: str) -> str:
    return "toate / tutti / todos" if key == ANY else country_name(key, "ro")


def _card(card: Card, cards: Knowledge) -> str:
    rows = []
    for key, variant in card.variants.items():
        texts = "".join(f"<td>{_e(variant.text[lang])}</td>" for lang in LANGUAGES)
        sources = " ".join(f'<a href="{_e(s)}">{_e(s)}</a>' for s in variant.sources)
        more = ", ".join(_e(cards[m].title["ro"]) for m in variant.more) or "–"
        rows.append(
            f'<tr><td class="k">{_e(_variant_name(key))}</td>{texts}</tr>'
            f'<tr><td class="k">surse · more</td><td colspan="3">{sources} · {more}</td></tr>'
        )
    flags = [
        "depinde de țară" if card.by_country else "",
        "consilier" if card.counsellor else "",
        "doar prin «more»" if not card.asked else "",
    ]
    note = f'<p class="note">{_e(card.note)}</p>' if card.note else ""
    heads = "".join(f"<th>{LANGUAGE_NAMES[lang]}: {_e(card.title[lang])}</th>" for lang in LANGUAGES)
    return (
        f'<h3 id="{_e(card.id)}">{_e(card.title["ro"])} <small>({_e(card.id)})</small></h3>'
        f'<p class="meta">verificat {card.checked.isoformat()} {" · ".join(f for f in flags if f)}</p>{note}'
        f'<table><tr><th class="k"></th>{heads}</tr>{"".join(rows)}</table>'
    )


def _section(topic: str, cards: Knowledge) -> str:
    cards_html = "".join(_card(c, cards) for c in cards.by_topic(topic))
    return f'<h2 id="t-{_e(topic)}">{_e(TOPIC_NAMES.get(topic, topic))}</h2>{cards_html}'


def page(cards: Knowledge) -> str:
    """The whole review page as HTML."""
    present = {c.topic for c in cards.cards.values()}
    topics = [t for t in TOPIC_NAMES if t in present] + sorted(present - set(TOPIC_NAMES))
    nav = "".join(f'<a href="#t-{_e(t)}">{_e(TOPIC_NAMES.get(t, t))}</a>' for t in topics)
    sections = "".join(_section(t, cards) for t in topics)
    today = dt.date.today().isoformat()
    return (
        '<!doctype html><html lang="ro"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>Knowledge review</title><style>{STYLE}</style></head><body>"
        f"<h1>Răspunsurile asistentului · Le risposte dell'assistente · Las respuestas del asistente</h1>"
        f'<p class="meta">{len(cards.cards)} carduri, generat {today} din knowledge/content/*.yml</p>'
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
