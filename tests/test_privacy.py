""" "Delete my data" end to end (real gateway, worker, Rasa with the trained model, Redis): after the user
confirms, the conversation, the transcript, the web chat's messages, the cases' personal fields and Rasa's
tracker are gone, and the user is told so in their language; also while a counsellor has the case. Message
texts and user ids never reach the gateway's log."""

from __future__ import annotations

import json

import pytest
import redis as redis_sync

from handoff.texts import text as handoff_text
from ops.local_stack import LOGS, TEST_REDIS_PORT
from tests.conftest import RASA_DB, Stack, post


def erased_everything(redis_client: redis_sync.Redis, sender: str, case_id: str) -> None:
    rasa = redis_sync.Redis(port=TEST_REDIS_PORT, db=RASA_DB)
    assert not rasa.exists(f"rasa:tracker:web:{sender}") and not rasa.exists(f"rasa:earlier:web:{sender}")
    assert not redis_client.exists(f"hd:conv:web:{sender}")
    assert not redis_client.exists(f"hd:handoff:transcript:web:{sender}")
    assert not redis_client.exists(f"hd:case:{case_id}:timeline")
    assert not redis_client.exists(f"hd:cases:conv:web:{sender}")
    case = {k.decode(): v.decode() for k, v in redis_client.hgetall(f"hd:case:{case_id}").items()}
    assert case["user_id"] == "erased" and case["conversation_id"] == "erased" and case["origin"] == ""
    assert case["state"] == "closed" and case["outcome"] == "erased"
    assert redis_client.zscore(f"hd:cases:queue:{case['centre']}", case_id) is None
    kept = [json.loads(f[b"m"]) for _, f in redis_client.xrange(f"hd:web:out:{sender}")]
    assert len(kept) == 1  # only the confirmation that everything was erased


@pytest.mark.parametrize(
    ("language", "greeting", "question", "origin"),
    [
        ("ro", "bună ziua", "nu mi-au plătit salariul", "sunt din Vaslui"),
        ("it", "buongiorno a tutti", "il datore di lavoro non mi paga lo stipendio", "vengo da Bacau"),
        ("es", "hola, buenas tardes", "mi jefe no me paga el sueldo", "soy de Cahul"),
    ],
)
def test_delete_my_data_during_an_open_case_erases_everything(
    stack: Stack,
    sender: str,
    redis_client: redis_sync.Redis,
    responses: dict,
    language: str,
    greeting: str,
    question: str,
    origin: str,
) -> None:
    post(stack, sender, greeting)
    post(stack, sender, question)
    post(stack, sender, "/request_human")
    post(stack, sender, origin)
    case_id = redis_client.hget(f"hd:conv:web:{sender}", "case").decode()
    assert redis_client.exists(f"hd:case:{case_id}:timeline")
    rasa = redis_sync.Redis(port=TEST_REDIS_PORT, db=RASA_DB)
    assert rasa.exists(f"rasa:tracker:web:{sender}")

    asked = post(stack, sender, "/delete_my_data").json()["messages"]  # the menu button, during the case
    assert asked[0]["text"] == responses["utter_confirm_delete"][language]["text"]
    assert redis_client.hget(f"hd:case:{case_id}", "state") == b"waiting"  # nothing erased before "yes"
    done = post(stack, sender, "/confirm_delete").json()["messages"]
    assert [m["text"] for m in done][-1] == handoff_text("erased", language)
    erased_everything(redis_client, sender, case_id)

    greeted = post(stack, sender, greeting).json()["messages"]  # a fresh start, answered by the bot
    assert greeted[0]["text"] == responses["utter_greet"][language]["text"]


def test_delete_my_data_typed_in_the_chat_asks_first_and_cancel_keeps_everything(
    stack: Stack, sender: str, redis_client: redis_sync.Redis, responses: dict
) -> None:
    post(stack, sender, "bună ziua")
    asked = post(stack, sender, "șterge datele mele").json()["messages"]
    assert asked[0]["text"] == responses["utter_confirm_delete"]["ro"]["text"]
    post(stack, sender, "/cancel_delete")
    assert redis_client.exists(f"hd:conv:web:{sender}")
    assert redis_client.exists(f"hd:handoff:transcript:web:{sender}")
    assert redis_sync.Redis(port=TEST_REDIS_PORT, db=RASA_DB).exists(f"rasa:tracker:web:{sender}")


def test_texts_and_user_ids_never_reach_the_log(stack: Stack, sender: str) -> None:
    secret = "Mă numesc Ioana Zamfirescu, telefon 0799123456"
    post(stack, sender, "bună ziua")
    post(stack, sender, "/request_human")
    post(stack, sender, secret)
    log = (LOGS / f"gateway-{stack.settings.gateway_port}.log").read_text(errors="replace")
    assert "case " in log  # the gateway does log (case ids, centres, reasons) ...
    for private in ("Zamfirescu", "0799123456", sender):  # ... but never what people wrote or who they are
        assert private not in log


def test_delete_my_data_erases_the_turns_moved_out_of_rasas_live_record(stack: Stack, sender: str) -> None:
    rasa = redis_sync.Redis(port=TEST_REDIS_PORT, db=RASA_DB)
    for n in range(14):  # more turns than Rasa's live record keeps (rasa_server/tracker_store.py)
        post(stack, sender, ("bună ziua", "mulțumesc")[n % 2])
    assert rasa.exists(f"rasa:earlier:web:{sender}") and rasa.exists(f"rasa:tracker:web:{sender}")
    post(stack, sender, "/delete_my_data")
    post(stack, sender, "/confirm_delete")
    assert not rasa.exists(f"rasa:earlier:web:{sender}") and not rasa.exists(f"rasa:tracker:web:{sender}")
