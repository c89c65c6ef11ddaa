"""The handoff desk in-process against a real Redis (no Rasa needed): routing by place and by shared location,
urgent cases first, escalation, overflow to the supervisors' queue, retention of the keys, the user's messages
going into the case, and the centres' opening hours."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from redis.asyncio import Redis

from core.messages import InboundMessage
from core.settings import Settings
from inbox.wiring import HandoffServices
from knowledge.centres import Centres
from knowledge.places import Gazetteer, fold
from messaging.conversations import Conversations
from messaging.delivery import Delivery
from messaging.web_outbox import WebOutbox
from ops.local_stack import TEST_REDIS_PORT

DB, RASA_DB = 10, 9
RETENTION = 90 * 24 * 3600


@pytest.fixture
async def handoff() -> AsyncIterator[HandoffServices]:
    settings = Settings(
        redis_url=f"redis://127.0.0.1:{TEST_REDIS_PORT}/{DB}", rasa_redis_db=RASA_DB, handoff_overflow_minutes=0.01
    )
    redis = Redis.from_url(settings.redis_url)
    await redis.flushdb()
    web = WebOutbox(redis, RETENTION)
    services = HandoffServices.build(settings, redis, Conversations(redis, RETENTION), Delivery(web))
    yield services
    await services.aclose()
    await redis.aclose()


def web_message(user: str, text: str) -> InboundMessage:
    return InboundMessage("web", user, text)


async def sent_to(handoff: HandoffServices, user: str) -> list[str]:
    messages, _ = await WebOutbox(handoff.desk.cases._redis, RETENTION).read(user, "0-0")
    return [str(m["text"]) for m in messages]


@pytest.mark.parametrize(
    ("said", "centre"),
    [
        ("Iasi", "iasi"),
        ("judetul Botosani", "botosani"),
        ("Câmpulung Moldovenesc", "suceava"),
        ("Piatra-Neamț", "piatra-neamt"),
        ("Târgu Neamț", "piatra-neamt"),
        ("barlad", "vaslui"),
        ("Onești", "bacau"),
        ("mun. Chișinău", "chisinau"),
        ("kishinev", "chisinau"),
        ("Hâncești", "chisinau"),
        ("Hincesti", "chisinau"),
        ("raionul Rîșcani", "ungheni"),
        ("Ungheni", "ungheni"),
        ("Comrat", "chisinau"),
        ("Tighina", "chisinau"),
        ("sucaeva", "suceava"),  # a typo
        ("botosani", "botosani"),
    ],
)
def test_places_of_the_region_map_to_the_nearest_centre_of_their_country(said: str, centre: str) -> None:
    centres = Centres.load("iasi")
    place = Gazetteer.load(centres).find(said)
    assert place is not None, said
    assert centres.nearest(place.lat, place.lon, place.country).id == centre


@pytest.mark.parametrize("said", ["Milano", "sunt din Italia", "buna ziua", "Madrid", "ok"])
def test_words_that_are_no_place_of_the_region_are_not_taken_for_one(said: str) -> None:
    assert Gazetteer.load(Centres.load("iasi")).find(said) is None


def test_folding_handles_both_romanian_comma_and_cedilla_letters() -> None:
    assert fold("Ştefan Vodă") == fold("Ștefan Vodă") == "stefan voda"


def test_a_shared_location_goes_to_the_nearest_centre_and_a_far_one_to_the_default() -> None:
    centres = Centres.load("iasi")
    assert centres.for_location(47.03, 28.80).id == "chisinau"
    assert centres.for_location(46.58, 26.90).id == "bacau"
    assert centres.for_location(45.46, 9.19).id == "iasi"  # Milan: elsewhere -> HANDOFF_DEFAULT_CENTRE


def test_opening_hours_say_open_now_or_the_next_opening_in_the_centre_time() -> None:
    iasi = Centres.load("iasi").get("iasi")
    assert iasi is not None
    tuesday_10_local = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)  # 10:00 in Bucharest (UTC+2)
    friday_night = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
    assert iasi.is_open(tuesday_10_local)
    assert not iasi.is_open(friday_night)
    opening = iasi.next_opening(friday_night)
    assert opening is not None and opening.weekday() == 0 and opening.strftime("%H:%M") == "09:00"


async def test_a_shared_location_routes_without_asking(handoff: HandoffServices) -> None:
    desk = handoff.desk
    message = InboundMessage("telegram", "555", "", kind="location", latitude=46.93, longitude=26.37)
    case = await desk.open_case(message, "it", "user_request", False, "")
    assert case.centre == "piatra-neamt"
    fields = await desk.conversations.fields("telegram:555")
    assert fields["state"] == "queued" and "awaiting" not in fields


async def test_urgent_cases_come_first_and_an_urgent_signal_escalates_the_open_case(
    handoff: HandoffServices,
) -> None:
    desk = handoff.desk
    await desk.conversations.set_fields("web:a", origin="Iași")
    await desk.conversations.set_fields("web:b", origin="Pașcani")
    calm = await desk.open_case(web_message("a", "vreau un consilier"), "ro", "user_request", False, "")
    await desk.open_case(web_message("b", "ajutor"), "ro", "not_understood", False, "")
    assert next(c.id for c in await desk.cases.queue("iasi")) == calm.id
    await desk.on_signal(web_message("b", "mi-au luat pașaportul"), "ro", {"handoff": "safety", "urgent": True})
    first = (await desk.cases.queue("iasi"))[0]
    assert first.conversation_id == "web:b" and first.urgent and first.reason == "safety"
    assert len(await desk.cases.of_conversation("web:b")) == 1


async def test_the_user_is_told_who_answers_and_when_and_urgent_cases_hear_about_112(
    handoff: HandoffServices,
) -> None:
    desk = handoff.desk
    desk.clock = lambda: datetime(2026, 11, 24, 8, 0, tzinfo=UTC)  # Tuesday 10:00 at the centre: open
    await desk.conversations.set_fields("web:u", origin="Vaslui")
    await desk.on_signal(web_message("u", "pericol"), "es", {"handoff": "safety", "urgent": True})
    said = await sent_to(handoff, "u")
    assert "Vaslui" in said[0] and said[0].startswith("Tu petición ha llegado al centro de Vaslui.")
    assert "112" in said[1]


async def test_messages_go_into_the_open_case_and_unclaimed_cases_overflow(handoff: HandoffServices) -> None:
    desk = handoff.desk
    case = await desk.open_case(web_message("c", "operator"), "ro", "user_request", False, "")
    assert await sent_to(handoff, "c") == [
        "Ca să te punem în legătură cu cel mai apropiat centru: din ce județ, raion sau oraș ești? "
        "(de exemplu: Iași, Suceava, Chișinău, Bălți). Poți trimite și locația."
    ]
    await desk.on_user_message(web_message("c", "sunt din Soroca"), "ro")
    await desk.on_user_message(web_message("c", "mă auziți?"), "ro")
    moved = await desk.cases.get(case.id)
    assert moved is not None and moved.centre == "ungheni" and moved.origin == "Soroca"
    entries = await desk.cases.timeline(case.id)
    assert [e["text"] for e in entries if e["kind"] == "user"] == ["sunt din Soroca", "mă auziți?"]
    said = [e["text"] for e in entries if e["kind"] == "bot"]  # what the desk told the person is in view
    assert said[0].startswith("Ca să te punem în legătură") and "Ungheni" in said[1]
    redis = desk.cases._redis
    for key in (f"hd:case:{case.id}", f"hd:case:{case.id}:timeline", "hd:conv:web:c", "hd:cases:conv:web:c"):
        assert 0 < await redis.ttl(key) <= RETENTION, key
    await desk.housekeeping()  # HANDOFF_OVERFLOW_MINUTES is 0.01 here: the case is overdue
    assert [c.id for c in await desk.cases.overflowed()] == [case.id]
    again = await desk.cases.get(case.id)
    assert again is not None and again.overflow


@pytest.mark.parametrize(
    ("earlier", "now", "centre"),
    [
        ([], "Sono a Bacău, posso parlare con qualcuno del centro?", "bacau"),
        ([], "vreau sa vorbesc cu cineva de la centrul din suceava", "suceava"),
        (["buna, sunt din Ungheni si lucrez in Italia"], "vreau sa vorbesc cu un om", "ungheni"),
        (["hola, soy de Vaslui"], "quiero hablar con una persona", "vaslui"),
    ],
)
async def test_a_place_the_person_already_named_routes_without_asking(
    handoff: HandoffServices, earlier: list[str], now: str, centre: str
) -> None:
    desk = handoff.desk
    user = f"named-{centre}-{len(earlier)}"
    await desk.record(f"web:{user}", "user", earlier)
    case = await desk.open_case(InboundMessage("web", user, now), "ro", "user_request", False, "")
    assert case.centre == centre
    fields = await desk.conversations.fields(f"web:{user}")
    assert "awaiting" not in fields


async def test_without_a_place_of_the_region_the_desk_asks(handoff: HandoffServices) -> None:
    case = await handoff.desk.open_case(
        InboundMessage("web", "no-place", "vreau sa vorbesc cu cineva, lucrez la Milano"),
        "ro",
        "user_request",
        False,
        "",
    )
    assert (await handoff.desk.conversations.fields("web:no-place"))["awaiting"] == "origin"
    assert case.origin == ""
