"""Telegram's parse and render, table by table (as RapidPro's Courier tests its handlers): each row a raw
webhook request and what verify and parse make of it, or an outbound message and the sendMessage payloads
render makes of it. The updates are the stand-ins' own (tests/standins/platforms.py), so these tests and the
end-to-end ones speak the same wire format. Real Redis (the callback tokens), no network, nothing patched.

A row given `defect=` is a strict xfail: a known defect, until it is fixed. Issue 13's rows (a field of the
wrong type, a missing object, deep nesting, lone surrogates) pass: the update is read as the typed objects of
channels/telegram_wire.py; tests/messengers/test_channel_hostile.py posts the refused rows to the real gateway.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio
from redis.asyncio import Redis

from channels.telegram import TEXT_LIMIT, TelegramChannel
from core.messages import Button, InboundMessage, OutboundMessage
from messaging.channel import Parsed, RawRequest, UserEvent
from tests.messengers.conftest import TG_SECRET, TG_TOKEN, Refused, check_webhook
from tests.standins.platforms import tg_callback, tg_member, tg_message

CHAT = 700_100_001
PATH = "/webhooks/telegram"


@pytest_asyncio.fixture(scope="module")
async def channel(unit_redis: Redis) -> AsyncIterator[TelegramChannel]:
    channel = TelegramChannel(unit_redis, TG_TOKEN, TG_SECRET, "http://127.0.0.1:9")
    yield channel
    await channel.aclose()


def request(update: dict[str, Any] | bytes, secret: str | None = TG_SECRET) -> RawRequest:
    """A webhook request as Telegram sends it: JSON, with the secret token header unless `secret` is None."""
    body = update if isinstance(update, bytes) else json.dumps(update).encode()
    headers = {"content-type": "application/json"}
    if secret is not None:
        headers["x-telegram-bot-api-secret-token"] = secret
    return RawRequest(PATH, headers, body)


def message(update: dict[str, Any], text: str, **fields: Any) -> Parsed:
    """The Parsed of an update that carries one message from CHAT."""
    inbound = InboundMessage("telegram", str(CHAT), text, message_id=str(update["update_id"]), **fields)
    return Parsed(dedupe_id=str(update["update_id"]), messages=[inbound])


def ignored(update: dict[str, Any], why: str, **fields: Any) -> Parsed:
    return Parsed(dedupe_id=str(update["update_id"]), ignored=why, **fields)


def member_event(update: dict[str, Any], kind: str) -> Parsed:
    return Parsed(dedupe_id=str(update["update_id"]), user_events=[UserEvent(str(CHAT), kind)])


def answered(update: dict[str, Any]) -> dict[str, str]:
    """The webhook response that answers a button press (answerCallbackQuery)."""
    return {"method": "answerCallbackQuery", "callback_query_id": update["callback_query"]["id"]}


def changed(update: dict[str, Any], where: str, **values: Any) -> dict[str, Any]:
    """The update with fields of its `where` object ("message", "callback_query"...) replaced."""
    return {**update, where: {**update[where], **values}}


def without(update: dict[str, Any], where: str, *keys: str) -> dict[str, Any]:
    """The update with fields of its `where` object removed."""
    return {**update, where: {k: v for k, v in update[where].items() if k not in keys}}


def row(name: str, update: dict[str, Any] | bytes, expected: Parsed | Refused | None, **options: Any) -> Any:
    """A table row: the request (signed with the secret unless `secret` is given) and what parse gives."""
    secret = options.pop("secret", TG_SECRET)
    marks = [pytest.mark.xfail(strict=True, reason=options.pop("defect"))] if "defect" in options else []
    return pytest.param(request(update, secret), secret == TG_SECRET, expected, id=name, marks=marks)


TEXT = tg_message(CHAT, "Bună ziua, am o întrebare", "ro")
TEXT_IT = tg_message(CHAT, "Buongiorno", "it")
TEXT_EN = tg_message(CHAT, "Hello", "en")
START = tg_message(CHAT, "/start", "ro")
START_IT = tg_message(CHAT, "/start it", "es")
START_NAMED = tg_message(CHAT, "/start@HelpdeskBot es", "ro")
START_PROMO = tg_message(CHAT, "/start promo42", "ro")
LOCATION = tg_message(CHAT, None, location={"latitude": 47.1585, "longitude": 27.6014})
VOICE = tg_message(CHAT, None, voice={"file_id": "v1", "file_unique_id": "u1", "duration": 3})
PHOTO = tg_message(
    CHAT, None, "it", photo=[{"file_id": "p1", "file_unique_id": "u2", "width": 90, "height": 90}], caption="busta"
)
DOCUMENT = tg_message(CHAT, None, document={"file_id": "d1", "file_unique_id": "u3"}, caption="contract")
STICKER = tg_message(
    CHAT,
    None,
    sticker={
        "file_id": "s1",
        "file_unique_id": "u4",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
    },
)
DICE = tg_message(CHAT, None, dice={"emoji": "🎲", "value": 3})
GROUP = changed(tg_message(CHAT, "salut"), "message", chat={"id": -100123, "type": "group", "title": "Muncă"})
EDITED = {"update_id": tg_message(CHAT)["update_id"], "edited_message": tg_message(CHAT, "corectat")["message"]}
NAMED_CHAT = {"id": "ana", "type": "private"}
PRESS = tg_callback(CHAT, "/topic_rights", "it")
PRESS_GROUP = changed(
    tg_callback(CHAT, "/topic_rights"),
    "callback_query",
    message={**tg_callback(CHAT, "x")["callback_query"]["message"], "chat": {"id": -100123, "type": "group"}},
)
PRESS_FORGOTTEN = tg_callback(CHAT, "t:" + "0" * 24)
PRESS_NO_MESSAGE = without(tg_callback(CHAT, "/menu", "es"), "callback_query", "message")

NAN, INF = float("nan"), float("inf")  # json.dumps writes NaN and Infinity, which json.loads reads
BUTTON_MESSAGE_ABC = {**PRESS["callback_query"]["message"], "chat": {"id": "abc", "type": "private"}}
DEEP = b'{"update_id": 1, "message": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
DEEP_INSIDE = json.dumps(TEXT)[:-2].encode() + b', "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}"
LONE = tg_message(CHAT, "a\ud800b \ud83d\ude00", "ro")  # a lone surrogate, then a valid pair (an emoji)
LONE_CAPTION = changed(PHOTO, "message", caption="\udc00 busta")
LONE_PRESS = tg_callback(CHAT, "/menu\udfff")
LONE_LANGUAGE = tg_message(CHAT, "Bună", "\ud800")


def member(status: str) -> dict[str, Any]:
    """tg_member's update, with the until_date Telegram sends for a "kicked" old status (tg_member gives it
    only to the new status, and python-telegram-bot refuses a kicked member without it)."""
    update = tg_member(CHAT, status)
    old = update["my_chat_member"]["old_chat_member"]
    update["my_chat_member"]["old_chat_member"] = {**old, "until_date": 0} if old["status"] == "kicked" else old
    return update


BLOCKED = member("kicked")
BACK = member("member")
LEFT = member("left")

WEBHOOKS = [
    # -- messages
    row("text", TEXT, message(TEXT, "Bună ziua, am o întrebare", locale="ro")),
    row("text from an Italian app", TEXT_IT, message(TEXT_IT, "Buongiorno", locale="it")),
    row("text from an English app: no locale", TEXT_EN, message(TEXT_EN, "Hello", locale=None)),
    row("/start: a greeting", START, message(START, "/greet", kind="start", locale="ro")),
    row("/start it: a language", START_IT, message(START_IT, "/greet", kind="start", language="it", locale="es")),
    row("/start@bot es", START_NAMED, message(START_NAMED, "/greet", kind="start", language="es", locale="ro")),
    row("/start with another payload", START_PROMO, message(START_PROMO, "/greet", kind="start", locale="ro")),
    row(
        "location",
        LOCATION,
        message(LOCATION, "", kind="location", latitude=47.1585, longitude=27.6014, locale="ro"),
    ),
    row("voice", VOICE, message(VOICE, "", kind="media", media="voice", locale="ro")),
    row("photo with a caption", PHOTO, message(PHOTO, "busta", kind="media", media="photo", locale="it")),
    row("document", DOCUMENT, message(DOCUMENT, "contract", kind="media", media="document", locale="ro")),
    row("sticker", STICKER, message(STICKER, "", kind="media", media="sticker", locale="ro")),
    row("a message type not used", DICE, ignored(DICE, "message type not used")),
    row("a group chat", GROUP, ignored(GROUP, "not a private chat")),
    row("an edited message", EDITED, ignored(EDITED, "update type not used")),
    # -- button presses: answered in the webhook response
    row(
        "button press",
        PRESS,
        Parsed(
            dedupe_id=str(PRESS["update_id"]),
            messages=[
                InboundMessage(
                    "telegram",
                    str(CHAT),
                    "/topic_rights",
                    message_id=str(PRESS["update_id"]),
                    kind="button",
                    locale="it",
                )
            ],
            response=answered(PRESS),
        ),
    ),
    row(
        "button press in a group",
        PRESS_GROUP,
        ignored(PRESS_GROUP, "not a private chat", response=answered(PRESS_GROUP)),
    ),
    row(
        "button whose stored payload expired",
        PRESS_FORGOTTEN,
        ignored(PRESS_FORGOTTEN, "button no longer known", response=answered(PRESS_FORGOTTEN)),
    ),
    row(
        "button press without its message",
        PRESS_NO_MESSAGE,
        Parsed(
            dedupe_id=str(PRESS_NO_MESSAGE["update_id"]),
            messages=[
                InboundMessage(
                    "telegram",
                    str(CHAT),
                    "/menu",
                    message_id=str(PRESS_NO_MESSAGE["update_id"]),
                    kind="button",
                    locale="es",
                )
            ],
            response=answered(PRESS_NO_MESSAGE),
        ),
    ),
    # -- the user blocks or restarts the bot
    row("blocked", BLOCKED, member_event(BLOCKED, "unsubscribed")),
    row("left", LEFT, member_event(LEFT, "unsubscribed")),
    row("back", BACK, member_event(BACK, "subscribed")),
    # -- not from Telegram: refused before parsing (403)
    row("wrong secret", TEXT, None, secret="not-the-secret"),
    row("no secret header", TEXT, None, secret=None),
    row("empty secret header", TEXT, None, secret=""),
    # -- from Telegram but unreadable: 4xx
    row("not JSON", b"update_id=1&message=salut", Refused(400, "JSON")),
    row("not UTF-8", b'{"update_id": 1, "message": "\xff"}', Refused(400, "JSON")),
    row("a JSON list", b"[1, 2]", Refused(422, "update_id")),
    row("update_id missing", {"message": TEXT["message"]}, Refused(422, "update_id")),
    row("update_id a string", {**TEXT, "update_id": "12"}, Refused(422, "update_id")),
    row("message a string", {"update_id": 1, "message": "salut"}, Refused(422)),
    row("message a list", {"update_id": 1, "message": []}, Refused(422)),
    row("message without a date", without(TEXT, "message", "date"), Refused(422)),
    row("chat without an id", changed(TEXT, "message", chat={"type": "private"}), Refused(422)),
    row("voice a string", tg_message(CHAT, None, voice="v1"), Refused(422)),
    row("message without a chat", without(TEXT, "message", "chat"), Refused(422)),
    row("text a number", changed(TEXT, "message", text=5), Refused(422)),
    row("chat id a string", changed(TEXT, "message", chat=NAMED_CHAT), Refused(422)),
    row(
        "language_code a number",
        changed(TEXT, "message", **{"from": {"id": CHAT, "is_bot": False, "first_name": "A", "language_code": 7}}),
        Refused(422),
    ),
    row(
        "latitude not a number",
        tg_message(CHAT, None, location={"latitude": "north", "longitude": 27.6}),
        Refused(422),
    ),
    row("button press without from", without(PRESS, "callback_query", "from"), Refused(422)),
    row("button data a number", changed(PRESS, "callback_query", data=5), Refused(422)),
    row(
        "member change without new_chat_member",
        without(BLOCKED, "my_chat_member", "new_chat_member"),
        Refused(422),
    ),
    row("member change without chat", without(BLOCKED, "my_chat_member", "chat"), Refused(422)),
    row("caption a number", changed(PHOTO, "message", caption=5), Refused(422, "caption")),
    row("caption an object", changed(PHOTO, "message", caption={"text": "busta"}), Refused(422, "caption")),
    row(
        "language_code a list in a button press",
        changed(PRESS, "callback_query", **{"from": {**PRESS["callback_query"]["from"], "language_code": ["it"]}}),
        Refused(422, "language_code"),
    ),
    row("chat id abc", changed(TEXT, "message", chat={"id": "abc", "type": "private"}), Refused(422, "chat.id")),
    row("chat id a float", changed(TEXT, "message", chat={"id": 1.5, "type": "private"}), Refused(422, "chat.id")),
    row("chat id over 64 bits", changed(TEXT, "message", chat={"id": 2**64, "type": "private"}), Refused(422)),
    row("chat id true", changed(TEXT, "message", chat={"id": True, "type": "private"}), Refused(422)),
    row("button's chat id abc", changed(PRESS, "callback_query", message=BUTTON_MESSAGE_ABC), Refused(422)),
    row("button id a number", changed(PRESS, "callback_query", id=5), Refused(422)),
    row("button id a lone surrogate", changed(PRESS, "callback_query", id="\ud800"), Refused(422)),
    row("latitude NaN", tg_message(CHAT, None, location={"latitude": NAN, "longitude": 27.6}), Refused(422)),
    row("longitude Infinity", tg_message(CHAT, None, location={"latitude": 47.1, "longitude": INF}), Refused(422)),
    row("latitude 91", tg_message(CHAT, None, location={"latitude": 91, "longitude": 27.6}), Refused(422)),
    row("photo not a list", changed(PHOTO, "message", photo={"file_id": "p1"}), Refused(422, "photo")),
    row("update_id negative", {**TEXT, "update_id": -1}, Refused(422, "update_id")),
    row("nested 100,000 deep", DEEP, Refused(400, "nested too deeply")),
    row("nested deep inside the message", DEEP_INSIDE, Refused(400, "nested too deeply")),
    # -- lone UTF-16 surrogates (a broken client): the text is kept with U+FFFD in their place
    row("text with a lone surrogate", LONE, message(LONE, "a\ufffdb \U0001f600", locale="ro")),
    row(
        "caption with a lone surrogate",
        LONE_CAPTION,
        message(LONE_CAPTION, "\ufffd busta", kind="media", media="photo", locale="it"),
    ),
    row(
        "button data with a lone surrogate",
        LONE_PRESS,
        Parsed(
            dedupe_id=str(LONE_PRESS["update_id"]),
            messages=[
                InboundMessage(
                    "telegram",
                    str(CHAT),
                    "/menu\ufffd",
                    message_id=str(LONE_PRESS["update_id"]),
                    kind="button",
                    locale="ro",
                )
            ],
            response=answered(LONE_PRESS),
        ),
    ),
    row(
        "language_code a lone surrogate: no locale",
        LONE_LANGUAGE,
        message(LONE_LANGUAGE, "Bună", locale=None),
    ),
]


@pytest.mark.parametrize(("raw", "verified", "expected"), WEBHOOKS)
async def test_webhook(
    channel: TelegramChannel, raw: RawRequest, verified: bool, expected: Parsed | Refused | None
) -> None:
    await check_webhook(channel, raw, verified, expected)


async def test_without_a_configured_secret_nothing_is_verified(unit_redis: Redis) -> None:
    channel = TelegramChannel(unit_redis, TG_TOKEN, "", "http://127.0.0.1:9")
    assert not channel.verify(request(TEXT, ""))
    assert not channel.verify(request(TEXT, None))


# -- render ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stored:
    """Expected callback_data: a token (over 64 bytes, or looking like a token) whose payload Redis keeps."""

    payload: str


async def token_payload(data: str, redis: Redis) -> str | Stored:
    """callback_data as sent (at most 64 bytes), or Stored(the payload) when it is a token kept 90 days."""
    assert len(data.encode()) <= 64, data
    if not data.startswith("t:"):
        return data
    key = f"hd:tg:cb:{data[2:]}"
    stored = await redis.get(key)
    assert stored is not None, f"{data}: no stored payload"
    assert 89 * 24 * 3600 < await redis.ttl(key) <= 90 * 24 * 3600
    return Stored(stored.decode())


async def resolved(payloads: list[dict[str, Any]], redis: Redis) -> list[dict[str, Any]]:
    """The rendered payloads with each callback token replaced by Stored(its payload)."""
    out = []
    for payload in payloads:
        if "inline_keyboard" in payload:
            rows = [
                [{**b, "callback_data": await token_payload(b["callback_data"], redis)} for b in buttons]
                for buttons in payload["inline_keyboard"]
            ]
            out.append({**payload, "inline_keyboard": rows})
        else:
            out.append(payload)
    return out


def keyboard(*buttons: tuple[str, str | Stored]) -> list[list[dict[str, Any]]]:
    """An inline keyboard with one button per row."""
    return [[{"text": title, "callback_data": data}] for title, data in buttons]


LONG_SENTENCE = " ".join(["drepturi"] * 444) + "."  # 3996 characters
SHORT_SENTENCE = " ".join(["muncă"] * 30) + "."  # with the long one: over the limit
LONG_PAYLOAD = '/choose_language{"language":"it","source":"a button with a payload over 64 bytes"}'
PAYLOAD_64 = "/more" + json.dumps({"answer": "x" * 46}, separators=(",", ":"))  # 64 bytes
WIDE_PAYLOAD = "/set_country" + json.dumps({"country": "ă" * 25}, ensure_ascii=False)  # 52 letters, 77 bytes
MENU = (Button("Drepturi", "/topic_rights"), Button("Meniu", "/menu"))
MENU_KEYBOARD = keyboard(("Drepturi", "/topic_rights"), ("Meniu", "/menu"))
LANGUAGES_KEYBOARD = keyboard(("Română", "/menu"), ("Italiano", Stored(LONG_PAYLOAD)))

RENDERS = [
    pytest.param(OutboundMessage("Bună ziua!"), [{"text": "Bună ziua!"}], id="short text"),
    pytest.param(OutboundMessage(""), [], id="empty"),
    pytest.param(OutboundMessage("  \n "), [], id="only spaces"),
    pytest.param(
        OutboundMessage("Alege:", MENU),
        [{"text": "Alege:", "inline_keyboard": MENU_KEYBOARD}],
        id="buttons: one per row",
    ),
    pytest.param(OutboundMessage("x" * TEXT_LIMIT), [{"text": "x" * TEXT_LIMIT}], id="exactly the limit"),
    pytest.param(
        OutboundMessage(f"{LONG_SENTENCE} {SHORT_SENTENCE}"),
        [{"text": LONG_SENTENCE}, {"text": SHORT_SENTENCE}],
        id="over the limit: cut between sentences",
    ),
    pytest.param(
        OutboundMessage(f"{LONG_SENTENCE}\n\n{SHORT_SENTENCE}"),
        [{"text": LONG_SENTENCE}, {"text": SHORT_SENTENCE}],
        id="over the limit: cut at the paragraph",
    ),
    pytest.param(
        OutboundMessage("x" * 5000),
        [{"text": "x" * TEXT_LIMIT}, {"text": "x" * (5000 - TEXT_LIMIT)}],
        id="one word over the limit: cut at the limit",
    ),
    pytest.param(
        OutboundMessage(f"{LONG_SENTENCE} {SHORT_SENTENCE}", MENU),
        [
            {"text": LONG_SENTENCE},
            {"text": SHORT_SENTENCE, "inline_keyboard": MENU_KEYBOARD},
        ],
        id="split: the keyboard on the last piece",
    ),
    pytest.param(
        OutboundMessage("Alege:", (Button("Mai mult", PAYLOAD_64),)),
        [{"text": "Alege:", "inline_keyboard": keyboard(("Mai mult", PAYLOAD_64))}],
        id="payload of 64 bytes: sent as it is",
    ),
    pytest.param(
        OutboundMessage("Alege limba:", (Button("Română", "/menu"), Button("Italiano", LONG_PAYLOAD))),
        [{"text": "Alege limba:", "inline_keyboard": LANGUAGES_KEYBOARD}],
        id="payload over 64 bytes: a stored token",
    ),
    pytest.param(
        OutboundMessage("Unde?", (Button("Țara", WIDE_PAYLOAD),)),
        [{"text": "Unde?", "inline_keyboard": keyboard(("Țara", Stored(WIDE_PAYLOAD)))}],
        id="payload under 64 letters but over 64 bytes: a stored token",
    ),
    pytest.param(
        OutboundMessage("Alege:", (Button("T", "t:abc"),)),
        [{"text": "Alege:", "inline_keyboard": keyboard(("T", Stored("t:abc")))}],
        id="payload that looks like a token: a stored token",
    ),
]


@pytest.mark.parametrize(("outbound", "expected"), RENDERS)
async def test_render(
    channel: TelegramChannel, unit_redis: Redis, outbound: OutboundMessage, expected: list[dict[str, Any]]
) -> None:
    assert len(LONG_SENTENCE) <= TEXT_LIMIT < len(LONG_SENTENCE) + 1 + len(SHORT_SENTENCE)
    assert await resolved(await channel.render(str(CHAT), outbound), unit_redis) == expected


async def test_a_pressed_token_button_comes_back_as_its_payload(channel: TelegramChannel) -> None:
    [rendered] = await channel.render(str(CHAT), OutboundMessage("Alege:", (Button("Italiano", LONG_PAYLOAD),)))
    press = tg_callback(CHAT, rendered["inline_keyboard"][0][0]["callback_data"])
    parsed = await channel.parse(request(press))
    assert [(m.text, m.kind) for m in parsed.messages] == [(LONG_PAYLOAD, "button")]


async def test_no_templates_and_no_reply_window(channel: TelegramChannel) -> None:
    assert await channel.window_open(str(CHAT))
    with pytest.raises(ValueError, match="template"):
        await channel.render_template(str(CHAT), "HX" + "1" * 32, {"1": "x"})
