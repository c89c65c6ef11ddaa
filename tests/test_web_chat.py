"""End to end through POST /webhooks/web: the real gateway, worker, Rasa with the trained model, Redis."""

from __future__ import annotations

import json

import httpx
import pytest

from knowledge.cards import knowledge
from knowledge.render import country_question, render
from messaging.notices import languages_offer
from tests.conftest import Stack, counter, post

MENU_PAYLOADS = ["/topic_rights", "/topic_mobility", "/topic_trafficking", "/topic_return", "/request_human"]


def expected(responses: dict, name: str, language: str) -> dict:
    variant = responses[name][language]
    buttons = [
        {"title": b["title"], "payload": b["payload"].replace("{{", "{").replace("}}", "}")}
        for b in variant.get("buttons", [])
    ]
    return {"text": variant["text"], "buttons": buttons}


def card(card_id: str, language: str, country: str | None = None) -> dict:
    """The message of a knowledge card, as the assistant sends it."""
    cards = knowledge()
    message = render(cards, cards[card_id], language, country)
    return {"text": message["text"], "buttons": message["buttons"]}


def strip_ids(messages: list[dict]) -> list[dict]:
    return [{"text": m.get("text", ""), "buttons": m.get("buttons", [])} for m in messages]


@pytest.mark.parametrize(
    ("language", "greeting"),
    [
        ("ro", "buna ziua"),
        ("ro", "Bună seara tuturor"),
        ("it", "buongiorno a tutti"),
        ("it", "salve, buonasera"),
        ("es", "hola, buenas tardes"),
        ("es", "buenos dias"),
    ],
)
def test_greeting_is_answered_in_its_language_with_the_menu(
    stack: Stack, sender: str, responses: dict, language: str, greeting: str
) -> None:
    response = post(stack, sender, greeting)
    assert response.status_code == 200, response.text
    body = response.json()
    assert strip_ids(body["messages"]) == [expected(responses, "utter_greet", language)]
    assert [b["payload"] for b in body["messages"][0]["buttons"]] == MENU_PAYLOADS
    assert "Server-Timing" in response.headers


@pytest.mark.parametrize(
    ("language", "question", "answer", "country"),
    [
        ("ro", "nu mi-au platit salariul de doua luni, sunt in Italia", "rights_unpaid_wages", "it"),
        ("it", "il datore di lavoro non mi paga lo stipendio, lavoro in Spagna", "rights_unpaid_wages", "es"),
        ("es", "mi jefe no me paga el sueldo, estoy en España", "rights_unpaid_wages", "es"),
        ("ro", "cum imi echivalez diploma de facultate luata in strainatate", "return_diplomas", None),
        ("it", "come funziona il ritorno volontario con l'OIM?", "return_iom", None),
        ("es", "como se reconoce la trata de personas, que señales hay", "trafficking_signs", None),
    ],
)
def test_questions_get_their_card_in_the_same_language_and_country(
    stack: Stack, sender: str, language: str, question: str, answer: str, country: str | None
) -> None:
    body = post(stack, sender, question).json()
    assert strip_ids(body["messages"]) == [card(answer, language, country)]


def test_the_country_is_asked_once_then_remembered(stack: Stack, sender: str) -> None:
    body = post(stack, sender, "nu mi-au platit salariul pe doua luni").json()
    assert strip_ids(body["messages"]) == [country_question("ro")]
    body = post(stack, sender, '/set_country{"country":"es"}').json()
    assert strip_ids(body["messages"]) == [card("rights_unpaid_wages", "ro", "es")]
    body = post(stack, sender, "unde fac plangere impotriva patronului?").json()
    assert strip_ids(body["messages"]) == [card("rights_complain", "ro", "es")]


def test_a_topic_lists_its_questions(stack: Stack, sender: str) -> None:
    post(stack, sender, "buongiorno a tutti")
    body = post(stack, sender, "/topic_return").json()
    payloads = [b["payload"] for b in body["messages"][0]["buttons"]]
    assert payloads == [f"/{c.id}" for c in knowledge().by_topic("return") if c.asked]


def test_menu_buttons_answer_in_the_conversation_language(stack: Stack, sender: str) -> None:
    post(stack, sender, "buongiorno a tutti")
    body = post(stack, sender, "/trafficking_help").json()
    assert strip_ids(body["messages"]) == [card("trafficking_help", "it")]
    assert "800 290 290" in body["messages"][0]["text"]


def test_short_ambiguous_messages_keep_the_language(stack: Stack, sender: str, responses: dict) -> None:
    post(stack, sender, "hola, buenos dias")
    for short in ("ok", "si", "👍", "123"):
        post(stack, sender, short)
    body = post(stack, sender, "/menu").json()
    assert strip_ids(body["messages"]) == [expected(responses, "utter_menu", "es")]


def test_a_first_message_that_tells_no_language_gets_the_three_once(
    stack: Stack, sender: str, responses: dict, redis_client
) -> None:
    body = post(stack, sender, "ok").json()
    offer = languages_offer()
    assert strip_ids(body["messages"]) == [
        {"text": offer.text, "buttons": [{"title": b.title, "payload": b.payload} for b in offer.buttons]}
    ]
    assert redis_client.hget(f"hd:conv:web:{sender}", "language") is None  # nothing guessed, nothing stored
    body = post(stack, sender, "hola, necesito ayuda").json()  # the next message tells it
    assert strip_ids(body["messages"])[0]["text"].startswith(expected(responses, "utter_greet", "es")["text"][:20])
    other = f"{sender}-2"
    post(stack, other, "ok")
    body = post(stack, other, "ok").json()  # offered once: then the assistant answers, in Romanian
    assert body["messages"][0]["text"] != languages_offer().text


def test_a_confident_message_in_another_language_switches(stack: Stack, sender: str, responses: dict) -> None:
    post(stack, sender, "buna ziua")
    body = post(stack, sender, "grazie mille, mi hai aiutato molto").json()
    assert strip_ids(body["messages"]) == [expected(responses, "utter_thank", "it")]


@pytest.mark.parametrize(
    ("choice", "language"),
    [
        ("italiano", "it"),
        ("/lang es", "es"),
        ("in romana va rog", "ro"),
        ('/choose_language{"language":"es"}', "es"),
    ],
)
def test_an_explicit_choice_always_wins(
    stack: Stack, sender: str, responses: dict, choice: str, language: str
) -> None:
    start = "hola buenas" if language == "ro" else "buna ziua"
    post(stack, sender, start)
    body = post(stack, sender, choice).json()
    assert strip_ids(body["messages"]) == [
        expected(responses, "utter_language_changed", language),
        expected(responses, "utter_menu", language),
    ]
    # and it sticks: a neutral message afterwards is answered in the chosen language
    body = post(stack, sender, "/menu").json()
    assert strip_ids(body["messages"]) == [expected(responses, "utter_menu", language)]


def test_the_language_field_is_an_explicit_choice(stack: Stack, sender: str, responses: dict) -> None:
    body = post(stack, sender, "/greet", language="it").json()
    assert strip_ids(body["messages"]) == [expected(responses, "utter_greet", "it")]


def test_out_of_scope_offers_topics_and_a_counsellor(stack: Stack, sender: str, responses: dict) -> None:
    body = post(stack, sender, "che tempo fa domani a Milano? e chi vince il campionato?").json()
    assert strip_ids(body["messages"]) == [expected(responses, "utter_out_of_scope", "it")]
    assert "/request_human" in [b["payload"] for b in body["messages"][0]["buttons"]]


def test_a_request_for_a_person_opens_a_case(stack: Stack, sender: str, responses: dict, redis_client) -> None:
    body = post(stack, sender, "quiero hablar con una persona real, por favor").json()
    assert strip_ids(body["messages"])[0] == expected(responses, "utter_human_requested", "es")
    case_id = redis_client.hget(f"hd:conv:web:{sender}", "case").decode()  # see tests/test_handoff.py
    case = {k.decode(): v.decode() for k, v in redis_client.hgetall(f"hd:case:{case_id}").items()}
    assert case["conversation_id"] == f"web:{sender}"
    assert case["language"] == "es"
    assert case["reason"] == "user_request"
    assert redis_client.ttl(f"hd:case:{case_id}") > 0


def test_a_resent_message_id_is_answered_once(stack: Stack, sender: str) -> None:
    first = post(stack, sender, "buna ziua", message_id="client-msg-1")
    again = post(stack, sender, "buna ziua", message_id="client-msg-1")
    assert first.status_code == 200 and len(first.json()["messages"]) == 1
    assert again.status_code == 200
    assert again.json() == {"messages": [], "duplicate": True}
    everything = httpx.get(f"{stack.gateway}/webhooks/web/messages", params={"sender": sender}).json()
    assert len(everything["messages"]) == 1


def test_one_conversation_is_answered_in_order(stack: Stack, sender: str, responses: dict) -> None:
    """Messages posted back to back without waiting are answered one at a time, in order."""
    texts = ["buna ziua", "/mobility_eu_citizens", "/return_diplomas", "/trafficking_signs", "multumesc frumos"]
    expected_texts = [
        responses["utter_greet"]["ro"]["text"],
        card("mobility_eu_citizens", "ro")["text"],
        card("return_diplomas", "ro")["text"],
        card("trafficking_signs", "ro")["text"],
        responses["utter_thank"]["ro"]["text"],
    ]
    for text in texts:
        raw = json.dumps({"sender": sender, "text": text})
        # wait=0: the webhook answers as soon as the message is stored, before the worker handles it
        response = httpx.post(
            f"{stack.gateway}/webhooks/web?wait=0",
            content=raw,
            timeout=40,
            headers={"content-type": "application/json"},
        )
        assert response.status_code == 202
        assert response.json()["pending"] is True
    got: list[dict] = []
    cursor = "0-0"
    for _ in range(30):
        page = httpx.get(
            f"{stack.gateway}/webhooks/web/messages",
            params={"sender": sender, "after": cursor, "wait": 5},
            timeout=10,
        ).json()
        got += page["messages"]
        cursor = page["cursor"]
        if len(got) >= len(texts):
            break
    assert [m["text"] for m in got] == expected_texts


def test_health_readiness_and_metrics(stack: Stack, sender: str) -> None:
    assert httpx.get(f"{stack.gateway}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{stack.gateway}/readyz").json()
    assert {k: ready[k] for k in ("ready", "redis", "rasa", "backlogged")} == {
        "ready": True,
        "redis": True,
        "rasa": True,
        "backlogged": False,
    }
    accepted = counter(stack, "hd_inbound_messages_total", channel="web", result="accepted")
    handled = counter(stack, "hd_worker_overhead_seconds_count")
    post(stack, sender, "salut")
    assert counter(stack, "hd_inbound_messages_total", channel="web", result="accepted") == accepted + 1
    assert counter(stack, "hd_worker_overhead_seconds_count") == handled + 1
    assert "hd_inbound_queue_depth" in httpx.get(f"{stack.gateway}/metrics").text
