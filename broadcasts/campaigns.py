"""Campaigns and their life: drafted, approved by a second person, sent now or scheduled, paused, resumed,
cancelled, done. Every step is checked here (who may, from which state) and written to the audit log.

Owns the Redis keys:
- `hd:camp:{id}`: hash of one campaign: name, state, texts (JSON, per language), fallback, buttons (JSON),
  audience (JSON filters), templates (JSON: WhatsApp Content SID and variables per language), timezone,
  created_by/at, updated_at, approved_by/at, scheduled_for, started_at, finished_at, frozen (the audience
  was fixed), audience_counts (JSON, at the start). Staff data and texts for everyone: no personal data.
- `hd:camps`: sorted set of every campaign by creation time.
- `hd:camps:due`: sorted set of scheduled campaigns by start time.
- `hd:camps:live`: set of campaigns sending or paused (the runner's work list).
States: draft → approved → scheduled | sending → paused ⇄ sending → done; cancelled from approved,
scheduled, sending or paused. Editing an approved campaign takes it back to draft (approve again).
"""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from redis.asyncio import Redis

from broadcasts.subscribers import Audience
from broadcasts.topics import BUTTON_PAYLOADS
from core.languages import LANGUAGES
from inbox.accounts import Account
from inbox.audit import Audit

MAX_TEXT = 1000  # characters of one language's text (WhatsApp allows 1600 with the lines we add)
MAX_NAME = 80
MAX_BUTTONS = 3
MAX_BUTTON_TITLE = 20  # Viber and WhatsApp option lines stay readable on a phone
CONTENT_SID = re.compile(r"^HX[0-9a-fA-F]{32}$")
DRAFTERS = ("campaigns", "supervisor", "admin")
APPROVERS = ("supervisor", "admin")
STATES = ("draft", "approved", "scheduled", "sending", "paused", "cancelled", "done")

# Change the state only from one of the allowed ones (two people pressing at once: one wins).
_MOVE = """
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return -1 end
local allowed = cjson.decode(ARGV[1])
for _, s in ipairs(allowed) do
  if s == state then
    local fields = cjson.decode(ARGV[2])
    for k, v in pairs(fields) do redis.call('HSET', KEYS[1], k, v) end
    return 1
  end
end
return 0
"""


class CampaignError(Exception):
    """A request about a campaign that cannot be done: a 4xx with a clear reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Template:
    """An approved WhatsApp template for one language: its Content SID and variables."""

    sid: str
    variables: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Campaign:
    """One campaign."""

    id: str
    name: str
    state: str
    texts: dict[str, str]
    fallback: str
    buttons: list[dict[str, Any]]
    audience: Audience
    templates: dict[str, Template]
    timezone: str
    created_by: str
    created_at: int
    approved_by: str = ""
    approved_at: int = 0
    scheduled_for: int = 0
    started_at: int = 0
    finished_at: int = 0
    frozen: bool = False
    audience_counts: dict[str, Any] = field(default_factory=dict)

    def text_for(self, language: str) -> tuple[str, str] | None:
        """(language, text) sent to someone of `language`: theirs, else the fallback's; None if neither."""
        if self.texts.get(language):
            return language, self.texts[language]
        if self.fallback and self.texts.get(self.fallback):
            return self.fallback, self.texts[self.fallback]
        return None

    def template_for(self, language: str) -> Template | None:
        """The WhatsApp template for someone of `language` (theirs, else the fallback's)."""
        return self.templates.get(language) or (self.templates.get(self.fallback) if self.fallback else None)

    def public(self) -> dict[str, Any]:
        """As JSON for the page."""
        return {
            "id": self.id,
            "name": self.name,
            "state": self.state,
            "texts": self.texts,
            "fallback": self.fallback,
            "buttons": self.buttons,
            "audience": self.audience.to_dict(),
            "templates": {k: {"sid": t.sid, "variables": t.variables} for k, t in self.templates.items()},
            "timezone": self.timezone,
            "created_by": self.created_by,
            "created_at": self.created_at,
            "approved_by": self.approved_by,
            "approved_at": self.approved_at,
            "scheduled_for": self.scheduled_for,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "audience_counts": self.audience_counts,
        }


@dataclass(frozen=True)
class Draft:
    """What staff enter: checked by `validate`."""

    name: str
    texts: dict[str, str]
    fallback: str = ""
    buttons: list[dict[str, Any]] = field(default_factory=list)
    audience: Audience = field(default_factory=Audience)
    templates: dict[str, Template] = field(default_factory=dict)
    timezone: str = "Europe/Bucharest"

    @classmethod
    def of(cls, data: dict[str, Any]) -> Draft:
        """From the page's JSON (shape errors become CampaignError 422)."""
        texts = data.get("texts") or {}
        if not isinstance(texts, dict):
            raise CampaignError(422, "texts: an object with a text per language")
        templates: dict[str, Template] = {}
        for language, raw in (data.get("templates") or {}).items():
            if not isinstance(raw, dict) or not str(raw.get("sid", "")).strip():
                continue
            variables = raw.get("variables") or {}
            if not isinstance(variables, dict) or len(variables) > 10:
                raise CampaignError(422, f"templates.{language}.variables: at most 10 named values")
            templates[str(language)] = Template(
                str(raw["sid"]).strip(), {str(k)[:10]: str(v)[:200] for k, v in variables.items()}
            )
        buttons = data.get("buttons") or []
        audience = data.get("audience") or {}
        if not isinstance(buttons, list) or not isinstance(audience, dict):
            raise CampaignError(422, "buttons: a list; audience: an object")
        return cls(
            name=str(data.get("name", "")).strip(),
            texts={str(k): str(v).strip() for k, v in texts.items() if str(v).strip()},
            fallback=str(data.get("fallback") or ""),
            buttons=[b for b in buttons if isinstance(b, dict)],
            audience=Audience.of(audience),
            templates=templates,
            timezone=str(data.get("timezone") or "Europe/Bucharest"),
        )

    def validate(self) -> None:
        """CampaignError 422 with the first problem found."""
        if not 1 <= len(self.name) <= MAX_NAME:
            raise CampaignError(422, f"name: 1 to {MAX_NAME} characters")
        self._check_texts()
        self._check_buttons()
        for language, template in self.templates.items():
            if language not in LANGUAGES:
                raise CampaignError(422, f"templates: unknown language {language!r}")
            if not CONTENT_SID.match(template.sid):
                raise CampaignError(422, f"templates.{language}.sid: a Content SID, HX and 32 hex digits")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise CampaignError(422, f"timezone: unknown time zone {self.timezone!r}") from exc

    def _check_texts(self) -> None:
        unknown = set(self.texts) - set(LANGUAGES)
        if unknown:
            raise CampaignError(422, f"texts: unknown language {sorted(unknown)[0]!r} (ro, it, es)")
        if not self.texts:
            raise CampaignError(422, "texts: the alert has no text; write it in at least one language")
        for language, text in self.texts.items():
            if len(text) > MAX_TEXT:
                raise CampaignError(422, f"texts.{language}: {len(text)} characters, at most {MAX_TEXT}")
        if self.fallback and self.fallback not in self.texts:
            raise CampaignError(422, f"fallback: there is no {self.fallback} text to fall back on")
        wanted = self.audience.language or LANGUAGES
        missing = [language for language in wanted if language not in self.texts]
        if missing and not self.fallback:
            raise CampaignError(
                422, f"texts.{missing[0]}: no text in {missing[0]} and no fallback language chosen"
            )

    def _check_buttons(self) -> None:
        if len(self.buttons) > MAX_BUTTONS:
            raise CampaignError(422, f"buttons: at most {MAX_BUTTONS}")
        for i, button in enumerate(self.buttons):
            if button.get("payload") not in BUTTON_PAYLOADS:
                raise CampaignError(422, f"buttons.{i}.payload: one of {', '.join(BUTTON_PAYLOADS)}")
            titles = button.get("titles") or {}
            for language in self.texts:
                title = str(titles.get(language, "")).strip() if isinstance(titles, dict) else ""
                if not 1 <= len(title) <= MAX_BUTTON_TITLE:
                    raise CampaignError(422, f"buttons.{i}.titles.{language}: 1 to {MAX_BUTTON_TITLE} characters")


class Campaigns:
    """Stores campaigns and moves them through their states, with the permission checks and the audit."""

    def __init__(self, redis: Redis, audit: Audit) -> None:
        self._redis = redis
        self._audit = audit
        self._move = redis.register_script(_MOVE)

    @staticmethod
    def key(campaign_id: str) -> str:
        """The hash of one campaign."""
        return f"hd:camp:{campaign_id}"

    async def get(self, campaign_id: str) -> Campaign | None:
        """A campaign, or None."""
        if not re.fullmatch(r"[0-9a-f]{12}", campaign_id):
            return None
        raw = await self._redis.hgetall(self.key(campaign_id))
        if not raw:
            return None
        f = {k.decode(): v.decode() for k, v in raw.items()}
        templates = {
            k: Template(v["sid"], dict(v.get("variables") or {}))
            for k, v in json.loads(f.get("templates", "{}")).items()
        }
        return Campaign(
            id=campaign_id,
            name=f.get("name", ""),
            state=f.get("state", "draft"),
            texts=json.loads(f.get("texts", "{}")),
            fallback=f.get("fallback", ""),
            buttons=json.loads(f.get("buttons", "[]")),
            audience=Audience.of(json.loads(f.get("audience", "{}"))),
            templates=templates,
            timezone=f.get("timezone", "Europe/Bucharest"),
            created_by=f.get("created_by", ""),
            created_at=int(f.get("created_at", "0")),
            approved_by=f.get("approved_by", ""),
            approved_at=int(f.get("approved_at", "0") or 0),
            scheduled_for=int(f.get("scheduled_for", "0") or 0),
            started_at=int(f.get("started_at", "0") or 0),
            finished_at=int(f.get("finished_at", "0") or 0),
            frozen=f.get("frozen") == "1",
            audience_counts=json.loads(f.get("audience_counts", "{}")),
        )

    async def need(self, campaign_id: str) -> Campaign:
        """A campaign, or CampaignError 404."""
        found = await self.get(campaign_id)
        if found is None:
            raise CampaignError(404, "no such campaign")
        return found

    async def all(self, count: int = 200) -> list[Campaign]:
        """The newest campaigns first."""
        ids = [i.decode() for i in await self._redis.zrevrange("hd:camps", 0, count - 1)]
        found = [await self.get(i) for i in ids]
        return [c for c in found if c]

    @staticmethod
    def _fields(draft: Draft) -> dict[str, str]:
        return {
            "name": draft.name,
            "texts": json.dumps(draft.texts, ensure_ascii=False),
            "fallback": draft.fallback,
            "buttons": json.dumps(draft.buttons, ensure_ascii=False),
            "audience": json.dumps(draft.audience.to_dict()),
            "templates": json.dumps(
                {k: {"sid": t.sid, "variables": t.variables} for k, t in draft.templates.items()},
                ensure_ascii=False,
            ),
            "timezone": draft.timezone,
            "updated_at": str(int(time.time())),
        }

    @staticmethod
    def _may_draft(account: Account) -> None:
        if account.role not in DRAFTERS:
            raise CampaignError(403, "campaigns are for campaign staff, supervisors and admins")

    async def create(self, account: Account, draft: Draft) -> Campaign:
        """A new draft."""
        self._may_draft(account)
        draft.validate()
        campaign_id = secrets.token_hex(6)
        now = int(time.time())
        fields = {**self._fields(draft), "state": "draft", "created_by": account.username, "created_at": str(now)}
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.key(campaign_id), mapping=fields)
            pipe.zadd("hd:camps", {campaign_id: now})
            await pipe.execute()
        await self._audit.log(account.username, "campaign_draft", detail=f"campaign {campaign_id}")
        return await self.need(campaign_id)

    async def edit(self, account: Account, campaign_id: str, draft: Draft) -> Campaign:
        """Change a draft (an approved campaign goes back to draft and needs approving again)."""
        self._may_draft(account)
        draft.validate()
        fields = {**self._fields(draft), "state": "draft", "approved_by": "", "approved_at": "0"}
        await self._transition(campaign_id, ("draft", "approved"), fields, "edit")
        await self._audit.log(account.username, "campaign_edit", detail=f"campaign {campaign_id}")
        return await self.need(campaign_id)

    async def approve(self, account: Account, campaign_id: str) -> Campaign:
        """A supervisor or admin other than the drafter approves a draft."""
        campaign = await self.need(campaign_id)
        if account.role not in APPROVERS:
            raise CampaignError(403, "only supervisors and admins approve campaigns")
        if account.username == campaign.created_by:
            raise CampaignError(403, "a campaign is approved by a second person, not the one who drafted it")
        Draft(
            campaign.name,
            campaign.texts,
            campaign.fallback,
            campaign.buttons,
            campaign.audience,
            campaign.templates,
            campaign.timezone,
        ).validate()
        fields = {"state": "approved", "approved_by": account.username, "approved_at": str(int(time.time()))}
        await self._transition(campaign_id, ("draft",), fields, "approve")
        await self._audit.log(account.username, "campaign_approve", detail=f"campaign {campaign_id}")
        return await self.need(campaign_id)

    async def start(self, account: Account, campaign_id: str) -> Campaign:
        """Send an approved (or scheduled) campaign now; the runner fixes its audience and feeds it."""
        self._may_draft(account)
        now = int(time.time())
        await self._transition(
            campaign_id, ("approved", "scheduled"), {"state": "sending", "started_at": str(now)}, "send"
        )
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zrem("hd:camps:due", campaign_id)
            pipe.sadd("hd:camps:live", campaign_id)
            await pipe.execute()
        await self._audit.log(account.username, "campaign_send", detail=f"campaign {campaign_id}")
        return await self.need(campaign_id)

    async def schedule(self, account: Account, campaign_id: str, at: int) -> Campaign:
        """Start an approved campaign at a time (epoch seconds) in the future."""
        self._may_draft(account)
        if at <= int(time.time()) + 30:
            raise CampaignError(422, "scheduled_for: the time is in the past (or less than a minute away)")
        if at > int(time.time()) + 366 * 24 * 3600:
            raise CampaignError(422, "scheduled_for: at most a year ahead")
        await self._transition(
            campaign_id, ("approved", "scheduled"), {"state": "scheduled", "scheduled_for": str(at)}, "schedule"
        )
        await self._redis.zadd("hd:camps:due", {campaign_id: at})
        await self._audit.log(account.username, "campaign_schedule", detail=f"campaign {campaign_id} at {at}")
        return await self.need(campaign_id)

    async def pause(self, account: Account, campaign_id: str) -> Campaign:
        """Stop feeding the outboxes (what is queued already, a few seconds' worth, still goes)."""
        self._may_draft(account)
        await self._transition(campaign_id, ("sending",), {"state": "paused"}, "pause")
        await self._audit.log(account.username, "campaign_pause", detail=f"campaign {campaign_id}")
        return await self.need(campaign_id)

    async def resume(self, account: Account, campaign_id: str) -> Campaign:
        """Go on with a paused campaign."""
        self._may_draft(account)
        await self._transition(campaign_id, ("paused",), {"state": "sending"}, "resume")
        await self._audit.log(account.username, "campaign_resume", detail=f"campaign {campaign_id}")
        return await self.need(campaign_id)

    async def cancel(self, account: Account, campaign_id: str) -> Campaign:
        """Stop for good: nobody else gets it."""
        self._may_draft(account)
        now = str(int(time.time()))
        await self._transition(
            campaign_id,
            ("approved", "scheduled", "sending", "paused"),
            {"state": "cancelled", "finished_at": now},
            "cancel",
        )
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zrem("hd:camps:due", campaign_id)
            pipe.srem("hd:camps:live", campaign_id)
            await pipe.execute()
        await self._audit.log(account.username, "campaign_cancel", detail=f"campaign {campaign_id}")
        return await self.need(campaign_id)

    async def due(self, now: int) -> list[str]:
        """Scheduled campaigns whose time has come."""
        return [i.decode() for i in await self._redis.zrangebyscore("hd:camps:due", "-inf", now)]

    async def start_scheduled(self, campaign_id: str) -> bool:
        """The runner starts a scheduled campaign at its time (once, whoever is first)."""
        now = str(int(time.time()))
        moved = await self._move(
            keys=[self.key(campaign_id)],
            args=[json.dumps(["scheduled"]), json.dumps({"state": "sending", "started_at": now})],
        )
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zrem("hd:camps:due", campaign_id)
            if int(moved) == 1:
                pipe.sadd("hd:camps:live", campaign_id)
            await pipe.execute()
        if int(moved) == 1:
            await self._audit.log("scheduler", "campaign_started", detail=f"campaign {campaign_id}")
        return int(moved) == 1

    async def finish(self, campaign_id: str) -> bool:
        """The runner found nobody left to send to: done (once)."""
        now = str(int(time.time()))
        moved = await self._move(
            keys=[self.key(campaign_id)],
            args=[json.dumps(["sending"]), json.dumps({"state": "done", "finished_at": now})],
        )
        if int(moved) == 1:
            await self._redis.srem("hd:camps:live", campaign_id)
            await self._audit.log("runner", "campaign_done", detail=f"campaign {campaign_id}")
        return int(moved) == 1

    async def live(self) -> list[str]:
        """Campaigns sending or paused."""
        return sorted(i.decode() for i in await self._redis.smembers("hd:camps:live"))

    async def _transition(
        self, campaign_id: str, allowed: tuple[str, ...], fields: dict[str, str], what: str
    ) -> None:
        campaign = await self.need(campaign_id)
        moved = int(
            await self._move(keys=[self.key(campaign_id)], args=[json.dumps(list(allowed)), json.dumps(fields)])
        )
        if moved != 1:
            raise CampaignError(409, f"cannot {what} a campaign that is {campaign.state}")
