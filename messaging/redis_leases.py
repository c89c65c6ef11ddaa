"""Two Redis building blocks the inbound queue and the outboxes share: expiring leases (one holder at a
time, taken or renewed atomically, given back only by their holder) and creating a stream's consumer
group once."""

from __future__ import annotations

from redis.asyncio import Redis
from redis.exceptions import ResponseError

_HOLD = """
local owner = redis.call('GET', KEYS[1])
if owner == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not owner then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class Leases:
    """Expiring leases on Redis keys."""

    def __init__(self, redis: Redis) -> None:
        self._hold = redis.register_script(_HOLD)
        self._release = redis.register_script(_RELEASE)

    async def hold(self, key: str, owner: str, lease_ms: int) -> bool:
        """Take the lease, or renew it if `owner` holds it; False if someone else does."""
        return bool(await self._hold(keys=[key], args=[owner, lease_ms]))

    async def release(self, key: str, owner: str) -> None:
        """Give the lease back at once, if `owner` still holds it."""
        await self._release(keys=[key], args=[owner])


async def ensure_group(redis: Redis, stream: str, group: str) -> None:
    """Create the stream (if missing) and its consumer group (if missing)."""
    try:
        await redis.xgroup_create(stream, group, id="0", mkstream=True)
    except ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise
