"""Staff logins against real gateway processes (no Rasa needed) and the real Redis: the login limiter under
concurrency, with forged X-Forwarded-For from an untrusted peer and behind a trusted proxy, the right password
after wrong ones by others, sessions ended by a password change (the command line) and by disabling, the idle
timeout, the client address in the audit log, and counsellors seeing only their own centre's colleagues.

Two gateways share Redis database 10 (the handoff and inbox tests' database): `direct` with the default
settings (no proxy trusted) and `proxied` (TRUSTED_PROXIES=127.0.0.1, a 4-second idle timeout). Clients connect
from their own loopback addresses (127.0.0.x), so each test has its own client address."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import redis as redis_sync
from redis.asyncio import Redis

from inbox.accounts import Accounts
from inbox.i18n import text
from inbox.login_limit import LoginLimiter
from inbox.passwords import Passwords
from knowledge.centres import Centres
from ops.local_stack import TEST_REDIS_PORT, LocalStack
from tests.conftest import ROOT, make_stack

DB, RASA_DB = 10, 9
PASSWORD = "correct horse battery staple"
# The login page speaks Romanian unless asked otherwise (docs/inbox.md, Languages): the limiter's words there.
FROM_THIS_ADDRESS = text("ro", "login.wait_address").split("{")[0]  # "Prea multe încercări de la această adresă…"
WAIT = "Așteptați"  # "Wait", in both of the limiter's messages
SUFFIX = uuid.uuid4().hex[:6]
TEAM = {
    "ana": ("counsellor", "iasi"),
    "ion": ("counsellor", "iasi"),
    "dan": ("counsellor", "bacau"),
    "sup": ("supervisor", ""),
    "adm": ("admin", ""),
    "eva": ("counsellor", "iasi"),  # the proxied gateway's tests
    "max": ("counsellor", "iasi"),
    "lia": ("counsellor", "iasi"),
    "boss": ("supervisor", ""),
}


def _gateway(**env: str) -> LocalStack:
    stack = make_stack(Path("/no-model-needed"), DB, RASA_DB)
    stack.specs["gateway"].env.update({"EMBEDDED_WORKER": "false", **env})
    stack.start("gateway")
    stack.wait_gateway()
    return stack


@pytest.fixture(scope="module")
async def users() -> AsyncIterator[dict[str, str]]:
    redis = Redis(port=TEST_REDIS_PORT, db=DB)
    await redis.flushdb()
    accounts = Accounts(redis, Passwords(2))
    centres = set(Centres.load("iasi").by_id)
    made = {}
    for short, (role, centre) in TEAM.items():
        account = await accounts.add(
            f"{short}-{SUFFIX}", PASSWORD, role=role, centre=centre, name=short.title(), centres=centres
        )
        made[short] = account.username
    yield made
    accounts.passwords.close()
    await redis.aclose()


@pytest.fixture(scope="module")
def direct(users: dict[str, str]) -> Iterator[LocalStack]:
    stack = _gateway()
    yield stack
    stack.stop_all()


@pytest.fixture(scope="module")
def proxied(users: dict[str, str]) -> Iterator[LocalStack]:
    stack = _gateway(TRUSTED_PROXIES="127.0.0.1", INBOX_IDLE_MINUTES="0.07")
    yield stack
    stack.stop_all()


@pytest.fixture(scope="module")
def db() -> redis_sync.Redis:
    return redis_sync.Redis(port=TEST_REDIS_PORT, db=DB, decode_responses=True)


def client(stack: LocalStack, peer: str = "127.0.0.1") -> httpx.Client:
    """A client whose TCP connections come from `peer` (any 127.0.0.x reaches the gateway on 127.0.0.1)."""
    transport = httpx.HTTPTransport(local_address=peer)
    return httpx.Client(base_url=stack.gateway, transport=transport, timeout=30)


def login(c: httpx.Client, username: str, password: str = PASSWORD, page: str = "/inbox", **headers: str) -> int:
    form = c.get(f"{page}/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert token, form.text
    data = {"csrf": token.group(1), "username": username, "password": password}
    return c.post(f"{page}/login", data=data, headers=headers).status_code


async def attempts(stack: LocalStack, logins: list[tuple[str, str, dict[str, str]]]) -> list[httpx.Response]:
    """Post logins all at once (name, password, headers); the form token is a double-submit pair we choose."""
    async with httpx.AsyncClient(base_url=stack.gateway, timeout=60) as c:

        async def one(username: str, password: str, headers: dict[str, str]) -> httpx.Response:
            data = {"csrf": "t" * 32, "username": username, "password": password}
            return await c.post("/inbox/login", data=data, headers={**headers, "Cookie": "hd_login=" + "t" * 32})

        return list(await asyncio.gather(*(one(*login) for login in logins)))


def audit(db: redis_sync.Redis, actor: str) -> list[dict[str, str]]:
    return [fields for _, fields in db.xrange("hd:inbox:audit") if fields["actor"] == actor]


def statuses(responses: list[httpx.Response]) -> dict[int, int]:
    found: dict[int, int] = {}
    for r in responses:
        found[r.status_code] = found.get(r.status_code, 0) + 1
    return found


# The client address and X-Forwarded-For -------------------------------------------------------------------


async def test_forwarded_for_from_an_untrusted_peer_is_ignored(direct: LocalStack, db: redis_sync.Redis) -> None:
    # The reported bypass: a new X-Forwarded-For on every try, from loopback, under uvicorn's default trust.
    # 30 tries at once on 30 names: the address allows 25, whatever the header says.
    names = [f"nobody-{SUFFIX}-{i}" for i in range(30)]
    forged = [(name, "wrong password!", {"X-Forwarded-For": f"198.51.100.{i}"}) for i, name in enumerate(names)]
    found = await attempts(direct, forged)
    assert statuses(found) == {401: 25, 429: 5}
    refused = next(r for r in found if r.status_code == 429)
    assert FROM_THIS_ADDRESS in refused.text and int(refused.headers["Retry-After"]) > 800
    entries = [e for name in names for e in audit(db, name)]
    assert {e["address"] for e in entries} == {"127.0.0.1"}  # never the forged ones
    assert [e["action"] for e in entries].count("login_failed") == 25
    assert [e["action"] for e in entries].count("login_limited") == 1  # once a minute per address, not per try
    with client(direct, "127.0.0.11") as other:  # another address is not limited by that one
        assert login(other, "nobody-else", "wrong password!") == 401


def test_behind_a_trusted_proxy_the_client_is_the_right_most_untrusted_address(
    proxied: LocalStack, users: dict[str, str], db: redis_sync.Redis
) -> None:
    eva = users["eva"]
    cases = [
        ("127.0.0.1", "203.0.113.5", "203.0.113.5"),
        ("127.0.0.1", "6.6.6.6, 203.0.113.6", "203.0.113.6"),  # the left part is the client's own claim
        ("127.0.0.1", "203.0.113.7, 127.0.0.1", "203.0.113.7"),  # a second trusted hop is skipped
        ("127.0.0.12", "203.0.113.8", "127.0.0.12"),  # not a trusted proxy: the header is ignored
    ]
    for peer, forwarded, expected in cases:
        before = len(audit(db, eva))
        with client(proxied, peer) as c:
            assert login(c, eva, **{"X-Forwarded-For": forwarded}) == 303
            assert c.get("/inbox/api/me").status_code == 200
        entries = audit(db, eva)[before:]
        assert [(e["action"], e["address"]) for e in entries] == [("login", expected)], forwarded


async def test_behind_a_proxy_one_client_over_its_limit_locks_nobody_else_out(
    proxied: LocalStack, users: dict[str, str]
) -> None:
    # Before: 25 bad logins by anyone behind the proxy locked every counsellor out for 15 minutes.
    attacker = {"X-Forwarded-For": "203.0.113.66"}
    found = await attempts(proxied, [(f"x-{SUFFIX}-{i}", "wrong password!", attacker) for i in range(30)])
    assert statuses(found) == {401: 25, 429: 5}
    with client(proxied) as counsellor:
        assert login(counsellor, users["max"], **{"X-Forwarded-For": "198.51.100.20"}) == 303
    with client(proxied) as again:
        assert login(again, users["max"], **attacker) == 429  # the attacker's address stays refused


# The per-account delay --------------------------------------------------------------------------------------


async def test_twenty_wrong_passwords_at_once_get_five_checks_then_the_right_one_works_after_the_delay(
    proxied: LocalStack, users: dict[str, str]
) -> None:
    lia = users["lia"]
    wrong = [(lia, "wrong password!", {"X-Forwarded-For": f"198.51.100.{100 + i}"}) for i in range(20)]
    found = await attempts(proxied, wrong)
    assert statuses(found) == {401: 5, 429: 15}  # one try per delay, however many come at once
    assert all(int(r.headers["Retry-After"]) <= 2 for r in found if r.status_code == 429)
    assert all(WAIT in r.text for r in found if r.status_code == 429)
    # The same for a name nobody has: the limiter does not tell which names exist.
    nobody = [(f"ghost-{SUFFIX}", "wrong password!", {"X-Forwarded-For": f"198.51.100.{i}"}) for i in range(20)]
    assert statuses(await attempts(proxied, nobody)) == {401: 5, 429: 15}

    # The counsellor, from their own address: at most the delay (1 s after the fifth failure), then in.
    started = time.monotonic()
    with client(proxied) as c:
        while (status := login(c, lia, **{"X-Forwarded-For": "198.51.100.200"})) == 429:
            time.sleep(0.25)
        assert status == 303 and c.get("/inbox/api/me").status_code == 200
    assert time.monotonic() - started < 3


async def test_the_delay_doubles_and_one_persistent_address_cannot_keep_a_counsellor_out(
    proxied: LocalStack, users: dict[str, str]
) -> None:
    eva = users["eva"]
    attacker = {"X-Forwarded-For": "203.0.113.99", "Cookie": "hd_login=" + "t" * 32}
    guess = {"csrf": "t" * 32, "username": eva, "password": "wrong password!"}
    waits: list[int] = []
    with client(proxied) as c:
        deadline = time.monotonic() + 30
        while len(waits) < 2 and time.monotonic() < deadline:  # a patient guesser, waiting as told
            response = c.post("/inbox/login", data=guess, headers=attacker)
            if response.status_code == 429:
                waits.append(int(response.headers["Retry-After"]))
                time.sleep(waits[-1])
        assert waits[:2] == [1, 2]  # after the five free tries: 1 s, then 2 s
        flood = [c.post("/inbox/login", data=guess, headers=attacker) for _ in range(30)]  # then as fast as it can
        assert flood[-1].status_code == 429 and FROM_THIS_ADDRESS in flood[-1].text
        assert int(flood[-1].headers["Retry-After"]) > 800
    with client(proxied) as counsellor:  # from the centre: at most the delay the attacker reached, not 15 minutes
        started = time.monotonic()
        while (status := login(counsellor, eva, **{"X-Forwarded-For": "198.51.100.30"})) == 429:
            time.sleep(0.5)
        assert status == 303 and time.monotonic() - started <= 10  # the delay reached was 4 s


# Sessions ---------------------------------------------------------------------------------------------------


def test_a_password_change_ends_every_session_of_the_account(
    direct: LocalStack, users: dict[str, str], db: redis_sync.Redis
) -> None:
    sup = users["sup"]
    with client(direct, "127.0.0.21") as laptop, client(direct, "127.0.0.22") as phone:
        assert login(laptop, sup) == 303 and login(phone, sup) == 303
        assert login(phone, sup, page="/campaigns") == 303
        assert laptop.get("/inbox/api/me").status_code == 200
        assert phone.get("/campaigns/api/me").status_code == 200
        changed = subprocess.run(
            [sys.executable, "-m", "inbox", "users", "passwd", sup, "--password-stdin"],
            input="a brand new passphrase\n",
            env={**os.environ, "REDIS_URL": direct.settings.redis_url},
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        assert changed.returncode == 0, changed.stderr
        assert laptop.get("/inbox/api/me").status_code == 401
        assert phone.get("/inbox/api/me").status_code == 401
        assert phone.get("/campaigns/api/me").status_code == 401
        assert login(laptop, sup) == 401
        assert login(laptop, sup, "a brand new passphrase") == 303
        assert laptop.get("/inbox/api/me").status_code == 200
    logins = [(e["detail"], e["address"]) for e in audit(db, sup) if e["action"] == "login"]
    assert logins == [("", "127.0.0.21"), ("", "127.0.0.22"), ("campaigns", "127.0.0.22"), ("", "127.0.0.21")]


def test_disabling_an_account_ends_its_sessions_for_good(
    direct: LocalStack, users: dict[str, str], db: redis_sync.Redis
) -> None:
    ion, adm = users["ion"], users["adm"]
    with client(direct, "127.0.0.31") as counsellor, client(direct, "127.0.0.32") as admin:
        assert login(counsellor, ion) == 303 and login(admin, adm) == 303
        assert counsellor.get("/inbox/api/me").status_code == 200
        headers = {"X-CSRF-Token": admin.get("/inbox/api/me").json()["csrf"]}
        url = f"/inbox/api/users/{ion}/active"
        assert admin.post(url, json={"active": False}, headers=headers).status_code == 200
        assert counsellor.get("/inbox/api/me").status_code == 401
        assert admin.post(url, json={"active": True}, headers=headers).status_code == 200
        assert counsellor.get("/inbox/api/me").status_code == 401  # enabling again does not revive it
        assert login(counsellor, ion) == 303
    changes = [(e["detail"], e["address"]) for e in audit(db, adm) if e["action"] == "user_active"]
    assert changes == [(f"{ion} False", "127.0.0.32"), (f"{ion} True", "127.0.0.32")]


def test_an_idle_session_ends_and_a_used_one_slides(
    proxied: LocalStack, users: dict[str, str], db: redis_sync.Redis
) -> None:
    with client(proxied) as c:
        assert login(c, users["max"], **{"X-Forwarded-For": "198.51.100.40"}) == 303
        key = "hd:inbox:session:" + hashlib.sha256(c.cookies["hd_inbox"].encode()).hexdigest()
        started = time.monotonic()
        while time.monotonic() - started < 9:  # over twice the 4-second idle timeout, used every 1.5 s
            assert c.get("/inbox/api/me").status_code == 200
            time.sleep(1.5)
        assert db.exists(key)
        time.sleep(6)
        assert c.get("/inbox/api/me").status_code == 401
        assert not db.exists(key)  # the idle session was deleted when it was next presented


# Centres ----------------------------------------------------------------------------------------------------


def test_a_counsellor_lists_only_their_own_centres_colleagues(direct: LocalStack, users: dict[str, str]) -> None:
    with client(direct, "127.0.0.41") as ana, client(direct, "127.0.0.42") as boss:
        assert login(ana, users["ana"]) == 303 and login(boss, users["boss"]) == 303
        own = ana.get("/inbox/api/counsellors?centre=iasi")
        assert own.status_code == 200 and users["eva"] in [p["username"] for p in own.json()["counsellors"]]
        assert ana.get("/inbox/api/counsellors?centre=bacau").status_code == 403
        other = boss.get("/inbox/api/counsellors?centre=bacau")
        assert other.status_code == 200 and [p["username"] for p in other.json()["counsellors"]] == [users["dan"]]


# In-process ---------------------------------------------------------------------------------------------------


async def test_ipv6_addresses_count_per_64_and_unknown_names_check_a_dummy_hash(users: dict[str, str]) -> None:
    redis = Redis(port=TEST_REDIS_PORT, db=DB)
    limiter = LoginLimiter(redis, attempts=5, max_delay_seconds=60)
    try:
        same_machine = [await limiter.admit(f"v6-{i}", f"2001:db8:1:2::{i:x}") for i in range(26)]
        assert [v.allowed for v in same_machine] == [True] * 25 + [False]
        assert same_machine[-1].limit == "address"
        assert (await limiter.admit("v6-x", "2001:db8:1:3::1")).allowed  # another /64
        passwords = Passwords(1)
        assert await passwords.verify(None, "not the password of anyone") is False  # the dummy's own password
        assert await passwords.verify(await passwords.hash(PASSWORD), PASSWORD) is True
        assert await Accounts(redis, passwords).check(f"ghost-{SUFFIX}", PASSWORD) is None
        passwords.close()
    finally:
        await redis.aclose()
