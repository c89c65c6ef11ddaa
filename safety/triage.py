"""The safety triage: does a message show signs of trafficking, exploitation or danger?

Runs in the gateway on every message before the assistant, so it works even when Rasa is down, and
knows nothing but the text. It reads the text lower-cased and without diacritics (ș/ş, ț/ţ, ă, â, î, ñ, à
all folded; chat spellings such as "nn" for "non" expanded), in Romanian, Italian and Spanish at once
(people mix them), and looks for the ILO indicators in the words people use: documents taken, not let
go, locked in, a debt to work off, threats and violence, forced work or sex, isolation, being watched,
asking to be rescued. Each sign is a small set of patterns; some signs also list the words that undo
them in ordinary questions ("a copy of my passport", "I lost my passport", "a debt to my cousin").
When the words read like a general question ("what are the signs of trafficking?") a single sign does
not raise the alarm; two signs, or a plea for rescue, always do.

The words are data: safety/lexicon/common.yml names the signs and holds what every language shares,
ro.yml, it.yml and es.yml hold each language's words (their headers explain the format). They are
merged when this module is imported, every group and pattern into one regular expression over all the
languages, and compiled once.

A person simply saying they are in danger, afraid, threatened, hurt or in need of urgent help, in any
of the three languages or in English, German, French, Russian or Ukrainian, is the sign "stated_danger";
its words are data (safety/lexicon/stated_danger.yml) and it always raises the alarm, unless it is only
fear about an ordinary outcome ("mi-e frica sa nu pierd somajul") naming no harm.

The assistant's own `report_danger` intent is the second net (actions/safety.py). Recall and false
alarms are measured on tests/triage/ (tests/test_triage.py, docs/safety-triage.md).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from core.languages import fold as core_fold

_SHARP_S = str.maketrans({"ß": "ss"})  # ş, ţ, Ş, Ţ need nothing: NFKD splits off their cedilla like any mark
_ELONGATED = re.compile(r"([a-hj-z])\1{2,}")
_CHAT = {"nn": "non", "xfavore": "per favore", "xke": "perche", "pt": "pentru", "q": "que", "xq": "porque"}
_LEXICON = Path(__file__).resolve().parent / "lexicon"
_SIGN_FILES = ("common", "ro", "it", "es")  # common.yml first: it names the signs, in their order
_GROUP = re.compile(r"\{([a-z_]+)\}")  # {name} in an entry: a group's words ({0,3} stays a repeat)

_Near = tuple[str, str, int]  # a `near` pattern: two groups and the most words between them


def fold(text: str) -> str:
    """The text as the word lists read it: core.languages.fold (lower case, no diacritics, punctuation as
    spaces, Cyrillic kept), letters typed three times or more read once, chat spellings expanded; padded
    with spaces so that every word has a space on each side."""
    plain = _ELONGATED.sub(r"\1", core_fold(text))  # "ajutooor" reads "ajutor" (but "copiii" keeps its i's)
    return " " + " ".join(_CHAT.get(w, w) for w in plain.split()) + " "


def _any(alternatives: list[str]) -> str:
    return "(?:" + "|".join(alternatives) + ")"


def _near(first: str, second: str, gap: int) -> re.Pattern[str]:
    """`first` and `second` within `gap` words of each other, in either order."""
    between = rf"(?:\s+\S+){{0,{gap}}}\s+"
    return re.compile(rf"\b{first}\b{between}{second}\b|\b{second}\b{between}{first}\b")


def _words(alternatives: list[str]) -> re.Pattern[str]:
    return re.compile(r"\b" + _any(alternatives) + r"\b")


@dataclass
class _Sign:
    """One sign of the lexicon, all its files merged: its patterns by name and its innocent words."""

    patterns: dict[str, list[str] | _Near] = field(default_factory=dict)
    innocent: list[str] = field(default_factory=list)


@dataclass
class _Lexicon:
    """The lexicon's files merged: groups, signs (in the order of common.yml), informational words."""

    groups: dict[str, list[str]] = field(default_factory=dict)
    signs: dict[str, _Sign] = field(default_factory=dict)
    informational: list[str] = field(default_factory=list)


def _entries(value: object, where: str) -> list[str]:
    """`value`, if it is a list of entries (text)."""
    if not isinstance(value, list) or not all(isinstance(entry, str) for entry in value):
        raise ValueError(f"{where}: expected a list of regular expressions, each as text (quote it)")
    return value


def _add_pattern(patterns: dict[str, list[str] | _Near], name: str, spec: object, where: str) -> None:
    """Add a file's pattern `name` to a sign's: `words` join those of the other files, `near` comes once."""
    current = patterns.get(name)
    if isinstance(spec, dict) and set(spec) == {"words"} and not isinstance(current, tuple):
        patterns[name] = (current or []) + _entries(spec["words"], where)
    elif isinstance(spec, dict) and set(spec) == {"near", "gap"} and current is None:
        near = _entries(spec["near"], where)
        if len(near) != 2 or not isinstance(spec["gap"], int):
            raise ValueError(f"{where}: `near` names two groups, `gap` is a number of words")
        patterns[name] = (near[0], near[1], spec["gap"])
    else:
        raise ValueError(f"{where}: a pattern is `words: [...]`, or `near: [group, group]` with `gap: N` once")


def _read(path: Path, lexicon: _Lexicon, first: bool) -> None:
    """Merge the lexicon file at `path` into `lexicon` (only the first file may name new signs)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not set(data) <= {"groups", "signs", "informational"}:
        raise ValueError(f"{path.name}: the keys are groups, signs and informational")
    for group, entries in (data.get("groups") or {}).items():
        lexicon.groups[group] = lexicon.groups.get(group, []) + _entries(entries, f"{path.name}, {group}")
    for sign, body in (data.get("signs") or {}).items():
        if not first and sign not in lexicon.signs:
            raise ValueError(f"{path.name}: {sign} is not a sign of {_SIGN_FILES[0]}.yml")
        merged = lexicon.signs.setdefault(sign, _Sign())
        if not set(body or {}) <= {"patterns", "innocent"}:
            raise ValueError(f"{path.name}, {sign}: a sign has patterns and innocent")
        for pattern, spec in ((body or {}).get("patterns") or {}).items():
            _add_pattern(merged.patterns, pattern, spec, f"{path.name}, {sign}.{pattern}")
        merged.innocent += _entries((body or {}).get("innocent", []), f"{path.name}, {sign}.innocent")
    lexicon.informational += _entries(data.get("informational", []), f"{path.name}, informational")


def _load_signs(
    directory: Path, names: tuple[str, ...]
) -> tuple[dict[str, tuple[list[re.Pattern[str]], re.Pattern[str] | None]], re.Pattern[str]]:
    """The signs of the lexicon files `names` (their patterns, and their innocent words as one pattern or
    None) and the informational words, each group and pattern one regular expression over all languages."""
    lexicon = _Lexicon()
    for name in names:
        _read(directory / f"{name}.yml", lexicon, first=name == names[0])
    alternations = {group: _any(entries) for group, entries in lexicon.groups.items()}
    used: set[str] = set()

    def group(name: str) -> str:
        if name not in alternations:
            raise ValueError(f"lexicon: no group {name!r}")
        used.add(name)
        return alternations[name]

    def words(entries: list[str]) -> re.Pattern[str]:
        return _words([_GROUP.sub(lambda match: group(match[1]), entry) for entry in entries])

    signs: dict[str, tuple[list[re.Pattern[str]], re.Pattern[str] | None]] = {}
    for sign, body in lexicon.signs.items():
        if not body.patterns:
            raise ValueError(f"lexicon: the sign {sign} has no patterns")
        patterns = [
            _near(group(spec[0]), group(spec[1]), spec[2]) if isinstance(spec, tuple) else words(spec)
            for spec in body.patterns.values()
        ]
        signs[sign] = (patterns, words(body.innocent) if body.innocent else None)
    informational = words(lexicon.informational)
    if unused := set(alternations) - used:
        raise ValueError(f"lexicon: groups never used (misspelt?): {sorted(unused)}")
    return signs, informational


# The signs; and the words of a general question about the subject, not a report of it.
SIGNS, _INFORMATIONAL = _load_signs(_LEXICON, _SIGN_FILES)


def _lexicon_pattern(entries: list[str]) -> re.Pattern[str]:
    """One pattern for a list of the lexicon's entries, folded like the text they are matched on."""
    folded = []
    for entry in entries:
        plain = unicodedata.normalize("NFKD", str(entry).translate(_SHARP_S).lower())
        folded.append("".join(c for c in plain if not unicodedata.combining(c)))
    return re.compile(r"(?<!\w)(?:" + "|".join(f"(?:{f})" for f in folded) + r")(?!\w)")


def _load_stated(path: Path) -> dict[str, re.Pattern[str]]:
    """The lists of safety/lexicon/stated_danger.yml, each as one pattern over all languages."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {tier: _lexicon_pattern([e for entries in data[tier].values() for e in entries]) for tier in data}


STATED = _load_stated(Path(__file__).resolve().parent / "lexicon" / "stated_danger.yml")
_AFTER_WORDS = 8
_WORRY_WORDS = 6
_PERSON_WORDS = 4  # the `about` word and three more
_CRIES = re.compile(rf" (?:(?:{STATED['cry'].pattern}) )+")


def _words_after(folded: str, end: int, count: int) -> str:
    """The `count` words after position `end`, padded with spaces like the folded text."""
    return " " + " ".join(folded[end:].split()[:count]) + " "


def _ordinary_threat(text: str) -> bool:
    """What is threatened is an ordinary consequence (a fine, dismissal, a reference not given...), or the
    words are a joke or a story that is over."""
    innocent = SIGNS["threats_violence"][1]
    over = STATED["past"].search(text) and STATED["settled"].search(text)
    ordinary = STATED["consequence"].search(text) or STATED["joke"].search(text) or over
    return bool(ordinary or (innocent and innocent.search(text)))


def _fear_is_danger(folded: str, start: int, end: int) -> bool:
    """A fear or plea from `start` to `end` is about danger: nothing ordinary is near it (see the lexicon)."""
    after = folded[end:].split()
    if STATED["harm"].search(_words_after(folded, end, _AFTER_WORDS)):
        return True
    before = " " + " ".join(folded[:start].split()[-_WORRY_WORDS:]) + " "
    if STATED["worry"].search(_words_after(folded, end, _WORRY_WORDS)) or STATED["worry"].search(before):
        return False
    about = STATED["about"].match(" ".join(after))
    if not about:
        return True
    near = " " + " ".join(after[1:_PERSON_WORDS]) + " "
    return not STATED["clause"].fullmatch(about.group()) and bool(STATED["person"].search(near))


def stated_danger(text: str, folded: str) -> bool:
    """The person says they are in danger, afraid, threatened, hurt or in need of urgent help (and not
    only afraid of, threatened with, or in a hurry about something ordinary: see the lexicon's header).
    A story that is over, or a joke, is not."""
    if (STATED["past"].search(folded) and STATED["settled"].search(folded)) or STATED["joke"].search(folded):
        return False
    if STATED["danger"].search(folded):
        return True
    if STATED["indicator"].search(folded) and not STATED["question"].search(folded):
        return True
    if _CRIES.fullmatch(folded) and (text.count("!") >= 2 or len(folded.split()) > 1):
        return True  # only cries for help, repeated or with "!!"
    for threat in STATED["threat"].finditer(folded):
        window = _words_after(folded, threat.end(), _AFTER_WORDS)
        if STATED["harm"].search(window) or not _ordinary_threat(window):
            return True
    return any(_fear_is_danger(folded, fear.start(), fear.end()) for fear in STATED["fear"].finditer(folded))


@dataclass(frozen=True)
class Assessment:
    """The triage's verdict on one message: urgent or not, and which signs it saw."""

    urgent: bool
    signs: tuple[str, ...] = ()


# Signs that raise the alarm only together with another one.
WEAK = frozenset({"escape_conditional"})
# Signs that raise the alarm on their own, whatever the rest of the message says.
STRONG = frozenset({"asking_rescue", "stated_danger"})


def assess(text: str) -> Assessment:
    """Whether `text` shows danger signs (then the hotline goes first and a counsellor is alerted)."""
    folded = fold(text)
    found = [sign for sign, (patterns, _) in SIGNS.items() if any(p.search(folded) for p in patterns)]
    if stated_danger(text, folded):
        found.append("stated_danger")
    if len(found) > 1 or STRONG.intersection(found):
        return Assessment(True, tuple(found))
    signs = tuple(
        s
        for s in found
        if s not in WEAK
        and not ((innocent := SIGNS[s][1]) and innocent.search(folded))
        and not (s == "threats_violence" and _ordinary_threat(folded))
    )
    urgent = bool(signs) and not _INFORMATIONAL.search(folded)
    return Assessment(urgent, tuple(found))
