"""The inbox's doors against the real stack: accounts made by `python -m inbox users add`, every route refusing
anonymous users and wrong roles, CSRF, session fixation, logout, the login rate limit, exclusive claims and the
centre boundary, the audit log and the phone-number reveal."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
import redis as redis_sync

from tests.conftest import ROOT, Stack, post

PASSWORD = "correct horse battery staple"
ROUTES_READ = [
    "/inbox/api/me",
    "/inbox/api/centres",
    "/inbox/api/queue",
    "/inbox/api/cases/abc123",
    "/inbox/api/canned?language=ro",
    "/inbox/api/figures",
    "/inbox/api/audit",
    "/inbox/api/events",
    "/inbox/api/users",
    "/inbox/api/counsellors?centre=iasi",
]
ROUTES_CHANGE = [
    "/inbox/api/cases/abc123/claim",
    "/inbox/api/cases/abc123/reply",
    "/inbox/api/cases/abc123/template",
    "/inbox/api/cases/abc123/note",
    "/inbox/api/cases/abc123/labels",
    "/inbox/api/cases/abc123/transfer",
    "/inbox/api/cases/abc123/close",
    "/inbox/api/cases/abc123/handback",
    "/inbox/api/cases/abc123/reveal",
    "/inbox/api/users",
    "/inbox/api/users/someone/active",
    "/inbox/logout",
]


def add_user(stack: Stack, username: str, role: str, centre: str = "") -> subprocess.CompletedProcess[str]:
    """Create an account the documented way (the password on standard input)."""
    argv = [sys.executable, "-m", "inbox", "users", "add", username, "--role", role, "--password-stdin"]
    if centre:
        argv += ["--centre", centre]
    env = {**os.environ, "REDIS_URL": stack.settings.redis_url}
    return subprocess.run(
        argv, input=PASSWORD + "\n", env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )


@pytest.fixture(scope="module")
def users(stack: Stack) -> dict[str, str]:
    suffix = uuid.uuid4().hex[:6]
    names = {
        "sup": ("supervisor", ""),
        "ana": ("counsellor", "iasi"),
        "ion": ("counsellor", "iasi"),
        "dan": ("counsellor", "bacau"),
        "cam": ("campaigns", ""),
        "adm": ("admin", ""),
    }
    made = {}
    for short, (role, centre) in names.items():
        username = f"{short}-{suffix}"
        result = add_user(stack, username, role, centre)
        assert result.returncode == 0, result.stderr
        assert f"created {username}" in result.stdout
        made[short] = username
    return made


def login(
    stack: Stack, username: str, password: str = PASSWORD, client: httpx.Client | None = None
) -> httpx.Client:
    client = client or httpx.Client(base_url=stack.gateway, timeout=20)
    page = client.get("/inbox/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token, page.text
    response = client.post(
        "/inbox/login", data={"csrf": token.group(1), "username": username, "password": password}
    )
    client.last_login = response  # type: ignore[attr-defined]
    return client


def csrf(client: httpx.Client) -> dict[str, str]:
    return {"X-CSRF-Token": client.get("/inbox/api/me").json()["csrf"]}


@pytest.fixture(scope="module")
def sessions(stack: Stack, users: dict[str, str]) -> Iterator[dict[str, httpx.Client]]:
    clients = {short: login(stack, name) for short, name in users.items()}
    for client in clients.values():
        assert client.last_login.status_code == 303  # type: ignore[attr-defined]
    yield clients
    for client in clients.values():
        client.close()


def open_case(stack: Stack, redis_client: redis_sync.Redis, sender: str, origin: str = "Pascani") -> str:
    post(stack, sender, "bună ziua")
    post(stack, sender, "/request_human")
    post(stack, sender, origin)
    return redis_client.hget(f"hd:conv:web:{sender}", "case").decode()


def test_accounts_need_a_password_of_ten_characters_and_a_known_centre(stack: Stack) -> None:
    weak = subprocess.run(
        [sys.executable, "-m", "inbox", "users", "add", "weak-user", "--role", "supervisor", "--password-stdin"],
        input="short\n",
        env={**os.environ, "REDIS_URL": stack.settings.redis_url},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert weak.returncode == 2 and "10 characters" in weak.stderr
    nowhere = add_user(stack, "nowhere-user", "counsellor", "rome")
    assert nowhere.returncode == 2 and "centre" in nowhere.stderr


def test_every_inbox_route_refuses_anonymous_users(stack: Stack) -> None:
    with httpx.Client(base_url=stack.gateway, timeout=10) as anonymous:
        page = anonymous.get("/inbox")
        assert page.status_code == 303 and page.headers["location"] == "/inbox/login"
        for path in ROUTES_READ:
            assert anonymous.get(path).status_code == 401, path
        for path in ROUTES_CHANGE:
            assert anonymous.post(path, json={}).status_code == 401, path
        login_page = anonymous.get("/inbox/login")
        assert login_page.status_code == 200 and "Content-Security-Policy" in login_page.headers


def test_wrong_roles_are_refused(stack: Stack, sessions: dict[str, httpx.Client], users: dict[str, str]) -> None:
    cam, adm, ana, sup = sessions["cam"], sessions["adm"], sessions["ana"], sessions["sup"]
    assert cam.get("/inbox").status_code == 403
    for path in ("/inbox/api/queue", "/inbox/api/cases/abc123", "/inbox/api/events", "/inbox/api/figures"):
        assert cam.get(path).status_code == 403, path
    assert cam.get("/inbox/api/users").status_code == 403
    assert adm.get("/inbox/api/queue").status_code == 403
    assert adm.get("/inbox/api/users").status_code == 200
    for path in ("/inbox/api/users", "/inbox/api/figures", "/inbox/api/audit", "/inbox/api/queue?centre=bacau"):
        assert ana.get(path).status_code == 403, path
    assert ana.post("/inbox/api/users", json={}, headers=csrf(ana)).status_code in (403, 422)
    new_user = {
        "username": f"x-{uuid.uuid4().hex[:5]}",
        "role": "counsellor",
        "centre": "iasi",
        "password": PASSWORD,
    }
    assert ana.post("/inbox/api/users", json=new_user, headers=csrf(ana)).status_code == 403
    assert sup.post("/inbox/api/users", json=new_user, headers=csrf(sup)).status_code == 403
    assert sup.get("/inbox/api/figures").status_code == 200
    assert adm.post("/inbox/api/users", json=new_user, headers=csrf(adm)).status_code == 201


def test_changes_without_the_csrf_token_fail(
    stack: Stack, sessions: dict[str, httpx.Client], redis_client: redis_sync.Redis, sender: str
) -> None:
    case_id = open_case(stack, redis_client, sender)
    ana = sessions["ana"]
    assert ana.post(f"/inbox/api/cases/{case_id}/claim").status_code == 403
    wrong = {"X-CSRF-Token": "not-the-token"}
    assert ana.post(f"/inbox/api/cases/{case_id}/claim", headers=wrong).status_code == 403
    assert ana.post("/inbox/logout").status_code == 403  # still logged in afterwards
    assert ana.get("/inbox/api/me").status_code == 200
    assert redis_client.hget(f"hd:case:{case_id}", "state") == b"waiting"
    assert ana.post(f"/inbox/api/cases/{case_id}/claim", headers=csrf(ana)).status_code == 200
    with httpx.Client(base_url=stack.gateway, timeout=10) as client:
        client.get("/inbox/login")
        forged = client.post("/inbox/login", data={"csrf": "forged", "username": "x", "password": PASSWORD})
        assert forged.status_code == 403


def test_login_makes_a_new_session_and_logout_ends_it(stack: Stack, users: dict[str, str]) -> None:
    client = httpx.Client(base_url=stack.gateway, timeout=10)
    client.cookies.set("hd_inbox", "planted-by-an-attacker", domain="127.0.0.1", path="/inbox")
    login(stack, users["ion"], client=client)
    token = client.cookies.get("hd_inbox", path="/inbox")
    assert token and token != "planted-by-an-attacker"
    set_cookie = client.last_login.headers["set-cookie"]  # type: ignore[attr-defined]
    assert "HttpOnly" in set_cookie and "SameSite=strict" in set_cookie.replace("Strict", "strict")
    with httpx.Client(base_url=stack.gateway, timeout=10) as attacker:
        attacker.cookies.set("hd_inbox", "planted-by-an-attacker", domain="127.0.0.1", path="/inbox")
        assert attacker.get("/inbox/api/me").status_code == 401
    headers = csrf(client)
    assert client.post("/inbox/logout", headers=headers).status_code == 303
    with httpx.Client(base_url=stack.gateway, timeout=10) as replay:
        replay.cookies.set("hd_inbox", token, domain="127.0.0.1", path="/inbox")
        assert replay.get("/inbox/api/me").status_code == 401
    client.close()


def test_logins_are_slowed_down_not_locked(stack: Stack, users: dict[str, str]) -> None:
    # More in tests/test_inbox_logins.py (concurrency, X-Forwarded-For, the delays doubling).
    name = f"limited-{uuid.uuid4().hex[:5]}"
    assert add_user(stack, name, "counsellor", "vaslui").returncode == 0
    for _ in range(5):
        assert login(stack, name, "wrong password!").last_login.status_code == 401  # type: ignore[attr-defined]
    started = time.monotonic()  # the right password: in after at most the delay (1 s), never locked out
    client = httpx.Client(base_url=stack.gateway, timeout=20)
    while login(stack, name, client=client).last_login.status_code == 429:  # type: ignore[attr-defined]
        time.sleep(0.25)
    assert client.last_login.status_code == 303 and time.monotonic() - started < 3  # type: ignore[attr-defined]
    assert client.get("/inbox/api/me").status_code == 200
    client.close()


def test_claims_are_exclusive_and_other_centres_cannot_open_a_case(
    stack: Stack,
    sessions: dict[str, httpx.Client],
    users: dict[str, str],
    redis_client: redis_sync.Redis,
    sender: str,
) -> None:
    case_id = open_case(stack, redis_client, sender)
    ana, ion, dan, sup = sessions["ana"], sessions["ion"], sessions["dan"], sessions["sup"]
    assert dan.get(f"/inbox/api/cases/{case_id}").status_code == 403
    assert dan.post(f"/inbox/api/cases/{case_id}/claim", headers=csrf(dan)).status_code == 403
    assert case_id not in [c["id"] for c in dan.get("/inbox/api/queue").json()["cases"]]
    assert case_id in [c["id"] for c in ana.get("/inbox/api/queue").json()["cases"]]
    assert case_id in [c["id"] for c in sup.get("/inbox/api/queue").json()["cases"]]

    assert ana.post(f"/inbox/api/cases/{case_id}/claim", headers=csrf(ana)).json()["holder"] == users["ana"]
    refused = ion.post(f"/inbox/api/cases/{case_id}/claim", headers=csrf(ion))
    assert refused.status_code == 409 and users["ana"] in refused.json()["detail"]
    assert ion.post(f"/inbox/api/cases/{case_id}/reply", json={"text": "x"}, headers=csrf(ion)).status_code == 409
    view = ion.get(f"/inbox/api/cases/{case_id}").json()
    assert view["holder"] == users["ana"] and view["mine"] is False
    assert view["user"].endswith(sender[-3:]) and sender not in view["user"]  # masked
    assert len(view["user"]) <= 12 and view["has_number"] is False  # a web chat id is a handle, not a number

    # A web chat has no phone number to show: refused, and no reveal in the audit log (WhatsApp and SMS cases:
    # tests/test_inbox_actions.py).
    refused = ana.post(f"/inbox/api/cases/{case_id}/reveal", headers=csrf(ana))
    assert refused.status_code == 409 and refused.json()["code"] == "no_number"
    actions = [(e["actor"], e["action"]) for e in sup.get(f"/inbox/api/audit?case={case_id}").json()["entries"]]
    assert (users["ana"], "reveal_number") not in actions
    assert (users["ana"], "claim") in actions
    assert (users["dan"], "open") not in actions  # refused, so never opened


def test_the_knowledge_review_page_is_for_logged_in_staff(stack: Stack, sessions: dict[str, httpx.Client]) -> None:
    with httpx.Client(base_url=stack.gateway, timeout=10) as anonymous:
        page = anonymous.get("/inbox/knowledge")
        assert page.status_code == 303 and page.headers["location"] == "/inbox/login"
    page = sessions["ana"].get("/inbox/knowledge")
    assert page.status_code == 200
    assert "report_danger" in page.text and "800 290 290" in page.text and "<script" not in page.text
    assert page.headers["Content-Security-Policy"].startswith("default-src 'none'")
