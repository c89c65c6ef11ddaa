"""Inbox sessions and CSRF tokens (the login limiter is inbox/login_limit.py).

A session is a random token in an HttpOnly, SameSite=Strict cookie (`hd_inbox`, Secure behind https); Redis keeps
only its SHA-256 (`hd:inbox:session:{sha256}`: username, CSRF token, start `at`, last use `seen`, the account's
session generation `gen`). It ends after INBOX_SESSION_HOURS (the key's expiry, never extended), after
INBOX_IDLE_MINUTES without a request (sliding: each request moves `seen`, at most once a minute), and at once
when the account's password changes or the account is disabled (the account's generation moved on). Logging
in always makes a new session (no fixation); logging out deletes it. Every change needs the session's CSRF
token (header `X-CSRF-Token` or form field `csrf`); the login form has its own token (double submit: cookie
`hd_login` and form field).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from redis.asyncio import Redis

COOKIE = "hd_inbox"
LOGIN_COOKIE = "hd_login"
_TOUCH_SECONDS = 60  # `seen` is written at most this often (the event stream asks every two seconds)
# Only an existing session is touched: a logout in between must not leave a key without an expiry behind.
_TOUCH = "if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'seen', ARGV[1]) end return 0"


@dataclass(frozen=True)
class Session:
    """A logged-in session."""

    username: str
    csrf: str
    token_hash: str
    generation: int = 0


def same(a: str, b: str) -> bool:
    """Constant-time comparison of two tokens (False if either is empty)."""
    return bool(a) and bool(b) and hmac.compare_digest(a.encode(), b.encode())


class Sessions:
    """Creates, finds and ends sessions."""

    def __init__(self, redis: Redis, ttl_seconds: int, idle_seconds: int, secure: bool) -> None:
        self._redis = redis
        self.ttl = ttl_seconds
        self.idle = idle_seconds
        self.secure = secure
        self._touch = redis.register_script(_TOUCH)

    @staticmethod
    def _key(token: str) -> str:
        return "hd:inbox:session:" + hashlib.sha256(token.encode()).hexdigest()

    async def start(self, username: str, generation: int = 0, old_token: str = "") -> tuple[str, Session]:
        """A new session for `username` at the account's session generation (any session of `old_token` ends):
        its cookie token and the session."""
        if old_token:
            await self.end(old_token)
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(24)
        key = self._key(token)
        now = str(int(time.time()))
        fields = {"username": username, "csrf": csrf, "at": now, "seen": now, "gen": str(generation)}
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping=fields)
            pipe.expire(key, self.ttl)
            await pipe.execute()
        return token, Session(username, csrf, key, generation)

    async def find(self, token: str) -> Session | None:
        """The session of a cookie token, or None (unknown, or idle too long: then it is deleted). Finding a
        session counts as using it."""
        if not token or len(token) > 100:
            return None
        key = self._key(token)
        raw = await self._redis.hgetall(key)
        if not raw or b"username" not in raw or b"csrf" not in raw:
            return None
        now = int(time.time())
        seen = int(raw.get(b"seen", raw.get(b"at", b"0")))
        if now - seen > self.idle:
            await self._redis.delete(key)
            return None
        if now - seen >= max(1, min(_TOUCH_SECONDS, self.idle // 4)):
            await self._touch(keys=[key], args=[now])
        return Session(raw[b"username"].decode(), raw[b"csrf"].decode(), key, int(raw.get(b"gen", b"0")))

    async def drop(self, session: Session) -> None:
        """Delete a session found to be over (its account's generation moved on)."""
        await self._redis.delete(session.token_hash)

    async def end(self, token: str) -> None:
        """Log out: the session is deleted."""
        if token:
            await self._redis.delete(self._key(token))
