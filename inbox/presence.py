"""Who is on duty: counsellors and supervisors with the inbox open (its live event stream connected).

Owns the Redis keys `hd:inbox:online`, a sorted set of usernames by the time their page last listened, and
`hd:inbox:online:left:{username}`, a short mark that the page was just closed. An open page listens every two
seconds or so (the event stream, inbox/routes.py), so anyone seen in the last FRESH_SECONDS has the inbox open
now; a page that closes says so at once (`navigator.sendBeacon` on `pagehide`, `leave`), and the mark keeps
the closing page's last listen from putting its owner back on duty. Staff data only.
"""

from __future__ import annotations

import time

from redis.asyncio import Redis

KEY = "hd:inbox:online"
FRESH_SECONDS = 30  # a tab closed without saying so drops off duty within this
LEFT_SECONDS = 3  # a listen this soon after the page said it closed does not count


class Presence:
    """Records and lists who has the inbox open."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def beat(self, username: str) -> None:
        """The user's page is listening now (unless one of their pages closed a moment ago)."""
        if await self._redis.exists(f"{KEY}:left:{username}"):
            return
        now = time.time()
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.zadd(KEY, {username: now})
            pipe.zremrangebyscore(KEY, 0, now - 3600)
            await pipe.execute()

    async def leave(self, username: str) -> None:
        """The user's page closed: off duty at once (another open page of theirs puts them back in seconds)."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zrem(KEY, username)
            pipe.set(f"{KEY}:left:{username}", "1", ex=LEFT_SECONDS)
            await pipe.execute()

    async def online(self) -> list[str]:
        """Usernames with the inbox open now."""
        names = await self._redis.zrangebyscore(KEY, time.time() - FRESH_SECONDS, "+inf")
        return sorted(n.decode() for n in names)
