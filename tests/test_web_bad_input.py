"""Bad input on POST /webhooks/web and GET /webhooks/web/messages gets a clear 4xx (never a 500), nothing is
queued, and the worker keeps running; a lone surrogate in a text is kept as U+FFFD and answered."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import Stack, post

CASES = [
    ("not json", b"{sender: nope", 400, "not valid JSON"),
    ("empty body", b"", 400, "not valid JSON"),
    ("json array", b'["sender", "text"]', 422, "invalid message"),
    ("missing text", b'{"sender": "a"}', 422, "text: Field required"),
    ("missing sender", b'{"text": "buna"}', 422, "sender: Field required"),
    ("empty text", b'{"sender": "a", "text": ""}', 422, "text: String should have at least 1 character"),
    ("blank text", b'{"sender": "a", "text": "   \\n "}', 422, "text: String should have at least 1 character"),
    ("text is a number", b'{"sender": "a", "text": 12}', 422, "text: Input should be a valid string"),
    (
        "sender is an object",
        b'{"sender": {"id": 1}, "text": "buna"}',
        422,
        "sender: Input should be a valid string",
    ),
    (
        "sender too long",
        b'{"sender": "' + b"x" * 200 + b'", "text": "buna"}',
        422,
        "sender: String should have at most",
    ),
    ("control characters", b'{"sender": "a\\u0000b", "text": "buna"}', 422, "control characters"),
    ("unknown language", b'{"sender": "a", "text": "hi", "language": "en"}', 422, "language must be one of"),
    ("language not a string", b'{"sender": "a", "text": "hi", "language": 3}', 422, "language: Input should be"),
    ("nested 30,000 deep", b"[" * 30_000 + b"]" * 30_000, 400, "not valid JSON"),
    (
        "nested deep beside the fields",
        b'{"sender": "a", "text": "b", "x": ' + b"[" * 30_000 + b"]" * 30_000 + b"}",
        400,
        "not valid JSON",
    ),
    ("sender with a lone surrogate", b'{"sender": "a\\ud800", "text": "buna"}', 422, "sender: Input should be"),
    ("text a list", b'{"sender": "a", "text": ["buna"]}', 422, "text: Input should be a valid string"),
]


@pytest.mark.parametrize(("case", "body", "status", "reason"), CASES, ids=[c[0] for c in CASES])
def test_bad_bodies_get_a_clear_4xx(
    stack: Stack, redis_client, case: str, body: bytes, status: int, reason: str
) -> None:
    depth_before = _queued(redis_client)
    response = httpx.post(
        f"{stack.gateway}/webhooks/web", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == status, response.text
    assert reason in response.text
    assert _queued(redis_client) == depth_before


def test_a_100_kb_text_is_refused(stack: Stack, sender: str) -> None:
    response = post(stack, sender, "a" * 100_000)
    assert response.status_code == 413
    assert "body too large" in response.json()["error"]


def test_a_text_over_the_limit_is_refused(stack: Stack, sender: str) -> None:
    response = post(stack, sender, "salariu " * 600)  # 4800 characters, under the body cap
    assert response.status_code == 413
    assert "text too long" in response.json()["error"]


def test_a_lone_surrogate_in_the_text_is_kept_and_answered(stack: Stack, sender: str) -> None:
    body = b'{"sender": "' + sender.encode() + b'", "text": "bun\\ud800a ziua"}'
    response = httpx.post(
        f"{stack.gateway}/webhooks/web", content=body, headers={"content-type": "application/json"}, timeout=40
    )
    assert response.status_code == 200, response.text
    assert response.json()["messages"]


CURSORS = [
    ("over 64 bits", "99999999999999999999999-0", 422),
    ("2^64", "18446744073709551616-0", 422),
    ("sequence 2^64", "0-18446744073709551616", 422),
    ("the largest id", "18446744073709551615-18446744073709551615", 422),
    ("a thousand digits", "1" * 1000 + "-0", 422),
    ("negative", "-1-0", 422),
    ("just below the largest id", "18446744073709551615-18446744073709551614", 200),
    ("zero", "0-0", 200),
    ("leading zeros", "00000000000000000001-0", 200),
]


@pytest.mark.parametrize("wait", ["0", "0.2"])
@pytest.mark.parametrize(("case", "after", "status"), CURSORS, ids=[c[0] for c in CURSORS])
def test_a_cursor_redis_cannot_take_is_a_422(
    stack: Stack, sender: str, case: str, after: str, status: int, wait: str
) -> None:
    response = httpx.get(
        f"{stack.gateway}/webhooks/web/messages",
        params={"sender": sender, "after": after, "wait": wait},
        timeout=10,
    )
    assert response.status_code == status, response.text
    if status == 200:
        assert response.json() == {"messages": [], "cursor": after}


def test_the_worker_keeps_answering_after_bad_input(stack: Stack, sender: str) -> None:
    for _, body, _, _ in CASES:
        httpx.post(f"{stack.gateway}/webhooks/web", content=body, headers={"content-type": "application/json"})
    response = post(stack, sender, "buna ziua")
    assert response.status_code == 200
    assert response.json()["messages"]


def _queued(redis_client) -> int:
    return sum(redis_client.xlen(k) for k in redis_client.scan_iter("hd:in:[0-9]*"))
