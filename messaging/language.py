"""Which of Romanian, Italian or Spanish a message is in, and which language a conversation keeps.

`detect` answers `(language, confidence)` or `(None, confidence)` when the text is too short or too
ambiguous to tell ("si", "ok", a number, an emoji). Place names are taken out first (knowledge/place_names.py:
"Chișinău" in a Spanish sentence says nothing). A model of how often each word is written in each language
(wordfreq's lists) decides when it is sure; otherwise cheap rules (letters that exist in only one of the
three languages, chat words that carry no signal) and then lingua, restricted to the three languages, with
a confidence bar that is higher for shorter texts.

`explicit_choice` recognises a user choosing a language ("italiano", "/lang es", a language button).
`resolve` combines both with the conversation's stored language: an explicit choice always wins,
a confident message in another language switches, anything else keeps the stored language.
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import cache

from core.languages import DEFAULT_LANGUAGE, LANGUAGES, fold, other_languages
from knowledge.place_names import without_places
from messaging.language_backends import backend

# The word-frequency model decides alone above this probability (bench/language.py: 0.2% wrong on single
# words, none on sentences); below it, the rules and lingua follow.
_WORDS_CONFIDENT = 0.9
# Bars the backend's top score must reach, by number of words: one word needs near certainty.
_THRESHOLDS = {1: 0.85, 2: 0.75}
_THRESHOLD_LONGER = 0.60
# A conversation switches language only on a message at least this long and this confident.
_SWITCH_MIN_WORDS = 2
_SWITCH_MIN_CONFIDENCE = 0.85

# Letters used by exactly one of the three languages (after folding cedillas into commas).
_ONLY_RO = set("ășțâî")
_ONLY_ES = set("ñ¿¡")
_ONLY_IT = set("àèìòù")
_UNIQUE_LETTERS = (("ro", _ONLY_RO), ("es", _ONLY_ES), ("it", _ONLY_IT))
_LETTER_RULE_MAX_WORDS = 3
# Romanian "ce e ..." (what is ...) opens a short question whose other words are often an Italian or Spanish
# institution ("ce e inps", "ce e un patronato"), which the word model then reads as Italian; "ce e" is not an
# opening in Italian (c'è is "c'e" or "ce") nor in Spanish. Up to this many words in all.
_RO_OPENING = ("ce", "e")
_OPENING_RULE_MAX_WORDS = 5


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words typed identically by speakers of all three: they say nothing about the language.
_NEUTRAL = _words(
    """
    ok okay okk oki okey k si sì sí no da ya ah eh oh uh mm mmm hmm hm ha haha hahaha jaja jajaja lol bye hello
    hi hey thx thanks pls please super bravo taxi hotel bar pizza euro euros eur wifi whatsapp telegram viber sms
    email mail internet online ciao nie tie dni cnp iban pin pdf app top
    """
)

# Everyday chat words that belong to one of the three languages only (compared ASCII-folded). In a
# short message they decide where the statistical backend, which needs more letters, cannot.
_MARKERS = {
    "ro": _words(
        """
        buna salut salutare multumesc multumim mersi mersii rog vreau sunt este nu poti puteti unde
        cand cum pentru ajutor ajutati ajuta trebuie lucrez munca muncesc salariul salariu bani
        acasa patronul spuneti spune stiu vorbesc vorbi domnule doamna doamnei dumneavoastra noapte
        buna ziua seara
        """
    ),
    "it": _words(
        """
        grazie buongiorno buonasera buonanotte prego sono perche dove quando lavoro stipendio aiuto
        aiutatemi voglio posso devo non ho gli della questo molto signora signore capito allora
        ragazzi
        """
    ),
    "es": _words(
        """
        hola gracias buenos buenas dias tardes noches donde cuando trabajo sueldo ayuda ayudame
        quiero puedo tengo necesito muy por favor usted estoy soy hablar habla jefe nomina vale
        """
    ),
}
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_LAUGH = re.compile(r"^(?:a?h+a+h?|j+a+|h+i+)+$")  # haha, ahaha, jajaja, hihi: in every language
_CEDILLA = str.maketrans({"ş": "ș", "ţ": "ț", "Ş": "Ș", "Ţ": "Ț"})

# Names of languages a user may type to choose one, folded to ASCII lower case.
_CHOICE_WORDS = {
    "ro": {
        "romana",
        "romaneste",
        "romina",
        "rumeno",
        "rumena",
        "romeno",
        "romena",
        "rumano",
        "rumana",
        "moldoveneste",
        "ro",
    },
    "it": {"italiano", "italiana", "italian", "italiene", "italieneste", "it"},
    "es": {"espanol", "espanola", "castellano", "spaniola", "spanioleste", "spagnolo", "spagnola", "es"},
}
# The other words a request for a language may hold: "in", "please", and the verbs and pronouns of asking to be
# written, answered or spoken to ("raspunde-mi in italiana te rog", "rispondimi in spagnolo", "escribeme en
# rumano"). A word outside these ("sunt in Spania si vorbesc spaniola", "quiero aprender italiano") makes it no
# choice.
_CHOICE_FILLER = _words(
    "in limba lingua idioma language en vreau doresc as vrea voglio vorrei quiero quisiera please pls te rog va "
    "per favore por favor prego multumesc grazie gracias mi imi ma sa me ti le "
    "scrie scrii scrieti scrivi scrivimi scrivete scrivere escribe escribeme escribir escribes "
    "raspunde raspunzi raspundeti rispondi rispondimi rispondete rispondere responde respondeme responder "
    "respondes rispondermi responderme scrivermi escribirme vorbi vorbeste vorbesti vorbiti vorbim parla parlami "
    "parli parlate parliamo parlare parlarmi habla hablame hablas hablar hablarme hablamos poti puteti puoi "
    "potete puedes podeis podrias putem possiamo podemos al la"
)
_CHOICE_MAX_WORDS = 8
_LANG_COMMAND = re.compile(r"^/(?:lang|language|limba|lingua|idioma)(?:@\w+)?\s+(\w+)\s*$", re.IGNORECASE)
_CHOICE_PAYLOAD = re.compile(r"^/choose_language(\{.*\})\s*$")


def normalise(text: str) -> str:
    """Lower case, NFC, old cedilla letters ş ţ folded into the correct comma letters ș ț."""
    return unicodedata.normalize("NFC", text).translate(_CEDILLA).lower()


def detect(text: str, backend_name: str = "lingua") -> tuple[str | None, float]:
    """Guess the language of `text` among ro/it/es.

    Returns the language code and a confidence in [0, 1], or `None` (with the best score seen) when
    the text is too short or ambiguous: a message that should not change the conversation's language.
    """
    norm = normalise(text)
    words = _WORD.findall(norm)
    folded = without_places([fold(w) for w in words])
    if len(folded) < len(words):  # a place name says nothing about the language: its letters are dropped
        words = [w for w in words if fold(w) in folded]
        norm = " ".join(words)
    signal = [w for w in words if w not in _NEUTRAL and not _LAUGH.match(w)]
    if not signal or sum(len(w) for w in signal) < 3:
        return None, 0.0
    if tuple(fold(w) for w in words[:2]) == _RO_OPENING and len(words) <= _OPENING_RULE_MAX_WORDS:
        return "ro", 0.95
    by_words = backend("wordfreq").scores(" ".join(fold(w) for w in signal))
    best = max(by_words, key=by_words.__getitem__)
    if by_words[best] >= _WORDS_CONFIDENT:
        return best, by_words[best]
    return _by_letters(norm, words, signal, backend_name)


def _by_letters(norm: str, words: list[str], signal: list[str], backend_name: str) -> tuple[str | None, float]:
    """When the words do not decide: letters of one language, chat markers, then the letter statistics."""
    chars = set(norm)
    marked = [code for code, unique in _UNIQUE_LETTERS if chars & unique]
    # In a short text a letter of one language decides; in a longer one a borrowed word ("città" in a
    # Romanian sentence) must not, so the backend reads it and the letter only breaks a low score.
    if len(marked) == 1 and len(signal) <= _LETTER_RULE_MAX_WORDS:
        return marked[0], 0.99
    voted = _marker_vote(signal)
    if voted and len(signal) <= _LETTER_RULE_MAX_WORDS:
        return voted, 0.95
    scores = backend(backend_name).scores(" ".join(words))
    best = max(scores, key=scores.__getitem__) if scores else None
    confidence = scores[best] if best else 0.0
    if best and (confidence >= _THRESHOLDS.get(len(signal), _THRESHOLD_LONGER) or best == voted):
        return best, max(confidence, 0.9 if best == voted else 0.0)
    if len(marked) == 1:
        return marked[0], 0.9
    return None, confidence


def _marker_vote(words: list[str]) -> str | None:
    """The language whose marker words outnumber the others' in the text, if one does."""
    votes = {code: sum(fold(w) in markers for w in words) for code, markers in _MARKERS.items()}
    ranked = sorted(votes.items(), key=lambda kv: kv[1], reverse=True)
    return ranked[0][0] if ranked[0][1] > ranked[1][1] else None


_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_UKRAINIAN_LETTERS = frozenset("іїєґ")
_FOREIGN_MIN_MARKERS = 2


@cache
def _foreign_markers() -> dict[str, frozenset[str]]:
    """The marker words of each language we do not speak, folded once."""
    return {code: frozenset(fold(m) for m in spec.get("markers", [])) for code, spec in other_languages().items()}


def foreign_language(text: str) -> str | None:
    """The language we do not speak that a message is written in (core/other_languages.yml), or None.

    Cyrillic text is Ukrainian when it has Ukrainian letters, else Russian. Latin text is English, German or
    French when at least two of its words are that language's markers and none is a marker of ours; a
    Romanian, Italian or Spanish message with a few English words stays ours."""
    norm = normalise(text)
    letters = [c for c in norm if c.isalpha()]
    if letters and sum(1 for c in letters if _CYRILLIC.match(c)) > len(letters) / 2:
        return "uk" if _UKRAINIAN_LETTERS & set(norm) else "ru"
    words = [fold(w) for w in _WORD.findall(norm)]
    if any(w in markers for markers in _MARKERS.values() for w in words):
        return None
    votes = {code: sum(w in markers for w in words) for code, markers in _foreign_markers().items()}
    best = max(votes, key=votes.__getitem__)
    ranked = sorted(votes.values(), reverse=True)
    return best if ranked[0] >= _FOREIGN_MIN_MARKERS and ranked[0] > ranked[1] else None


def explicit_choice(text: str) -> str | None:
    """The language a user explicitly asks for, or None.

    Recognises the language button payload `/choose_language{"language": "it"}`, the command
    `/lang es`, and short messages that only ask for a language ("italiano", "in romana please", "raspunde-mi
    in italiana te rog").
    """
    stripped = text.strip()
    payload = _CHOICE_PAYLOAD.match(stripped)
    if payload:
        try:
            value = json.loads(payload.group(1)).get("language")
        except (ValueError, AttributeError):
            return None
        return value if value in LANGUAGES else None
    command = _LANG_COMMAND.match(stripped)
    words = [fold(w) for w in _WORD.findall(normalise(stripped))]
    if command:
        words = [fold(command.group(1).lower())]
    elif not words or len(words) > _CHOICE_MAX_WORDS:
        return None
    named = {code for code, names in _CHOICE_WORDS.items() for w in words if w in names}
    rest = [w for w in words if not any(w in names for names in _CHOICE_WORDS.values())]
    if len(named) == 1 and all(w in _CHOICE_FILLER for w in rest):
        # A bare two-letter code counts only as a /lang argument, not as a word in a sentence.
        if not command and all(len(w) == 2 for w in words if w not in _CHOICE_FILLER):
            return None
        return named.pop()
    return None


def as_rasa_text(text: str, language: str) -> str:
    """What Rasa should receive for a user's text: a `/lang xx` command becomes the language-choice intent
    (Rasa's NLU does not know commands); anything else is passed unchanged."""
    if _LANG_COMMAND.match(text.strip()):
        return "/choose_language" + json.dumps({"language": language})
    return text


def undecided(stored: str | None, text: str, requested: str | None = None) -> bool:
    """Whether nothing tells the language: no stored language or client hint (`stored`), no choice, and a
    text too short or ambiguous to tell ("ok", "ciao", "?"). A first message like that is answered with the
    offer of the three languages."""
    if stored or requested in LANGUAGES or text.strip().startswith("/") or explicit_choice(text):
        return False
    return detect(text)[0] is None


def resolve(stored: str | None, text: str, requested: str | None = None) -> tuple[str, bool]:
    """The language to answer in, and whether the user chose it explicitly.

    `requested` is a language the client states (the web chat's "language" field); it counts as an
    explicit choice, as do the forms `explicit_choice` knows.
    """
    chosen = requested if requested in LANGUAGES else explicit_choice(text)
    if chosen:
        return chosen, True
    # A button payload or command ("/confirm_delete", '/set_country{"country":"es"}') is no one's language.
    detected, confidence = (None, 0.0) if text.strip().startswith("/") else detect(text)
    if stored is None:
        return detected or DEFAULT_LANGUAGE, False
    if (
        detected
        and detected != stored
        and confidence >= _SWITCH_MIN_CONFIDENCE
        and len(_WORD.findall(text)) >= _SWITCH_MIN_WORDS
    ):
        return detected, False
    return stored, False
