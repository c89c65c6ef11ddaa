"""Live updates for the inbox: a short Redis Stream of case events, read by the pages over server-sent events.

Owns the Redis key `hd:inbox:events` (a stream capped at about 2,000 entries). An event holds no personal
data: its type (case_new, case_message, case_claimed, case_updated, case_overflow, case_on_call), the case id, the
centre (and the centre it left, for a transfer), urgency and, for case_on_call, who is on call (an inbox username
or "supervisors": staff data). The page fetches what it may see through the JSON API;
a reconnecting page passes the last event id it saw (Last-Event-ID), so no event is missed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from redis.asyncio import Redis

STREAM = "hd:inbox:events"
_KEEP = 2000


@dataclass(frozen=True)
class Event:
    """One case event."""

    id: str
    type: str
    case: str
    centre: str
    previous_centre: str = ""
    urgent: bool = False
    on_call: str = ""

    def json(self) -> str:
        """The event as the page receives it."""
        data: dict[str, object] = {
            "type": self.type,
            "case": self.case,
            "centre": self.centre,
            "urgent": self.urgent,
        }
        if self.on_call:
            data["on_call"] = self.on_call
        return json.dumps(data, separators=(",", ":"))


class Events:
    """Publishes and reads case events."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def publish(
        self,
        type_: str,
        case_id: str,
        centre: str,
        *,
        previous_centre: str = "",
        urgent: bool = False,
        on_call: str = "",
    ) -> None:
        """Add an event for every open inbox page to see."""
        fields = {"type": type_, "case": case_id, "centre": centre, "from": previous_centre}
        fields["urgent"] = "1" if urgent else "0"
        if on_call:
            fields["on_call"] = on_call
        await self._redis.xadd(STREAM, fields, maxlen=_KEEP, approximate=True)

    async def last_id(self) -> str:
        """The newest event's id ("0-0" if none)."""
        newest = await self._redis.xrevrange(STREAM, count=1)
        return newest[0][0].decode() if newest else "0-0"

    async def read(self, after: str, block_ms: int) -> list[Event]:
        """Events after an id, waiting up to `block_ms` for the first one."""
        found = await self._redis.xread({STREAM: after}, block=block_ms, count=100)
        events: list[Event] = []
        for entry_id, raw in found[0][1] if found else []:
            f = {k.decode(): v.decode() for k, v in raw.items()}
            events.append(
                Event(
                    entry_id.decode(),
                    f["type"],
                    f["case"],
                    f["centre"],
                    f.get("from", ""),
                    f.get("urgent") == "1",
                    f.get("on_call", ""),
                )
            )
        return events
