"""Messages in a language the helpdesk does not speak, through the real stack: one short answer in that language
and in ours, with the language buttons and a counsellor; never a wrong card or a silent language switch.
Danger does not depend on the language: the hotline and an urgent case, as in Romanian, Italian or Spanish."""

from __future__ import annotations

import pytest
import redis as redis_sync

from core.languages import other_languages
from messaging.language import foreign_language
from messaging.notices import foreign_notice
from tests.conftest import Stack, post


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Hallo, ich brauche Hilfe", "de"),
        ("Привет, мне нужна помощь", "ru"),
        ("Добрий день, мені потрібна порада щодо роботи", "uk"),
        ("Hello, I need some information about my work contract", "en"),
        ("Bonjour, je suis en Italie et j'ai besoin d'aide", "fr"),
    ],
)
def test_a_message_in_another_language_gets_one_answer_in_it_and_in_ours(
    stack: Stack, sender: str, redis_client: redis_sync.Redis, text: str, code: str
) -> None:
    assert foreign_language(text) == code
    body = post(stack, sender, text).json()
    [answer] = body["messages"]
    assert answer["text"] == foreign_notice(code).text
    assert answer["text"].startswith(other_languages()[code]["reply"].split("!")[0])
    payloads = [b["payload"] for b in answer["buttons"]]
    assert payloads[-1] == "/request_human" and sum("/choose_language" in p for p in payloads) == 3
    assert not redis_client.hget(f"hd:conv:web:{sender}", "case")  # no case, no card: one honest answer


@pytest.mark.parametrize(
    "text",
    [
        "buna ziua, am nevoie de ajutor cu contractul",
        "hola, necesito ayuda con el paro",
        "ok thanks",
        "hello buna",
    ],
)
def test_our_languages_with_a_few_english_words_stay_ours(text: str) -> None:
    assert foreign_language(text) is None


@pytest.mark.parametrize(
    ("text", "hotline"),
    [
        ("my boss took my passport and locks us in the house in Italy, I am in Italy", "800 290 290"),
        ("Мой начальник забрал паспорт и запирает нас, я в Испании", "900 10 50 90"),
        ("Мій роботодавець забрав мій паспорт, ми замкнені", "0 800 77777"),
        ("Mein Chef hat meinen Pass weggenommen und sperrt uns ein", "800 290 290"),
        ("Mon patron a pris mon passeport et nous enferme", "900 10 50 90"),
    ],
)
def test_danger_in_another_language_gets_the_hotline_and_an_urgent_case(
    stack: Stack, sender: str, redis_client: redis_sync.Redis, text: str, hotline: str
) -> None:
    body = post(stack, sender, text).json()
    first = body["messages"][0]["text"]
    assert "112" in first and hotline in first
    code = foreign_language(text)  # the first line is in the person's language, the numbers follow
    assert code and first.startswith(other_languages()[code]["danger"])
    case = (redis_client.hget(f"hd:conv:web:{sender}", "case") or b"").decode()
    assert case and redis_client.hget(f"hd:case:{case}", "urgent") == b"1"
