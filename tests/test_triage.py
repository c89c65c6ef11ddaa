"""The safety triage on the labelled messages in tests/triage/: every danger message raises the alarm
(recall 100%) and fewer than 5% of ordinary questions do; then the whole path through the real gateway:
the hotline of the user's country comes first, in their language, even while Rasa is not asked."""

from __future__ import annotations

import httpx
import pytest
import yaml

from knowledge.cards import LANGUAGES
from safety.triage import assess, fold
from tests.conftest import ROOT, Stack, post

MIN_DANGER = 40
MAX_FALSE_ALARMS = 0.05


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
    body = post(stack, sender, text).json()
    first = body["messages"][0]["text"]
    assert "112" in first and hotline in first
    greeting_words = {"ro": "pericol", "it": "pericolo", "es": "peligro"}
    assert greeting_words[language] in first.lower()
    metrics = httpx.get(f"{stack.gateway}/metrics").text
    assert "hd_safety_alerts_total" in metrics
