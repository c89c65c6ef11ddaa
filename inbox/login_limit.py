"""The login limiter: against guessing passwords, without letting anyone lock the counsellors out.

- Per account, an increasing delay, never a lock: the first INBOX_LOGIN_ATTEMPTS tries are free; after them each
  try must come 1, 2, 4, 8 ... seconds (at most INBOX_LOGIN_MAX_DELAY_SECONDS) after the one before started and
  after it failed. A try that comes sooner is refused (429 with Retry-After) before the password is checked, so
  guessing gets one try per delay whatever the concurrency, and the right password works once the delay has
  passed. A successful login clears the account's count; 15 minutes without a try clear it too.
- Per client address (the real one: X-Forwarded-For only from TRUSTED_PROXIES, gateway/__main__.py), five times
  as many: tries that failed, were refused or are under way count; a success gives its try back, so an office
  where everyone logs in at nine is not limited. An address over the limit is refused for the rest of its
  15 minutes before it touches any account's delay: one address cannot keep a counsellor waiting long. IPv6
  addresses count per /64 (one machine usually has a whole /64).

Tries are counted when they start (one Lua script, atomic), so twenty at once are counted as twenty. The account
key is the SHA-256 of the name typed, whether or not the account exists: the limiter's answers do not tell.

Owns `hd:inbox:login:delay:{hash}` (hash: `n` tries, `next` the earliest next try in ms; 15 minutes after the last
try) and `hd:inbox:login:ip:{address}` (string: count; 15 minutes from the first).
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass
from ipaddress import ip_address, ip_network

from redis.asyncio import Redis

WINDOW_SECONDS = 15 * 60
_ADMIT = """
local ip = redis.call('INCR', KEYS[1])
if ip == 1 then redis.call('EXPIRE', KEYS[1], ARGV[6]) end
if ip > tonumber(ARGV[2]) then
  return {1, redis.call('PTTL', KEYS[1])}
end
local now = tonumber(ARGV[1])
local nxt = tonumber(redis.call('HGET', KEYS[2], 'next') or '0')
if now < nxt then
  return {2, nxt - now}
end
local n = redis.call('HINCRBY', KEYS[2], 'n', 1)
local free = tonumber(ARGV[3])
if n >= free then
  local delay = math.min(tonumber(ARGV[4]) * 2 ^ (n - free), tonumber(ARGV[5]))
  redis.call('HSET', KEYS[2], 'next', string.format('%d', now + delay))
end
redis.call('EXPIRE', KEYS[2], ARGV[6])
return {0, 0}
"""
_FAILED = """
local n = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
local free = tonumber(ARGV[2])
if n >= free then
  local nxt = tonumber(ARGV[1]) + math.min(tonumber(ARGV[3]) * 2 ^ (n - free), tonumber(ARGV[4]))
  if nxt > tonumber(redis.call('HGET', KEYS[1], 'next') or '0') then
    redis.call('HSET', KEYS[1], 'next', string.format('%d', nxt))
  end
end
return 0
"""
_SUCCEEDED = """
if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then redis.call('DECR', KEYS[1]) end
redis.call('DEL', KEYS[2])
return 0
"""


@dataclass(frozen=True)
class Verdict:
    """Whether a login try may go ahead; if not, which limit refused it and for how many seconds."""

    allowed: bool
    limit: str = ""  # "address" or "account"
    retry_after: int = 0


class LoginLimiter:
    """Admits login tries per account (increasing delay) and per client address (a count per 15 minutes)."""

    def __init__(self, redis: Redis, attempts: int, max_delay_seconds: float) -> None:
        self._redis = redis
        self.attempts = attempts
        self.per_address = attempts * 5
        self.max_delay_ms = int(max_delay_seconds * 1000)
        self._admit = redis.register_script(_ADMIT)
        self._failed = redis.register_script(_FAILED)
        self._succeeded = redis.register_script(_SUCCEEDED)

    async def admit(self, username: str, address: str) -> Verdict:
        """Count a try that starts now; refused if the address is over its limit or the account's delay runs."""
        keys = [self._address_key(address), self._account_key(username)]
        args = [int(time.time() * 1000), self.per_address, self.attempts, 1000, self.max_delay_ms, WINDOW_SECONDS]
        refused, wait_ms = await self._admit(keys=keys, args=args)
        if not refused:
            return Verdict(True)
        return Verdict(False, "address" if refused == 1 else "account", max(1, math.ceil(int(wait_ms) / 1000)))

    async def failed(self, username: str) -> None:
        """The try was wrong: the account's next try waits its delay from now (the check itself took time)."""
        args = [int(time.time() * 1000), self.attempts, 1000, self.max_delay_ms]
        await self._failed(keys=[self._account_key(username)], args=args)

    async def succeeded(self, username: str, address: str) -> None:
        """The try was right: the account's delay is cleared and the address gets its try back."""
        await self._succeeded(keys=[self._address_key(address), self._account_key(username)])

    @staticmethod
    def _account_key(username: str) -> str:
        return "hd:inbox:login:delay:" + limiter_key(username)

    @staticmethod
    def _address_key(address: str) -> str:
        return "hd:inbox:login:ip:" + bucket(address)


def limiter_key(username: str) -> str:
    """What the account delay is kept under: a hash of the name typed (any string, existing or not)."""
    return hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]


def bucket(address: str) -> str:
    """The address the limit counts: an IPv4 address, an IPv6 /64, or `unknown` for anything else."""
    try:
        parsed = ip_address(address)
    except ValueError:
        return "unknown"
    if parsed.version == 6 and parsed.ipv4_mapped is None:
        return str(ip_network(f"{parsed}/64", strict=False))
    return str(parsed.ipv4_mapped or parsed) if parsed.version == 6 else str(parsed)
