"""Rasa's stored conversation stays whole with the linear tracker store (rasa_server/tracker_store.py): every
event of every turn stored once, in order, across a new session too; and the Rasa server really uses that
store (a failed import would make Rasa fall back to memory: nothing in Redis, no shared trackers).

The live record is bounded (at most TRIM_AT_TURNS user turns, the rest in `rasa:earlier:{id}`), and what the
turns moved out of it decided is carried: a country said at the start still answers a question twenty turns
later without asking for it again, as it does in a short conversation.

Turn cost against conversation length is measured by bench/conversation_load.py, not here.
"""

from __future__ import annotations

import json
import uuid

import httpx
import redis as redis_sync

from knowledge.render import country_question
from ops.local_stack import TEST_REDIS_PORT
from tests.conftest import RASA_DB, Stack

TRIM_AT_TURNS = 5  # rasa_server/tracker_store.py (Python 3.10, Rasa's venv: not importable here)
TEXTS = ("buna ziua", "lucrez in italia fara contract, ce risc?", "multumesc", "cum fac plangere?")


def turn(stack: Stack, sender: str, text: str) -> list[dict]:
    body = {"sender": sender, "message": text, "metadata": {"language": "ro", "channel": "web"}}
    response = httpx.post(f"{stack.settings.rasa_url}/webhooks/rest/webhook", json=body, timeout=60)
    response.raise_for_status()
    return response.json()


def stored_events(stack: Stack, sender: str) -> list[dict]:
    params = {"token": stack.settings.rasa_token, "include_events": "ALL"}
    response = httpx.get(f"{stack.settings.rasa_url}/conversations/{sender}/tracker", params=params, timeout=30)
    response.raise_for_status()
    return response.json()["events"]


def test_every_turn_is_stored_once_in_order_across_sessions(stack: Stack) -> None:
    sender = f"tracker-{uuid.uuid4().hex[:8]}"
    said = []
    for n in range(12):
        text = TEXTS[n % len(TEXTS)]
        assert turn(stack, sender, text), "Rasa gave no answer"
        said.append(text)
    turn(stack, sender, "/session_start")  # a new session: the stored tracker keeps the first one
    for n in range(5):
        text = TEXTS[n % len(TEXTS)]
        assert turn(stack, sender, text)
        said.append(text)

    events = stored_events(stack, sender)
    stamps = [event["timestamp"] for event in events]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps), "an event stored twice or out of order"
    users = [event["text"] for event in events if event["event"] == "user" and event["text"] != "/session_start"]
    assert users == said
    assert sum(1 for event in events if event["event"] == "session_started") == 2
    # The store Rasa uses is Redis (the linear subclass), not the in-memory fallback.
    assert redis_sync.Redis(port=TEST_REDIS_PORT, db=RASA_DB).exists(f"rasa:tracker:{sender}") == 1
    live = json.loads(redis_sync.Redis(port=TEST_REDIS_PORT, db=RASA_DB).get(f"rasa:tracker:{sender}"))["events"]
    assert 0 < sum(1 for event in live if event["event"] == "user") <= TRIM_AT_TURNS
    assert redis_sync.Redis(port=TEST_REDIS_PORT, db=RASA_DB).llen(f"rasa:earlier:{sender}") >= 1


def asks_for_the_country(answer: list[dict]) -> bool:
    question = country_question("ro")
    return any(message.get("text") == question["text"] for message in answer)


def test_what_the_earlier_turns_decided_is_carried_past_the_cut(stack: Stack) -> None:
    question = "ce acte imi trebuie pentru rezidenta?"
    assert asks_for_the_country(turn(stack, f"tracker-{uuid.uuid4().hex[:8]}", question)), "no longer depends"

    sender = f"tracker-{uuid.uuid4().hex[:8]}"
    turn(stack, sender, "lucrez in italia si nu m-au platit de 2 luni")
    for n in range(3 * TRIM_AT_TURNS):
        turn(stack, sender, ("multumesc", "buna ziua")[n % 2])
    live = json.loads(redis_sync.Redis(port=TEST_REDIS_PORT, db=RASA_DB).get(f"rasa:tracker:{sender}"))["events"]
    carried = {
        e["name"]: e["value"] for e in live if e["event"] == "slot" and (e.get("metadata") or {}).get("carried")
    }
    assert carried.get("country") == "it" and carried.get("language") == "ro"
    answer = turn(stack, sender, question)
    assert answer and not asks_for_the_country(answer)


def test_a_message_asked_again_is_answered_from_the_tracker_not_run_twice(stack: Stack) -> None:
    """The gateway asks again when a call to Rasa failed without an answer (rasa_server/replays.py)."""
    sender = f"tracker-{uuid.uuid4().hex[:8]}"
    body = {
        "sender": sender,
        "message": "lucrez in italia si nu m-au platit de 2 luni",
        "metadata": {"language": "ro", "channel": "web", "message_id": "m-1"},
    }
    url = f"{stack.settings.rasa_url}/webhooks/rest/webhook"
    first = httpx.post(url, json=body, timeout=60).json()
    retry = {**body, "metadata": {**body["metadata"], "retry": True}}
    again = httpx.post(url, json=retry, timeout=60).json()
    assert first and again == first
    users = [e["text"] for e in stored_events(stack, sender) if e["event"] == "user"]
    assert users == [body["message"]]
    other = httpx.post(url, json={**retry, "metadata": {**retry["metadata"], "message_id": "m-2"}}, timeout=60)
    assert other.json()  # another id, even marked as a retry: a new turn
    assert len([e for e in stored_events(stack, sender) if e["event"] == "user"]) == 2
    # A first try is not looked up (the gateway marks only retries and redelivered entries): it runs.
    httpx.post(url, json={**body, "metadata": {**body["metadata"], "message_id": "m-2"}}, timeout=60)
    assert len([e for e in stored_events(stack, sender) if e["event"] == "user"]) == 3
