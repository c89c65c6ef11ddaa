"""Messages sent while Rasa is still starting wait, get a notice in their language, and are answered once
Rasa is up; nothing is dropped."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.conftest import COLD_GATEWAY_DB, COLD_RASA_DB, make_stack, post, wait_until

NOTICE_WORDS = {
    "ro": "Am primit mesajul tău",
    "it": "Abbiamo ricevuto il tuo messaggio",
    "es": "Hemos recibido tu mensaje",
}


def test_messages_wait_for_rasa_and_are_answered_when_it_is_up(model: Path, responses: dict) -> None:
    stack = make_stack(model, COLD_GATEWAY_DB, COLD_RASA_DB, web_reply_wait_seconds=3)
    stack.start("gateway")
    try:
        stack.wait_gateway()
        assert httpx.get(f"{stack.gateway}/readyz").json()["rasa"] is False
        greetings = {"ro": "buna ziua", "it": "buongiorno", "es": "hola buenos dias"}
        cursors = {}
        for language, text in greetings.items():
            response = post(stack, f"cold-{language}", text)
            assert response.status_code == 202, response.text
            body = response.json()
            assert body["pending"] is True
            assert [m["text"] for m in body["messages"]] == [_notice(language)]
            cursors[language] = body["cursor"]

        stack.start("actions")
        stack.start("rasa")
        stack.wait_ready()

        for language in greetings:
            got: list[dict] = []

            def answered(language: str = language, got: list[dict] = got) -> bool:
                page = httpx.get(
                    f"{stack.gateway}/webhooks/web/messages",
                    params={"sender": f"cold-{language}", "after": cursors[language], "wait": 2},
                    timeout=10,
                ).json()
                got.extend(page["messages"])
                cursors[language] = page["cursor"]
                return bool(got)

            wait_until(answered, 60, f"no answer for the {language} message after Rasa started")
            assert [m["text"] for m in got] == [responses["utter_greet"][language]["text"]]
    finally:
        stack.stop_all()


def _notice(language: str) -> str:
    from messaging.notices import notice

    text = notice("waiting", language).text
    assert text.startswith(NOTICE_WORDS[language])
    return text
