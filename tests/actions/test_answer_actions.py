"""action_answer, action_more and action_topic_menu: the card in the user's language for their country, or
first the question of where they are; a country the question names is answered for, and only a statement of
where the user is changes the stored one."""

from __future__ import annotations

from action_testing import card, run, tracker
from rasa_sdk.events import SlotSet

from actions.answers import ActionAnswer, ActionMore, ActionTopicMenu
from core.locales import text
from knowledge.cards import knowledge
from knowledge.render import country_question

WAGES = "rights_unpaid_wages"  # depends on the country
EU_CITIZENS = "mobility_eu_citizens"  # the same everywhere


def answered(card_id: str) -> list[dict]:
    return [SlotSet("last_answer", card_id), SlotSet("pending_answer", None)]


def test_the_cards_used_here_are_as_assumed() -> None:
    assert knowledge()[WAGES].by_country and not knowledge()[EU_CITIZENS].by_country
    assert card(WAGES, "it", "es") != card(WAGES, "it", "it")


async def test_a_known_country_gets_its_card_in_the_users_language() -> None:
    shown, events = await run(
        ActionAnswer(), tracker("non mi pagano lo stipendio", WAGES, slots={"language": "it", "country": "es"})
    )
    assert shown == [card(WAGES, "it", "es")]
    assert events == answered(WAGES)


async def test_a_card_the_same_everywhere_is_sent_without_asking_the_country() -> None:
    shown, events = await run(ActionAnswer(), tracker("pot lucra in UE fara permis?", EU_CITIZENS))
    assert shown == [card(EU_CITIZENS, "ro", None)]
    assert events == answered(EU_CITIZENS)


async def test_a_country_dependent_card_without_a_country_asks_first_and_waits() -> None:
    shown, events = await run(ActionAnswer(), tracker("nu mi-au platit salariul", WAGES, slots={"language": "es"}))
    assert shown == [country_question("es")]
    assert events == [SlotSet("pending_answer", WAGES)]


async def test_a_country_the_question_names_is_answered_for_but_not_stored() -> None:
    shown, events = await run(ActionAnswer(), tracker("nu mi-au platit salariul in Spania", WAGES))
    assert shown == [card(WAGES, "ro", "es")]
    assert events == answered(WAGES)


async def test_italy_or_spain_beside_the_home_country_is_answered_for_without_asking() -> None:
    taxes = "rights_taxes"
    assert knowledge()[taxes].by_country
    shown, events = await run(
        ActionAnswer(), tracker("platesc impozit in italia, trebuie sa mai platesc si in romania?", taxes)
    )
    assert shown == [card(taxes, "ro", "it")]
    assert events == answered(taxes)  # not stored: the question is about Italy, not said to be there
    shown, _ = await run(ActionAnswer(), tracker("am lucrat in Italia si in Spania, unde platesc?", taxes))
    assert shown == [country_question("ro")]
    # a guess for answering only: the country the person said they are in wins
    shown, _ = await run(
        ActionAnswer(), tracker("platesc impozit in italia, si in romania?", taxes, slots={"country": "es"})
    )
    assert shown == [card(taxes, "ro", "es")]


async def test_the_words_of_one_countrys_system_answer_for_it_without_storing_it() -> None:
    shown, events = await run(ActionAnswer(), tracker("nu mi-au dat busta paga de 2 luni", WAGES))
    assert shown == [card(WAGES, "ro", "it")]
    assert events == answered(WAGES)
    shown, _ = await run(
        ActionAnswer(), tracker("no me pagan, la nomina llega tarde", WAGES, slots={"language": "es"})
    )
    assert shown == [card(WAGES, "es", "es")]
    # a country known wins over the words; the words of two countries say nothing
    shown, _ = await run(ActionAnswer(), tracker("nu vad orele in busta paga", WAGES, slots={"country": "es"}))
    assert shown == [card(WAGES, "ro", "es")]
    shown, _ = await run(ActionAnswer(), tracker("busta paga sau nomina, tot nu am primit", WAGES))
    assert shown == [country_question("ro")]


async def test_saying_where_one_works_stores_the_country_and_tells_the_gateway() -> None:
    shown, events = await run(
        ActionAnswer(), tracker("lucrez in Spania si nu mi-au platit salariul", WAGES, slots={"country": "it"})
    )
    assert shown == [{"signal": {"profile": {"country": "es"}}}, card(WAGES, "ro", "es")]
    assert events == [SlotSet("country", "es"), *answered(WAGES)]


async def test_a_country_named_as_origin_changes_nothing() -> None:
    shown, events = await run(
        ActionAnswer(), tracker("sunt din Moldova si nu mi-au platit salariul", WAGES, slots={"country": "it"})
    )
    assert shown == [card(WAGES, "ro", "it")]
    assert events == answered(WAGES)


async def test_an_intent_without_a_card_shows_the_menu() -> None:
    assert await run(ActionAnswer(), tracker("salut", "greet")) == ([{"response": "utter_menu"}], [])


async def test_more_opens_the_named_card_and_a_counsellor_card_asks_for_a_counsellor() -> None:
    danger = tracker(
        '/more{"answer":"report_danger"}',
        "more",
        slots={"country": "it"},
        entities=[{"entity": "answer", "value": "report_danger"}],
    )
    shown, events = await run(ActionMore(), danger)
    assert knowledge()["report_danger"].counsellor
    assert shown == [
        card("report_danger", "ro", "it"),
        {"signal": {"handoff": "counsellor_topic", "urgent": False, "topic": "report_danger"}},
    ]
    assert events == answered("report_danger")


async def test_more_without_a_card_continues_from_the_last_answer() -> None:
    follow = knowledge()[WAGES].variant("md").more[0]
    shown, events = await run(
        ActionMore(), tracker("mai mult", "more", slots={"last_answer": WAGES, "country": "md"})
    )
    assert shown == [card(follow, "ro", "md")]
    assert events == answered(follow)


async def test_more_with_nothing_to_continue_shows_the_menu() -> None:
    assert await run(ActionMore(), tracker("mai mult", "more")) == ([{"response": "utter_menu"}], [])


async def test_a_topic_lists_its_asked_questions() -> None:
    shown, events = await run(
        ActionTopicMenu(), tracker("/topic_rights", "topic_rights", slots={"language": "es"})
    )
    asked = [c for c in knowledge().by_topic("rights") if c.asked]
    assert len(asked) < len(knowledge().by_topic("rights"))  # some cards are reached only through "more"
    assert shown == [
        {
            "text": text("topic.intro.rights", "es"),
            "buttons": [{"title": c.title["es"], "payload": f"/{c.id}"} for c in asked],
        }
    ]
    assert events == []
