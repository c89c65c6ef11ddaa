"""action_request_human signals the request to the gateway; every action of actions/ is in the domain."""

from __future__ import annotations

import yaml
from action_testing import ROOT, run, tracker
from rasa_sdk import Action

from actions import answers, clarify, country, handoff, language, privacy, safety
from actions.handoff import ActionRequestHuman


async def test_a_request_for_a_person_is_a_signal_to_the_gateway() -> None:
    shown, events = await run(ActionRequestHuman(), tracker("vreau sa vorbesc cu un om", "request_human"))
    assert shown == [{"signal": {"handoff": "user_request", "urgent": False, "topic": None}}]
    assert events == []


def test_every_action_is_declared_in_the_domain() -> None:
    declared = set()
    for path in (ROOT / "bot" / "domain").glob("*.yml"):
        declared |= set(yaml.safe_load(path.read_text(encoding="utf-8")).get("actions") or [])
    modules = (answers, clarify, country, handoff, language, privacy, safety)
    names = {
        cls().name()
        for module in modules
        for cls in vars(module).values()
        if isinstance(cls, type)
        and issubclass(cls, Action)
        and cls is not Action
        and cls.__module__ == module.__name__
    }
    assert len(names) == 10
    assert names <= declared
