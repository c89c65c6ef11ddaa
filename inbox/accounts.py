"""Inbox accounts: counsellors (one centre), supervisors (all centres), campaign staff (campaigns only) and
admins (accounts and centres). Passwords are stored as argon2id hashes; there is no default account or
password: `python -m inbox users add` creates them.

Owns the Redis keys `hd:inbox:user:{username}` (hash: name, role, centre, hash, active, created_at, `sessions`:
the generation of the account's sessions, `language`: of the inbox's texts, inbox/i18n.py) and `hd:inbox:users`
(set of usernames). Accounts are staff data, not migrants' data: they do not expire. Changing the password or
disabling the account adds one to `sessions`, which ends every session made before (inbox/sessions.py). Hashing
runs off the event loop (inbox/passwords.py).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from redis.asyncio import Redis

from inbox.i18n import DEFAULT, languages
from inbox.passwords import Passwords

ROLES = ("counsellor", "supervisor", "campaigns", "admin")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")
MIN_PASSWORD = 10


class AccountError(ValueError):
    """An account cannot be created or changed as asked: `code` and `params` name the reason for the page's
    texts (`errors.{code}` in inbox/locales/)."""

    def __init__(self, message: str, code: str = "", **params: object) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Account:
    """A staff member's account."""

    username: str
    name: str
    role: str
    centre: str
    active: bool = True
    generation: int = 0  # of its sessions: a session of an older generation has ended
    language: str = DEFAULT  # of the inbox's texts

    def sees_cases(self) -> bool:
        """Counsellors and supervisors work with cases."""
        return self.role in ("counsellor", "supervisor")

    def may_see_centre(self, centre: str) -> bool:
        """Supervisors see every centre; a counsellor only their own."""
        return self.role == "supervisor" or (self.role == "counsellor" and centre == self.centre)

    def public(self) -> dict[str, object]:
        """What the pages may show about the account."""
        return {
            "username": self.username,
            "name": self.name,
            "role": self.role,
            "centre": self.centre,
            "language": self.language,
        }


class Accounts:
    """Creates, checks and lists accounts."""

    def __init__(self, redis: Redis, passwords: Passwords | None = None) -> None:
        self._redis = redis
        self.passwords = passwords or Passwords()

    @staticmethod
    def _key(username: str) -> str:
        return f"hd:inbox:user:{username}"

    async def add(
        self,
        username: str,
        password: str,
        *,
        role: str,
        centre: str,
        name: str,
        centres: set[str],
        language: str = DEFAULT,
    ) -> Account:
        """Create an account; AccountError if the name is taken or a field is wrong."""
        username = username.strip().lower()
        if not USERNAME.match(username):
            raise AccountError(
                "username: 2-40 characters, lower-case letters, digits, dot, dash, underscore", "bad_username"
            )
        if role not in ROLES:
            raise AccountError(f"role must be one of {', '.join(ROLES)}", "bad_role")
        if role == "counsellor" and centre not in centres:
            raise AccountError(
                f"a counsellor needs a centre, one of {', '.join(sorted(centres))}", "counsellor_needs_centre"
            )
        if role != "counsellor" and centre and centre not in centres:
            raise AccountError(f"unknown centre {centre!r}", "unknown_centre")
        if language not in languages():
            raise AccountError(f"language must be one of {', '.join(languages())}", "bad_language")
        if len(password) < MIN_PASSWORD:
            raise AccountError(
                f"the password needs at least {MIN_PASSWORD} characters", "short_password", min=MIN_PASSWORD
            )
        fields = {
            "name": name.strip() or username,
            "role": role,
            "centre": centre,
            "hash": await self.passwords.hash(password),
            "active": "1",
            "created_at": str(int(time.time())),
            "language": language,
        }
        if not await self._redis.hsetnx(self._key(username), "role", role):
            raise AccountError(f"the account {username!r} exists already", "account_exists", username=username)
        await self._redis.hset(self._key(username), mapping=fields)
        await self._redis.sadd("hd:inbox:users", username)
        return Account(username, fields["name"], role, centre, language=language)

    async def get(self, username: str) -> Account | None:
        """The account, or None."""
        return self._account(username, await self._redis.hgetall(self._key(username)))

    @staticmethod
    def _account(username: str, raw: dict[bytes, bytes]) -> Account | None:
        if not raw:
            return None
        f = {k.decode(): v.decode() for k, v in raw.items()}
        return Account(
            username,
            f.get("name", username),
            f["role"],
            f.get("centre", ""),
            f.get("active") == "1",
            int(f.get("sessions", "0")),
            f.get("language", DEFAULT) if f.get("language") in languages() else DEFAULT,
        )

    async def check(self, username: str, password: str) -> Account | None:
        """The account if the password is right and the account active, else None (in the same time: an unknown
        name is checked against a dummy hash in the same pool). The account is read once, before the check, so a
        password changed meanwhile leaves its generation behind and the new session ends at once."""
        username = username.strip().lower()
        raw = await self._redis.hgetall(self._key(username)) if USERNAME.match(username) else {}
        stored = raw.get(b"hash", b"").decode() or None
        if not await self.passwords.verify(stored, password):
            return None
        account = self._account(username, raw)
        if account and stored and self.passwords.needs_rehash(stored):
            await self._redis.hset(self._key(username), "hash", await self.passwords.hash(password))
        return account if account and account.active else None

    async def set_password(self, username: str, password: str) -> None:
        """Change a password; every session of the account ends."""
        if len(password) < MIN_PASSWORD:
            raise AccountError(
                f"the password needs at least {MIN_PASSWORD} characters", "short_password", min=MIN_PASSWORD
            )
        if not await self._redis.exists(self._key(username)):
            raise AccountError(f"no account {username!r}", "no_account", username=username)
        hashed = await self.passwords.hash(password)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(self._key(username), "hash", hashed)
            pipe.hincrby(self._key(username), "sessions", 1)
            await pipe.execute()

    async def set_active(self, username: str, active: bool) -> None:
        """Enable or disable an account (a disabled account cannot log in; every session of it ends, and stays
        ended when the account is enabled again)."""
        if not await self._redis.exists(self._key(username)):
            raise AccountError(f"no account {username!r}", "no_account", username=username)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(self._key(username), "active", "1" if active else "0")
            if not active:
                pipe.hincrby(self._key(username), "sessions", 1)
            await pipe.execute()

    async def set_language(self, username: str, language: str) -> None:
        """Choose the language of the account's inbox (one of the locale files, inbox/i18n.py)."""
        if language not in languages():
            raise AccountError(f"language must be one of {', '.join(languages())}", "bad_language")
        if not await self._redis.exists(self._key(username)):
            raise AccountError(f"no account {username!r}", "no_account", username=username)
        await self._redis.hset(self._key(username), "language", language)

    async def names(self) -> dict[str, str]:
        """Every account's display name by username (for the pages: people, not user names); one round trip."""
        usernames = sorted(n.decode() for n in await self._redis.smembers("hd:inbox:users"))
        async with self._redis.pipeline(transaction=False) as pipe:
            for username in usernames:
                pipe.hget(self._key(username), "name")
            found = await pipe.execute()
        return {u: name.decode() if name else u for u, name in zip(usernames, found, strict=True)}

    async def all(self) -> list[Account]:
        """Every account, by username."""
        names = sorted(n.decode() for n in await self._redis.smembers("hd:inbox:users"))
        found = [await self.get(n) for n in names]
        return [a for a in found if a]

    async def of_centre(self, centre: str) -> list[Account]:
        """The active counsellors of a centre."""
        return [a for a in await self.all() if a.active and a.role == "counsellor" and a.centre == centre]

    async def count(self) -> int:
        """How many accounts exist."""
        return int(await self._redis.scard("hd:inbox:users"))
