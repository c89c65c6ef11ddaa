"""The hotline shown is the one that works where the person is, through the real stack (gateway, worker,
Rasa with the trained model, action server, Redis): a confirmed country (a button, or "lucrez in Italia")
wins over any place a danger message names, a place named as origin never changes it, and Italian "sua"
or English "uk" are no country. With no country known, the all-countries card."""

from __future__ import annotations

import pytest
import redis as redis_sync

from knowledge.cards import knowledge
from safety.alert import SAFETY_CARD
from tests.conftest import Stack, post

# The line that works in each country the person may be in, and a line that must not be offered there.
HOTLINE = {"it": "800 290 290", "es": "900 10 50 90", "md": "0 800 77777", "other": "+373 22 23 33 09"}
FOREIGN = {"it": "0800 800 678", "es": "0800 800 678", "md": "800 290 290", "other": "800 290 290"}
DANGER_NAMING_ORIGIN = {
    "ro": "sunt din romania si am nevoie de ajutor urgent, ma simt in pericol",
    "it": "vengo dalla Romania, mi sento in grande pericolo e ho bisogno di aiuto urgente",
    "es": "soy de Rumania y tengo mucho miedo, necesito ayuda ya",
}
GREETING = {"ro": "buna ziua", "it": "buongiorno", "es": "hola, buenos dias"}
DANGER_NAMING_MOLDOVA = {
    "ro": "sunt din Moldova, ma bate si mi-e frica",
    "it": "sono della Moldavia, ho tanta paura, aiutatemi subito",
    "es": "soy de Moldavia y estoy en peligro",
}


def country(redis_client: redis_sync.Redis, sender: str) -> str | None:
    value = redis_client.hget(f"hd:conv:web:{sender}", "country")
    return value.decode() if value else None


def first_text(stack: Stack, sender: str, text: str) -> str:
    response = post(stack, sender, text)
    assert response.status_code == 200, response.text
    return response.json()["messages"][0]["text"]


@pytest.mark.parametrize("language", ["ro", "it", "es"])
@pytest.mark.parametrize("where", ["it", "es", "md", "other"])
def test_a_confirmed_country_wins_over_the_origin_a_danger_message_names(
    stack: Stack, sender: str, redis_client: redis_sync.Redis, language: str, where: str
) -> None:
    post(stack, sender, GREETING[language])  # the conversation's language
    post(stack, sender, f'/set_country{{"country": "{where}"}}')
    assert country(redis_client, sender) == where
    danger = DANGER_NAMING_MOLDOVA[language] if where != "md" else DANGER_NAMING_ORIGIN[language]
    text = first_text(stack, sender, danger)
    assert HOTLINE[where] in text and FOREIGN[where] not in text, text
    assert country(redis_client, sender) == where


@pytest.mark.parametrize(
    ("presence", "danger", "hotline"),
    [
        ("Bună, lucrez în Italia de un an", DANGER_NAMING_ORIGIN["ro"], "800 290 290"),
        ("Ciao, lavoro in Spagna da due anni", DANGER_NAMING_MOLDOVA["it"], "900 10 50 90"),
        ("Hola, vivo en Italia con mi marido", DANGER_NAMING_ORIGIN["es"], "800 290 290"),
    ],
)
def test_saying_where_one_works_is_kept_for_a_later_danger_message(
    stack: Stack,
    sender: str,
    redis_client: redis_sync.Redis,
    presence: str,
    danger: str,
    hotline: str,
) -> None:
    post(stack, sender, presence)
    stored = country(redis_client, sender)
    text = first_text(stack, sender, danger)
    assert hotline in text and "0800 800 678" not in text, text
    assert country(redis_client, sender) == stored != "ro"


@pytest.mark.parametrize(
    "text",
    [
        "la sua datrice di lavoro non gli paga lo stipendio da due mesi",
        "mio marito usa la sua macchina per andare al lavoro, serve la patente italiana?",
        "ho perso la sua carta, che faccio?",
    ],
)
def test_italian_sua_and_usa_never_change_the_country(
    stack: Stack, sender: str, redis_client: redis_sync.Redis, text: str
) -> None:
    post(stack, sender, '/set_country{"country": "it"}')
    post(stack, sender, text)
    assert country(redis_client, sender) == "it"


def test_with_no_country_known_the_danger_card_lists_every_country_and_the_consular_route(
    stack: Stack, sender: str, redis_client: redis_sync.Redis
) -> None:
    text = first_text(stack, sender, DANGER_NAMING_ORIGIN["ro"])
    expected = knowledge()[SAFETY_CARD].variant(None).text["ro"]
    assert text.startswith(expected)
    assert all(line in text for line in ("800 290 290", "900 10 50 90", "0 800 77777", "ambasada"))
    assert country(redis_client, sender) is None
