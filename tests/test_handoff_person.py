"""The handoff seen from the person's side, against a real gateway process (embedded worker; no Rasa needed:
danger messages open their case through the safety triage, and "is anyone there?" after a close is answered
before the assistant) on the real Redis, web chat: who took the case and where it moved, in the person's
language; the counsellor's name and centre with each message (`from`); an urgent case out of hours with and
without someone on call (one coherent message; the on-call account's live inbox stream is alerted); after a
close, "e cineva acolo?" gets the counsellor offered again.

The gateway reads a centres file of the test's own: Iași and Bacău always open, Suceava closed now with a
counsellor on call, Botoșani closed now with nobody on call. It uses Redis database 10 (the handoff and inbox
tests')."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
import redis as redis_sync
import yaml
from redis.asyncio import Redis

from handoff import texts
from handoff.texts import text as handoff_text
from inbox.accounts import Accounts
from inbox.passwords import Passwords
from knowledge.centres import DEFAULT_FILE, WEEKDAYS, Centres
from ops.local_stack import TEST_REDIS_PORT, LocalStack, wait_until
from tests.conftest import make_stack, post
from tests.test_inbox_security import PASSWORD, csrf, login

DB, RASA_DB = 10, 9
SUFFIX = uuid.uuid4().hex[:6]
ON_CALL = f"oncall-{SUFFIX}"
MARIA = f"maria-{SUFFIX}"
SUPERVISOR = f"sup-{SUFFIX}"
DANGER = {
    "ro": "patronul mi-a luat pasaportul si nu ma lasa sa plec",
    "it": "il titolare si è tenuto il mio passaporto e non mi lascia andare via",
    "es": "el dueño de la finca nos ha cogido los pasaportes a todos",
}
FROM = {"ro": "sunt din {place}", "it": "vengo da {place}", "es": "soy de {place}"}
ANYONE = {"ro": "e cineva acolo?", "it": "c'è qualcuno?", "es": "¿hay alguien?"}


def centres_file(folder: Path) -> Path:
    """The real centres; Iași and Bacău open all day every day, Suceava (someone on call) and Botoșani (nobody)
    open only the day after tomorrow, so both are closed while the test runs."""
    data = yaml.safe_load(DEFAULT_FILE.read_text(encoding="utf-8"))
    later = WEEKDAYS[(datetime.now(ZoneInfo("Europe/Bucharest")) + timedelta(days=2)).weekday()]
    for centre in data["centres"]:
        if centre["id"] in ("iasi", "bacau"):
            centre["hours"] = {day: ["00:00-23:59:59"] for day in WEEKDAYS}
        elif centre["id"] in ("suceava", "botosani"):
            centre["hours"] = {later: ["09:00-17:00"]}
        if centre["id"] == "suceava":
            centre["on_call"] = ON_CALL
    path = folder / "centres.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def centres(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return centres_file(tmp_path_factory.mktemp("centres"))


@pytest.fixture(scope="module")
async def team(centres: Path) -> AsyncIterator[None]:
    redis = Redis(port=TEST_REDIS_PORT, db=DB)
    await redis.flushdb()
    accounts = Accounts(redis, Passwords(2))
    ids = set(Centres.load("iasi", centres).by_id)
    for username, role, centre, name in (
        (MARIA, "counsellor", "iasi", "Maria"),
        (ON_CALL, "counsellor", "suceava", "Ion"),
        (SUPERVISOR, "supervisor", "", "Sup"),
    ):
        await accounts.add(username, PASSWORD, role=role, centre=centre, name=name, centres=ids)
    yield
    accounts.passwords.close()
    await redis.aclose()


@pytest.fixture(scope="module")
def gateway(team: None, centres: Path) -> Iterator[LocalStack]:
    stack = make_stack(Path("/no-model-needed"), DB, RASA_DB)
    stack.specs["gateway"].env.update({"HANDOFF_CENTRES_FILE": str(centres), "HANDOFF_DEFAULT_CENTRE": "iasi"})
    stack.start("gateway")
    try:
        stack.wait_gateway()
        yield stack
    finally:
        stack.stop_all()


@pytest.fixture(scope="module")
def store() -> redis_sync.Redis:
    return redis_sync.Redis(port=TEST_REDIS_PORT, db=DB, decode_responses=True)


def case_of(store: redis_sync.Redis, sender: str) -> str:
    return str(store.hget(f"hd:conv:web:{sender}", "case"))


def messages_after(stack: LocalStack, sender: str, cursor: str) -> tuple[list[dict], str]:
    body = httpx.get(
        f"{stack.gateway}/webhooks/web/messages", params={"sender": sender, "after": cursor}, timeout=10
    ).json()
    return body["messages"], body["cursor"]


def next_message(stack: LocalStack, sender: str, cursor: str) -> tuple[dict, str]:
    """The next message the person receives after a cursor (waits for it), and the cursor after it."""
    found: list[dict] = []

    def arrived() -> bool:
        found[:], _ = messages_after(stack, sender, cursor)
        return bool(found)

    wait_until(arrived, 15, "no message reached the person")
    return found[0], str(found[0]["id"])


@pytest.mark.parametrize("language", ["ro", "it", "es"])
def test_the_person_hears_who_took_the_case_who_writes_and_where_it_moved_in_their_language(
    gateway: LocalStack, store: redis_sync.Redis, language: str
) -> None:
    sender = f"person-{language}-{SUFFIX}"
    text = f"{DANGER[language]}. {FROM[language].format(place='Iasi')}"
    opened = post(gateway, sender, text, language=language).json()
    cursor = opened["cursor"]
    said = [m["text"] for m in opened["messages"]]
    assert said[-1].startswith(handoff_text("urgent_open", language).split("{hotline}")[0])  # Iași is open
    case_id = case_of(store, sender)
    assert store.hget(f"hd:case:{case_id}", "centre") == "iasi"

    maria = login(gateway, MARIA)
    headers = csrf(maria)
    assert maria.post(f"/inbox/api/cases/{case_id}/claim", headers=headers).status_code == 200
    took, cursor = next_message(gateway, sender, cursor)
    assert took["text"] == handoff_text("claimed", language).format(name="Maria", centre="Iași")

    for reply in ("Bună ziua, vă ascult.", "Spuneți-mi mai multe."):
        assert maria.post(f"/inbox/api/cases/{case_id}/reply", json={"text": reply}, headers=headers).is_success
        written, cursor = next_message(gateway, sender, cursor)
        assert written == {**written, "text": reply}  # the web chat shows the name from `from`, not in the text
        assert written["from"] == {"kind": "counsellor", "name": "Maria", "centre": "Iași"}
    assert "from" not in took  # the desk's own lines are not a counsellor's

    moved = maria.post(f"/inbox/api/cases/{case_id}/transfer", json={"centre": "bacau"}, headers=headers)
    assert moved.status_code == 200, moved.text
    line, cursor = next_message(gateway, sender, cursor)
    bacau = Centres.load("iasi", Path(gateway.specs["gateway"].env["HANDOFF_CENTRES_FILE"])).get("bacau")
    assert bacau is not None
    assert line["text"] == texts.transferred(bacau, datetime.now(UTC), language).text
    assert "Bacău" in line["text"] and handoff_text("when_open", language) in line["text"]
    maria.close()

    # Closed by a supervisor; then "is anyone there?" gets the counsellor offered again, not an answer card.
    supervisor = login(gateway, SUPERVISOR)
    closing = supervisor.post(
        f"/inbox/api/cases/{case_id}/close", json={"outcome": "resolved"}, headers=csrf(supervisor)
    )
    assert closing.status_code == 200, closing.text
    bye, cursor = next_message(gateway, sender, cursor)
    assert bye["text"] == handoff_text("handed_back", language)
    supervisor.close()
    again = post(gateway, sender, ANYONE[language], language=language)
    assert again.status_code == 200  # answered by the gateway itself: this stack has no Rasa
    [offer] = again.json()["messages"]
    assert offer["text"] == handoff_text("offer_again", language)
    assert [b["payload"] for b in offer["buttons"]] == ["/request_human"]
    assert store.hget(f"hd:conv:web:{sender}", "state") == "bot"


def on_call_alert(stack: LocalStack, username: str, case_id: str) -> dict:
    """The on-call account's live inbox stream, from the start: the `case_on_call` event of the case."""
    client = login(stack, username)
    deadline = time.monotonic() + 20
    event = ""
    with client.stream("GET", "/inbox/api/events", headers={"Last-Event-ID": "0-0"}, timeout=30) as stream:
        for line in stream.iter_lines():
            if line.startswith("event: "):
                event = line.removeprefix("event: ")
            elif line.startswith("data: ") and event == "case_on_call":
                data = json.loads(line.removeprefix("data: "))
                if data["case"] == case_id:
                    client.close()
                    return data
            if time.monotonic() > deadline:
                break
    client.close()
    raise AssertionError("the on-call account's inbox stream did not deliver the alert")


def test_an_urgent_case_out_of_hours_with_someone_on_call_alerts_them_and_says_so_once(
    gateway: LocalStack, store: redis_sync.Redis
) -> None:
    sender = f"urgent-oncall-{SUFFIX}"
    body = post(gateway, sender, f"{DANGER['ro']}. {FROM['ro'].format(place='Suceava')}", language="ro").json()
    hotline_card, notice = [m["text"] for m in body["messages"]]
    assert "112" in hotline_card
    assert notice == handoff_text("urgent_on_call", "ro").format(
        centre="Suceava", hotline=texts.hotline("ro", None)
    )
    assert "09:00" not in notice  # no "tomorrow at 09:00" beside "the person on call is alerted"
    case_id = case_of(store, sender)
    assert on_call_alert(gateway, ON_CALL, case_id) == {
        "type": "case_on_call",
        "case": case_id,
        "centre": "suceava",
        "urgent": True,
        "on_call": ON_CALL,
    }
    events = [json.loads(e) for e in store.lrange(f"hd:case:{case_id}:timeline", 0, -1)]
    assert any(e["text"] == "on_call_alerted" and e["to"] == ON_CALL for e in events)


def test_an_urgent_case_out_of_hours_with_nobody_on_call_hears_when_the_centre_opens(
    gateway: LocalStack, store: redis_sync.Redis
) -> None:
    sender = f"urgent-nobody-{SUFFIX}"
    body = post(gateway, sender, f"{DANGER['it']}. {FROM['it'].format(place='Botosani')}", language="it").json()
    hotline_card, notice = [m["text"] for m in body["messages"]]
    assert "112" in hotline_card
    botosani = Centres.load("iasi", Path(gateway.specs["gateway"].env["HANDOFF_CENTRES_FILE"])).get("botosani")
    assert botosani is not None
    when = texts.when(botosani, datetime.now(UTC), "it")
    assert "09:00" in when
    expected = handoff_text("urgent_unattended", "it")
    assert notice == expected.format(centre="Botoșani", when=when, hotline=texts.hotline("it", None))
    case_id = case_of(store, sender)
    assert store.hget(f"hd:case:{case_id}", "centre") == "botosani"
    alerts = [
        f for _, f in store.xrange("hd:inbox:events") if f["type"] == "case_on_call" and f["case"] == case_id
    ]
    assert alerts == []
