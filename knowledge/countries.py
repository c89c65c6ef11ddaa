"""Which countries a message names, and in what role: where the person is now ("lucrez la Torino in
Italia", "estoy en España"), where they come from ("sunt din Romania", "vengo dalla Moldavia", "soy de
Moldavia"), where they are going ("vreau sa plec in Germania", "volver a Rumanía"), or just the name
("spania"). Typed without diacritics, in any of the three languages, with common typos.

Countries are one of it, es, ro, md, other (a named country that has no rules of its own here).
The role matters for safety: the hotline must be the one that works where the person is, so a country
named as origin or destination never stands for where they are. Short words that are also ordinary
words in one of the languages (Italian "sua", Spanish "usa", English "uk") are not read as countries.
The names and the role words are data: knowledge/data/countries.yml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml

from core.languages import fold
from knowledge.centres import Centres
from knowledge.places import Gazetteer

Role = Literal["here", "in", "from", "to", "named", "not"]

_DATA = Path(__file__).resolve().parent / "data"
_WORDS = yaml.safe_load((_DATA / "countries.yml").read_text(encoding="utf-8"))
_NAMES: dict[str, list[str]] = {
    code: [*names, *_WORDS["places"].get(code, [])] for code, names in _WORDS["countries"].items()
}
_FROM: tuple[str, ...] = tuple(_WORDS["from"])
_MOVING: tuple[str, ...] = tuple(_WORDS["moving"])
_BEING: tuple[str, ...] = tuple(_WORDS["being"])
_NEAR: tuple[str, ...] = tuple(_WORDS["near"])
_AT: tuple[str, ...] = (*_WORDS["at"], *_NEAR)


def _alternation(words: tuple[str, ...]) -> str:
    return "|".join(sorted((w if "\\" in w else re.escape(w) for w in words), key=len, reverse=True))


def _names_pattern(names_by_code: dict[str, list[str]]) -> re.Pattern[str]:
    return re.compile(
        r"\b(?:"
        + "|".join(
            f"(?P<{code}>{_alternation(tuple(fold(n) for n in names))})" for code, names in names_by_code.items()
        )
        + r")\b"
    )


_COUNTRY = _names_pattern(_NAMES)
_AFTER_AT = _names_pattern(_WORDS["after_at"])
_HINTS = _names_pattern(_WORDS["hints"])  # one country's system words: hinted()
_BORROWED = _names_pattern(_WORDS["borrowed"])  # Italian or Spanish words in a Romanian message: hinted()
_FROM_BEFORE = re.compile(rf"\b(?:{_alternation(_FROM)})\s*$")
# "va scriu din Piacenza", "te escribo desde Huelva": where the person writes from is where they are.
_WRITING_FROM_BEFORE = re.compile(
    rf"\b(?:{_alternation(tuple(_WORDS['writing']))})\s+(?:{_alternation(_FROM)})\s*$"
)
# "il comune di Bergamo", "primaria din Madrid", "la fabrica de Lleida", "la fabrica de mezeluri din Parma":
# an office or a workplace of the place (up to three words after its noun, within the clause), so the place is
# where the question is about, not where the person comes from. A verb of being between them keeps the origin:
# "lucrez la fabrica dar sunt din Moldova".
_OF_INSTITUTION_BEFORE = re.compile(
    rf"\b(?:{_alternation(tuple(_WORDS['institutions']))})\b"
    rf"(?:\s+(?!(?:{_alternation(tuple(_WORDS['origin_verbs']))})\b)[^\s,.;:!?]+){{0,3}}"
    rf"\s+(?:{_alternation(_FROM)})\s*$"
)
_AT_BEFORE = re.compile(rf"\b(?:{_alternation(_AT)})\s*$")
_NEAR_BEFORE = re.compile(rf"\b(?:{_alternation(_NEAR)})\s*$")
# "en la", "a la", "de la": there "la" is an article, not Romanian "la" (at), for the names of `after_at`.
_ARTICLE_BEFORE = re.compile(r"\b(?:en|in|a|de|di|da|con|per|por|su|sobre|para)\s+la\s*$")
_TOWARDS_BEFORE = re.compile(r"\b(?:spre|catre|verso|hacia)\s*$")
_NEGATED_BEFORE = re.compile(
    rf"\b(?:{_alternation(tuple(_WORDS['negated']))})"
    rf"(?:\s+(?:{_alternation(tuple(_WORDS['negated_between']))})){{0,2}}\s+(?:{_alternation(_AT)})\s*$"
)


def _verb_before(verbs: tuple[str, ...]) -> re.Pattern[str]:
    """One of `verbs` at most three words before the end of the text."""
    return re.compile(rf"\b(?:{'|'.join(verbs)})\b(?:\s+\S+){{0,3}}\s*$")


_SETTLED_BEFORE = _verb_before(tuple(_WORDS["settled"]))
_MOVING_BEFORE = _verb_before(_MOVING)
_BEING_BEFORE = _verb_before(_BEING)


# A town of North-East Romania or Moldova is where the person is only when they say, in the first person, that they
# work or live there ("lucrez la o firma in Pascani", "locuim la Soroca"), or "here at" it ("la noi la Ialoveni");
# named any other way it is home (an origin, where the family is), not where they are (tests/test_countries.py).
_HOME_TOWN = _names_pattern(Gazetteer.load(Centres.load()).spellings_by_country())
_FIRST_PERSON_BEFORE = _verb_before(tuple(_WORDS["first_person_here"]))
_HERE_ADVERB_BEFORE = re.compile(rf"\b(?:{_alternation(tuple(_WORDS['here_adverbs']))})\s*$")


def _said_here(before: str) -> bool:
    """Whether the text before a home town says the person works or lives there now."""
    if not _AT_BEFORE.search(before) or _NEAR_BEFORE.search(before):
        return False
    ahead = _AT_BEFORE.sub("", before)
    return bool(_FIRST_PERSON_BEFORE.search(ahead) or _HERE_ADVERB_BEFORE.search(ahead))


@dataclass(frozen=True)
class Place:
    """A country the text names and the role it is named in."""

    country: str
    role: Role


def places(text: str) -> list[Place]:
    """Every country the text names, in order, each with its role."""
    folded = fold(text)
    found = []
    after_at = [
        m
        for m in _AFTER_AT.finditer(folded)
        if _AT_BEFORE.search(folded[: m.start()]) and not _ARTICLE_BEFORE.search(folded[: m.start()])
    ]
    home = [m for m in _HOME_TOWN.finditer(folded) if _said_here(folded[: m.start()])]
    for match in sorted([*_COUNTRY.finditer(folded), *after_at, *home], key=lambda m: m.start()):
        country = next(code for code, value in match.groupdict().items() if value)
        before = folded[: match.start()]
        if _NEGATED_BEFORE.search(before):
            role: Role = "not"
        elif match.re is _HOME_TOWN or _WRITING_FROM_BEFORE.search(before):
            role = "here"
        elif _OF_INSTITUTION_BEFORE.search(before):
            role = "in"
        elif _FROM_BEFORE.search(before) and not _NEAR_BEFORE.search(before):
            role = "from"
        elif _TOWARDS_BEFORE.search(before):
            role = "to"
        elif _AT_BEFORE.search(before):
            ahead = _AT_BEFORE.sub("", before)
            if _SETTLED_BEFORE.search(ahead):
                role = "here"
            else:
                role = "to" if _MOVING_BEFORE.search(ahead) else "here" if _BEING_BEFORE.search(ahead) else "in"
        else:
            role = "named"
        found.append(Place(country, role))
    return found


def _one(found: list[Place], roles: tuple[Role, ...]) -> str | None:
    countries = {p.country for p in found if p.role in roles}
    return countries.pop() if len(countries) == 1 else None


def located(text: str) -> str | None:
    """The country the text says the person is in now ("lucrez in Italia", "estoy en España"); None when
    it says none or several. A country named as origin or destination, only as the subject of a question
    ("somajul in Spania") or as a bare name is not where the person says they are."""
    return _one(places(text), ("here",))


def mentioned(text: str) -> str | None:
    """The one country a question is about: where the person is or what happens in it ("in Spania"), or
    else where they are going, or else the bare name ("spania"); an origin is not. None when unclear."""
    found = places(text)
    for roles in (("here", "in"), ("to",), ("named",)):
        if any(p.role in roles for p in found):
            return _one(found, roles)
    return None


_HOME = frozenset({"ro", "md"})
_WITH_RULES_ABROAD = frozenset({"it", "es"})


def abroad_beside_home(text: str) -> str | None:
    """Italy or Spain, when a question names it beside Romania or Moldova and no other country ("platesc impozit in
    Italia, trebuie si in Romania?", "am lucrat 10 ani in Moldova si 8 in Italia, pensia?"): their answers cover
    the home country's side. For answering only, like `hinted`: it says what the question is about, not where the
    person is, so it is never stored (the stored country, and with it the hotline, never rests on it)."""
    named = {p.country for p in places(text) if p.role in ("here", "in")}
    abroad = named - _HOME
    return abroad.pop() if named & _HOME and len(abroad) == 1 and abroad <= _WITH_RULES_ABROAD else None


def hinted(text: str, language: str | None = None) -> str | None:
    """The one country whose own offices, forms or pay words the text uses ("busta paga", "el finiquito",
    "SEPE"), or, in a Romanian message (`language` "ro"), whose words for the employer or the people looked after
    it borrows ("padronul", "la signora", "jefu"); for answering a question that names no country. None when it
    uses none, or those of two countries."""
    folded = fold(text)
    found = [*_HINTS.finditer(folded), *(_BORROWED.finditer(folded) if language == "ro" else ())]
    countries = {next(code for code, value in m.groupdict().items() if value) for m in found}
    return countries.pop() if len(countries) == 1 else None
