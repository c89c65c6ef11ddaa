"""Statistical language identifiers restricted to Romanian, Italian and Spanish.

`messaging.language` puts its rules in front of one of these. Lingua is the default: on our benchmark
(`bench/language.py`, results in docs/language-detection.md) it is both more accurate and ~200x faster
than langdetect, which is kept so the comparison can be rerun.

`WordFrequencies` reads whole words instead of letters: how often each word is written in Romanian,
Italian and Spanish (the wordfreq package's word lists, shipped inside the package, compared without
diacritics). Messages typed without diacritics, with code-switched words and place names, are where letter
statistics go wrong ("am ramas fara lucru in italia" looks Italian letter by letter); words like "fara",
"daca", "como", "pide" do not. `messaging.language.detect` asks it first and lingua when it is unsure.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Protocol

from core.languages import LANGUAGES, fold


class Backend(Protocol):
    """Scores a text: a probability for each of ro/it/es (they need not sum to 1)."""

    name: str

    def scores(self, text: str) -> dict[str, float]:
        """Scores of ro/it/es for a text (languages it cannot score are left out)."""
        ...


class LinguaBackend:
    """lingua-language-detector (Rust core), models preloaded for the three languages only."""

    name = "lingua"

    def __init__(self) -> None:
        from lingua import Language, LanguageDetectorBuilder

        self._codes = {Language.ROMANIAN: "ro", Language.ITALIAN: "it", Language.SPANISH: "es"}
        self._detector = (
            LanguageDetectorBuilder.from_languages(*self._codes).with_preloaded_language_models().build()
        )

    def scores(self, text: str) -> dict[str, float]:
        """Lingua's confidence values for the three languages (they sum to 1)."""
        values = self._detector.compute_language_confidence_values(text)
        return {self._codes[v.language]: v.value for v in values}


class LangdetectBackend:
    """langdetect (port of Google's language-detection), seeded so results are repeatable."""

    name = "langdetect"

    def __init__(self) -> None:
        from langdetect import DetectorFactory

        self._factory = DetectorFactory()
        self._factory.load_json_profile(_langdetect_profiles())
        self._factory.seed = 0

    def scores(self, text: str) -> dict[str, float]:
        """langdetect's probabilities among the three languages; empty if it finds no features."""
        from langdetect.lang_detect_exception import LangDetectException

        detector = self._factory.create()
        detector.append(text)
        try:
            found = detector.get_probabilities()
        except LangDetectException:
            return {}
        return {p.lang: p.prob for p in found if p.lang in LANGUAGES}


class WordFrequencies:
    """A unigram model of each language from wordfreq's "small" lists (about 40,000 words each)."""

    name = "wordfreq"
    # The frequency given to a word a list does not hold (a name, a typo, a word of another language).
    FLOOR = 1e-7

    def __init__(self) -> None:
        from wordfreq import get_frequency_dict

        self._tables: dict[str, dict[str, float]] = {}
        for code in LANGUAGES:
            table: dict[str, float] = {}
            for word, frequency in get_frequency_dict(code, wordlist="small").items():
                key = fold(word)
                table[key] = max(frequency, table.get(key, 0.0))
            self._tables[code] = table

    def scores(self, text: str) -> dict[str, float]:
        """The probability of each language for a text of folded words, as if the three were equally likely."""
        words = text.split()
        if not words:
            return {}
        logs = {
            code: sum(math.log10(max(table.get(w, 0.0), self.FLOOR)) for w in words)
            for code, table in self._tables.items()
        }
        best = max(logs.values())
        weights = {code: 10 ** (value - best) for code, value in logs.items()}
        total = sum(weights.values())
        return {code: weight / total for code, weight in weights.items()}


def _langdetect_profiles() -> list[str]:
    """The ro/it/es profiles only, so langdetect chooses among our three languages."""
    from pathlib import Path

    from langdetect.detector_factory import PROFILES_DIRECTORY

    return [(Path(PROFILES_DIRECTORY) / code).read_text(encoding="utf-8") for code in LANGUAGES]


@cache
def backend(name: str = "lingua") -> Backend:
    """The shared instance of a backend by name ("lingua", "langdetect" or "wordfreq"); built once, it is slow
    to load."""
    if name == "wordfreq":
        return WordFrequencies()
    if name == "lingua":
        return LinguaBackend()
    if name == "langdetect":
        return LangdetectBackend()
    raise ValueError(f"unknown language backend {name!r}")
