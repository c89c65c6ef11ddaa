"""Audience counts against a brute-force count: a random population goes through everything that changes a
subscription (subscribing, more topics, a new language, country or centre, stopping, coming back, "delete my
data", a stopped record expiring and being pruned), then random audiences are counted by the bitmaps
(`Subscribers.count`), fixed by the sets (`Subscribers.freeze`) and counted by hand over the same population:
all three agree, also after the bitmaps are rebuilt from the sets. Redis database 1, no stack needed."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass

from redis.asyncio import Redis

from broadcasts.subscribers import Audience, Subscriber, Subscribers
from broadcasts.topics import CHANNELS, TOPICS
from ops.local_stack import TEST_REDIS_PORT

DB = 1  # the broadcast tests own databases 1, 4 and 2 (tests/conftest.py)
LANGUAGES = ("ro", "it", "es")
COUNTRIES = ("it", "es", "ro", "md", "other", "")
CENTRES = ("iasi", "suceava", "chisinau", "bacau", "")


@dataclass
class Person:
    """The model's idea of one subscription."""

    channel: str
    language: str
    country: str
    centre: str
    topics: set[str]
    active: bool


def matches(person: Person, audience: Audience) -> bool:
    """Brute force: whether a person is in an audience (a union within a filter, an intersection across)."""
    checks = (
        (audience.language, {person.language}),
        (audience.country, {person.country}),
        (audience.channel, {person.channel}),
        (audience.centre, {person.centre}),
        (audience.topic, person.topics),
    )
    return all(not wanted or bool(set(wanted) & have) for wanted, have in checks)


def random_audience(rng: random.Random) -> Audience:
    def some(values: tuple[str, ...]) -> list[str]:
        return rng.sample([v for v in values if v], rng.choice((0, 0, 1, 1, 2, 3))) if rng.random() < 0.7 else []

    return Audience.of(
        {
            "language": some(LANGUAGES),
            "country": some(COUNTRIES),
            "channel": some(CHANNELS),
            "topic": some(TOPICS),
            "centre": some(CENTRES),
        }
    )


async def check(subscribers: Subscribers, redis: Redis, people: dict[str, Person], rng: random.Random) -> int:
    """Count 60 random audiences (and the broad ones) both ways; how many people the audiences held in all."""
    audiences = [Audience(), Audience(topic=("alerts",)), Audience(language=("ro", "it"), centre=("iasi",))]
    audiences += [random_audience(rng) for _ in range(60)]
    seen = 0
    for audience in audiences:
        counts = await subscribers.count(audience)
        for channel in audience.channels():
            expected = sum(
                1 for p in people.values() if p.channel == channel and p.active and matches(p, audience)
            )
            left = sum(
                1 for p in people.values() if p.channel == channel and not p.active and matches(p, audience)
            )
            assert counts.eligible[channel] == expected, (audience, channel)
            assert counts.stopped[channel] == left, (audience, channel)
            seen += expected
        assert set(counts.eligible) == set(audience.channels())
        keys = {c: f"test:freeze:{c}" for c in CHANNELS}
        frozen = await subscribers.freeze(audience, keys)
        assert frozen.eligible == counts.eligible and frozen.stopped == counts.stopped
        for channel in audience.channels():
            stored = {m.decode() for m in await redis.smembers(keys[channel])}
            wanted = {m for m, p in people.items() if p.channel == channel and p.active and matches(p, audience)}
            assert stored == wanted, (audience, channel)
        await redis.delete(*keys.values())
    assert not [k async for k in redis.scan_iter(match="hd:sub:tmp:*")]  # no temporary key left behind
    return seen


async def scenario() -> None:
    redis = Redis(port=TEST_REDIS_PORT, db=DB)
    await redis.flushdb()
    subscribers = Subscribers(redis, 3600)
    rng = random.Random(11)
    people: dict[str, Person] = {}

    async def subscribe(member: str, channel: str, user: str, topics: set[str]) -> None:
        person = Person(channel, rng.choice(LANGUAGES), rng.choice(COUNTRIES), rng.choice(CENTRES), topics, True)
        old = people.get(member)
        if old and old.active:
            person.topics = old.topics | topics
        people[member] = person
        await subscribers.subscribe(
            Subscriber(
                channel, user, person.language, person.country, person.centre, tuple(sorted(topics)), 0, "t"
            )
        )

    for i in range(800):
        channel = CHANNELS[rng.randrange(len(CHANNELS))]
        topics = {t for t in TOPICS if rng.random() < 0.4} or {"alerts"}
        await subscribe(f"{channel}:p{i}", channel, f"p{i}", topics)
    assert await check(subscribers, redis, people, rng) > 0

    members = sorted(people)
    for _ in range(600):  # everything that changes a subscription, in random order
        member = rng.choice(members)
        channel, user = member.split(":", 1)
        person = people.get(member)
        action = rng.random()
        if action < 0.25:
            await subscribe(member, channel, user, {rng.choice(TOPICS)})  # new, more topics, or back
        elif action < 0.45 and person:
            field, value = rng.choice(
                (("language", rng.choice(LANGUAGES)), ("country", rng.choice(COUNTRIES[:-1]))),
            )
            await subscribers.update(member, **{field: value})
            setattr(person, field, value)
        elif action < 0.7:
            stopped = await subscribers.stop(member, "test")
            assert stopped == bool(person and person.active)
            if person:
                person.active = False
        elif action < 0.8:
            await subscribers.erase(member)
            people.pop(member, None)
        elif action < 0.9 and person and not person.active:
            await redis.delete(Subscribers.key(member))  # the stopped record expired ...
            assert await subscribers.prune() >= 1  # ... and leaves the index
            people.pop(member)
    await check(subscribers, redis, people, rng)

    numbers = [int(n) for n in (await redis.hgetall("hd:sub:num")).values()]
    assert len(numbers) == len(set(numbers)) == len(people)  # one number each, none shared
    assert max(numbers) < 800  # erased and pruned numbers are given again: the bitmaps stay dense

    # A database written before the bitmaps existed: they are rebuilt from the sets on the first count.
    await redis.delete(*[k async for k in redis.scan_iter(match="hd:sub:bm:*")], "hd:sub:num", "hd:sub:free")
    await check(Subscribers(redis, 3600), redis, people, rng)
    assert await redis.exists("hd:sub:bm:ready")
    await redis.flushdb()
    await redis.aclose()


def test_audience_counts_match_a_brute_force_count_through_every_change() -> None:
    asyncio.run(scenario())
