"""action_centre_info: questions about the centres, answered from knowledge/data/centres.yml in the person's
language: the centre a message names (or the nearest to a place of the region it names) with its hours in
local time, open now or when it opens, contacts only where filled in, and the offer to talk to it; without a
place, every centre and the question where the person is."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from action_testing import run, tracker

from actions.centres import ActionCentreInfo, centres, describe, hours_text, named_centre
from core.locales import text


@pytest.mark.parametrize(
    ("message", "centre", "place"),
    [
        ("¿Cuál es el horario del centro de Chișinău?", "chisinau", ""),
        ("numarul de telefon al centrului din Suceava", "suceava", ""),
        ("Sono a Bacău, quando è aperto il centro?", "bacau", ""),
        ("care e cel mai apropiat centru de Pascani?", "iasi", "Pașcani"),
        ("sunt din Hincesti, unde e centrul?", "chisinau", "Hîncești"),
    ],
)
def test_the_centre_a_message_is_about(message: str, centre: str, place: str) -> None:
    found, named = named_centre(message)
    assert found is not None and found.id == centre
    assert named == place


@pytest.mark.parametrize("language", ["ro", "it", "es"])
async def test_one_centre_with_its_hours_in_local_time_and_no_invented_contacts(language: str) -> None:
    messages, events = await run(
        ActionCentreInfo(), tracker("centrul din Ungheni cand e deschis?", slots={"language": language})
    )
    [answer] = messages
    assert events == []
    ungheni = centres()[0].get("ungheni")
    assert ungheni is not None
    assert hours_text(ungheni, language) in answer["text"]
    assert text("centre.no_contacts", language) in answer["text"]  # the data file has no contacts yet
    assert answer["buttons"] == [{"title": text("centre.talk", language), "payload": "/request_human"}]


def test_open_now_or_when_it_opens_in_the_centres_time() -> None:
    iasi = centres()[0].get("iasi")
    assert iasi is not None
    tuesday_noon = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)  # 12:00 in Iași
    saturday = datetime(2026, 12, 5, 10, 0, tzinfo=timezone.utc)
    assert text("centre.open_now", "ro") in describe(iasi, "ro", tuesday_noon)
    closed = describe(iasi, "it", saturday)
    assert text("centre.closed_now", "it", day="lunedì", time="09:00") in closed


async def test_without_a_place_every_centre_and_the_question_where() -> None:
    [answer], _ = await run(ActionCentreInfo(), tracker("unde sunt centrele voastre?"))
    assert all(c.name in answer["text"] for c in centres()[0].all())
    assert text("centre.about", "ro") in answer["text"]
