"""The people who asked for alerts: who they are on which channel, their language, country, nearest centre,
topics, when they consented and to which wording; and the index that counts an audience fast.

Owns the Redis keys `hd:sub:*`:
- `hd:sub:{channel}:{user}`: hash of one subscriber: channel, user, language, country, centre, topics
  (comma-separated), consented_at, consent (the exact wording they accepted), state (active, stopped),
  stopped_at, stop_reason, updated_at. An active subscription does not expire (the person asked for the
  alerts); a stopped one expires RETENTION_DAYS after it stopped, and `prune` takes it out of the index.
- `hd:sub:ix:{filter}:{value}`: set of member ids (`{channel}:{user}`, the conversation id) per filter value:
  language, country, channel, topic, centre (known values only).
- `hd:sub:ix:active`, `hd:sub:ix:stopped`: sets of the active and the stopped subscribers.
- `hd:sub:num` (added): hash member id -> subscriber number, a small integer given once per subscriber (from
  `hd:sub:seq`, a counter, or reused from `hd:sub:free`, the numbers of erased or pruned subscribers), so the
  bitmaps stay dense.
- `hd:sub:bm:{filter}:{value}`, `hd:sub:bm:active`, `hd:sub:bm:stopped` (added): bitmaps, bit n set when
  subscriber number n has the value (is active, stopped): the same index as the sets, for counting.
- `hd:sub:bm:ready` (added): set once the bitmaps hold every subscriber (rebuilt from the sets otherwise, for a
  database written before the bitmaps existed).
- `hd:sub:tmp:{random}`: the unions and intersections of one count or freeze, deleted in the same transaction
  (30 s expiry as well for the sets).

An audience's live count per channel is BITOP OR within a filter, BITOP AND across filters and BITCOUNT, in
one transaction (a few milliseconds at 100,000 subscribers, bench/broadcast.py); a campaign's start stores
the audience as sets per channel (SINTERSTORE), once.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from dataclasses import dataclass, field

from redis.asyncio import Redis

from broadcasts.topics import CHANNELS, FILTERS, TOPICS

ACTIVE = "hd:sub:ix:active"
STOPPED = "hd:sub:ix:stopped"
BM_ACTIVE = "hd:sub:bm:active"
BM_STOPPED = "hd:sub:bm:stopped"
NUMBERS = "hd:sub:num"
_SEQ = "hd:sub:seq"
_FREE = "hd:sub:free"
_READY = "hd:sub:bm:ready"
_TEMP_SECONDS = 30
# The subscriber number of a member: the stored one, else a freed one, else the next; KEYS num, free, seq.
_NUMBER = """
local n = redis.call('HGET', KEYS[1], ARGV[1])
if n then return tonumber(n) end
n = redis.call('SPOP', KEYS[2])
if not n then n = redis.call('INCR', KEYS[3]) - 1 end
redis.call('HSET', KEYS[1], ARGV[1], n)
return tonumber(n)
"""


@dataclass(frozen=True)
class Subscriber:
    """One subscription."""

    channel: str
    user: str
    language: str
    country: str = ""
    centre: str = ""
    topics: tuple[str, ...] = TOPICS
    consented_at: int = 0
    consent: str = ""
    state: str = "active"
    stop_reason: str = ""

    @property
    def member(self) -> str:
        """The member id in the index: the conversation id."""
        return f"{self.channel}:{self.user}"

    def values(self) -> dict[str, list[str]]:
        """The index values of each filter (unknown ones are not indexed)."""
        found = {
            "language": [self.language],
            "country": [self.country],
            "channel": [self.channel],
            "centre": [self.centre],
            "topic": list(self.topics),
        }
        return {name: [v for v in vals if v] for name, vals in found.items()}


@dataclass(frozen=True)
class Audience:
    """Who a campaign goes to: for each filter the values allowed (empty: no restriction)."""

    language: tuple[str, ...] = ()
    country: tuple[str, ...] = ()
    channel: tuple[str, ...] = ()
    topic: tuple[str, ...] = ()
    centre: tuple[str, ...] = ()

    @classmethod
    def of(cls, data: dict[str, object]) -> Audience:
        """From JSON ({"language": ["ro"], ...}); unknown filters are ignored."""
        picked: dict[str, tuple[str, ...]] = {}
        for name in FILTERS:
            raw = data.get(name) or []
            picked[name] = tuple(sorted({str(v) for v in raw})) if isinstance(raw, list | tuple) else ()
        return cls(**picked)

    def to_dict(self) -> dict[str, list[str]]:
        """As JSON."""
        return {name: list(getattr(self, name)) for name in FILTERS}

    def channels(self) -> tuple[str, ...]:
        """The channels it covers."""
        return tuple(c for c in CHANNELS if not self.channel or c in self.channel)


@dataclass
class Counts:
    """An audience's size per channel: who would receive it, and who matches but stopped."""

    eligible: dict[str, int] = field(default_factory=dict)
    stopped: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Everyone who would receive it."""
        return sum(self.eligible.values())

    def to_dict(self) -> dict[str, object]:
        """As JSON."""
        return {
            "eligible": self.eligible,
            "stopped": self.stopped,
            "total": self.total,
            "stopped_total": sum(self.stopped.values()),
        }


def index_key(name: str, value: str) -> str:
    """The set of the subscribers with one filter value."""
    return f"hd:sub:ix:{name}:{value}"


def bitmap_key(name: str, value: str) -> str:
    """The bitmap of the subscribers with one filter value (bit = subscriber number)."""
    return f"hd:sub:bm:{name}:{value}"


def _filters_beside_channel(audience: Audience) -> list[tuple[str, list[str]]]:
    """The audience's filters other than the channel that hold values: (name, values), in FILTERS order."""
    return [(name, list(values)) for name in FILTERS if name != "channel" and (values := getattr(audience, name))]


def split_member(member: str) -> tuple[str, str]:
    """(channel, user) of a member id."""
    channel, _, user = member.partition(":")
    return channel, user


class Subscribers:
    """Stores subscriptions and counts audiences."""

    def __init__(self, redis: Redis, retention_seconds: int) -> None:
        self._redis = redis
        self._ttl = retention_seconds
        self._number = redis.register_script(_NUMBER)
        self._ready = False

    @staticmethod
    def key(member: str) -> str:
        """The hash of one subscriber."""
        return f"hd:sub:{member}"

    async def get(self, member: str) -> Subscriber | None:
        """The subscription of a conversation (active or stopped), or None."""
        return self._parse(await self._redis.hgetall(self.key(member)))

    @staticmethod
    def _parse(raw: dict[bytes, bytes]) -> Subscriber | None:
        if not raw:
            return None
        f = {k.decode(): v.decode() for k, v in raw.items()}
        return Subscriber(
            channel=f.get("channel", ""),
            user=f.get("user", ""),
            language=f.get("language", ""),
            country=f.get("country", ""),
            centre=f.get("centre", ""),
            topics=tuple(t for t in f.get("topics", "").split(",") if t),
            consented_at=int(f.get("consented_at", "0") or 0),
            consent=f.get("consent", ""),
            state=f.get("state", "active"),
            stop_reason=f.get("stop_reason", ""),
        )

    async def is_active(self, member: str) -> bool:
        """Whether the conversation has an active subscription."""
        return bool(await self._redis.sismember(ACTIVE, member))

    async def subscribe(self, subscriber: Subscriber) -> Subscriber:
        """Store an active subscription (a new one, more topics, or back after stopping), with its consent."""
        old = await self.get(subscriber.member)
        topics = subscriber.topics
        if old and old.state == "active":
            topics = tuple(t for t in TOPICS if t in set(old.topics) | set(subscriber.topics))
        new = Subscriber(
            channel=subscriber.channel,
            user=subscriber.user,
            language=subscriber.language,
            country=subscriber.country,
            centre=subscriber.centre,
            topics=topics,
            consented_at=subscriber.consented_at or int(time.time()),
            consent=subscriber.consent,
        )
        await self._write(old, new)
        return new

    async def update(self, member: str, **values: str) -> None:
        """Change language, country or centre of an existing subscription (the index follows)."""
        old = await self.get(member)
        if old is None:
            return
        changed = {k: v for k, v in values.items() if k in ("language", "country", "centre") and v}
        if all(getattr(old, k) == v for k, v in changed.items()):
            return
        new = dataclasses.replace(old, **changed)
        await self._write(old, new)

    async def stop(self, member: str, reason: str) -> bool:
        """End a subscription at once (the person left, blocked the bot, opted out); False if none was active."""
        old = await self.get(member)
        if old is None or old.state != "active":
            return False
        number = await self._number_of(member)
        now = int(time.time())
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(
                self.key(member), mapping={"state": "stopped", "stopped_at": now, "stop_reason": reason[:40]}
            )
            pipe.hset(self.key(member), "updated_at", now)
            pipe.expire(self.key(member), self._ttl)
            pipe.srem(ACTIVE, member)
            pipe.sadd(STOPPED, member)
            pipe.setbit(BM_ACTIVE, number, 0)
            pipe.setbit(BM_STOPPED, number, 1)
            await pipe.execute()
        return True

    async def erase(self, member: str) -> None:
        """Forget the subscription entirely ("delete my data")."""
        old = await self.get(member)
        if old is None:
            await self._unindex(member)  # a stopped record that expired may still be in the index
            return
        number = await self._redis.hget(NUMBERS, member)
        async with self._redis.pipeline(transaction=True) as pipe:
            for name, values in old.values().items():
                for value in values:
                    pipe.srem(index_key(name, value), member)
                    if number is not None:
                        pipe.setbit(bitmap_key(name, value), int(number), 0)
            for topic in TOPICS:
                pipe.srem(index_key("topic", topic), member)
                if number is not None:
                    pipe.setbit(bitmap_key("topic", topic), int(number), 0)
            pipe.srem(ACTIVE, member)
            pipe.srem(STOPPED, member)
            pipe.delete(self.key(member))
            if number is not None:
                pipe.setbit(BM_ACTIVE, int(number), 0)
                pipe.setbit(BM_STOPPED, int(number), 0)
                pipe.hdel(NUMBERS, member)
                pipe.sadd(_FREE, int(number))
            await pipe.execute()

    async def prune(self, batch: int = 1000) -> int:
        """Take stopped subscriptions whose record expired out of the index; how many went."""
        gone = 0
        async for raw in self._redis.sscan_iter(STOPPED, count=batch):
            member = raw.decode()
            if not await self._redis.exists(self.key(member)):
                await self._unindex(member)
                gone += 1
        return gone

    async def _unindex(self, member: str) -> None:
        """Take a member out of every set and bitmap of the index (its values are not known any more)."""
        number = await self._redis.hget(NUMBERS, member)
        async with self._redis.pipeline(transaction=True) as pipe:
            for name in FILTERS:
                for value in await self._values_of(name):
                    pipe.srem(index_key(name, value), member)
                    if number is not None:
                        pipe.setbit(bitmap_key(name, value), int(number), 0)
            pipe.srem(STOPPED, member)
            pipe.srem(ACTIVE, member)
            if number is not None:
                pipe.setbit(BM_ACTIVE, int(number), 0)
                pipe.setbit(BM_STOPPED, int(number), 0)
                pipe.hdel(NUMBERS, member)
                pipe.sadd(_FREE, int(number))
            await pipe.execute()

    async def _values_of(self, name: str) -> list[str]:
        prefix = index_key(name, "")
        return [k.decode()[len(prefix) :] async for k in self._redis.scan_iter(match=prefix + "*", count=500)]

    async def _number_of(self, member: str) -> int:
        """The member's subscriber number (given now if it has none)."""
        return int(await self._number(keys=[NUMBERS, _FREE, _SEQ], args=[member]))

    async def _write(self, old: Subscriber | None, new: Subscriber) -> None:
        await self.ensure_bitmaps()
        member = new.member
        if old is None and await self._redis.sismember(STOPPED, member):
            await self._unindex(member)  # back after the stopped record expired: its old values are unknown
        number = await self._number_of(member)
        now = int(time.time())
        record = {
            "channel": new.channel,
            "user": new.user,
            "language": new.language,
            "country": new.country,
            "centre": new.centre,
            "topics": ",".join(new.topics),
            "consented_at": new.consented_at,
            "consent": new.consent,
            "state": new.state,
            "updated_at": now,
        }
        async with self._redis.pipeline(transaction=True) as pipe:
            if old:
                for name, values in old.values().items():
                    for value in values:
                        pipe.srem(index_key(name, value), member)
                        pipe.setbit(bitmap_key(name, value), number, 0)
            pipe.delete(self.key(member))
            pipe.hset(self.key(member), mapping=record)
            for name, values in new.values().items():
                for value in values:
                    pipe.sadd(index_key(name, value), member)
                    pipe.setbit(bitmap_key(name, value), number, 1)
            if new.state == "active":
                pipe.sadd(ACTIVE, member)
                pipe.srem(STOPPED, member)
                pipe.setbit(BM_ACTIVE, number, 1)
                pipe.setbit(BM_STOPPED, number, 0)
            else:
                pipe.expire(self.key(member), self._ttl)
            await pipe.execute()

    async def ensure_bitmaps(self) -> None:
        """Build the bitmaps from the sets once, if this database was written before they existed (every
        write keeps both from then on)."""
        if self._ready:
            return
        if not await self._redis.exists(_READY):
            async for raw in self._redis.scan_iter(match="hd:sub:ix:*", count=500):
                key = raw.decode()
                target = "hd:sub:bm:" + key[len("hd:sub:ix:") :]
                members = [m.decode() for m in await self._redis.smembers(key)]
                for start in range(0, len(members), 1000):
                    chunk = members[start : start + 1000]
                    async with self._redis.pipeline(transaction=False) as pipe:
                        for member in chunk:
                            await self._number(keys=[NUMBERS, _FREE, _SEQ], args=[member], client=pipe)
                        numbers = await pipe.execute()
                    async with self._redis.pipeline(transaction=False) as pipe:
                        for number in numbers:
                            pipe.setbit(target, int(number), 1)
                        await pipe.execute()
            await self._redis.set(_READY, "1")
        self._ready = True

    # Audiences ---------------------------------------------------------------------------------------------

    def _groups(self, audience: Audience, pipe: object) -> tuple[list[str], list[str]]:
        """The set keys to intersect for an audience's filters other than the channel (a union of several
        values is stored in a temporary key); (keys, temporary keys)."""
        keys: list[str] = []
        temps: list[str] = []
        for name, values in _filters_beside_channel(audience):
            if len(values) == 1:
                keys.append(index_key(name, values[0]))
                continue
            temp = f"hd:sub:tmp:{uuid.uuid4().hex}"
            pipe.sunionstore(temp, [index_key(name, v) for v in values])  # type: ignore[attr-defined]
            pipe.expire(temp, _TEMP_SECONDS)  # type: ignore[attr-defined]
            keys.append(temp)
            temps.append(temp)
        return keys, temps

    async def count(self, audience: Audience) -> Counts:
        """How many subscribers an audience has on each channel, and how many of those match but stopped:
        bitmaps, one transaction (BITOP OR within a filter, AND across filters, BITCOUNT per channel)."""
        await self.ensure_bitmaps()
        channels = audience.channels()
        temp = f"hd:sub:tmp:{uuid.uuid4().hex}"
        async with self._redis.pipeline(transaction=True) as pipe:
            groups: list[str] = []
            for name, values in _filters_beside_channel(audience):
                if len(values) == 1:
                    groups.append(bitmap_key(name, values[0]))
                    continue
                union = f"{temp}:{name}"
                pipe.bitop("OR", union, *(bitmap_key(name, v) for v in values))
                groups.append(union)
            for channel in channels:
                for state, base in (("a", BM_ACTIVE), ("s", BM_STOPPED)):
                    target = f"{temp}:{state}:{channel}"
                    pipe.bitop("AND", target, base, bitmap_key("channel", channel), *groups)
                    pipe.bitcount(target)
            pipe.delete(
                *(f"{temp}:{name}" for name in FILTERS), *(f"{temp}:{s}:{c}" for s in "as" for c in channels)
            )
            results = await pipe.execute()
        per_channel = results[len(results) - 1 - 4 * len(channels) : -1]  # BITOP, BITCOUNT, BITOP, BITCOUNT
        found = [int(r) for r in per_channel[1::2]]
        counts = Counts()
        for i, channel in enumerate(channels):
            counts.eligible[channel] = found[2 * i]
            counts.stopped[channel] = found[2 * i + 1]
        return counts

    async def freeze(self, audience: Audience, key_of: dict[str, str]) -> Counts:
        """Store the audience's active members per channel into the sets `key_of[channel]` (the campaign's
        list of people still to send to); the counts stored and those left out because they stopped."""
        channels = [c for c in audience.channels() if c in key_of]
        async with self._redis.pipeline(transaction=True) as pipe:
            keys, temps = self._groups(audience, pipe)
            for channel in channels:
                pipe.sinterstore(key_of[channel], [ACTIVE, index_key("channel", channel), *keys])
                pipe.sintercard(2 + len(keys), [STOPPED, index_key("channel", channel), *keys])
            if temps:
                pipe.delete(*temps)
            results = await pipe.execute()
        offset = 2 * len(temps)
        counts = Counts()
        for i, channel in enumerate(channels):
            counts.eligible[channel] = int(results[offset + 2 * i])
            counts.stopped[channel] = int(results[offset + 2 * i + 1])
        return counts

    async def members(self, audience: Audience, channel: str) -> list[str]:
        """The active members of an audience on one channel (for the WhatsApp window count)."""
        async with self._redis.pipeline(transaction=True) as pipe:
            keys, temps = self._groups(audience, pipe)
            pipe.sinter([ACTIVE, index_key("channel", channel), *keys])
            if temps:
                pipe.delete(*temps)
            results = await pipe.execute()
        return sorted(m.decode() for m in results[2 * len(temps)])
