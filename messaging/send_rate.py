"""The send rate of a channel, shared by every process that sends on it (Redis).

Owns the Redis keys `hd:out:rate:{channel}`. Each key holds the next free send slot (a microsecond
timestamp of Redis's own clock, so processes on hosts with different clocks agree). Taking a slot is one
Lua script: the caller gets the time to wait until its slot, and the next caller the slot after that, one
interval later (GCRA without burst). A platform's "slow down" (429 with retry_after) pushes the next slot
into the future for everyone.
"""

from __future__ import annotations

from redis.asyncio import Redis

_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local slot = tonumber(redis.call('GET', KEYS[1]) or '0')
if slot < now then slot = now end
local wait = slot - now
if tonumber(ARGV[2]) >= 0 and wait > tonumber(ARGV[2]) then return -1 end
redis.call('SET', KEYS[1], string.format('%.0f', slot + tonumber(ARGV[1])), 'PX', 3600000)
return wait
"""

_PAUSE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local until_ = now + tonumber(ARGV[1])
local slot = tonumber(redis.call('GET', KEYS[1]) or '0')
if until_ > slot then redis.call('SET', KEYS[1], string.format('%.0f', until_), 'PX', 3600000) end
return 1
"""


class SendRate:
    """Hands out send slots for one channel at `per_second` messages per second, across processes."""

    def __init__(self, redis: Redis, channel: str, per_second: float) -> None:
        self.key = f"hd:out:rate:{channel}"
        self.interval_us = int(1_000_000 / per_second)
        self._take = redis.register_script(_TAKE)
        self._pause = redis.register_script(_PAUSE)

    async def take(self, max_wait_seconds: float = -1) -> float | None:
        """Reserve the next slot; the seconds to wait until it. None (nothing reserved) if the slot is
        further away than `max_wait_seconds` (a negative value: no limit)."""
        limit = int(max_wait_seconds * 1_000_000) if max_wait_seconds >= 0 else -1
        wait_us = int(await self._take(keys=[self.key], args=[self.interval_us, limit]))
        return None if wait_us < 0 else wait_us / 1_000_000

    async def pause(self, seconds: float) -> None:
        """No slot before `seconds` from now (the platform asked us to slow down)."""
        await self._pause(keys=[self.key], args=[int(seconds * 1_000_000)])
