"""Which country a message names as where the user is: "sunt in italia", "lavoro in Spagna", "estoy en
Rumanía", or just "spania". Typed without diacritics, in any of the three languages, with common typos.

Answers one of it, es, ro, md, other (a named country that has no rules of its own here), or None.
"""

from __future__ import annotations

import re
import unicodedata

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
        "uk",
        "regatul unit",
        "reino unido",
        "regno unito",
        "marea britanie",
        "portugalia",
        "portugal",
        "portogallo",
        "belgia",
        "belgio",
        "belgica",
        "austria",
        "olanda",
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
        "sua",
        "usa",
        "america",
        "turcia",
        "turchia",
        "turquia",
        "norvegia",
        "noruega",
    ),
}


def fold(text: str) -> str:
    """Lower case, no diacritics (ș ş ț ţ ă â î ñ à fold to plain letters), punctuation as single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain).split())


_PATTERNS = {
    code: re.compile(r"\b(?:" + "|".join(re.escape(fold(n)) for n in names) + r")\b")
    for code, names in _NAMES.items()
}


def mentioned(text: str) -> str | None:
    """The one country the text names; None when it names none or several (then it says nothing sure)."""
    folded = fold(text)
    found = {code for code, pattern in _PATTERNS.items() if pattern.search(folded)}
    return found.pop() if len(found) == 1 else None
