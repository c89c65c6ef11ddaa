"""Inbox accounts: counsellors (one centre), supervisors (all centres), campaign staff (campaigns only) and
admins (accounts and centres). Passwords are stored as argon2id hashes; there is no default account or
password: `python -m inbox users add` creates them.

Owns the Redis keys `hd:inbox:user:{username}` (hash: name, role, centre, hash, active, created_at) and
`hd:inbox:users` (set of usernames). Accounts are staff data, not migrants' data: they do not expire.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from redis.asyncio import Redis

ROLES = ("counsellor", "supervisor", "campaigns", "admin")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")
MIN_PASSWORD = 10
_HASHER = PasswordHasher()
# Checked when an account does not exist, so that a wrong name takes as long as a wrong password.
_DUMMY_HASH = _HASHER.hash("not a password of anyone")


class AccountError(ValueError):
    """An account cannot be created or changed as asked."""


@dataclass(frozen=True)
class Account:
    """A staff member's account."""

    username: str
    name: str
    role: str
    centre: str
    active: bool = True

    def sees_cases(self) -> bool:
        """Counsellors and supervisors work with cases."""
        return self.role in ("counsellor", "supervisor")

    def may_see_centre(self, centre: str) -> bool:
        """Supervisors see every centre; a counsellor only their own."""
        return self.role == "supervisor" or (self.role == "counsellor" and centre == self.centre)

    def public(self) -> dict[str, object]:
        """What the pages may show about the account."""
        return {"username": self.username, "name": self.name, "role": self.role, "centre": self.centre}


class Accounts:
    """Creates, checks and lists accounts."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    @staticmethod
    def _key(username: str) -> str:
        return f"hd:inbox:user:{username}"

    async def add(
        self, username: str, password: str, *, role: str, centre: str, name: str, centres: set[str]
    ) -> Account:
        """Create an account; AccountError if the name is taken or a field is wrong."""
        username = username.strip().lower()
        if not USERNAME.match(username):
            raise AccountError("username: 2-40 characters, lower-case letters, digits, dot, dash, underscore")
        if role not in ROLES:
            raise AccountError(f"role must be one of {', '.join(ROLES)}")
        if role == "counsellor" and centre not in centres:
            raise AccountError(f"a counsellor needs a centre, one of {', '.join(sorted(centres))}")
        if role != "counsellor" and centre and centre not in centres:
            raise AccountError(f"unknown centre {centre!r}")
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"the password needs at least {MIN_PASSWORD} characters")
        fields = {
            "name": name.strip() or username,
            "role": role,
            "centre": centre,
            "hash": _HASHER.hash(password),
            "active": "1",
            "created_at": str(int(time.time())),
        }
        if not await self._redis.hsetnx(self._key(username), "role", role):
            raise AccountError(f"the account {username!r} exists already")
        await self._redis.hset(self._key(username), mapping=fields)
        await self._redis.sadd("hd:inbox:users", username)
        return Account(username, fields["name"], role, centre)

    async def get(self, username: str) -> Account | None:
        """The account, or None."""
        raw = await self._redis.hgetall(self._key(username))
        if not raw:
            return None
        f = {k.decode(): v.decode() for k, v in raw.items()}
        return Account(username, f.get("name", username), f["role"], f.get("centre", ""), f.get("active") == "1")

    async def check(self, username: str, password: str) -> Account | None:
        """The account if the password is right and the account active, else None (in about the same time)."""
        username = username.strip().lower()
        stored = await self._redis.hget(self._key(username), "hash") if USERNAME.match(username) else None
        try:
            _HASHER.verify(stored.decode() if stored else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return None
        account = await self.get(username) if stored else None
        if account and _HASHER.check_needs_rehash(stored.decode()):
            await self._redis.hset(self._key(username), "hash", _HASHER.hash(password))
        return account if account and account.active else None

    async def set_password(self, username: str, password: str) -> None:
        """Change a password."""
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"the password needs at least {MIN_PASSWORD} characters")
        if not await self._redis.exists(self._key(username)):
            raise AccountError(f"no account {username!r}")
        await self._redis.hset(self._key(username), "hash", _HASHER.hash(password))

    async def set_active(self, username: str, active: bool) -> None:
        """Enable or disable an account (a disabled account cannot log in; its sessions end)."""
        if not await self._redis.exists(self._key(username)):
            raise AccountError(f"no account {username!r}")
        await self._redis.hset(self._key(username), "active", "1" if active else "0")

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
