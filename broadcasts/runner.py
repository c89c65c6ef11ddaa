"""The campaign runner: fixes a campaign's audience when it starts, then feeds its people into each channel's
`bulk` outbox lane a few seconds ahead of the channel's rate (so replies keep priority, and pause and cancel
act within seconds), and follows the outbox's status records for the report.

Never twice, nobody missed, also with the process killed (SIGKILL) or two runners at once: a person is taken
from the campaign's set atomically (SPOP in a Lua script, into `pending` under the runner's name), marked
"enqueuing" just before the one outbox call, and recorded as done right after it. A runner whose heartbeat
is gone left its people in `pending`: those never started go back into the set; the one (at most) whose
outbox call was under way cannot be known to have been queued, so it is not sent again and is counted
`unconfirmed`, as the outbox does for a send under way at a crash.

Owns the Redis keys:
- `hd:camp:{id}:todo:{channel}`: set of the people still to send to (conversation ids).
- `hd:camp:{id}:pending`: hash person → `c|runner|time` (taken) or `e|runner|time` (being queued).
- `hd:camp:{id}:done`: hash person → outcome (`q:{outbound id}`, `stopped`, `skipped:{why}`, `unconfirmed`).
- `hd:camp:{id}:n`: hash `{channel}|{language}|{status}` → count (no personal data).
- `hd:camp:{id}:st`: hash outbound id → `{channel}|{language}|{status}` last seen; `hd:camp:{id}:open`: set of
  outbound ids whose status may still change.
- `hd:camp:{id}:changed`: set of outbound ids whose status changed since the runner last looked (the outbox
  adds them: `notify` in messaging/outbox.py).
- `hd:camps:tracking`: sorted set of campaigns whose statuses are followed, until when.
- `hd:camp:runner:{name}`: a live runner's heartbeat (10 s).
The people's keys (todo, pending, done) expire RETENTION_DAYS after the campaign ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import time
import uuid

from redis.asyncio import Redis

from broadcasts.campaigns import Campaign, Campaigns, Template
from broadcasts.message import alert_message
from broadcasts.subscribers import Subscriber, Subscribers, split_member
from broadcasts.topics import CHANNELS
from messaging.conversations import Conversations
from messaging.delivery import Delivery, OutsideWindow, UnknownChannel
from messaging.outbox import Outbox

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 10
TICK_SECONDS = 0.25
TRACK_SECONDS = 3 * 24 * 3600  # delivery and read reports are followed this long after the end
_MAX_CLAIM = 200
_TRACK_BATCH = 2000
SWEEP_SECONDS = 30.0  # how often every open message's status is read again (changes come named by the outbox)
_FINAL = ("read", "failed", "unconfirmed")
_STATUS = {
    "queued": "queued",
    "sending": "queued",
    "retrying": "queued",
    "sent": "sent",
    "delivered": "delivered",
    "read": "read",
    "failed": "failed",
    "undelivered": "failed",
    "unconfirmed": "unconfirmed",
}

_CLAIM = """
local taken = redis.call('SPOP', KEYS[1], tonumber(ARGV[1]))
for _, m in ipairs(taken) do redis.call('HSET', KEYS[2], m, ARGV[2]) end
return taken
"""

_BEGIN = """
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1
"""

_DONE = """
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('HINCRBY', KEYS[3], ARGV[4], 1)
if ARGV[5] ~= '' then
  redis.call('HSET', KEYS[4], ARGV[5], ARGV[6])
  redis.call('SADD', KEYS[5], ARGV[5])
end
return 1
"""

_RECOVER = """
local value = redis.call('HGET', KEYS[1], ARGV[1])
if value ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
if string.sub(value, 1, 1) == 'c' then
  redis.call('SADD', KEYS[2], ARGV[1])
  return 1
end
redis.call('HSET', KEYS[3], ARGV[1], 'unconfirmed')
redis.call('HINCRBY', KEYS[4], ARGV[3], 1)
return 2
"""

_TRACK = """
local finals = {read=true, failed=true, unconfirmed=true}
local changed = 0
for i = 1, #ARGV, 2 do
  local id, status = ARGV[i], ARGV[i + 1]
  local old = redis.call('HGET', KEYS[1], id)
  if old then
    local prefix, before = string.match(old, '^(.*)|([^|]*)$')
    if status == 'gone' then
      redis.call('SREM', KEYS[3], id)
    elseif before ~= status then
      redis.call('HINCRBY', KEYS[2], prefix .. '|' .. before, -1)
      redis.call('HINCRBY', KEYS[2], prefix .. '|' .. status, 1)
      redis.call('HSET', KEYS[1], id, prefix .. '|' .. status)
      changed = changed + 1
    end
    if finals[status] then redis.call('SREM', KEYS[3], id) end
  end
end
return changed
"""


def changed_key(campaign_id: str) -> str:
    """The set the outbox adds a campaign's outbound ids to when their status changes."""
    return f"hd:camp:{campaign_id}:changed"


def todo_key(campaign_id: str, channel: str) -> str:
    """The set of people still to send a campaign to on one channel."""
    return f"hd:camp:{campaign_id}:todo:{channel}"


class CampaignRunner:
    """Starts due campaigns, feeds live ones into the bulk lanes, follows their statuses."""

    def __init__(
        self,
        redis: Redis,
        *,
        campaigns: Campaigns,
        subscribers: Subscribers,
        conversations: Conversations,
        delivery: Delivery,
        outbox: Outbox,
        rates: dict[str, float],
        recognition: str,
        retention_seconds: int,
        ahead_seconds: float = 2.0,
    ) -> None:
        self._redis = redis
        self._campaigns = campaigns
        self._subscribers = subscribers
        self._conversations = conversations
        self._delivery = delivery
        self._outbox = outbox
        self._rates = rates
        self._recognition = recognition
        self._ttl = retention_seconds
        self._ahead = ahead_seconds
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._stopping = asyncio.Event()
        self._claim = redis.register_script(_CLAIM)
        self._begin = redis.register_script(_BEGIN)
        self._done = redis.register_script(_DONE)
        self._recover = redis.register_script(_RECOVER)
        self._track = redis.register_script(_TRACK)
        self._beat_at = 0.0
        self._cursors: dict[str, int] = {}
        self._swept_at = 0.0

    def stop(self) -> None:
        """Finish the person in hand, then stop."""
        self._stopping.set()

    async def run(self) -> None:
        """Work until `stop` is called."""
        while not self._stopping.is_set():
            busy = False
            try:
                busy = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("campaign runner: error, retrying")
                await self._sleep(1)
            if not busy:
                await self._sleep(TICK_SECONDS)
        with contextlib.suppress(Exception):
            await self._redis.delete(self._beat_key(self.owner))

    async def run_once(self) -> bool:
        """One round over every campaign; True if it queued something."""
        await self._heartbeat()
        for campaign_id in await self._campaigns.due(int(time.time())):
            await self._campaigns.start_scheduled(campaign_id)
        busy = False
        for campaign_id in await self._campaigns.live():
            campaign = await self._campaigns.get(campaign_id)
            if campaign is None:
                await self._redis.srem("hd:camps:live", campaign_id)
                continue
            if campaign.state == "sending":
                busy = await self._feed(campaign) or busy
        await self._follow_statuses()
        return busy

    # Starting ----------------------------------------------------------------------------------------------

    async def freeze(self, campaign: Campaign) -> None:
        """Fix who a started campaign goes to (once: a lock and a transaction keep a second runner out)."""
        lock = f"hd:camp:{campaign.id}:freezing"
        if campaign.frozen or not await self._redis.set(lock, self.owner, nx=True, ex=60):
            return
        try:
            if (await self._redis.hget(Campaigns.key(campaign.id), "frozen")) == b"1":
                return
            counts = await self._subscribers.freeze(
                campaign.audience, {c: todo_key(campaign.id, c) for c in CHANNELS}
            )
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hset(
                    Campaigns.key(campaign.id),
                    mapping={"frozen": "1", "audience_counts": json.dumps(counts.to_dict())},
                )
                pipe.zadd("hd:camps:tracking", {campaign.id: time.time() + 366 * 24 * 3600})
                await pipe.execute()
        finally:
            await self._redis.delete(lock)

    # Feeding -----------------------------------------------------------------------------------------------

    async def _feed(self, campaign: Campaign) -> bool:
        if not campaign.frozen:
            await self.freeze(campaign)
            campaign = await self._campaigns.need(campaign.id)
            if not campaign.frozen:
                return False
        await self._recover_dead(campaign)
        busy = False
        for channel in CHANNELS:
            if self._stopping.is_set():
                return busy
            busy = await self._feed_channel(campaign, channel) or busy
        if not busy and await self._finished(campaign):
            await self._end(campaign)
        return busy

    async def _feed_channel(self, campaign: Campaign, channel: str) -> bool:
        todo = todo_key(campaign.id, channel)
        rate = self._rates.get(channel)
        if rate is None:  # the channel is off: nobody there can be reached now
            want = _MAX_CLAIM
        else:
            want = max(10, int(rate * self._ahead)) - await self._outbox.waiting(channel, "bulk")
        if want <= 0:
            return False
        tag = f"c|{self.owner}|{int(time.time())}"
        taken = [
            m.decode()
            for m in await self._claim(keys=[todo, self._pending(campaign.id)], args=[min(want, _MAX_CLAIM), tag])
        ]
        for n, member in enumerate(taken):
            if self._stopping.is_set() or (n % 50 == 49 and await self._paused(campaign.id)):
                await self._give_back(campaign.id, taken[n:], tag)
                return True
            await self._send_one(campaign, member, tag)
        return bool(taken)

    async def _paused(self, campaign_id: str) -> bool:
        return (await self._redis.hget(Campaigns.key(campaign_id), "state")) != b"sending"

    async def _give_back(self, campaign_id: str, members: list[str], tag: str) -> None:
        """People taken but not started go back into the campaign's set (paused, or stopping)."""
        for member in members:
            keys = [
                self._pending(campaign_id),
                todo_key(campaign_id, split_member(member)[0]),
                f"hd:camp:{campaign_id}:done",
                f"hd:camp:{campaign_id}:n",
            ]
            await self._recover(keys=keys, args=[member, tag, ""])

    async def _send_one(self, campaign: Campaign, member: str, tag: str) -> None:
        """Queue the alert for one person taken from the campaign's set, and record what became of it."""
        channel, user = split_member(member)
        subscriber = await self._subscribers.get(member)
        language = subscriber.language if subscriber else "-"
        held, out_id = tag, ""
        try:
            status = await self._excluded(member, subscriber)
            template: Template | None = None
            if status is None:
                template, status = await self._route(campaign, channel, user, language)
            if status is None:
                enqueuing = f"e|{self.owner}|{int(time.time())}"
                if not await self._begin(keys=[self._pending(campaign.id)], args=[member, tag, enqueuing]):
                    return  # another runner took it back meanwhile (this one looked dead)
                held = enqueuing
                out_id = await self._enqueue(campaign, channel, user, language, template)
                status = "queued"
        except UnknownChannel:
            status = "skipped_channel_off"
        except OutsideWindow:  # the window closed between the check and the send
            status = "skipped_window"
        except Exception:  # Redis or rendering failed mid-call: it may be queued or not, so it is not repeated
            log.exception("campaign %s: queueing one message failed; counted unconfirmed", campaign.id)
            status = "unconfirmed"
        field = f"{channel}|{language}|{status}"
        outcome = f"q:{out_id}" if status == "queued" else status
        await self._record(campaign.id, member, held, outcome, field, out_id=out_id, status=field * bool(out_id))

    async def _excluded(self, member: str, subscriber: Subscriber | None) -> str | None:
        """ "stopped" when the person left, blocked the bot or cannot be reached; None otherwise."""
        if subscriber is None or subscriber.state != "active":
            return "stopped"
        if reason := await self._conversations.unreachable(member):
            await self._subscribers.stop(member, f"unreachable: {reason}"[:40])
            return "stopped"
        return None

    async def _route(
        self, campaign: Campaign, channel: str, user: str, language: str
    ) -> tuple[Template | None, str | None]:
        """The template to send instead of free text (WhatsApp outside the 24-hour window), or why to skip."""
        if campaign.text_for(language) is None:
            return None, "skipped_no_text"
        if await self._delivery.window_open(channel, user):
            return None, None
        template = campaign.template_for(language)
        return (template, None) if template else (None, "skipped_window")

    async def _enqueue(
        self, campaign: Campaign, channel: str, user: str, language: str, template: Template | None
    ) -> str:
        """The one outbox call; the first outbound id."""
        if template is not None:
            ids = await self._delivery.send_template(
                channel, user, template.sid, template.variables, lane="bulk", notify=changed_key(campaign.id)
            )
        else:
            chosen = campaign.text_for(language)
            assert chosen is not None
            message = alert_message(campaign, chosen[0], chosen[1], self._recognition)
            reply_to = f"campaign:{campaign.id}"
            ids = await self._delivery.send(
                channel, user, [message], lane="bulk", reply_to=reply_to, notify=changed_key(campaign.id)
            )
        return ids[0] if ids else ""

    async def _record(
        self,
        campaign_id: str,
        member: str,
        tag: str,
        outcome: str,
        field: str,
        *,
        out_id: str = "",
        status: str = "",
    ) -> None:
        keys = [
            self._pending(campaign_id),
            f"hd:camp:{campaign_id}:done",
            f"hd:camp:{campaign_id}:n",
            f"hd:camp:{campaign_id}:st",
            f"hd:camp:{campaign_id}:open",
        ]
        await self._done(keys=keys, args=[member, tag, outcome, field, out_id, status])

    async def _recover_dead(self, campaign: Campaign) -> None:
        """Give back the people of runners that died holding them (see the module's docstring)."""
        pending = await self._redis.hgetall(self._pending(campaign.id))
        if not pending:
            return
        alive: dict[str, bool] = {}
        for raw_member, raw_tag in pending.items():
            member, tag = raw_member.decode(), raw_tag.decode()
            owner = tag.split("|")[1] if tag.count("|") == 2 else ""
            if owner not in alive:
                alive[owner] = bool(await self._redis.exists(self._beat_key(owner)))
            if alive[owner]:
                continue
            channel = split_member(member)[0]
            subscriber = await self._subscribers.get(member)
            language = subscriber.language if subscriber else "-"
            keys = [
                self._pending(campaign.id),
                todo_key(campaign.id, channel),
                f"hd:camp:{campaign.id}:done",
                f"hd:camp:{campaign.id}:n",
            ]
            result = await self._recover(keys=keys, args=[member, tag, f"{channel}|{language}|unconfirmed"])
            if int(result) == 2:
                log.warning(
                    "campaign %s: one message was being queued at a crash; counted unconfirmed", campaign.id
                )

    async def _finished(self, campaign: Campaign) -> bool:
        async with self._redis.pipeline(transaction=False) as pipe:
            for channel in CHANNELS:
                pipe.scard(todo_key(campaign.id, channel))
            pipe.hlen(self._pending(campaign.id))
            counts = await pipe.execute()
        return not any(counts)

    async def _end(self, campaign: Campaign) -> None:
        if await self._campaigns.finish(campaign.id):
            await self.expire_people(campaign.id)
            await self._redis.zadd("hd:camps:tracking", {campaign.id: time.time() + TRACK_SECONDS})
            log.info("campaign %s: everyone reached or accounted for", campaign.id)

    async def expire_people(self, campaign_id: str) -> None:
        """The campaign's per-person keys expire RETENTION_DAYS from now (it ended)."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for suffix in ("done", "pending", "changed", *(f"todo:{c}" for c in CHANNELS)):
                pipe.expire(f"hd:camp:{campaign_id}:{suffix}", self._ttl)
            await pipe.execute()

    # Statuses ----------------------------------------------------------------------------------------------

    async def _follow_statuses(self) -> None:
        now = time.time()
        sweep = now - self._swept_at >= SWEEP_SECONDS
        if sweep:
            self._swept_at = now
        for raw_id, until in await self._redis.zrange("hd:camps:tracking", 0, -1, withscores=True):
            campaign_id = raw_id.decode()
            if until < now:
                await self._redis.zrem("hd:camps:tracking", campaign_id)
                await self._redis.delete(f"hd:camp:{campaign_id}:open", changed_key(campaign_id))
                continue
            await self.follow(campaign_id, sweep=sweep)

    async def follow(self, campaign_id: str, *, sweep: bool = True) -> int:
        """Bring one campaign's status counts up to date with the outbox's records: the messages whose status
        changed since the last call (the outbox names them), and with `sweep` a batch of every message whose
        status may still change (a change the runner had not yet recorded the message for, a record expired)."""
        ids = await self._redis.spop(changed_key(campaign_id), _TRACK_BATCH) or []
        changed = await self._apply_statuses(campaign_id, ids)
        if sweep:
            open_key = f"hd:camp:{campaign_id}:open"
            cursor, ids = await self._redis.sscan(open_key, self._cursors.get(campaign_id, 0), count=_TRACK_BATCH)
            self._cursors[campaign_id] = int(cursor)
            changed += await self._apply_statuses(campaign_id, ids)
        return changed

    async def _apply_statuses(self, campaign_id: str, ids: list[bytes]) -> int:
        """Count the outbox's current status of these messages in the campaign's figures."""
        open_key = f"hd:camp:{campaign_id}:open"
        if not ids:
            return 0
        async with self._redis.pipeline(transaction=False) as pipe:
            for out_id in ids:
                pipe.hget(f"hd:out:msg:{out_id.decode()}", "status")
            statuses = await pipe.execute()
        args: list[str] = []
        for out_id, status in zip(ids, statuses, strict=True):
            args += [out_id.decode(), _STATUS.get(status.decode(), "queued") if status else "gone"]
        return int(
            await self._track(keys=[f"hd:camp:{campaign_id}:st", f"hd:camp:{campaign_id}:n", open_key], args=args)
        )

    # Erasure -----------------------------------------------------------------------------------------------

    async def forget(self, member: str) -> None:
        """ "Delete my data": the person leaves every campaign's lists (counts stay, they name nobody)."""
        ids = [i.decode() for i in await self._redis.zrange("hd:camps", 0, -1)]
        async with self._redis.pipeline(transaction=False) as pipe:
            for campaign_id in ids:
                pipe.hdel(f"hd:camp:{campaign_id}:done", member)
                pipe.srem(todo_key(campaign_id, split_member(member)[0]), member)
            await pipe.execute()

    # Helpers -----------------------------------------------------------------------------------------------

    @staticmethod
    def _pending(campaign_id: str) -> str:
        return f"hd:camp:{campaign_id}:pending"

    @staticmethod
    def _beat_key(owner: str) -> str:
        return f"hd:camp:runner:{owner}"

    async def _heartbeat(self) -> None:
        if time.monotonic() - self._beat_at >= 2:
            await self._redis.set(self._beat_key(self.owner), "1", ex=HEARTBEAT_SECONDS)
            self._beat_at = time.monotonic()

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
