"""Urgent cases out of a centre's hours and "is anyone there?" after a close, in-process against a real Redis
(database 10, the handoff tests'), at chosen times: with someone on call the person hears, in one message, that
that person is alerted and the hotline of where they are, and the on-call account gets an event; with nobody on
call, when the centre opens and the hotline; never "alerted" together with "tomorrow at 09:00". The phrases that
ask whether anyone is there exist in every language."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from redis.asyncio import Redis

from core.languages import LANGUAGES
from core.locales import texts as locale_texts
from core.messages import InboundMessage
from core.settings import Settings
from handoff.after_close import asks_for_someone, phrases
from handoff.texts import hotline
from handoff.texts import text as handoff_text
from inbox.wiring import HandoffServices
from knowledge.centres import DEFAULT_FILE
from messaging.conversations import Conversations
from messaging.delivery import Delivery
from messaging.web_outbox import WebOutbox
from ops.local_stack import TEST_REDIS_PORT

DB, RASA_DB = 10, 9
RETENTION = 90 * 24 * 3600
SATURDAY_NIGHT = datetime(2026, 11, 28, 21, 0, tzinfo=UTC)  # 23:00 in Iași and Chișinău: every centre is closed
TUESDAY_MORNING = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)  # 10:00 there: open


def centres_file(tmp_path: Path) -> Path:
    """The real centres with someone on call at Iași (the counsellor "ana") and nobody elsewhere."""
    data = yaml.safe_load(DEFAULT_FILE.read_text(encoding="utf-8"))
    for centre in data["centres"]:
        if centre["id"] == "iasi":
            centre["on_call"] = "ana"
    path = tmp_path / "centres.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
async def handoff(tmp_path: Path) -> AsyncIterator[HandoffServices]:
    settings = Settings(
        redis_url=f"redis://127.0.0.1:{TEST_REDIS_PORT}/{DB}",
        rasa_redis_db=RASA_DB,
        handoff_centres_file=str(centres_file(tmp_path)),
    )
    redis = Redis.from_url(settings.redis_url)
    await redis.flushdb()
    services = HandoffServices.build(
        settings, redis, Conversations(redis, RETENTION), Delivery(WebOutbox(redis, RETENTION))
    )
    yield services
    await services.aclose()
    await redis.aclose()


async def sent_to(handoff: HandoffServices, user: str) -> list[str]:
    messages, _ = await WebOutbox(handoff.desk.cases._redis, RETENTION).read(user, "0-0")
    return [str(m["text"]) for m in messages]


async def on_call_events(handoff: HandoffServices) -> list[dict[str, str]]:
    entries = await handoff.desk.cases._redis.xrange("hd:inbox:events")
    found = [{k.decode(): v.decode() for k, v in fields.items()} for _, fields in entries]
    return [e for e in found if e["type"] == "case_on_call"]


async def urgent_case(handoff: HandoffServices, user: str, origin: str, language: str, country: str = "it") -> str:
    await handoff.desk.conversations.set_fields(f"web:{user}", origin=origin, country=country)
    signal = {"handoff": "safety", "urgent": True}
    await handoff.desk.on_signal(InboundMessage("web", user, "pericol"), language, signal)
    return (await handoff.desk.conversations.fields(f"web:{user}"))["case"]


@pytest.mark.parametrize("language", LANGUAGES)
async def test_out_of_hours_with_someone_on_call_one_message_says_so_and_the_on_call_account_is_alerted(
    handoff: HandoffServices, language: str
) -> None:
    handoff.desk.clock = lambda: SATURDAY_NIGHT
    case_id = await urgent_case(handoff, "u", "Pașcani", language)
    [said] = await sent_to(handoff, "u")
    assert said == handoff_text("urgent_on_call", language).format(centre="Iași", hotline=hotline(language, "it"))
    assert "800 290 290" in said  # the Italian anti-trafficking line: the person is in Italy
    assert "09:00" not in said and handoff_text("urgent_open", language).split(":")[0] not in said
    [event] = await on_call_events(handoff)
    assert event["case"] == case_id and event["centre"] == "iasi" and event["on_call"] == "ana"
    timeline = await handoff.desk.cases.timeline(case_id)
    assert {"text": "on_call_alerted", "to": "ana"}.items() <= timeline[-2].items()
    assert timeline[-1]["kind"] == "bot" and timeline[-1]["text"] == said  # the counsellor sees what was said


@pytest.mark.parametrize("language", LANGUAGES)
async def test_out_of_hours_with_nobody_on_call_the_person_hears_when_the_centre_opens_and_the_hotline(
    handoff: HandoffServices, language: str
) -> None:
    handoff.desk.clock = lambda: SATURDAY_NIGHT
    await urgent_case(handoff, "v", "Vaslui", language, country="es")
    [said] = await sent_to(handoff, "v")
    monday = handoff_text("when_later", language).format(day=locale_texts("weekday", language)[0], time="09:00")
    expected = handoff_text("urgent_unattended", language)
    assert said == expected.format(centre="Vaslui", when=monday, hotline=hotline(language, "es"))
    assert "900 10 50 90" in said  # the Spanish line: the person is in Spain
    assert await on_call_events(handoff) == []


async def test_the_setting_puts_the_supervisors_on_call_where_the_data_names_nobody(tmp_path: Path) -> None:
    settings = Settings(
        redis_url=f"redis://127.0.0.1:{TEST_REDIS_PORT}/{DB}",
        rasa_redis_db=RASA_DB,
        handoff_centres_file=str(centres_file(tmp_path)),
        handoff_on_call="supervisors",
    )
    redis = Redis.from_url(settings.redis_url)
    await redis.flushdb()
    services = HandoffServices.build(
        settings, redis, Conversations(redis, RETENTION), Delivery(WebOutbox(redis, RETENTION))
    )
    try:
        services.desk.clock = lambda: SATURDAY_NIGHT
        await urgent_case(services, "w", "Bacău", "ro")
        [said] = await sent_to(services, "w")
        assert said.startswith(handoff_text("urgent_on_call", "ro").split("{centre}")[0])
        assert [(e["centre"], e["on_call"]) for e in await on_call_events(services)] == [("bacau", "supervisors")]
    finally:
        await services.aclose()
        await redis.aclose()


async def test_in_hours_the_counsellors_on_duty_are_alerted_and_nobody_on_call_is_disturbed(
    handoff: HandoffServices,
) -> None:
    handoff.desk.clock = lambda: TUESDAY_MORNING
    await urgent_case(handoff, "x", "Iași", "es", country="ro")
    who, urgent = await sent_to(handoff, "x")
    assert who.startswith("Tu petición ha llegado al centro de Iași.") and "en breve" in who
    assert urgent == handoff_text("urgent_open", "es").format(hotline=hotline("es", "ro"))
    assert "0800 800 678" in urgent
    assert await on_call_events(handoff) == []


async def test_a_case_that_becomes_urgent_out_of_hours_hears_it_once_and_on_call_is_alerted_once(
    handoff: HandoffServices,
) -> None:
    handoff.desk.clock = lambda: SATURDAY_NIGHT
    desk = handoff.desk
    await desk.conversations.set_fields("web:y", origin="Iași")
    case = await desk.open_case(InboundMessage("web", "y", "operator"), "it", "user_request", False, "")
    [who] = await sent_to(handoff, "y")
    assert who.startswith("La tua richiesta è arrivata al centro di Iași.") and "09:00" in who
    for _ in range(2):
        await desk.on_signal(InboundMessage("web", "y", "pericolo"), "it", {"handoff": "safety", "urgent": True})
    said = await sent_to(handoff, "y")
    assert said[1:] == [handoff_text("urgent_on_call", "it").format(centre="Iași", hotline=hotline("it", None))]
    assert [e["case"] for e in await on_call_events(handoff)] == [case.id]


async def test_the_counsellor_is_offered_again_only_within_the_window_after_a_close(
    handoff: HandoffServices,
) -> None:
    desk = handoff.desk
    desk.clock = lambda: TUESDAY_MORNING
    await desk.conversations.set_fields("web:z", origin="Iași")
    case = await desk.open_case(InboundMessage("web", "z", "operator"), "ro", "user_request", False, "")
    await desk.cases.close(case, "resolved")
    await desk.return_to_bot(case)

    async def confident() -> bool:
        return True

    async def unsure() -> bool:
        return False

    before = len(await sent_to(handoff, "z"))
    assert await desk.offer_again(InboundMessage("web", "z", "e cineva acolo?"), "ro", confident)
    assert await desk.offer_again(InboundMessage("web", "z", "blablabla ceva fara sens"), "ro", unsure)
    assert not await desk.offer_again(InboundMessage("web", "z", "cum plec legal în Italia"), "ro", confident)
    assert not await desk.offer_again(InboundMessage("web", "z", "/request_human"), "ro", unsure)
    said = (await sent_to(handoff, "z"))[before:]
    assert said == [handoff_text("offer_again", "ro")] * 2
    desk.clock = lambda: TUESDAY_MORNING + timedelta(hours=25)  # HANDOFF_REOFFER_HOURS is 24
    assert not await desk.offer_again(InboundMessage("web", "z", "e cineva acolo?"), "ro", unsure)
    transcript = [e["text"] for e in await desk.transcripts.read("web:z") if e["kind"] == "bot"]
    assert transcript[-1] == handoff_text("offer_again", "ro")


def test_every_language_has_phrases_asking_whether_anyone_is_there() -> None:
    assert sorted(phrases()) == sorted(LANGUAGES)
    for language, found in phrases().items():
        assert found, language
        for phrase in found:
            assert asks_for_someone(" ".join(phrase)), phrase
    for text in ("e cineva acolo?", "Mai e cineva acolo??", "c'è qualcuno?", "C'E QUALCUNO", "¿Hay alguien?"):
        assert asks_for_someone(text), text
    for text in ("salariul nu mi-a fost plătit", "quiero hablar con alguien sobre mi contrato", "ciao", ""):
        assert not asks_for_someone(text), text
    long = "e cineva acolo care să-mi spună cum îmi iau înapoi pașaportul de la patron"
    assert not asks_for_someone(long)  # a real question: the assistant reads it


async def test_an_urgent_case_moved_to_a_closed_centre_hears_what_happens_there_in_its_current_language(
    handoff: HandoffServices,
) -> None:
    desk = handoff.desk
    desk.clock = lambda: SATURDAY_NIGHT
    centres = set(handoff.centres.by_id)
    ana = await handoff.accounts.add(
        "ana", "correct horse battery", role="counsellor", centre="iasi", name="Ana", centres=centres
    )
    case_id = await urgent_case(handoff, "m", "Iași", "ro")
    await desk.conversations.set_fields("web:m", language="es")  # the person has switched to Spanish since
    await handoff.inbox.claim(ana, case_id)
    await handoff.inbox.transfer(ana, case_id, centre="suceava")
    said = await sent_to(handoff, "m")
    assert said[-2] == handoff_text("claimed", "es").format(name="Ana", centre="Iași")
    monday = handoff_text("when_later", "es").format(day=locale_texts("weekday", "es")[0], time="09:00")
    expected = handoff_text("urgent_unattended", "es").format(
        centre="Suceava", when=monday, hotline=hotline("es", "it")
    )
    assert said[-1] == expected  # Suceava is closed and nobody is on call there: no "transferred, soon"
    assert [e["centre"] for e in await on_call_events(handoff)] == ["iasi"]  # Ana's centre was alerted at first
