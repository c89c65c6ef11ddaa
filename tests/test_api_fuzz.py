"""Schemathesis against the gateway's own /openapi.json (issue 13): no 5xx and every answer as documented.

A real gateway process on a Redis server of this module and a stand-in for Rasa (`RasaStandIn`: a model is
loaded, every message is answered "ok"), with every messenger on (made-up credentials; the platforms' URLs lead
nowhere). Each operation gets EXAMPLES generated requests per pass, checked for: not a server error, a documented
status code, a documented content type, a body that fits the documented schema. The passes: logged out, then
logged in as a counsellor, a supervisor and a campaign staff member (accounts made by `python -m inbox users
add`, the inbox's and the campaigns' own logins, the session's CSRF token sent with every request).

What is not fuzzed, and why:
- The pages, the login forms, logout and the static files are not in the schema (`include_in_schema=False`:
  HTML and forms, not the API). Their refusals are tested by tests/test_inbox_security.py and the pages' tests.
- The public routes (webhooks, web chat, /chat, health, metrics) do not read the session: fuzzed in the logged-out
  pass only, not three more times.
- GET /inbox/api/events for a counsellor and a supervisor: its 200 is an event stream that lasts 20 s per
  request (tests/test_handoff_person.py reads it); it is fuzzed logged out (401) and as campaign staff (403).
- GET /webhooks/web/messages long-polls for `wait` seconds (up to 25): the generated `wait` is kept but cut to
  0.2 s, so that each request answers at once; POST /webhooks/web waits at most WEB_REPLY_WAIT_SECONDS (0.2 here).

The messenger webhooks check a signature before reading anything (403 otherwise): every other request of theirs
is signed as its platform signs it (Telegram's secret header, Twilio's signature of the URL and the form, Viber's
HMAC of the body), so that the fuzzer's bodies reach the parsers too. Likewise every other generated case id,
campaign id and campaign action is replaced by a real one (three open cases of Iași, two drafts: `real_ids`), so
that the bodies reach the actions themselves (claim, reply, note, labels, approve, send...), not only the 404.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import os
import re
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from twilio.request_validator import RequestValidator

from channels.twilio import _form as twilio_form
from core.settings import Settings
from gateway.app import create_app
from ops.local_stack import LocalStack, free_port, wait_until
from tests.conftest import ROOT
from tests.test_gateway_hardening import RedisServer, start_gateway

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "25"))  # per operation and pass (more: API_FUZZ_EXAMPLES=200)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
PASSWORD = "fuzzing horse battery staple"
ROLES = {"counsellor": "iasi", "supervisor": "", "campaigns": ""}
PUBLIC_BASE_URL = "http://gateway.example"
SECRETS = {
    "TELEGRAM_BOT_TOKEN": "123456:fuzz",
    "TELEGRAM_WEBHOOK_SECRET": "telegram-secret",
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "TWILIO_AUTH_TOKEN": "twilio-token",
    "TWILIO_WHATSAPP_FROM": "whatsapp:+40700000000",
    "TWILIO_SMS_FROM": "+40700000001",
    "VIBER_AUTH_TOKEN": "viber-token",
}
STREAM_SECONDS_CAP = 0.2
MESSENGERS = ("telegram", "whatsapp", "sms", "viber")  # /webhooks/{name} and /webhooks/{name}/status

# The schema the app builds (what GET /openapi.json serves: test_the_served_schema_is_the_one_fuzzed); loaded at
# import, as schemathesis' pytest integration needs (its fixture-loaded variant does not run on pytest 9).
schema = schemathesis.openapi.from_dict(create_app(Settings()).openapi())
_signing = itertools.count()
_real = itertools.count()
_pick = itertools.count()
ACTIONS = ("approve", "send", "schedule", "pause", "resume", "cancel")


@pytest.fixture(scope="session", autouse=True)
def clean_redis() -> None:
    """Not tests/conftest.py's: this module's Redis is its own, the shared test databases are left as they are
    (run alone, this module must not empty the databases of tests running beside it)."""


class RasaStandIn(BaseHTTPRequestHandler):
    """Rasa's HTTP API as far as the gateway calls it: a model is loaded, every message is answered "ok"."""

    def _answer(self, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._answer({"model_file": "fuzz.tar.gz"} if self.path.startswith("/status") else {"intents": []})

    def do_POST(self) -> None:
        sent = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)) or b"{}")
        if self.path.startswith("/model/parse"):
            self._answer(
                {"text": sent.get("text", ""), "intent": {"name": "greet", "confidence": 1.0}, "entities": []}
            )
        elif "request_human" in str(sent.get("message")):  # the assistant's answer to a person asking for one
            self._answer([{"recipient_id": sent.get("sender", ""), "custom": {"handoff": "user_request"}}])
        else:
            self._answer([{"recipient_id": sent.get("sender", ""), "text": "ok"}])

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """A gateway with every messenger on, on its own Redis, with Rasa's stand-in."""
    redis = RedisServer(tmp_path_factory.mktemp("redis"))
    redis.start()
    nowhere = f"http://127.0.0.1:{free_port()}"
    env = {
        **SECRETS,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "TELEGRAM_API_URL": nowhere,
        "TWILIO_API_URL": nowhere,
        "VIBER_API_URL": nowhere,
        "WEB_REPLY_WAIT_SECONDS": str(STREAM_SECONDS_CAP),
    }
    stack = start_gateway(redis, **env)
    rasa = ThreadingHTTPServer(("127.0.0.1", int(stack.settings.rasa_url.rsplit(":", 1)[1])), RasaStandIn)
    threading.Thread(target=rasa.serve_forever, daemon=True).start()
    try:
        wait_until(lambda: _ready(stack), 30, "the gateway did not see the Rasa stand-in")
        yield stack
    finally:
        stack.stop_all()
        rasa.shutdown()
        rasa.server_close()
        redis.stop()


def _ready(stack: LocalStack) -> bool:
    try:
        return requests.get(f"{stack.gateway}/readyz", timeout=5).status_code == 200
    except requests.RequestException:
        return False


def _add_account(gateway: LocalStack, username: str, role: str, centre: str) -> None:
    argv = [sys.executable, "-m", "inbox", "users", "add", username, "--role", role, "--password-stdin"]
    argv += ["--centre", centre] if centre else []
    env = {**os.environ, "REDIS_URL": gateway.settings.redis_url}
    done = subprocess.run(
        argv, input=PASSWORD + "\n", env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


def _log_in(session: requests.Session, base: str, place: str, username: str) -> str:
    """Log in on /inbox or /campaigns as the browser does; the session's CSRF token."""
    page = session.get(f"{base}/{place}/login", timeout=20)
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token, page.text
    form = {"csrf": token.group(1), "username": username, "password": PASSWORD}
    done = session.post(f"{base}/{place}/login", data=form, allow_redirects=False, timeout=20)
    assert done.status_code == 303, done.text
    return session.get(f"{base}/{place}/api/me", timeout=20).json().get("csrf", "")


class Caller:
    """One pass: logged out, or logged in as a role (cookies of both logins, the CSRF token of each)."""

    def __init__(self, base: str, role: str) -> None:
        self.base = base
        self.role = role
        self.session = requests.Session()
        self.csrf: dict[str, str] = {}

    def log_in(self, gateway: LocalStack) -> None:
        username = f"{self.role[:3]}-{uuid.uuid4().hex[:6]}"
        _add_account(gateway, username, self.role, ROLES[self.role])
        for place in ("inbox", "campaigns"):
            token = _log_in(self.session, self.base, place, username)
            if token:  # a counsellor has no campaigns session to send a token with (403 before it)
                self.csrf[place] = token

    def headers(self, path: str) -> dict[str, str]:
        place = path.split("/")[1]
        return {"X-CSRF-Token": self.csrf[place]} if place in self.csrf else {}


@pytest.fixture(scope="module")
def callers(gateway: LocalStack) -> Iterator[dict[str, Caller]]:
    """The passes: logged out, and logged in as a counsellor, a supervisor, campaign staff."""
    callers = {role: Caller(gateway.gateway, role) for role in ("anonymous", *ROLES)}
    for role, caller in callers.items():
        if role != "anonymous":
            caller.log_in(gateway)
            me = caller.session.get(f"{gateway.gateway}/inbox/api/me", timeout=20)
            assert me.status_code == 200 and me.json()["role"] == role, me.text
    yield callers
    for caller in callers.values():
        caller.session.close()


@pytest.fixture(scope="module")
def real_ids(gateway: LocalStack, callers: dict[str, Caller]) -> dict[str, list[str]]:
    """Three open cases of Iași (people who asked for a counsellor on the web chat) and two campaign drafts, whose
    ids replace every other generated id, so that the fuzzed bodies reach the actions themselves."""
    for sender in (f"fuzz-{uuid.uuid4().hex[:8]}" for _ in range(3)):
        for text in ("buna ziua", "/request_human", "Iasi"):
            answer = requests.post(
                f"{gateway.gateway}/webhooks/web", json={"sender": sender, "text": text}, timeout=30
            )
            assert answer.status_code in (200, 202), answer.text
    supervisor = callers["supervisor"].session

    def cases() -> list[str]:
        return [c["id"] for c in supervisor.get(f"{gateway.gateway}/inbox/api/queue", timeout=20).json()["cases"]]

    wait_until(lambda: len(cases()) >= 3, 30, "the three cases did not open")
    staff = callers["campaigns"]
    draft = {"name": "Fuzz", "texts": {"ro": "Text"}, "fallback": "ro"}
    made = [
        staff.session.post(
            f"{gateway.gateway}/campaigns/api/campaigns",
            json=draft,
            headers=staff.headers("/campaigns/"),
            timeout=20,
        )
        for _ in range(2)
    ]
    assert all(m.status_code == 201 for m in made), [m.text for m in made]
    return {"case_id": cases(), "campaign_id": [m.json()["id"] for m in made], "action": list(ACTIONS)}


def _skip_reason(path: str, role: str) -> str:
    if role != "anonymous" and not path.startswith(("/inbox/", "/campaigns/")):
        return "a public route does not read the session: fuzzed in the logged-out pass"
    if path == "/inbox/api/events" and role in ("counsellor", "supervisor"):
        return "its 200 is an event stream of 20 s per request (fuzzed logged out: 401, campaign staff: 403)"
    return ""


def _signed(case: schemathesis.Case, kwargs: dict[str, Any]) -> dict[str, Any]:
    """The request with the body its platform would send, signed as the platform signs it."""
    path = case.formatted_path
    messenger = path.split("/")[2]
    headers = dict(kwargs.get("headers") or {})
    if "json" in kwargs:
        body = json.dumps(kwargs.pop("json")).encode()
        headers["Content-Type"] = "application/json"
    else:
        data = kwargs.pop("data", b"")
        body = urlencode(data).encode() if isinstance(data, dict) else data or b""
    if messenger == "telegram":
        headers["X-Telegram-Bot-Api-Secret-Token"] = SECRETS["TELEGRAM_WEBHOOK_SECRET"]
    elif messenger == "viber":
        digest = hmac.new(SECRETS["VIBER_AUTH_TOKEN"].encode(), body, hashlib.sha256).hexdigest()
        headers["X-Viber-Content-Signature"] = digest
    elif messenger in ("whatsapp", "sms"):
        form = twilio_form(body) or {}
        validator = RequestValidator(SECRETS["TWILIO_AUTH_TOKEN"])
        headers["X-Twilio-Signature"] = validator.compute_signature(PUBLIC_BASE_URL + path, form)
    return {**kwargs, "headers": headers, "data": body}


def _fuzz(case: schemathesis.Case, caller: Caller, real_ids: dict[str, list[str]]) -> None:
    """One generated request of an operation in one pass; the four checks on its answer."""
    reason = _skip_reason(case.path, caller.role)
    if reason:
        pytest.skip(reason)
    if case.path == "/webhooks/web/messages" and isinstance(case.query, dict) and "wait" in case.query:
        wait = case.query["wait"]
        if isinstance(wait, int | float) and not isinstance(wait, bool) and wait > STREAM_SECONDS_CAP:
            case.query["wait"] = STREAM_SECONDS_CAP
    if case.path_parameters and next(_real) % 2 == 0:
        for name, ids in real_ids.items():
            if name in case.path_parameters:
                case.path_parameters[name] = ids[next(_pick) % len(ids)]
    kwargs = case.as_transport_kwargs(base_url=caller.base, headers=caller.headers(case.path))
    if case.path.split("/")[1:3] in (["webhooks", m] for m in MESSENGERS) and next(_signing) % 2 == 0:
        kwargs = _signed(case, kwargs)
    kwargs.setdefault("timeout", 30)
    response = caller.session.request(**kwargs, allow_redirects=False)
    case.validate_response(response, checks=CHECKS)


FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))


@schema.parametrize()
@FUZZ
def test_logged_out(case: schemathesis.Case, callers: dict[str, Caller], real_ids: dict[str, list[str]]) -> None:
    """Every operation, logged out."""
    _fuzz(case, callers["anonymous"], real_ids)


@schema.parametrize()
@FUZZ
def test_as_a_counsellor(
    case: schemathesis.Case, callers: dict[str, Caller], real_ids: dict[str, list[str]]
) -> None:
    """The inbox's and the campaigns' operations as a counsellor (of Iași)."""
    _fuzz(case, callers["counsellor"], real_ids)


@schema.parametrize()
@FUZZ
def test_as_a_supervisor(
    case: schemathesis.Case, callers: dict[str, Caller], real_ids: dict[str, list[str]]
) -> None:
    """The inbox's and the campaigns' operations as a supervisor."""
    _fuzz(case, callers["supervisor"], real_ids)


@schema.parametrize()
@FUZZ
def test_as_campaign_staff(
    case: schemathesis.Case, callers: dict[str, Caller], real_ids: dict[str, list[str]]
) -> None:
    """The inbox's and the campaigns' operations as campaign staff."""
    _fuzz(case, callers["campaigns"], real_ids)


def test_the_served_schema_is_the_one_fuzzed(gateway: LocalStack) -> None:
    """GET /openapi.json (public) is the schema fuzzed here, and names the error bodies and statuses."""
    served = requests.get(f"{gateway.gateway}/openapi.json", timeout=20)
    assert served.status_code == 200
    assert served.json() == schema.raw_schema
    web = served.json()["paths"]["/webhooks/web"]["post"]["responses"]
    assert {"200", "202", "400", "413", "422", "503"} <= set(web)
    assert {"ErrorOut", "DetailOut", "RefusalOut", "InvalidOut"} <= set(served.json()["components"]["schemas"])


@pytest.mark.parametrize("count", ["²", "9" * 5000])
def test_a_twilio_media_count_int_cannot_read_is_no_media_not_a_500(gateway: LocalStack, count: str) -> None:
    """NumMedia "²" or of 5,000 digits passes `str.isdigit` but not `int`: it was a 500 (found with this fuzzing's
    Twilio form); now the message is read as text."""
    form = {"MessageSid": f"SM{uuid.uuid4().hex}", "From": "+40711111111", "To": SECRETS["TWILIO_SMS_FROM"]}
    form |= {"Body": "buna ziua", "NumMedia": count}
    signature = RequestValidator(SECRETS["TWILIO_AUTH_TOKEN"]).compute_signature(
        PUBLIC_BASE_URL + "/webhooks/sms", form
    )
    answer = requests.post(
        f"{gateway.gateway}/webhooks/sms", data=form, headers={"X-Twilio-Signature": signature}, timeout=20
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/xml")
