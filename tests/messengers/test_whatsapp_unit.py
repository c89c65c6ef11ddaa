"""WhatsApp (through Twilio)'s parse and render, table by table (as RapidPro's Courier tests its handlers):
each row a raw webhook request and what verify and parse make of it, or an outbound message and the bodies
render makes of it. The form posts are the stand-ins' own (tests/standins/platforms.py), signed with twilio's
RequestValidator as Twilio signs them. Real Redis (the 24-hour window, the numbered options), no network.

A row given `defect=` is a strict xfail: a known defect, until it is fixed. Issue 13's rows (coordinates that
are no numbers or out of range, a stop signal without its address) pass; tests/messengers/test_channel_hostile.py
posts the refused rows to the real gateway.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
import pytest_asyncio
from redis.asyncio import Redis
from twilio.request_validator import RequestValidator

from channels.twilio import EMPTY_TWIML, TEXT_LIMIT, WHATSAPP, TwilioChannel
from core.messages import Button, InboundMessage, OutboundMessage
from messaging.channel import BadPayload, DeliveryStatus, Parsed, RawRequest, UserEvent
from tests.messengers.conftest import TWILIO_TOKEN, WA_FROM, Refused, check_webhook, twilio_channel
from tests.standins.platforms import wa_message, wa_status

PUBLIC = "https://helpdesk.example.org"
PATH = "/webhooks/whatsapp"
STATUS_PATH = "/webhooks/whatsapp/status"
PHONE = "+40700100001"


@pytest_asyncio.fixture(scope="module")
async def channel(unit_redis: Redis) -> AsyncIterator[TwilioChannel]:
    channel = twilio_channel(unit_redis, WHATSAPP, WA_FROM, PUBLIC)
    yield channel
    await channel.aclose()


def request(
    fields: dict[str, str] | bytes,
    path: str = PATH,
    token: str | None = TWILIO_TOKEN,
    signed_url: str | None = None,
) -> RawRequest:
    """A form post as Twilio sends it, signed with `token` over PUBLIC + path (or `signed_url`); None: unsigned."""
    body = fields if isinstance(fields, bytes) else urlencode(fields).encode()
    headers = {"content-type": "application/x-www-form-urlencoded"}
    if token is not None:
        params = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        headers["x-twilio-signature"] = RequestValidator(token).compute_signature(
            signed_url or PUBLIC + path, params
        )
    return RawRequest(path, headers, body)


def message(fields: dict[str, str], text: str, **extra: Any) -> Parsed:
    """The Parsed of a post that carries one message from PHONE."""
    sid = fields["MessageSid"]
    inbound = InboundMessage("whatsapp", PHONE, text, message_id=sid, **extra)
    return Parsed(dedupe_id=sid, messages=[inbound], response=EMPTY_TWIML)


def status(fields: dict[str, str], reported: str, *events: UserEvent) -> Parsed:
    """The Parsed of a status callback."""
    sid, raw = fields["MessageSid"], fields["MessageStatus"]
    return Parsed(
        dedupe_id=f"status:{sid}:{raw}",
        statuses=[DeliveryStatus(sid, reported, fields.get("ErrorCode", ""))],
        user_events=list(events),
        response=EMPTY_TWIML,
    )


def without(fields: dict[str, str], *keys: str) -> dict[str, str]:
    return {k: v for k, v in fields.items() if k not in keys}


def row(
    name: str, raw: RawRequest, expected: Parsed | Refused | None, verified: bool = True, **options: Any
) -> Any:
    marks = [pytest.mark.xfail(strict=True, reason=options.pop("defect"))] if "defect" in options else []
    return pytest.param(raw, verified, expected, id=name, marks=marks)


TEXT = wa_message(PHONE, "Bună ziua, am o întrebare")
LOCATION = wa_message(PHONE, "", Latitude="47.1585", Longitude="27.6014")
BUTTON = wa_message(PHONE, "Drepturi", ButtonPayload="/topic_rights", ButtonText="Drepturi")
VOICE = wa_message(PHONE, "", NumMedia="1", MediaContentType0="audio/ogg", MediaUrl0="https://api.twilio.com/m/1")
PHOTO = wa_message(PHONE, "contract", NumMedia="1", MediaContentType0="image/jpeg")
PDF = wa_message(PHONE, "", NumMedia="1", MediaContentType0="application/pdf")
NUMBER = wa_message(PHONE, "2")
EMPTY = wa_message(PHONE, "")
OLD_SID = without(wa_message(PHONE, "salut"), "MessageSid")
SENT_SID = "SM" + "1" * 32
DELIVERED = wa_status(SENT_SID, "delivered", PHONE)
READ = wa_status(SENT_SID, "read", PHONE)
QUEUED = wa_status(SENT_SID, "queued", PHONE)
FAILED = wa_status(SENT_SID, "failed", PHONE, "30008")
OPTED_OUT = wa_status(SENT_SID, "undelivered", PHONE, "21610")

WEBHOOKS = [
    # -- messages: answered with empty TwiML
    row("text", request(TEXT), message(TEXT, "Bună ziua, am o întrebare")),
    row(
        "location",
        request(LOCATION),
        message(LOCATION, "", kind="location", latitude=47.1585, longitude=27.6014),
    ),
    row("quick reply button", request(BUTTON), message(BUTTON, "/topic_rights", kind="button")),
    row("voice note", request(VOICE), message(VOICE, "", kind="media", media="voice")),
    row("photo with a caption", request(PHOTO), message(PHOTO, "contract", kind="media", media="photo")),
    row("document", request(PDF), message(PDF, "", kind="media", media="document")),
    row("a number when no options were offered", request(NUMBER), message(NUMBER, "2")),
    row(
        "empty body",
        request(EMPTY),
        Parsed(dedupe_id=EMPTY["MessageSid"], response=EMPTY_TWIML, ignored="message type not used"),
    ),
    row(
        "SmsMessageSid only",
        request(OLD_SID),
        Parsed(
            dedupe_id=OLD_SID["SmsMessageSid"],
            messages=[InboundMessage("whatsapp", PHONE, "salut", message_id=OLD_SID["SmsMessageSid"])],
            response=EMPTY_TWIML,
        ),
    ),
    # -- status callbacks
    row("delivered", request(DELIVERED, STATUS_PATH), status(DELIVERED, "delivered")),
    row("read", request(READ, STATUS_PATH), status(READ, "read")),
    row("queued: sent", request(QUEUED, STATUS_PATH), status(QUEUED, "sent")),
    row("failed with its code", request(FAILED, STATUS_PATH), status(FAILED, "failed")),
    row(
        "opted out (21610): a stop signal",
        request(OPTED_OUT, STATUS_PATH),
        status(OPTED_OUT, "undelivered", UserEvent(PHONE, "unsubscribed")),
    ),
    # -- not from Twilio: refused before parsing (403)
    row("signed with another auth token", request(TEXT, token="another-token"), None, verified=False),
    row("signature of another path", request(TEXT, signed_url=PUBLIC + STATUS_PATH), None, verified=False),
    row("signed over http://", request(TEXT, signed_url=PUBLIC.replace("https", "http") + PATH), None, False),
    row(
        "a field changed after signing",
        RawRequest(PATH, request(TEXT).headers, urlencode({**TEXT, "Body": "altceva"}).encode()),
        None,
        verified=False,
    ),
    row("no signature", request(TEXT, token=None), None, verified=False),
    row("not UTF-8: cannot be checked", request(b"Body=\xff&MessageSid=SM1"), Refused(400, "form"), False),
    # -- from Twilio but unreadable: 4xx
    row("MessageSid missing", request(without(TEXT, "MessageSid", "SmsMessageSid")), Refused(422, "MessageSid")),
    row("a JSON body", request(json.dumps(TEXT).encode()), Refused(422, "MessageSid")),
    row("From not a WhatsApp address", request({**TEXT, "From": PHONE}), Refused(422, "From")),
    row("From without a number", request({**TEXT, "From": "whatsapp:"}), Refused(422, "From")),
    row("From missing", request(without(TEXT, "From")), Refused(422, "From")),
    row("latitude not a number", request({**LOCATION, "Latitude": "north"}), Refused(422, "Latitude")),
    row("unknown status", request({**DELIVERED, "MessageStatus": "lost"}, STATUS_PATH), Refused(422, "lost")),
    row(
        "status missing",
        request(without(DELIVERED, "MessageStatus", "SmsStatus"), STATUS_PATH),
        Refused(422, "MessageStatus"),
    ),
    row("latitude nan", request({**LOCATION, "Latitude": "nan"}), Refused(422)),
    row(
        "opted out without To: a stop signal for nobody",
        request(without(OPTED_OUT, "To"), STATUS_PATH),
        Refused(422, "To"),
    ),
    row("latitude inf", request({**LOCATION, "Latitude": "inf"}), Refused(422, "Latitude")),
    row("longitude -NaN", request({**LOCATION, "Longitude": "-nan"}), Refused(422, "Longitude")),
    row("latitude 90.5", request({**LOCATION, "Latitude": "90.5"}), Refused(422, "Latitude")),
    row("longitude 1e400", request({**LOCATION, "Longitude": "1e400"}), Refused(422, "Longitude")),
    row(
        "opted out, To not a WhatsApp address",
        request({**OPTED_OUT, "To": PHONE}, STATUS_PATH),
        Refused(422, "To"),
    ),
    row("opted out, To without a number", request({**OPTED_OUT, "To": "whatsapp:"}, STATUS_PATH), Refused(422)),
]


@pytest.mark.parametrize(("raw", "verified", "expected"), WEBHOOKS)
async def test_webhook(
    channel: TwilioChannel, raw: RawRequest, verified: bool, expected: Parsed | Refused | None
) -> None:
    await check_webhook(channel, raw, verified, expected)


async def test_a_refused_location_opens_no_window(channel: TwilioChannel, unit_redis: Redis) -> None:
    phone = "+40700100005"
    refused = wa_message(phone, "", Latitude="nan", Longitude="27.6")
    with pytest.raises(BadPayload):
        await channel.parse(request(refused))
    assert not await unit_redis.exists(f"hd:wa:window:{phone}")
    await channel.parse(request({**refused, "Latitude": "47.1"}))
    assert await unit_redis.exists(f"hd:wa:window:{phone}")


async def test_a_message_opens_the_24_hour_window_and_a_status_does_not(
    channel: TwilioChannel, unit_redis: Redis
) -> None:
    phone = "+40700100002"
    await channel.parse(request(wa_status(SENT_SID, "delivered", phone), STATUS_PATH))
    assert not await channel.window_open(phone)
    await channel.parse(request(wa_message(phone, "salut")))
    assert await channel.window_open(phone)
    assert 23 * 3600 < await unit_redis.ttl(f"hd:wa:window:{phone}") <= 24 * 3600


# -- render ---------------------------------------------------------------------------------------------

LONG_SENTENCE = " ".join(["drepturi"] * 166) + "."  # 1494 characters
SHORT_SENTENCE = " ".join(["muncă"] * 30) + "."  # with the long one: over the limit
MENU = (Button("Drepturi", "/topic_rights"), Button("Retur", "/topic_return"))
OPTIONS = "1. Drepturi\n2. Retur"

RENDERS = [
    pytest.param(OutboundMessage("Bună ziua!"), [{"body": "Bună ziua!"}], None, id="short text"),
    pytest.param(OutboundMessage(""), [], None, id="empty"),
    pytest.param(
        OutboundMessage("Alege un subiect:", MENU),
        [{"body": f"Alege un subiect:\n\n{OPTIONS}"}],
        ["/topic_rights", "/topic_return"],
        id="buttons: numbered options",
    ),
    pytest.param(
        OutboundMessage("", MENU), [{"body": OPTIONS}], ["/topic_rights", "/topic_return"], id="only buttons"
    ),
    pytest.param(
        OutboundMessage("Unde ești?", (Button("Italia", '/set_country{"country":"it"}'),)),
        [{"body": "Unde ești?\n\n1. Italia"}],
        ['/set_country{"country":"it"}'],
        id="a payload with JSON",
    ),
    pytest.param(OutboundMessage("x" * TEXT_LIMIT), [{"body": "x" * TEXT_LIMIT}], None, id="exactly the limit"),
    pytest.param(
        OutboundMessage(f"{LONG_SENTENCE} {SHORT_SENTENCE}"),
        [{"body": LONG_SENTENCE}, {"body": SHORT_SENTENCE}],
        None,
        id="over the limit: cut between sentences",
    ),
    pytest.param(
        OutboundMessage(f"{LONG_SENTENCE} {SHORT_SENTENCE}", MENU),
        [{"body": LONG_SENTENCE}, {"body": f"{SHORT_SENTENCE}\n\n{OPTIONS}"}],
        ["/topic_rights", "/topic_return"],
        id="split: the options end the last piece",
    ),
    pytest.param(
        OutboundMessage("x" * 2000),
        [{"body": "x" * TEXT_LIMIT}, {"body": "x" * (2000 - TEXT_LIMIT)}],
        None,
        id="one word over the limit: cut at the limit",
    ),
]


@pytest.mark.parametrize(("outbound", "expected", "options"), RENDERS)
async def test_render(
    channel: TwilioChannel,
    unit_redis: Redis,
    outbound: OutboundMessage,
    expected: list[dict[str, Any]],
    options: list[str] | None,
) -> None:
    assert len(LONG_SENTENCE) <= TEXT_LIMIT < len(LONG_SENTENCE) + 1 + len(SHORT_SENTENCE)
    user = "+40700100004"
    await unit_redis.delete(f"hd:wa:options:{user}")
    assert await channel.render(user, outbound) == expected
    stored = await unit_redis.get(f"hd:wa:options:{user}")
    assert (json.loads(stored) if stored else None) == options
    if options:
        assert 23 * 3600 < await unit_redis.ttl(f"hd:wa:options:{user}") <= 24 * 3600


ANSWERS = [
    pytest.param("2", "/topic_return", id="2"),
    pytest.param("2.", "/topic_return", id="2."),
    pytest.param(" 3) ", "/more", id="3) with spaces"),
    pytest.param("1", "/topic_rights", id="1"),
    pytest.param("4", None, id="a number not offered"),
    pytest.param("0", None, id="0"),
    pytest.param("doi", None, id="a word"),
]


@pytest.mark.parametrize(("body", "payload"), ANSWERS)
async def test_a_numbered_answer_is_the_offered_options_payload(
    channel: TwilioChannel, body: str, payload: str | None
) -> None:
    phone = "+40700100003"
    await channel.render(phone, OutboundMessage("Alege:", (*MENU, Button("Mai mult", "/more"))))
    fields = wa_message(phone, body)
    [answer] = (await channel.parse(request(fields))).messages
    assert (answer.text, answer.kind) == ((payload, "button") if payload else (body, "text"))


async def test_templates(channel: TwilioChannel) -> None:
    assert await channel.render_template(PHONE, "HX" + "1" * 32, {"1": "12 martie", "2": "Iași"}) == [
        {"content_sid": "HX" + "1" * 32, "content_variables": '{"1": "12 martie", "2": "Iași"}'}
    ]
