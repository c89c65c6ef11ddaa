"""Every place name the helpdesk knows, and the names of one country's offices and forms, as folded words:
what must not decide a message's language.

"¿Cuál es el horario del centro de Chișinău?" is Spanish: the ș and ă of the place name say nothing about the
language of the sentence, nor do "Castellón", "Torino" or "Iași" typed without diacritics. The names come from
the data files: the destination countries' cities and regions (knowledge/data/countries.yml, `places`), the
counties, raions and towns of North-East Romania and Moldova (knowledge/data/centroids_approx.csv and
knowledge/data/towns.yml) and the centres (knowledge/data/centres.yml). Country names are not here: "Spania",
"Spagna" and "España" are words of their language.

The names of one country's system (countries.yml `hints`: "busta paga", "fondo di garanzia", "certificado de
registro") are borrowed as they are into Romanian ("ce e fondo di garanzia inps si cum fac cererea"): they are
taken out with the places, so the words around them decide.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from core.languages import fold

DATA = Path(__file__).parent / "data"


@cache
def _countries() -> dict[str, Any]:
    """knowledge/data/countries.yml, read once for the places and the system terms."""
    return yaml.safe_load((DATA / "countries.yml").read_text(encoding="utf-8"))


def _names() -> set[str]:
    found: set[str] = set()
    for names in _countries()["places"].values():
        found.update(names)
    with (DATA / "centroids_approx.csv").open(encoding="utf-8") as f:
        found.update(row["name"] for row in csv.DictReader(f))
    towns = DATA / "towns.yml"
    if towns.exists():
        data = yaml.safe_load(towns.read_text(encoding="utf-8")) or {}
        for key in ("towns", "communes"):
            for unit_names in data.get(key, {}).values():
                found.update(unit_names)
    centres = yaml.safe_load((DATA / "centres.yml").read_text(encoding="utf-8"))
    found.update(c["name"] for c in centres["centres"])
    return found


@cache
def place_names() -> frozenset[tuple[str, ...]]:
    """Each known place name as a tuple of folded words ("piatra", "neamt"), "mun." and hyphens dropped."""
    spelled = set()
    for name in _names():
        base = name.replace("mun. ", "").replace("-", " ")
        for variant in (base, base.replace("î", "â"), base.replace("â", "î")):
            words = tuple(fold(variant).split())
            if words:
                spelled.add(words)
    return frozenset(spelled)


@cache
def system_terms() -> frozenset[tuple[str, ...]]:
    """Each name of one country's offices, forms and pay slips (countries.yml `hints`), as folded words."""
    return frozenset(tuple(fold(str(term)).split()) for terms in _countries()["hints"].values() for term in terms)


@cache
def _neutral() -> frozenset[tuple[str, ...]]:
    return place_names() | system_terms()


@cache
def _longest() -> int:
    return max(len(n) for n in _neutral())


def without_places(words: list[str]) -> list[str]:
    """The folded `words` of a message with every place name and system term taken out (the longest first)."""
    names, longest = _neutral(), _longest()
    kept: list[str] = []
    i = 0
    while i < len(words):
        for n in range(min(longest, len(words) - i), 0, -1):
            if tuple(words[i : i + n]) in names:
                i += n
                break
        else:
            kept.append(words[i])
            i += 1
    return kept
