"""Who is on duty: counsellors and supervisors with the inbox open (its live event stream connected).

Owns the Redis key `hd:inbox:online`: a sorted set of usernames by the time their page last listened; a page
listens every few seconds, so anyone seen in the last 30 seconds has the inbox open now. Staff data only.
"""

from __future__ import annotations

import time

from redis.asyncio import Redis

KEY = "hd:inbox:online"
FRESH_SECONDS = 30


class Presence:
    """Records and lists who has the inbox open."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def beat(self, username: str) -> None:
        """The user's page is listening now."""
        now = time.time()
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.zadd(KEY, {username: now})
            pipe.zremrangebyscore(KEY, 0, now - 3600)
            await pipe.execute()

    async def online(self) -> list[str]:
        """Usernames with the inbox open now."""
        names = await self._redis.zrangebyscore(KEY, time.time() - FRESH_SECONDS, "+inf")
        return sorted(n.decode() for n in names)
