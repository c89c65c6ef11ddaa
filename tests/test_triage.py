"""The safety triage on the labelled messages in tests/triage/: every danger message raises the alarm
(recall 100%) and fewer than 5% of ordinary questions do; then the whole path through the real gateway:
the hotline of the user's country comes first, in their language, even while Rasa is not asked.

Plain statements of danger (tests/triage/stated-dev and stated-blind, written apart from the word lists
in eight languages, danger and near-miss ordinary messages): recall must be 100%; the false alarms on
those near misses stay under 5%, and on all ordinary messages (training data of the other intents and the
ordinary sets) under 1%. The figures are printed at the end of the run."""

from __future__ import annotations

import pytest
import yaml

from knowledge.cards import LANGUAGES
from safety.triage import assess, fold
from tests.conftest import ROOT, Stack, counter, post
from tests.figures import REPORT

MIN_DANGER = 40
MAX_FALSE_ALARMS = 0.05
MAX_ALARMS_ON_ORDINARY = 0.01
STATED_SETS = ("stated-dev", "stated-blind")
STATED_LANGUAGES = (*LANGUAGES, "en", "de", "fr", "ru", "uk")
MIN_STATED = {"ro": 100, "it": 100, "es": 100}  # per language over both sets; 50 for the others
DANGER_INTENTS = {"report_danger", "trafficking_help"}  # the help intent speaks of others in danger
# Questions about warning signs describe them ("they don't let us go out alone, is it normal?"): the alarm there
# is the design, not a false one (docs/safety-triage.md); their alarm rate is reported apart.
SIGNS_INTENT = "trafficking_signs"


def labelled(language: str) -> dict[str, list[str]]:
    return yaml.safe_load((ROOT / "tests" / "triage" / f"{language}.yml").read_text())


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_danger_message_raises_the_alarm(language: str) -> None:
    danger = labelled(language)["danger"]
    assert len(danger) >= MIN_DANGER
    missed = [text for text in danger if not assess(text).urgent]
    assert missed == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_ordinary_questions_rarely_do(language: str) -> None:
    ordinary = labelled(language)["ordinary"]
    assert len(ordinary) >= MIN_DANGER
    alarms = [text for text in ordinary if assess(text).urgent]
    assert len(alarms) / len(ordinary) < MAX_FALSE_ALARMS, alarms


@pytest.mark.parametrize("language", STATED_LANGUAGES)
def test_every_plain_statement_of_danger_raises_the_alarm(language: str) -> None:
    danger: list[str] = []
    ordinary: list[str] = []
    for folder in STATED_SETS:
        data = yaml.safe_load((ROOT / "tests" / "triage" / folder / f"{language}.yml").read_text())
        danger += data["danger"]
        ordinary += data["ordinary"]
    assert len(danger) >= MIN_STATED.get(language, 50) and len(ordinary) >= MIN_STATED.get(language, 50)
    missed = [text for text in danger if not assess(text).urgent]
    alarms = [text for text in ordinary if assess(text).urgent]
    REPORT.append(
        f"triage, plain statements of danger [{language}]: recall {len(danger) - len(missed)}/{len(danger)}, "
        f"false alarms on near misses {len(alarms)}/{len(ordinary)}"
    )
    assert missed == []
    assert len(alarms) / len(ordinary) < MAX_FALSE_ALARMS, alarms


def test_ordinary_messages_almost_never_raise_the_alarm() -> None:
    examples = training_examples()
    ordinary = [text for intent, text in examples if intent not in DANGER_INTENTS | {SIGNS_INTENT}]
    for language in LANGUAGES:
        ordinary += labelled(language)["ordinary"]
    alarms = [text for text in ordinary if assess(text).urgent]
    REPORT.append(f"triage, all ordinary messages: false alarms {len(alarms)}/{len(ordinary)}")
    signs = [text for intent, text in examples if intent == SIGNS_INTENT]
    REPORT.append(
        f"triage, questions about warning signs: alarms {sum(assess(t).urgent for t in signs)}/{len(signs)}"
    )
    assert len(alarms) / len(ordinary) < MAX_ALARMS_ON_ORDINARY, alarms


def training_examples() -> list[tuple[str, str]]:
    """(intent, text) of every training example."""
    found = []
    for path in sorted((ROOT / "nlu").glob("*/*.yml")):
        for block in yaml.safe_load(path.read_text())["nlu"]:
            found += [
                (block["intent"], line.strip()[2:]) for line in block["examples"].splitlines() if line.strip()
            ]
    return found


def test_a_cry_for_help_alone_is_urgent_and_a_story_or_a_joke_is_not() -> None:
    assert assess("ajutor!!!").urgent and assess("aiuto aiuto").urgent and assess("AYUDAAA").urgent
    assert not assess("acum 3 ani ma simteam in pericol la o ferma, acum sunt bine, cum cer banii?").urgent
    assert not assess("la jefa me mata con tanto trabajo jajaja").urgent
    assert "stated_danger" in assess("Мне очень страшно, он бьет меня").signs


# Ordinary questions whose words look like a sign (found by a development set written apart, 2026-11-30): stuck
# abroad without money for the ticket, "devo/debo" meaning "must" or an employer who owes the worker, a union
# feared, a passport that only says a citizenship, "me busca trabajo", "li accetta". Next to each, the same words
# where they are a sign, which must still raise the alarm.
LOOKALIKES = [
    "am ramas fara bani in germania si nu pot sa plec acasa, ce fac",
    "sono bloccato in aeroporto senza soldi per il biglietto",
    "estoy atrapada en el aeropuerto de Lisboa sin dinero para volver",
    "se mi licenziano devo lasciare subito la stanza del padrone?",
    "la agencia me pide 300 euros, debo pagar?",
    "la empresa cerro y nos debe tres nominas de transporte",
    "l ambasciata fa prestiti per il biglietto di ritorno?",
    "voglio fare vertenza ma ho paura che mi licenzino",
    "mio fratello ha passaporto moldavo, puo lavorare in germania?",
    "mi primo me busca trabajo en una fabrica",
    "la scuola in moldavia li accetta se vengono dall italia?",
    # "mandatory", and the other party obliged to give (a development set of stop 23)
    "e obligatoriu sa fac 730 daca am fost badanta tot anul?",
    "sunt badanta interna si dorm pe canapea, familia e obligata sa-mi dea camera separata?",
    "la famiglia e obbligata a darmi una camera mia?",
    "la empresa esta obligada a darme una habitacion?",
    # shutting a door, a shop or a deal, hanging up (stop 24)
    "la ditta ha chiuso in perdita",
    "mi hanno chiuso in faccia il telefono",
    "am tinut inchisa usa ca era frig",
    "мы закрыли дверь дома",
    "закрили магазин на ремонт",
]
SIGNS_ALIKE = [
    "sunt blocata in casa lui",
    "ma tin blocata la ferma",
    "estoy atrapada en su casa",
    "siamo bloccati in un capannone",
    "devo 500 euro al caporale per il viaggio",
    "me dice que le debo el alojamiento y la comida",
    "il titolare ci ha detto che chi va dal sindacato non torna a casa vivo, abbiamo paura",
    "me persiguen y tengo miedo",
    "ci minaccia con un accetta",
    # being forced, with no other sign beside it
    "sunt obligata sa lucrez 16 ore pe zi",
    "suntem obligati sa dormim in grajd",
    "sono obbligata a lavorare la notte",
    "me tienen obligada a trabajar",
    # someone else shut in, told by a friend (a development set of stop 24)
    "una mia amica e chiusa in casa dal compagno",
    "la tiene chiusa in casa",
    "l hanno chiusa in camera",
    "mi prietena e tinuta inchisa de iubit",
    "мою подругу держат взаперти",
    "мою сестру закрыли в квартире",
    "мою подругу закрили вдома",
]


def test_ordinary_lookalikes_are_not_alarms_and_the_signs_beside_them_are() -> None:
    assert [text for text in LOOKALIKES if assess(text).urgent] == []
    assert [text for text in SIGNS_ALIKE if not assess(text).urgent] == []


def test_folding_reads_romanian_without_diacritics_and_old_cedillas() -> None:
    assert fold("Mi-au luat paşaportul, ţin-mă") == fold("mi au luat pasaportul tin ma")
    assert assess("Mi-au luat paşaportul și nu mă lasă să plec").signs == ("documents_taken", "not_free_to_leave")


@pytest.mark.parametrize(
    ("language", "text", "hotline"),
    [
        ("ro", "patronul mi-a luat pasaportul si nu ma lasa sa plec din Italia", "800 290 290"),
        ("it", "il capo mi ha tolto il passaporto e mi minaccia, sono in Spagna", "900 10 50 90"),
        ("es", "nos tienen encerrados en la finca y no nos dejan salir", "0 800 77777"),
    ],
)
def test_danger_gets_the_hotline_first_in_the_users_language(
    stack: Stack, sender: str, responses: dict, language: str, text: str, hotline: str
) -> None:
    alerts = counter(stack, "hd_safety_alerts_total")
    body = post(stack, sender, text).json()
    first = body["messages"][0]["text"]
    assert "112" in first and hotline in first
    greeting_words = {"ro": "pericol", "it": "pericolo", "es": "peligro"}
    assert greeting_words[language] in first.lower()
    assert counter(stack, "hd_safety_alerts_total") == alerts + 1
