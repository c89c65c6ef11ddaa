"""Which countries a message names, and in what role: where the person is now ("lucrez la Torino in
Italia", "estoy en España"), where they come from ("sunt din Romania", "vengo dalla Moldavia", "soy de
Moldavia"), where they are going ("vreau sa plec in Germania", "volver a Rumanía"), or just the name
("spania"). Typed without diacritics, in any of the three languages, with common typos.

Countries are one of it, es, ro, md, other (a named country that has no rules of its own here).
The role matters for safety: the hotline must be the one that works where the person is, so a country
named as origin or destination never stands for where they are. Short words that are also ordinary
words in one of the languages (Italian "sua", Spanish "usa", English "uk") are not read as countries.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

Role = Literal["here", "in", "from", "to", "named"]

_NAMES: dict[str, tuple[str, ...]] = {
    "it": ("italia", "italy", "italie", "itali", "italiya", "italya", "itaia"),
    "es": ("spania", "spagna", "espana", "españa", "spain", "spanie", "espagne", "spaina", "spnia", "espania"),
    "ro": ("romania", "romînia", "rumania", "rumanía", "rumenia", "romenia", "roumanie"),
    "md": ("moldova", "moldavia", "moldovia", "republica moldova", "chisinau", "r moldova"),
    "other": (
        "germania",
        "alemania",
        "germany",
        "franta",
        "francia",
        "france",
        "anglia",
        "inghilterra",
        "inglaterra",
        "regatul unit",
        "reino unido",
        "regno unito",
        "marea britanie",
        "united kingdom",
        "portugalia",
        "portugal",
        "portogallo",
        "belgia",
        "belgio",
        "belgica",
        "austria",
        "olanda",
        "irlanda",
        "grecia",
        "cipru",
        "israel",
        "rusia",
        "russia",
        "ucraina",
        "polonia",
        "danemarca",
        "danimarca",
        "suedia",
        "svezia",
        "suecia",
        "elvetia",
        "svizzera",
        "suiza",
        "cehia",
        "canada",
        "statele unite",
        "stati uniti",
        "estados unidos",
        "america",
        "turcia",
        "turchia",
        "turquia",
        "norvegia",
        "noruega",
    ),
}

# The words just before a country name that say it is where the person comes from...
_FROM = (
    "din",
    "de la",
    "de prin",
    "da",
    "dalla",
    "dal",
    "dall",
    "di",
    "de",
    "desde",
    "del",
    "originar din",
    "originaria della",
    "originario della",
    "originaria de",
    "originario de",
    "provengo dalla",
    "procedente de",
)
# ... and the verbs (up to three words before the preposition) that make it a destination.
_MOVING = (
    r"plec\w*",
    r"pleca\w*",
    r"merg\w*",
    r"ma duc",
    r"ne ducem",
    r"intorc\w*",
    r"intoarce\w*",
    r"intoarc\w*",
    r"revin\w*",
    r"vin",
    r"venim",
    r"sa vin",
    r"ajung\w*",
    r"mut\w*",
    r"emigr\w*",
    r"andare",
    r"andar",
    r"vado",
    r"andiamo",
    r"partire",
    r"parto",
    r"tornare",
    r"torno",
    r"rientr\w*",
    r"trasferir\w*",
    r"ir",
    r"irme",
    r"irnos",
    r"voy",
    r"vamos",
    r"volver",
    r"vuelvo",
    r"regresar",
    r"regreso",
    r"viajar",
    r"mudar\w*",
    r"emigrar",
    r"acasa",
    r"a casa",
)
# The verbs that make "in <country>" a statement of where the person is ("lucrez la Torino in Italia").
_BEING = (
    r"sunt",
    r"suntem",
    r"stau",
    r"stam",
    r"lucrez",
    r"lucram",
    r"muncesc",
    r"muncim",
    r"locuiesc",
    r"locuim",
    r"traiesc",
    r"traim",
    r"ma aflu",
    r"ne aflam",
    r"am ajuns",
    r"aici",
    r"sono",
    r"siamo",
    r"sto",
    r"stiamo",
    r"lavoro",
    r"lavoriamo",
    r"vivo",
    r"viviamo",
    r"abito",
    r"abitiamo",
    r"mi trovo",
    r"ci troviamo",
    r"arrivat[oaie]",
    r"qui",
    r"estoy",
    r"estamos",
    r"vivimos",
    r"trabajo",
    r"trabajamos",
    r"resido",
    r"me encuentro",
    r"nos encontramos",
    r"llegue",
    r"aqui",
)
_AT = ("in", "la", "a", "en", "nella", "nel", "prin")


def fold(text: str) -> str:
    """Lower case, no diacritics (ș ş ț ţ ă â î ñ à fold to plain letters), punctuation as single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain).split())


def _alternation(words: tuple[str, ...]) -> str:
    return "|".join(sorted((w if "\\" in w else re.escape(w) for w in words), key=len, reverse=True))


_COUNTRY = re.compile(
    r"\b(?:"
    + "|".join(f"(?P<{code}>{_alternation(tuple(fold(n) for n in names))})" for code, names in _NAMES.items())
    + r")\b"
)
_FROM_BEFORE = re.compile(rf"\b(?:{_alternation(_FROM)})\s*$")
_AT_BEFORE = re.compile(rf"\b(?:{_alternation(_AT)})\s*$")
_TOWARDS_BEFORE = re.compile(r"\b(?:spre|catre|verso|hacia)\s*$")


def _verb_before(verbs: tuple[str, ...]) -> re.Pattern[str]:
    """One of `verbs` at most three words before the end of the text."""
    return re.compile(rf"\b(?:{'|'.join(verbs)})\b(?:\s+\S+){{0,3}}\s*$")


_MOVING_BEFORE = _verb_before(_MOVING)
_BEING_BEFORE = _verb_before(_BEING)


@dataclass(frozen=True)
class Place:
    """A country the text names and the role it is named in."""

    country: str
    role: Role


def places(text: str) -> list[Place]:
    """Every country the text names, in order, each with its role."""
    folded = fold(text)
    found = []
    for match in _COUNTRY.finditer(folded):
        country = next(code for code, value in match.groupdict().items() if value)
        before = folded[: match.start()]
        if _FROM_BEFORE.search(before):
            role: Role = "from"
        elif _TOWARDS_BEFORE.search(before):
            role = "to"
        elif _AT_BEFORE.search(before):
            ahead = _AT_BEFORE.sub("", before)
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
