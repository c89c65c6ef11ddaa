"""action_set_language: copies the language and the country the gateway sends in the message metadata into
their slots, only when they are ours and differ from the slots."""

from __future__ import annotations

import pytest
from action_testing import run, tracker
from rasa_sdk.events import SlotSet

from actions.language import ActionSetLanguage


@pytest.mark.parametrize(
    ("metadata", "slots", "events"),
    [
        ({"language": "it", "country": "es"}, {}, [SlotSet("language", "it"), SlotSet("country", "es")]),
        ({"language": "es"}, {"country": "it"}, [SlotSet("language", "es")]),
        ({"language": "ro", "country": "md"}, {"language": "ro"}, [SlotSet("country", "md")]),
        ({"language": "it", "country": "es"}, {"language": "it", "country": "es"}, []),
        ({"language": "en", "country": "fr"}, {}, []),
        ({}, {"language": "it"}, []),
    ],
    ids=["both", "language only", "country only", "unchanged", "not ours", "no metadata"],
)
async def test_metadata_language_and_country_become_the_slots(
    metadata: dict, slots: dict, events: list[dict]
) -> None:
    assert await run(ActionSetLanguage(), tracker("ciao", "greet", slots=slots, metadata=metadata)) == ([], events)
