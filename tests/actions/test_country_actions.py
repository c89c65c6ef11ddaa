"""action_set_country: the country from a button's entity or from where the message says the user is, never
from a country named as origin; the card that waited for it is sent right after."""

from __future__ import annotations

from action_testing import card, run, tracker
from rasa_sdk.events import SlotSet

from actions.country import ActionChangeCountry, ActionSetCountry
from core.locales import text
from knowledge.render import country_name, country_question


def noted(country: str, language: str) -> list[dict]:
    return [
        {"signal": {"profile": {"country": country}}},
        {"text": text("country.noted", language, country=country_name(country, language)), "buttons": []},
        {"response": "utter_menu"},
    ]


async def test_a_country_button_sets_the_country() -> None:
    pressed = tracker(
        '/set_country{"country":"es"}',
        "set_country",
        slots={"language": "it"},
        entities=[{"entity": "country", "value": "es"}],
    )
    assert await run(ActionSetCountry(), pressed) == (noted("es", "it"), [SlotSet("country", "es")])


async def test_saying_where_one_works_sets_the_country() -> None:
    said = tracker("lucrez in Spania", "set_country")
    assert await run(ActionSetCountry(), said) == (noted("es", "ro"), [SlotSet("country", "es")])


async def test_where_one_is_now_wins_over_a_country_one_worked_in() -> None:
    said = tracker("am lucrat in Franta la struguri, acum sunt in Spania", "set_country", slots={"language": "ro"})
    assert await run(ActionSetCountry(), said) == (noted("es", "ro"), [SlotSet("country", "es")])


async def test_a_country_named_as_origin_is_not_where_the_user_is() -> None:
    said = tracker("sunt din Moldova", "set_country", slots={"language": "es"})
    assert await run(ActionSetCountry(), said) == ([country_question("es")], [])


async def test_an_unknown_country_asks_again() -> None:
    said = tracker('/set_country{"country":"fr"}', "set_country", entities=[{"entity": "country", "value": "fr"}])
    assert await run(ActionSetCountry(), said) == ([country_question("ro")], [])


async def test_the_card_that_waited_for_the_country_is_sent() -> None:
    pressed = tracker(
        '/set_country{"country":"it"}',
        "set_country",
        slots={"pending_answer": "rights_unpaid_wages"},
        entities=[{"entity": "country", "value": "it"}],
    )
    shown, events = await run(ActionSetCountry(), pressed)
    assert shown == [{"signal": {"profile": {"country": "it"}}}, card("rights_unpaid_wages", "ro", "it")]
    assert events == [
        SlotSet("country", "it"),
        SlotSet("last_answer", "rights_unpaid_wages"),
        SlotSet("pending_answer", None),
    ]


async def test_a_long_message_read_as_a_place_without_confidence_gets_the_likely_questions() -> None:
    """A question beside the place ("not paid ... now I am in Castellón") is not answered with the menu: the
    country is noted and the likeliest questions are offered, with a person."""
    said = tracker(
        "trabajé en Francia en la vendimia y no me pagaron todo, ahora estoy en Castellón",
        "set_country",
        slots={"language": "es"},
        confidence=0.41,
        ranking=["set_country", "rights_unpaid_wages", "return_no_money"],
    )
    shown, events = await run(ActionSetCountry(), said)
    assert events == [SlotSet("country", "es")]
    assert shown[:2] == noted("es", "es")[:2]
    assert shown[2]["text"] == text("clarify.ask", "es")
    payloads = [button["payload"] for button in shown[2]["buttons"]]
    assert payloads == ["/rights_unpaid_wages", "/return_no_money", "/request_human"]


async def test_a_sure_or_short_place_statement_still_gets_the_menu() -> None:
    sure = tracker("trabajo en Huelva en la fresa desde marzo", "set_country", slots={"language": "es"})
    assert await run(ActionSetCountry(), sure) == (noted("es", "es"), [SlotSet("country", "es")])
    short = tracker("ahora en Italia", "set_country", confidence=0.5)
    assert await run(ActionSetCountry(), short) == (noted("it", "ro"), [SlotSet("country", "it")])


async def test_changing_the_country_with_where_one_is_now_sets_it() -> None:
    said = tracker("am gresit tara, eu sunt in Italia nu in Spania", "change_country", slots={"country": "es"})
    assert await run(ActionChangeCountry(), said) == (noted("it", "ro"), [SlotSet("country", "it")])


async def test_changing_the_country_without_saying_where_one_is_asks() -> None:
    for message in ("aspetta, ormai non abito piu in italia, cambiamo il paese", "schimba tara, nu mai e Italia"):
        said = tracker(message, "change_country", slots={"language": "it", "country": "it"})
        assert await run(ActionChangeCountry(), said) == ([{"response": "utter_ask_country"}], [])
