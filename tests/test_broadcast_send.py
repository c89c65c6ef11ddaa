"""Broadcasts end to end in one gateway process (no Rasa needed: subscribing and leaving are answered by the
gateway itself): people subscribe through the real webhooks of Telegram, WhatsApp and Viber in Romanian,
Italian and Spanish, some leave (STOP, BASTA, BAJA, a Telegram block, Viber `unsubscribed`), and a campaign
approved by a second person goes out through the outboxes' bulk lane to the messenger stand-ins: exact
counts per channel and language, the 24-hour rule with a template, the recognition and how-to-stop lines,
and "delete my data" erasing the subscription. Redis database 5."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest
import redis as redis_sync
from fastapi.testclient import TestClient
from redis.asyncio import Redis

from broadcasts.campaigns import CampaignError, Campaigns, Draft
from broadcasts.report import as_csv, progress
from broadcasts.subscribers import Audience, Subscriber, Subscribers
from core.locales import text
from core.settings import Settings
from gateway.app import create_app
from gateway.routers.campaigns import outside_window
from gateway.services import Services
from inbox.accounts import Account
from inbox.audit import Audit
from ops.local_stack import TEST_REDIS_PORT, wait_until
from tests.standins.platforms import (
    TG_SECRET,
    TWILIO_TOKEN,
    VIBER_TOKEN,
    StandIns,
    channel_env,
    post_telegram,
    post_viber,
    post_whatsapp,
    tg_callback,
    tg_member,
    vb_event,
    vb_message,
    wa_message,
)
from tests.standins.telegram import TelegramStandIn
from tests.standins.twilio import TwilioStandIn
from tests.standins.viber import ViberStandIn

DB = 1  # the broadcast tests own databases 1, 4 and 2 (tests/conftest.py lists who uses which)
PUBLIC = "https://helpdesk.example.org"
TEMPLATE_IT = "HX" + "1" * 32
ANA = Account("ana", "Ana", "campaigns", "")
MARIA = Account("maria", "Maria", "supervisor", "")


@pytest.fixture(scope="module")
def standins() -> Iterator[StandIns]:
    found = StandIns(
        TelegramStandIn("123456:TEST-token_for-the-standin"),
        TwilioStandIn("AC" + "0" * 32, TWILIO_TOKEN),
        ViberStandIn(VIBER_TOKEN),
    )
    yield found
    for s in (found.telegram, found.twilio, found.viber):
        s.stop()


@pytest.fixture(scope="module")
def settings(standins: StandIns) -> Settings:
    redis_sync.Redis(port=TEST_REDIS_PORT, db=DB).flushdb()
    env = {k.lower(): v for k, v in channel_env(standins, PUBLIC).items()}
    env.update(coalesce_seconds="0", broadcast_recognition="Helpdesk · cod LUNA")
    return Settings(redis_url=f"redis://127.0.0.1:{TEST_REDIS_PORT}/{DB}", rasa_url="http://127.0.0.1:9", **env)


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as found:
        yield found


def db() -> redis_sync.Redis:
    return redis_sync.Redis(port=TEST_REDIS_PORT, db=DB, decode_responses=True)


def run(coro: object) -> object:
    async def go() -> object:
        return await coro  # type: ignore[misc]

    return asyncio.run(go())


def texts_to(standins: StandIns, channel: str, user: str) -> list[str]:
    if channel == "telegram":
        return [m.get("text", "") for m in standins.telegram.messages() if str(m.get("chat_id")) == user]
    if channel == "viber":
        return [m.get("text", "") for m in standins.viber.messages() if m.get("receiver") == user]
    to = f"whatsapp:{user}"
    return [m.get("Body") or m.get("ContentSid", "") for m in standins.twilio.messages() if m.get("To") == to]


def said(standins: StandIns, channel: str, user: str, key: str, language: str) -> None:
    expected = text(key, language).split("{")[0][:30]
    wait_until(
        lambda: any(expected in t for t in texts_to(standins, channel, user)),
        20,
        f"{channel} {user} did not get {key} in {language}",
    )


# People: (channel, user, language). Telegram and Viber tell the app's language; on WhatsApp the conversation's
# language comes from what the person wrote before (here: stored as the conversation's language).
PEOPLE = [
    ("telegram", "910001", "ro"),
    ("telegram", "910002", "it"),
    ("telegram", "910003", "es"),
    ("telegram", "910004", "ro"),  # blocks the bot afterwards
    ("whatsapp", "+40700000001", "ro"),
    ("whatsapp", "+39300000002", "it"),  # outside the 24-hour window: gets the Italian template
    ("whatsapp", "+34600000003", "es"),  # outside the window, no Spanish template: skipped
    ("whatsapp", "+40700000004", "ro"),  # writes STOP afterwards
    ("viber", "vb-1==", "ro"),
    ("viber", "vb-2==", "it"),  # writes "non voglio più messaggi" afterwards
    ("viber", "vb-3==", "es"),
    ("viber", "vb-4==", "es"),  # unsubscribes in Viber afterwards
]


def press(standins: StandIns, gateway: str, channel: str, user: str, language: str, payload: str) -> None:
    if channel == "telegram":
        assert post_telegram(gateway, tg_callback(int(user), payload, language), TG_SECRET).status_code == 200
    elif channel == "whatsapp":
        fields = wa_message(user, "", ButtonPayload=payload, ButtonText="x")
        assert post_whatsapp(gateway, PUBLIC, "/webhooks/whatsapp", fields, TWILIO_TOKEN).status_code == 200
    else:
        event = vb_message(user, {"type": "text", "text": payload}, language)
        assert post_viber(gateway, event, VIBER_TOKEN).status_code == 200


def write(standins: StandIns, gateway: str, channel: str, user: str, language: str, words: str) -> None:
    if channel == "whatsapp":
        fields = wa_message(user, words)
        assert post_whatsapp(gateway, PUBLIC, "/webhooks/whatsapp", fields, TWILIO_TOKEN).status_code == 200
    else:
        event = vb_message(user, {"type": "text", "text": words}, language)
        assert post_viber(gateway, event, VIBER_TOKEN).status_code == 200


def test_people_subscribe_and_leave_in_their_language_on_every_messenger(
    client: TestClient, standins: StandIns
) -> None:
    gateway = str(client.base_url)
    standins.reset()
    r = db()
    for channel, user, language in PEOPLE:
        if channel == "whatsapp":
            r.hset(f"hd:conv:whatsapp:{user}", mapping={"language": language, "channel": "whatsapp"})
    with httpx_through(client):
        for channel, user, language in PEOPLE:
            press(standins, gateway, channel, user, language, "/subscribe")
            said(standins, channel, user, "subscription.offer", language)
            press(standins, gateway, channel, user, language, "/subscribe_all")
            said(standins, channel, user, "subscription.subscribed", language)
        # Leaving: a keyword, a natural phrase, the platforms' own signals.
        write(standins, gateway, "whatsapp", "+40700000004", "ro", "STOP")
        said(standins, "whatsapp", "+40700000004", "subscription.stopped", "ro")
        write(standins, gateway, "viber", "vb-2==", "it", "Non voglio più messaggi, grazie")
        said(standins, "viber", "vb-2==", "subscription.stopped", "it")
        assert post_telegram(gateway, tg_member(910004, "kicked"), TG_SECRET).status_code == 200
        assert post_viber(gateway, vb_event("unsubscribed", "vb-4=="), VIBER_TOKEN).status_code == 200
    subscriber = r.hgetall("hd:sub:telegram:910002")
    assert subscriber["language"] == "it" and subscriber["topics"] == "rights,mobility,alerts,return"
    assert subscriber["consent"] == text("subscription.offer", "it") and int(subscriber["consented_at"]) > 0
    assert r.hget("hd:sub:whatsapp:+40700000004", "state") == "stopped"
    assert r.hget("hd:sub:telegram:910004", "state") == "stopped"
    assert r.hget("hd:sub:viber:vb-4==", "state") == "stopped"
    assert r.scard("hd:sub:ix:active") == 8
    # Outside the 24-hour window now: these two last wrote more than a day ago.
    r.delete("hd:wa:window:+39300000002", "hd:wa:window:+34600000003")


def test_the_page_counts_the_whatsapp_subscribers_outside_the_window(settings: Settings) -> None:
    """The figure shown before sending: of the three WhatsApp subscribers to alerts, two last wrote more than a
    day ago (a stopped one is not counted)."""

    async def go() -> int:
        services = Services.build(settings)
        try:
            return await outside_window(services, Audience(topic=("alerts",)))
        finally:
            await services.aclose()

    assert run(go()) == 2
    assert run(go()) == 2  # looking changes nothing


class httpx_through:
    """Route the stand-in helpers' httpx.post calls through the in-process app."""

    def __init__(self, client: TestClient) -> None:
        self._client = client
        self._original = httpx.post

    def __enter__(self) -> None:
        client = self._client

        def post(url: str, **kwargs: object) -> httpx.Response:
            kwargs.pop("timeout", None)
            return client.post(url, **kwargs)  # type: ignore[arg-type]

        httpx.post = post  # type: ignore[assignment]

    def __exit__(self, *exc: object) -> None:
        httpx.post = self._original  # type: ignore[assignment]


def test_bad_campaigns_are_refused_with_a_reason(settings: Settings) -> None:
    async def go() -> None:
        redis = Redis.from_url(settings.redis_url)
        campaigns = Campaigns(redis, Audit(redis, 1))
        cases = [
            ({"name": "x", "texts": {}}, "no text"),
            ({"name": "x", "texts": {"ro": "a" * 1001, "it": "b", "es": "c"}}, "at most 1000"),
            ({"name": "x", "texts": {"ro": "a", "it": "b"}}, "no text in es and no fallback"),
            ({"name": "x", "texts": {"ro": "a"}, "fallback": "it"}, "no it text"),
            ({"name": "x", "texts": {"ro": "a"}, "fallback": "ro", "templates": {"it": {"sid": "nope"}}}, "HX"),
            ({"name": "x", "texts": {"ro": "a"}, "fallback": "ro", "buttons": [{"payload": "/evil"}]}, "payload"),
        ]
        for data, reason in cases:
            with pytest.raises(CampaignError) as refused:
                await campaigns.create(ANA, Draft.of(data))
            assert refused.value.status == 422 and reason in refused.value.reason, refused.value.reason
        draft = await campaigns.create(ANA, Draft.of({"name": "ok", "texts": {"ro": "a"}, "fallback": "ro"}))
        with pytest.raises(CampaignError) as own:
            await campaigns.approve(Account("ana", "Ana", "supervisor", ""), draft.id)
        assert own.value.status == 403 and "second person" in own.value.reason
        with pytest.raises(CampaignError) as early:
            await campaigns.start(ANA, draft.id)
        assert early.value.status == 409
        await campaigns.approve(MARIA, draft.id)
        with pytest.raises(CampaignError) as past:
            await campaigns.schedule(ANA, draft.id, int(time.time()) - 60)
        assert past.value.status == 422 and "past" in past.value.reason
        with pytest.raises(CampaignError) as counsellor:
            await campaigns.create(
                Account("ion", "Ion", "counsellor", "iasi"), Draft.of({"name": "n", "texts": {}})
            )
        assert counsellor.value.status == 403
        await redis.aclose()

    asyncio.run(go())


def test_a_campaign_reaches_exactly_the_audience_with_the_window_rule_and_the_lines(
    client: TestClient, standins: StandIns, settings: Settings
) -> None:
    standins.reset()
    texts = {"ro": "Atenție la ofertele false de muncă.", "it": "Attenzione alle false offerte.", "es": None}
    campaign_id = run(_send_campaign(settings, texts))
    r = db()
    wait_until(lambda: r.hget(f"hd:camp:{campaign_id}", "state") == "done", 30, "the campaign did not finish")

    def all_sent() -> bool:
        report = run(_report(settings, campaign_id))
        return report["total"]["sent"] == 8 - 1  # the Spanish WhatsApp person outside the window is skipped

    wait_until(all_sent, 30, "not every message was sent")
    body = {"ro": texts["ro"], "it": texts["it"], "es": texts["ro"]}  # Spanish falls back on Romanian
    reached = {
        ("telegram", "910001", "ro"),
        ("telegram", "910002", "it"),
        ("telegram", "910003", "es"),
        ("whatsapp", "+40700000001", "ro"),
        ("viber", "vb-1==", "ro"),
        ("viber", "vb-3==", "es"),
    }
    for channel, user, language in PEOPLE:
        got = texts_to(standins, channel, user)
        if (channel, user, language) in reached:
            assert len(got) == 1, (channel, user, got)
            shown = "ro" if language == "es" else language
            assert got[0].startswith(body[language])
            assert "Helpdesk · cod LUNA" in got[0]
            assert text("broadcast.how_to_stop", shown) in got[0].split("\n\n")[1]
        elif user == "+39300000002":
            assert got == [TEMPLATE_IT]  # outside the window: the approved template
        else:
            assert got == [], (channel, user, got)
    telegram = next(m for m in standins.telegram.messages() if str(m.get("chat_id")) == "910002")
    assert "inline_keyboard" in str(telegram.get("reply_markup"))  # the alert's button
    report = run(_report(settings, campaign_id))
    assert report["channels"]["telegram"]["sent"] == 3 and report["channels"]["telegram"]["stopped"] == 1
    assert report["channels"]["whatsapp"]["sent"] == 2 and report["channels"]["whatsapp"]["skipped"] == 1
    assert report["channels"]["whatsapp"]["stopped"] == 1 and report["skipped_why"] == {"window": 1}
    assert report["channels"]["viber"]["sent"] == 2 and report["channels"]["viber"]["stopped"] == 2
    assert report["languages"]["viber|es"]["sent"] == 1 and report["languages"]["telegram|it"]["sent"] == 1
    assert report["total"]["remaining"] == 0
    exported = as_csv(report)
    assert "telegram,it,1,1" in exported and "+40" not in exported and "910001" not in exported


async def _send_campaign(settings: Settings, texts: dict[str, str | None]) -> str:
    redis = Redis.from_url(settings.redis_url)
    campaigns = Campaigns(redis, Audit(redis, 1))
    counts = await Subscribers(redis, 3600).count(Audience(topic=("alerts",)))
    assert counts.eligible == {"whatsapp": 3, "telegram": 3, "viber": 2, "sms": 0}
    assert counts.stopped == {"whatsapp": 1, "telegram": 1, "viber": 2, "sms": 0}
    draft = Draft.of(
        {
            "name": "Fake job offers",
            "texts": {k: v for k, v in texts.items() if v},
            "fallback": "ro",
            "buttons": [{"payload": "/topic_trafficking", "titles": {"ro": "Semne", "it": "Segnali"}}],
            "audience": {"topic": ["alerts"]},
            "templates": {"it": {"sid": TEMPLATE_IT, "variables": {"1": "12 marzo"}}},
        }
    )
    campaign = await campaigns.create(ANA, draft)
    await campaigns.approve(MARIA, campaign.id)
    await campaigns.start(ANA, campaign.id)
    await redis.aclose()
    return campaign.id


async def _report(settings: Settings, campaign_id: str) -> dict:
    redis = Redis.from_url(settings.redis_url)
    campaign = await Campaigns(redis, Audit(redis, 1)).need(campaign_id)
    found = await progress(redis, campaign)
    await redis.aclose()
    return found


def test_delete_my_data_erases_the_subscription(settings: Settings) -> None:
    async def go() -> None:
        redis = Redis.from_url(settings.redis_url)
        subscribers = Subscribers(redis, 3600)
        await subscribers.subscribe(Subscriber("telegram", "955555", "ro", consent="x"))
        from gateway.services import Services

        services = Services.build(settings)
        await services.handoff.desk.eraser.erase("telegram:955555", "telegram", "955555")
        assert await subscribers.get("telegram:955555") is None
        assert not await redis.sismember("hd:sub:ix:topic:alerts", "telegram:955555")
        assert not await redis.sismember("hd:sub:ix:active", "telegram:955555")
        await services.aclose()
        await redis.aclose()

    asyncio.run(go())


def test_viber_subscribed_offers_the_alerts_in_the_apps_language(client: TestClient, standins: StandIns) -> None:
    standins.reset()
    with httpx_through(client):
        assert post_viber(
            str(client.base_url), vb_event("subscribed", "vb-new==", language="es"), VIBER_TOKEN
        ).json()
    said(standins, "viber", "vb-new==", "subscription.offer", "es")
    [offer] = [m for m in standins.viber.messages() if m.get("receiver") == "vb-new=="]
    assert len(offer["keyboard"]["Buttons"]) == 5  # four topics and "all"


def test_the_subscribers_language_follows_the_conversations(client: TestClient, settings: Settings) -> None:
    """Someone subscribed in Romanian picks Italian in the conversation: their alerts come in Italian and the
    audience "Italian" counts them (the last test here: the choice then waits for the assistant, which is not
    running)."""
    r = db()
    assert r.hget("hd:sub:telegram:910001", "language") == "ro"

    async def italian_on_telegram() -> int:
        redis = Redis.from_url(settings.redis_url)
        counts = await Subscribers(redis, 3600).count(Audience(language=("it",)))
        await redis.aclose()
        return counts.eligible["telegram"]

    before = run(italian_on_telegram())
    with httpx_through(client):
        update = tg_callback(910001, '/choose_language{"language": "it"}', "ro")
        assert post_telegram(str(client.base_url), update, TG_SECRET).status_code == 200
    wait_until(lambda: r.hget("hd:sub:telegram:910001", "language") == "it", 20, "the language did not follow")
    assert r.hget("hd:conv:telegram:910001", "language") == "it"
    assert run(italian_on_telegram()) == before + 1
    # The subscription and the consent it was given in stay as they were.
    assert r.hget("hd:sub:telegram:910001", "state") == "active"
    assert r.hget("hd:sub:telegram:910001", "consent") == text("subscription.offer", "ro")
