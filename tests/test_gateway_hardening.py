"""The gateway's hardening (issue 13), against a real gateway process and a Redis server of this module's own
(on a free port, so that it can be restarted and stopped): a streamed body limit on every route, security
headers on every answer, and Redis restarts answered with one retry (success) or 503 JSON (Redis away)."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser

from core.settings import Settings
from ops.local_stack import LocalStack, free_port
from ops.redis_server import RedisServer
from ops.stack import processes
from tests.conftest import ROOT

HSTS_SECONDS = 31_536_000
LIMIT = 64 * 1024  # gateway/body_limit.py DEFAULT_LIMIT: the web chat, the inbox, the campaigns


def start_gateway(redis: RedisServer, **env: str) -> LocalStack:
    """The gateway alone (no Rasa: the web chat answers 202 with a notice) on that Redis."""
    settings = Settings(
        redis_url=f"redis://127.0.0.1:{redis.port}/0",
        rasa_url=f"http://127.0.0.1:{free_port()}",
        gateway_port=free_port(),
    )
    specs = {p.name: p for p in processes(settings, ROOT / "no-model", actions_port=free_port())}
    specs["gateway"].env.update({"WEB_REPLY_WAIT_SECONDS": "1", **env})
    stack = LocalStack(settings, specs)
    stack.start("gateway")
    try:
        stack.wait_gateway()
    except AssertionError:
        stack.stop_all()
        raise
    return stack


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """A gateway with HSTS_SECONDS set, on its own Redis."""
    redis = RedisServer(tmp_path_factory.mktemp("redis"))
    redis.start()
    stack = start_gateway(redis, HSTS_SECONDS=str(HSTS_SECONDS))
    try:
        yield stack
    finally:
        stack.stop_all()
        redis.stop()


def rss_kib(stack: LocalStack) -> int:
    status = Path(f"/proc/{stack.procs['gateway'].pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1))


def stream_chunked(base: str, path: str, seconds: float = 10, most: int = 512 * 1024 * 1024) -> tuple[bytes, int]:
    """POST an endless chunked body over a raw socket, reading while sending; (the response, bytes sent before
    the server closed the connection)."""
    port = int(base.rsplit(":", 1)[1])
    frame = b"%x\r\n%s\r\n" % (64 * 1024, b"a" * 64 * 1024)
    response, sent = b"", 0
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(
            f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            "Transfer-Encoding: chunked\r\n\r\n".encode()
        )
        deadline = time.monotonic() + seconds
        s.settimeout(1)
        try:
            while time.monotonic() < deadline and sent < most:
                s.sendall(frame)
                sent += len(frame)
                s.setblocking(False)
                try:
                    data = s.recv(65536)
                    if not data:
                        break  # the server closed the connection
                    response += data
                except BlockingIOError:
                    pass
                finally:
                    s.settimeout(1)
        except OSError:
            pass  # reset by the server: it stopped reading
        s.settimeout(2)
        try:
            while data := s.recv(65536):
                response += data
        except OSError:
            pass
    return response, sent


@pytest.mark.parametrize("path", ["/webhooks/web", "/inbox/login", "/campaigns/login", "/inbox/logout"])
def test_an_endless_chunked_body_is_refused_413_and_the_connection_closed(gateway: LocalStack, path: str) -> None:
    response, sent = stream_chunked(gateway.gateway, path)
    head, _, body = response.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), response[:200]
    assert b"connection: close" in head.lower()
    assert b"body too large: at most 65536 bytes" in body
    # The server stopped reading after the limit and DRAIN_BYTES: a few MB in the sockets' buffers, not the
    # 512 MB the client was ready to send in 10 s (before: it read and dropped it all until the client gave up).
    assert sent < 64 * 1024 * 1024, f"the server read {sent} bytes of a refused body"


def test_ten_20_mb_chunked_bodies_do_not_grow_the_gateway(gateway: LocalStack) -> None:
    def twenty_mb() -> Iterator[bytes]:
        for _ in range(320):
            yield b"a" * 65536

    def post(path: str) -> int:
        try:
            return httpx.post(f"{gateway.gateway}{path}", content=twenty_mb(), timeout=30).status_code
        except httpx.TransportError:
            return 413  # the server closed the connection while the body was still being sent

    httpx.post(f"{gateway.gateway}/webhooks/web", content=b"{}", timeout=10)  # the route's first use
    before = rss_kib(gateway)
    with ThreadPoolExecutor(10) as pool:
        statuses = list(pool.map(post, ["/webhooks/web", "/inbox/login"] * 5))
    grown = rss_kib(gateway) - before
    assert statuses == [413] * 10
    assert grown < 20 * 1024, f"the gateway grew by {grown} KiB on ten refused 20 MB bodies"


def test_a_body_a_little_over_the_limit_gets_a_413_on_a_connection_that_stays_open(gateway: LocalStack) -> None:
    with httpx.Client(base_url=gateway.gateway, timeout=10) as client:
        chunks = iter([b"a" * 60_000, b"a" * 60_000])  # chunked (no length): 120 kB, within the drain
        refused = client.post("/inbox/login", content=chunks)
        assert refused.status_code == 413 and refused.json()["error"] == "body too large: at most 65536 bytes"
        assert refused.headers.get("connection") != "close"
        announced = client.post("/webhooks/web", content=b"a" * (LIMIT + 1))  # Content-Length, refused unread
        assert announced.status_code == 413
        assert client.get("/healthz").json() == {"status": "ok"}  # the same connection goes on


def test_every_answer_carries_the_security_headers(gateway: LocalStack) -> None:
    base = gateway.gateway
    answers = {
        "chat page": httpx.get(f"{base}/chat"),
        "chat script": httpx.get(f"{base}/chat/assets/chat.js"),
        "inbox login page": httpx.get(f"{base}/inbox/login"),
        "inbox redirect": httpx.get(f"{base}/inbox"),
        "campaigns login page": httpx.get(f"{base}/campaigns/login"),
        "campaigns page": httpx.get(f"{base}/campaigns", follow_redirects=True),
        "JSON": httpx.get(f"{base}/healthz"),
        "JSON 422": httpx.post(f"{base}/webhooks/web", json={"sender": "a"}),
        "JSON 401": httpx.get(f"{base}/inbox/api/me"),
        "404": httpx.get(f"{base}/nowhere"),
        "413": httpx.post(f"{base}/webhooks/web", content=b"a" * (LIMIT + 1)),
        "metrics": httpx.get(f"{base}/metrics"),
    }
    for name, answer in answers.items():
        headers = answer.headers
        assert headers["x-content-type-options"] == "nosniff", name
        assert headers["referrer-policy"] == "no-referrer", name
        assert headers["x-frame-options"] == "DENY", name
        assert "frame-ancestors 'none'" in headers["content-security-policy"], name
        assert headers["strict-transport-security"] == f"max-age={HSTS_SECONDS}", name
    for name in ("JSON", "JSON 422", "404", "413", "metrics"):
        assert answers[name].headers["content-security-policy"].startswith("default-src 'none'"), name
    chat_policy = answers["chat page"].headers["content-security-policy"]
    assert "script-src 'self'" in chat_policy and "unsafe-inline" not in chat_policy
    assert answers["chat script"].headers["content-type"].startswith("text/javascript")
    assert httpx.get(f"{base}/chat/assets/other.js").status_code == 404


def test_the_chat_page_has_no_inline_script_or_style(gateway: LocalStack) -> None:
    page = httpx.get(f"{gateway.gateway}/chat").text
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
    assert scripts, "the page has no script"
    for attributes, content in scripts:
        runs = 'type="application/json"' not in attributes
        assert not (runs and content.strip()), f"inline script: {content[:80]}"
    data = next(content for attributes, content in scripts if 'id="texts"' in attributes)
    assert "typing" in data and "failed" in data  # the texts are filled in when the page is served
    assert "<style" not in page and " style=" not in page


def test_the_chat_page_runs_under_its_policy_in_chromium(gateway: LocalStack, browser: Browser) -> None:
    page = browser.new_page(locale="it-IT")
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(f"{gateway.gateway}/chat")
    # The script ran (the phone's language is marked) and sent the greeting; without Rasa the answer is the
    # notice, shown in a bubble with the page's own style.
    page.locator('.langs button[data-lang="it"][aria-pressed="true"]').wait_for(timeout=10_000)
    page.locator(".msg.bot").first.wait_for(timeout=15_000)
    # The notice can come through the page's long poll before the post that stored the message returns.
    page.locator(".msg.me:not(.waiting)").first.wait_for(timeout=15_000)
    assert (
        page.locator(".msg.me").first.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(31, 111, 235)"
    )
    assert violations == []
    page.close()


def test_a_redis_restart_is_answered_with_successes_not_500(tmp_path: Path) -> None:
    redis = RedisServer(tmp_path)
    redis.start()
    stack = start_gateway(redis)
    base = stack.gateway
    try:

        def long_poll(i: int) -> int:
            params = {"sender": f"restart-{i}", "wait": 1}
            return httpx.get(f"{base}/webhooks/web/messages", params=params, timeout=10).status_code

        with ThreadPoolExecutor(8) as pool:  # eight pooled connections at once
            assert list(pool.map(long_poll, range(8))) == [200] * 8
        redis.stop()
        redis.start()  # every pooled connection is now dead
        for i in range(12):
            answer = httpx.get(f"{base}/webhooks/web/messages", params={"sender": f"restart-{i}"}, timeout=10)
            assert answer.status_code == 200, f"request {i} after the restart: {answer.status_code} {answer.text}"
            assert answer.json() == {"messages": [], "cursor": "0-0"}
        posted = httpx.post(
            f"{base}/webhooks/web?wait=0", json={"sender": "restart-x", "text": "buna"}, timeout=10
        )
        assert posted.status_code in (200, 202), posted.text

        redis.stop()  # Redis away: 503 JSON with Retry-After, never a 500
        for answer in (
            httpx.get(f"{base}/webhooks/web/messages", params={"sender": "restart-1"}, timeout=10),
            httpx.post(f"{base}/webhooks/web?wait=0", json={"sender": "restart-y", "text": "buna"}, timeout=10),
        ):
            assert answer.status_code == 503, answer.text
            assert answer.headers["content-type"] == "application/json"
            assert answer.json() == {"error": "the store is unavailable; try again shortly"}
            assert answer.headers["retry-after"].isdigit()
            assert "strict-transport-security" not in answer.headers  # HSTS_SECONDS is off by default
        ready = httpx.get(f"{base}/readyz", timeout=10)
        assert ready.status_code == 503 and ready.json()["redis"] is False

        redis.start()  # back: answered again at once
        assert httpx.get(f"{base}/webhooks/web/messages", params={"sender": "restart-1"}).status_code == 200
    finally:
        stack.stop_all()
        redis.stop()
