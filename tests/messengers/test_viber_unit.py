"""Viber's parse and render, table by table (as RapidPro's Courier tests its handlers): each row a raw
callback and what verify and parse make of it, or an outbound message and the send_message bodies render
makes of it. The callbacks are the stand-ins' own (tests/standins/platforms.py), signed as Viber signs them
(hex HMAC-SHA256 of the body). No network, nothing patched.

A row given `defect=` is a strict xfail: a known defect, until it is fixed. Issue 13's rows (a field of the
wrong type, NaN, deep nesting, lone surrogates) pass: each event is read as its typed model of
channels/viber_wire.py; tests/messengers/test_channel_hostile.py posts the refused rows to the real gateway.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from channels.viber import TEXT_LIMIT, ViberChannel
from core.messages import Button, InboundMessage, OutboundMessage
from messaging.channel import DeliveryStatus, Parsed, RawRequest, UserEvent
from messaging.notices import notice
from tests.messengers.conftest import VIBER_TOKEN, Refused, check_webhook
from tests.standins.platforms import vb_event, vb_message
from tests.standins.viber import sign

USER = "01234567890A=="
PATH = "/webhooks/viber"
BOT = {"name": "Helpdesk"}


@pytest_asyncio.fixture(scope="module")
async def channel() -> AsyncIterator[ViberChannel]:
    channel = ViberChannel(VIBER_TOKEN, "http://127.0.0.1:9/pa", BOT["name"])
    yield channel
    await channel.aclose()


def request(event: dict[str, Any] | bytes, token: str | None = VIBER_TOKEN, upper: bool = False) -> RawRequest:
    """A callback as Viber sends it: JSON signed with `token` (None: no signature header)."""
    body = event if isinstance(event, bytes) else json.dumps(event).encode()
    headers = {"content-type": "application/json"}
    if token is not None:
        signature = sign(token, body)
        headers["x-viber-content-signature"] = signature.upper() if upper else signature
    return RawRequest(PATH, headers, body)


def message(event: dict[str, Any], text: str, **fields: Any) -> Parsed:
    """The Parsed of a `message` callback from USER."""
    token = str(event["message_token"])
    inbound = InboundMessage("viber", USER, text, message_id=token, **{"locale": "ro", **fields})
    return Parsed(dedupe_id=f"message:{token}", messages=[inbound])


def of(event: dict[str, Any], **fields: Any) -> Parsed:
    """The Parsed of another callback."""
    return Parsed(dedupe_id=f"{event['event']}:{event['message_token']}", **fields)


def keyboard(*buttons: Button) -> dict[str, Any]:
    """A Viber keyboard of reply buttons, one per row."""
    return {
        "Type": "keyboard",
        "DefaultHeight": False,
        "Buttons": [
            {
                "ActionType": "reply",
                "ActionBody": b.payload,
                "Text": b.title,
                "TextSize": "regular",
                "Columns": 6,
                "Rows": 1,
            }
            for b in buttons
        ],
    }


def welcome(language: str) -> dict[str, Any]:
    """The welcome message that answers conversation_started."""
    shown = notice("welcome", language)
    return {"sender": BOT, "type": "text", "text": shown.text, "keyboard": keyboard(*shown.buttons)}


def changed(callback: dict[str, Any], **values: Any) -> dict[str, Any]:
    return {**callback, **values}


def without(event: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in event.items() if k not in keys}


def row(
    name: str, raw: RawRequest, expected: Parsed | Refused | None, verified: bool = True, **options: Any
) -> Any:
    marks = [pytest.mark.xfail(strict=True, reason=options.pop("defect"))] if "defect" in options else []
    return pytest.param(raw, verified, expected, id=name, marks=marks)


TEXT = vb_message(USER, {"type": "text", "text": "Bună ziua, am o întrebare"})
TEXT_IT = vb_message(USER, {"type": "text", "text": "Buongiorno"}, "it")
TEXT_EN = vb_message(USER, {"type": "text", "text": "Hello"}, "en")
PRESS = vb_message(USER, {"type": "text", "text": "/topic_rights"})
LOCATION = vb_message(USER, {"type": "location", "location": {"lat": 47.1585, "lon": 27.6014}})
PICTURE = vb_message(USER, {"type": "picture", "text": "contract", "media": "https://dl-media.viber.com/p.jpg"})
FILE = vb_message(USER, {"type": "file", "media": "https://dl-media.viber.com/f.pdf", "file_name": "f.pdf"})
STICKER = vb_message(USER, {"type": "sticker", "sticker_id": 40133})
URL = vb_message(USER, {"type": "url", "media": "https://www.inps.it"})
RICH = vb_message(USER, {"type": "rich_media"})
SUBSCRIBED = vb_event("subscribed", USER, language="it")
UNSUBSCRIBED = vb_event("unsubscribed", USER)
STARTED = vb_event("conversation_started", USER, language="es")
STARTED_EN = vb_event("conversation_started", USER, language="en")
DELIVERED = vb_event("delivered", USER)
SEEN = vb_event("seen", USER)
FAILED = vb_event("failed", USER, desc="receiver is not subscribed")
WEBHOOK = vb_event("webhook", USER)
CLIENT_STATUS = vb_event("client_status", USER)
NAN, INF = float("nan"), float("inf")  # json.dumps writes NaN and Infinity, which json.loads reads
DEEP = b'{"event": "message", "message": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
LONE = vb_message(USER, {"type": "text", "text": "a\ud800b \ud83d\ude00"})  # lone, then a valid pair
LONE_DESC = vb_event("failed", USER, desc="\udfff")


def located(lat: float, lon: float) -> dict[str, Any]:
    """A location message with these coordinates."""
    return vb_message(USER, {"type": "location", "location": {"lat": lat, "lon": lon}})


WEBHOOKS = [
    # -- messages
    row("text", request(TEXT), message(TEXT, "Bună ziua, am o întrebare")),
    row("text from an Italian phone", request(TEXT_IT), message(TEXT_IT, "Buongiorno", locale="it")),
    row("text from an English phone: no locale", request(TEXT_EN), message(TEXT_EN, "Hello", locale=None)),
    row("keyboard press: a payload", request(PRESS), message(PRESS, "/topic_rights", kind="button")),
    row(
        "location",
        request(LOCATION),
        message(LOCATION, "", kind="location", latitude=47.1585, longitude=27.6014),
    ),
    row("picture with a caption", request(PICTURE), message(PICTURE, "contract", kind="media", media="photo")),
    row("file", request(FILE), message(FILE, "", kind="media", media="document")),
    row("sticker", request(STICKER), message(STICKER, "", kind="media", media="sticker")),
    row("a link", request(URL), message(URL, "https://www.inps.it")),
    row("a message type not known", request(RICH), message(RICH, "", kind="media", media="rich_media")),
    row("signature in upper case", request(TEXT, upper=True), message(TEXT, "Bună ziua, am o întrebare")),
    # -- the user's subscription and the chat's opening
    row(
        "subscribed",
        request(SUBSCRIBED),
        of(SUBSCRIBED, user_events=[UserEvent(USER, "subscribed", "it")]),
    ),
    row("unsubscribed", request(UNSUBSCRIBED), of(UNSUBSCRIBED, user_events=[UserEvent(USER, "unsubscribed")])),
    row("conversation started: the welcome", request(STARTED), of(STARTED, response=welcome("es"))),
    row("conversation started, English phone", request(STARTED_EN), of(STARTED_EN, response=welcome("ro"))),
    # -- delivery statuses of what we sent
    row(
        "delivered",
        request(DELIVERED),
        of(DELIVERED, statuses=[DeliveryStatus(str(DELIVERED["message_token"]), "delivered")]),
    ),
    row("seen: read", request(SEEN), of(SEEN, statuses=[DeliveryStatus(str(SEEN["message_token"]), "read")])),
    row(
        "failed with its reason",
        request(FAILED),
        of(
            FAILED, statuses=[DeliveryStatus(str(FAILED["message_token"]), "failed", "receiver is not subscribed")]
        ),
    ),
    row("the webhook check", request(WEBHOOK), of(WEBHOOK, ignored="event 'webhook' not used")),
    row("an event not used", request(CLIENT_STATUS), of(CLIENT_STATUS, ignored="event 'client_status' not used")),
    # -- not from Viber: refused before parsing (403)
    row("signed with another token", request(TEXT, token="another-token"), None, verified=False),
    row(
        "body changed after signing",
        RawRequest(PATH, request(TEXT).headers, json.dumps(changed(TEXT, silent=True)).encode()),
        None,
        verified=False,
    ),
    row("no signature", request(TEXT, token=None), None, verified=False),
    # -- from Viber but unreadable: 4xx
    row("not JSON", request(b"event=message"), Refused(400, "JSON")),
    row("not UTF-8", request(b'{"event": "\xff"}'), Refused(400, "JSON")),
    row("a JSON list", request(b"[]"), Refused(422, "event")),
    row("event missing", request(without(TEXT, "event")), Refused(422, "event")),
    row("event a number", request(changed(TEXT, event=1)), Refused(422, "event")),
    row("message without a sender", request(without(TEXT, "sender")), Refused(422, "sender")),
    row("sender without an id", request(changed(TEXT, sender={"name": "Ana"})), Refused(422, "sender")),
    row("message a string", request(changed(TEXT, message="salut")), Refused(422)),
    row("message without message_token", request(without(TEXT, "message_token")), Refused(422, "message_token")),
    row("empty text", request(vb_message(USER, {"type": "text", "text": " "})), Refused(422, "empty")),
    row("text a number", request(vb_message(USER, {"type": "text", "text": 5})), Refused(422)),
    row("a link without its URL", request(vb_message(USER, {"type": "url"})), Refused(422)),
    row("location without lat/lon", request(vb_message(USER, {"type": "location"})), Refused(422, "lat")),
    row(
        "latitude not a number",
        request(vb_message(USER, {"type": "location", "location": {"lat": "north", "lon": 27.6}})),
        Refused(422, "lat"),
    ),
    row("subscribed without a user", request(without(SUBSCRIBED, "user")), Refused(422, "user")),
    row("subscribed, user a string", request(changed(SUBSCRIBED, user=USER)), Refused(422, "user")),
    row("unsubscribed without user_id", request(without(UNSUBSCRIBED, "user_id")), Refused(422, "user_id")),
    row("delivered without message_token", request(without(DELIVERED, "message_token")), Refused(422)),
    row("conversation started without a user", request(without(STARTED, "user")), Refused(422, "user")),
    row(
        "latitude nan",
        request(vb_message(USER, {"type": "location", "location": {"lat": "nan", "lon": 27.6}})),
        Refused(422),
    ),
    row(
        "unsubscribed, user_id an object",
        request(changed(UNSUBSCRIBED, user_id={"id": USER})),
        Refused(422),
    ),
    row("message_token a list", request(changed(TEXT, message_token=[1])), Refused(422)),
    row("message_token over 64 bits", request(changed(TEXT, message_token=2**64)), Refused(422)),
    row("message_token negative", request(changed(DELIVERED, message_token=-1)), Refused(422)),
    row("latitude NaN (a number)", request(located(NAN, 27.6)), Refused(422, "lat")),
    row("longitude Infinity", request(located(47.1, INF)), Refused(422, "lon")),
    row("longitude 181", request(located(47.1, 181)), Refused(422, "lon")),
    row("sender id a number", request(changed(TEXT, sender={"id": 5, "language": "ro"})), Refused(422, "sender")),
    row(
        "sender id with a lone surrogate", request(changed(TEXT, sender={"id": "\ud800"})), Refused(422, "sender")
    ),
    row("sender language a number", request(changed(TEXT, sender={"id": USER, "language": 7})), Refused(422)),
    row("message type a number", request(vb_message(USER, {"type": 1, "text": "x"})), Refused(422, "type")),
    row("a link whose URL is a list", request(vb_message(USER, {"type": "url", "media": ["x"]})), Refused(422)),
    row("event with a lone surrogate", request(changed(CLIENT_STATUS, event="\udc00")), Refused(422, "event")),
    row("failed, desc a number", request(changed(FAILED, desc=5)), Refused(422, "desc")),
    row("nested 100,000 deep", request(DEEP), Refused(400, "nested too deeply")),
    # -- lone UTF-16 surrogates (a broken client): the text is kept with U+FFFD in their place
    row("text with a lone surrogate", request(LONE), message(LONE, "a\ufffdb \U0001f600")),
    row(
        "failed, desc with a lone surrogate",
        request(LONE_DESC),
        of(LONE_DESC, statuses=[DeliveryStatus(str(LONE_DESC["message_token"]), "failed", "\ufffd")]),
    ),
]


@pytest.mark.parametrize(("raw", "verified", "expected"), WEBHOOKS)
async def test_webhook(
    channel: ViberChannel, raw: RawRequest, verified: bool, expected: Parsed | Refused | None
) -> None:
    await check_webhook(channel, raw, verified, expected)


# -- render ---------------------------------------------------------------------------------------------

LONG_SENTENCE = " ".join(["drepturi"] * 777) + "."  # 6993 characters
SHORT_SENTENCE = " ".join(["muncă"] * 30) + "."  # with the long one: over the limit
MENU = (Button("Drepturi", "/topic_rights"), Button("Italiano", '/choose_language{"language":"it"}'))

RENDERS = [
    pytest.param(OutboundMessage("Bună ziua!"), [{"type": "text", "text": "Bună ziua!"}], id="short text"),
    pytest.param(OutboundMessage(""), [], id="empty"),
    pytest.param(
        OutboundMessage("Alege:", MENU),
        [{"type": "text", "text": "Alege:", "keyboard": keyboard(*MENU)}],
        id="buttons: a keyboard of reply buttons",
    ),
    pytest.param(
        OutboundMessage("x" * TEXT_LIMIT), [{"type": "text", "text": "x" * TEXT_LIMIT}], id="exactly the limit"
    ),
    pytest.param(
        OutboundMessage(f"{LONG_SENTENCE} {SHORT_SENTENCE}", MENU),
        [
            {"type": "text", "text": LONG_SENTENCE},
            {"type": "text", "text": SHORT_SENTENCE, "keyboard": keyboard(*MENU)},
        ],
        id="split between sentences: the keyboard on the last piece",
    ),
    pytest.param(
        OutboundMessage("x" * 8000),
        [{"type": "text", "text": "x" * TEXT_LIMIT}, {"type": "text", "text": "x" * (8000 - TEXT_LIMIT)}],
        id="one word over the limit: cut at the limit",
    ),
]


@pytest.mark.parametrize(("outbound", "expected"), RENDERS)
async def test_render(channel: ViberChannel, outbound: OutboundMessage, expected: list[dict[str, Any]]) -> None:
    assert len(LONG_SENTENCE) <= TEXT_LIMIT < len(LONG_SENTENCE) + 1 + len(SHORT_SENTENCE)
    assert await channel.render(USER, outbound) == expected


async def test_no_templates_and_no_reply_window(channel: ViberChannel) -> None:
    assert await channel.window_open(USER)
    with pytest.raises(ValueError, match="template"):
        await channel.render_template(USER, "HX" + "1" * 32, {"1": "x"})
