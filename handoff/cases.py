"""Cases: a conversation handed to the counsellors, with its timeline, its centre queue and its claim lock.

Owns the Redis keys `hd:case:*` and `hd:cases:*` (docs/design-contract.md):
- `hd:case:{id}` hash: the case's facts (conversation, channel, user id, language, centre, reason, topic,
  urgency, state waiting|claimed|closed, assignee, times, outcome, labels, overflow; `voice`: the counsellor
  whose name the person last saw on a messenger; `on_call`: "centre:account" alerted out of hours).
- `hd:case:{id}:timeline` list of JSON entries (user, bot, counsellor, note, event), oldest first.
- `hd:case:{id}:lock` string: the counsellor holding the claim; expires unless renewed.
- `hd:case:{id}:seen` hash: counsellor username -> how many timeline entries they had seen when they last
  opened the case (the queue's unread count); expires with the case.
- `hd:cases:queue:{centre}` sorted set of the centre's open cases by creation time;
  `hd:cases:overflow` the open cases nobody claimed in time; `hd:cases:all` every case by creation time
  (figures); `hd:cases:conv:{conversation}` the cases of one conversation (erasure).
Every key with personal data expires RETENTION_DAYS after the case's last activity; the index sets are
pruned to the same period by the worker's housekeeping.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

OPEN_STATES = ("waiting", "claimed")
OUTCOMES = ("resolved", "referred", "no_reply", "duplicate", "other")
ERASED = "erased"
SNIPPET_CHARS = 120
# Anything that looks like a phone number (7 or more digits, with spaces, dots, dashes, brackets or a +).
_PHONE = re.compile(r"\+?\d[\d\s().-]{5,}\d")


def now() -> float:
    """The current time as a Unix timestamp (seconds)."""
    return time.time()


@dataclass
class Case:
    """A case as stored in its hash."""

    id: str
    conversation_id: str
    channel: str
    user_id: str
    language: str
    centre: str
    reason: str
    urgent: bool = False
    topic: str = ""
    state: str = "waiting"
    assignee: str = ""
    origin: str = ""
    created_at: float = 0.0
    claimed_at: float = 0.0
    first_response_at: float = 0.0
    closed_at: float = 0.0
    updated_at: float = 0.0
    outcome: str = ""
    overflow: bool = False
    labels: list[str] = field(default_factory=list)
    voice: str = ""  # the counsellor whose name the person last saw with a message (messengers)
    on_call: str = ""  # "centre:account" alerted for this urgent case out of hours ("" if none)

    @property
    def is_open(self) -> bool:
        """Waiting or claimed."""
        return self.state in OPEN_STATES

    def to_redis(self) -> dict[str, str]:
        """The hash fields."""
        out: dict[str, str] = {}
        for name, value in self.__dict__.items():
            if isinstance(value, bool):
                out[name] = "1" if value else "0"
            elif isinstance(value, list):
                out[name] = json.dumps(value, ensure_ascii=False)
            else:
                out[name] = str(value)
        return out

    @classmethod
    def from_redis(cls, raw: dict[bytes, bytes]) -> Case:
        """Parse a hash written by `to_redis`."""
        data = {k.decode(): v.decode() for k, v in raw.items()}
        floats = ("created_at", "claimed_at", "first_response_at", "closed_at", "updated_at")
        values: dict[str, Any] = {}
        for name in cls.__dataclass_fields__:
            if name not in data:
                continue
            value: Any = data[name]
            if name in floats:
                value = float(value or 0)
            elif name in ("urgent", "overflow"):
                value = value == "1"
            elif name == "labels":
                value = json.loads(value or "[]")
            values[name] = value
        return cls(**values)


class Cases:
    """Reads and changes cases in Redis."""

    def __init__(self, redis: Redis, retention_seconds: int) -> None:
        self._redis = redis
        self._ttl = retention_seconds

    @property
    def redis(self) -> Redis:
        """The Redis client the cases live in."""
        return self._redis

    @staticmethod
    def key(case_id: str) -> str:
        """The case's hash key."""
        return f"hd:case:{case_id}"

    @staticmethod
    def queue_key(centre: str) -> str:
        """The sorted set of a centre's open cases."""
        return f"hd:cases:queue:{centre}"

    async def open(
        self,
        *,
        conversation_id: str,
        channel: str,
        user_id: str,
        language: str,
        centre: str,
        reason: str,
        urgent: bool,
        topic: str,
        origin: str,
        history: list[dict[str, Any]],
    ) -> Case:
        """Create a waiting case in a centre's queue; `history` (the transcript) starts its timeline."""
        created = now()
        case = Case(
            id=uuid.uuid4().hex[:12],
            conversation_id=conversation_id,
            channel=channel,
            user_id=user_id,
            language=language,
            centre=centre,
            reason=reason,
            urgent=urgent,
            topic=topic,
            origin=origin,
            created_at=created,
            updated_at=created,
        )
        key = self.key(case.id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping=case.to_redis())
            for entry in history:
                pipe.rpush(f"{key}:timeline", json.dumps({**entry, "before_handoff": True}, ensure_ascii=False))
            pipe.rpush(f"{key}:timeline", _entry("event", "opened", reason=reason, centre=centre))
            pipe.zadd(self.queue_key(centre), {case.id: created})
            pipe.zadd("hd:cases:all", {case.id: created})
            pipe.sadd(f"hd:cases:conv:{conversation_id}", case.id)
            self._expire(pipe, case.id, conversation_id)
            await pipe.execute()
        return case

    def _expire(self, pipe: Pipeline, case_id: str, conversation_id: str) -> None:
        key = self.key(case_id)
        for k in (key, f"{key}:timeline", f"{key}:seen", f"hd:cases:conv:{conversation_id}"):
            pipe.expire(k, self._ttl)

    async def get(self, case_id: str) -> Case | None:
        """The case, or None if it does not exist (or expired)."""
        raw = await self._redis.hgetall(self.key(case_id))
        return Case.from_redis(raw) if raw else None

    async def many(self, case_ids: list[str]) -> list[Case]:
        """The cases that still exist among these ids, in the same order."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for case_id in case_ids:
                pipe.hgetall(self.key(case_id))
            rows = await pipe.execute()
        return [Case.from_redis(raw) for raw in rows if raw]

    async def timelines(self, case_ids: list[str]) -> list[list[dict[str, Any]]]:
        """The timelines of these cases, in the same order."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for case_id in case_ids:
                pipe.lrange(f"{self.key(case_id)}:timeline", 0, -1)
            rows = await pipe.execute()
        return [[json.loads(raw) for raw in row] for row in rows]

    async def mark_seen(self, case: Case, username: str, entries: int) -> None:
        """Record that `username` has seen the first `entries` entries of the case's timeline."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(f"{self.key(case.id)}:seen", username, str(entries))
            pipe.expire(f"{self.key(case.id)}:seen", self._ttl)
            await pipe.execute()

    async def seen_by(self, pairs: list[tuple[str, str]]) -> list[int]:
        """For (case id, username) pairs: how many entries the counsellor had seen (0 if never opened)."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for case_id, username in pairs:
                pipe.hget(f"{self.key(case_id)}:seen", username or "-")
            rows = await pipe.execute()
        return [int(row or 0) for row in rows]

    async def timeline(self, case_id: str) -> list[dict[str, Any]]:
        """The case's timeline, oldest first."""
        return [json.loads(raw) for raw in await self._redis.lrange(f"{self.key(case_id)}:timeline", 0, -1)]

    async def add(self, case: Case, kind: str, text: str, **extra: object) -> None:
        """Append a timeline entry (user, bot, counsellor, note or event) and mark the case active."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.rpush(f"{self.key(case.id)}:timeline", _entry(kind, text, **extra))
            pipe.hset(self.key(case.id), "updated_at", str(now()))
            self._expire(pipe, case.id, case.conversation_id)
            await pipe.execute()

    async def update(self, case: Case, **fields: object) -> Case:
        """Change some fields of the case (and of the object given) and mark it active."""
        for name, value in fields.items():
            setattr(case, name, value)
        case.updated_at = now()
        mapping = {k: v for k, v in case.to_redis().items() if k in fields or k == "updated_at"}
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.key(case.id), mapping=mapping)
            self._expire(pipe, case.id, case.conversation_id)
            await pipe.execute()
        return case

    async def queue(self, centre: str) -> list[Case]:
        """A centre's open cases: urgent first, then the longest waiting."""
        ids = [i.decode() for i in await self._redis.zrange(self.queue_key(centre), 0, -1)]
        return sorted(await self.many(ids), key=lambda c: (not c.urgent, c.created_at))

    async def overflowed(self) -> list[Case]:
        """Open cases nobody claimed in time (the supervisors' queue), urgent first."""
        ids = [i.decode() for i in await self._redis.zrange("hd:cases:overflow", 0, -1)]
        return sorted(await self.many(ids), key=lambda c: (not c.urgent, c.created_at))

    async def move(self, case: Case, centre: str) -> Case:
        """Put the case in another centre's queue, unclaimed."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zrem(self.queue_key(case.centre), case.id)
            pipe.zadd(self.queue_key(centre), {case.id: case.created_at})
            pipe.zrem("hd:cases:overflow", case.id)
            pipe.delete(f"{self.key(case.id)}:lock")
            await pipe.execute()
        return await self.update(case, centre=centre, state="waiting", assignee="", overflow=False)

    async def claim(self, case: Case, username: str, lock_seconds: int) -> str:
        """Claim the case (or renew one's own claim); the holder's name: `username` if the claim is ours."""
        lock = f"{self.key(case.id)}:lock"
        if not await self._redis.set(lock, username, nx=True, ex=lock_seconds):
            holder = (await self._redis.get(lock) or b"").decode()
            if holder != username:
                return holder
            await self._redis.expire(lock, lock_seconds)
            return username
        first = {"claimed_at": now()} if not case.claimed_at else {}
        await self._redis.zrem("hd:cases:overflow", case.id)
        await self.update(case, state="claimed", assignee=username, overflow=False, **first)
        return username

    async def holder(self, case_id: str) -> str:
        """Who holds the claim lock now ("" if nobody)."""
        return (await self._redis.get(f"{self.key(case_id)}:lock") or b"").decode()

    async def give(self, case: Case, username: str, lock_seconds: int) -> Case:
        """Hand the claim to another counsellor."""
        await self._redis.set(f"{self.key(case.id)}:lock", username, ex=lock_seconds)
        return await self.update(case, state="claimed", assignee=username)

    async def close(self, case: Case, outcome: str) -> Case:
        """Close the case with an outcome; it leaves every queue."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zrem(self.queue_key(case.centre), case.id)
            pipe.zrem("hd:cases:overflow", case.id)
            pipe.delete(f"{self.key(case.id)}:lock")
            await pipe.execute()
        return await self.update(case, state="closed", outcome=outcome, closed_at=now())

    async def mark_overflow(self, older_than: float) -> list[Case]:
        """Move open, unclaimed cases created before `older_than` to the overflow queue; the ones moved."""
        moved: list[Case] = []
        async for key in self._redis.scan_iter(match="hd:cases:queue:*", count=100):
            ids = [i.decode() for i in await self._redis.zrangebyscore(key, 0, older_than)]
            for case in await self.many(ids):
                if case.state == "waiting" and not case.overflow:
                    await self._redis.zadd("hd:cases:overflow", {case.id: case.created_at})
                    await self.update(case, overflow=True)
                    await self.add(case, "event", "overflow")
                    moved.append(case)
        return moved

    async def recent(self, since: float) -> list[Case]:
        """Every case created since a time (for the figures)."""
        ids = [i.decode() for i in await self._redis.zrangebyscore("hd:cases:all", since, "+inf")]
        return await self.many(ids)

    async def prune(self) -> None:
        """Drop index entries of cases past retention (their hashes have expired by themselves)."""
        cutoff = now() - self._ttl
        await self._redis.zremrangebyscore("hd:cases:all", 0, cutoff)
        async for key in self._redis.scan_iter(match="hd:cases:queue:*", count=100):
            ids = [i.decode() for i in await self._redis.zrange(key, 0, -1)]
            gone = [i for i in ids if not await self._redis.exists(self.key(i))]
            if gone:
                await self._redis.zrem(key, *gone)

    async def of_conversation(self, conversation_id: str) -> list[Case]:
        """Every case of a conversation still kept."""
        ids = [i.decode() for i in await self._redis.smembers(f"hd:cases:conv:{conversation_id}")]
        return await self.many(ids)

    async def erase_personal(self, case: Case) -> None:
        """Erase what identifies the person: the timeline, user id, conversation id, origin and labels.

        What remains (centre, language, reason, times, outcome) is not personal and keeps the figures right.
        """
        if case.is_open:
            await self.close(case, ERASED)
        key = self.key(case.id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(f"{key}:timeline", f"{key}:lock", f"{key}:seen", f"hd:cases:conv:{case.conversation_id}")
            pipe.hset(key, mapping={"user_id": ERASED, "conversation_id": ERASED, "origin": "", "labels": "[]"})
            await pipe.execute()


def _entry(kind: str, text: str, **extra: object) -> str:
    return json.dumps({"kind": kind, "text": text, "at": now(), **extra}, ensure_ascii=False)


def scrub(text: str) -> str:
    """A line of a message for a queue card: one line, phone numbers hidden, at most SNIPPET_CHARS."""
    line = _PHONE.sub("•••", " ".join(text.split()))
    return line if len(line) <= SNIPPET_CHARS else line[: SNIPPET_CHARS - 1] + "…"


def glance(case: Case, timeline: list[dict[str, Any]], seen: int) -> dict[str, Any]:
    """What a queue card shows of the timeline: the person's last message (scrubbed), how many of the person's
    messages came after the `seen` first entries (0 when nobody is assigned), and since when the person waits
    for an answer: the oldest of their messages after the last counsellor message, or the case's opening when no
    counsellor has written yet and the person wrote nothing since; None when the last word is a counsellor's."""
    last_text = ""
    waiting_since: float | None = None
    answered = False
    for entry in timeline:
        kind = entry.get("kind")
        if kind == "user":
            last_text = str(entry.get("text", ""))
            if answered and waiting_since is None and not entry.get("before_handoff"):
                waiting_since = float(entry.get("at", 0))
        elif kind == "counsellor":
            answered = True
            waiting_since = None
    if not answered:
        waiting_since = case.created_at
    unread = 0
    if case.assignee:
        unread = sum(
            1 for entry in timeline[seen:] if entry.get("kind") == "user" and not entry.get("before_handoff")
        )
    return {"last_text": scrub(last_text), "unread": unread, "waiting_since": waiting_since}
