"""Inbox sessions, CSRF tokens and the login rate limit.

A session is a random token in an HttpOnly, SameSite=Strict cookie (`hd_inbox`, Secure behind https); Redis keeps
only its SHA-256 (`hd:inbox:session:{sha256}`: username, CSRF token, start; expires after INBOX_SESSION_HOURS).
Logging in always makes a new session (no fixation); logging out deletes it. Every change needs the session's
CSRF token (header `X-CSRF-Token` or form field `csrf`); the login form has its own token (double submit:
cookie `hd_login` and form field). Failed logins are counted per account (`hd:inbox:login:user:{name}`,
INBOX_LOGIN_ATTEMPTS per 15 minutes) and per client address (`hd:inbox:login:ip:{address}`, 5 times that).
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
_WINDOW_SECONDS = 15 * 60


@dataclass(frozen=True)
class Session:
    """A logged-in session."""

    username: str
    csrf: str
    token_hash: str


def same(a: str, b: str) -> bool:
    """Constant-time comparison of two tokens (False if either is empty)."""
    return bool(a) and bool(b) and hmac.compare_digest(a.encode(), b.encode())


class Sessions:
    """Creates, finds and ends sessions; counts failed logins."""

    def __init__(self, redis: Redis, ttl_seconds: int, attempts: int, secure: bool) -> None:
        self._redis = redis
        self.ttl = ttl_seconds
        self._attempts = attempts
        self.secure = secure

    @staticmethod
    def _key(token: str) -> str:
        return "hd:inbox:session:" + hashlib.sha256(token.encode()).hexdigest()

    async def start(self, username: str, old_token: str = "") -> tuple[str, Session]:
        """A new session for `username` (any session of `old_token` ends): its cookie token and the session."""
        if old_token:
            await self._redis.delete(self._key(old_token))
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(24)
        key = self._key(token)
        await self._redis.hset(key, mapping={"username": username, "csrf": csrf, "at": str(int(time.time()))})
        await self._redis.expire(key, self.ttl)
        return token, Session(username, csrf, key)

    async def find(self, token: str) -> Session | None:
        """The session of a cookie token, or None."""
        if not token or len(token) > 100:
            return None
        key = self._key(token)
        raw = await self._redis.hgetall(key)
        if not raw:
            return None
        return Session(raw[b"username"].decode(), raw[b"csrf"].decode(), key)

    async def end(self, token: str) -> None:
        """Log out: the session is deleted."""
        if token:
            await self._redis.delete(self._key(token))

    async def allowed(self, username: str, address: str) -> bool:
        """Whether another login attempt is allowed now for this account and client address."""
        user_n, ip_n = await self._redis.mget(self._user_key(username), self._ip_key(address))
        return int(user_n or 0) < self._attempts and int(ip_n or 0) < self._attempts * 5

    async def failed(self, username: str, address: str) -> None:
        """Count a failed login."""
        async with self._redis.pipeline(transaction=True) as pipe:
            for key in (self._user_key(username), self._ip_key(address)):
                pipe.incr(key)
                pipe.expire(key, _WINDOW_SECONDS, nx=True)
            await pipe.execute()

    async def succeeded(self, username: str) -> None:
        """A successful login clears the account's failure count."""
        await self._redis.delete(self._user_key(username))

    @staticmethod
    def _user_key(username: str) -> str:
        return "hd:inbox:login:user:" + hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]

    @staticmethod
    def _ip_key(address: str) -> str:
        return "hd:inbox:login:ip:" + address
