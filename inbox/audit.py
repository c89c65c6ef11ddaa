"""The audit log: every counsellor action (log in and out, open, claim, reply, note, label, reveal a number,
transfer, close, hand back, accounts), who did it, when and from which client address. Never the text of a
message.

The address is the request's real client address (X-Forwarded-For believed only from TRUSTED_PROXIES), bound
once per request by `at_address` (inbox/deps.py, inbox/login.py) and read here, so the actions deeper down
(inbox/service.py, broadcasts/campaigns.py) need not pass it; entries made outside a request (the campaign
scheduler) have none.

Owns the Redis key `hd:inbox:audit` (a stream); entries older than INBOX_AUDIT_DAYS are trimmed. The
supervisors' audit view reads it a page at a time (`page`), filtered by action, account or case.
"""

from __future__ import annotations

import re
import time
from contextvars import ContextVar
from typing import Any

from redis.asyncio import Redis

STREAM = "hd:inbox:audit"
PAGE_SIZE = 50
SCAN_LIMIT = 20_000  # a filtered page reads at most this many entries of the stream
_PHONE = re.compile(r"\+?\d[\d\s().-]{5,}\d")  # a number someone typed as a user name is never shown
_FILTERS = ("action", "actor", "case")
_STREAM_ID = re.compile(r"^\d{1,20}-\d{1,20}$")
_ADDRESS: ContextVar[str] = ContextVar("audit_address", default="")


def at_address(address: str) -> None:
    """Entries made from now on in this request carry this client address."""
    _ADDRESS.set(address)


class Audit:
    """Appends to and reads the audit log."""

    def __init__(self, redis: Redis, keep_days: int) -> None:
        self._redis = redis
        self._keep_ms = keep_days * 24 * 3600 * 1000

    async def log(self, actor: str, action: str, case_id: str = "", detail: str = "") -> None:
        """Record one action; `detail` names things (a centre, an outcome), never message text."""
        fields = {
            "at": str(int(time.time())),
            "actor": actor,
            "action": action,
            "case": case_id,
            "detail": detail,
            "address": _ADDRESS.get(),
        }
        min_id = f"{int(time.time() * 1000) - self._keep_ms}-0"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.xadd(STREAM, fields)
            pipe.xtrim(STREAM, minid=min_id, approximate=True)
            await pipe.execute()

    async def log_once(
        self, actor: str, action: str, case_id: str, every_seconds: int = 600, *, detail: str = "", scope: str = ""
    ) -> None:
        """Record an action at most once per period per actor and case (opening a case the page refreshes live),
        or per `scope` when given (refused logins: once a minute per client address and limit, so a flood of
        refused requests cannot fill the log).

        Uses `hd:inbox:audit:once:{action}:{case}:{actor}` or `hd:inbox:audit:once:{action}:{scope}` (expires after
        the period).
        """
        key = f"hd:inbox:audit:once:{action}:{scope or f'{case_id}:{actor}'}"
        if await self._redis.set(key, "1", nx=True, ex=every_seconds):
            await self.log(actor, action, case_id, detail)

    async def entries(self, case_id: str | None = None, count: int = 200) -> list[dict[str, str]]:
        """The newest entries first (only those about one case, if given)."""
        rows = await self._redis.xrevrange(STREAM, count=count if case_id is None else 10_000)
        out = [{k.decode(): v.decode() for k, v in fields.items()} for _, fields in rows]
        if case_id is not None:
            out = [e for e in out if e.get("case") == case_id][:count]
        return out

    async def page(
        self,
        *,
        action: str = "",
        actor: str = "",
        case_id: str = "",
        before: str = "",
        limit: int = PAGE_SIZE,
    ) -> dict[str, Any]:
        """One page of the log, newest first: entries older than the entry id `before` (the previous page's
        `next`) matching every filter given; `next` is None on the last page. The detail is shown with anything
        like a phone number as `•••` (it never holds message text)."""
        if before and not _valid_id(before):
            return {"entries": [], "next": None}
        end = f"({before}" if before else "+"
        found: list[dict[str, str]] = []
        scanned = 0
        last = ""
        while len(found) < limit and scanned < SCAN_LIMIT:
            rows = await self._redis.xrevrange(STREAM, max=end, min="-", count=500)
            for raw_id, fields in rows:
                scanned += 1
                last = raw_id.decode()
                entry = {k.decode(): v.decode() for k, v in fields.items()}
                wanted = (action, actor, case_id)
                if all(not want or entry.get(key) == want for want, key in zip(wanted, _FILTERS, strict=True)):
                    found.append(_shown(last, entry))
                    if len(found) >= limit:
                        break
            if len(rows) < 500:
                break
            end = f"({last}"
        older = bool(last) and bool(await self._redis.xrevrange(STREAM, max=f"({last}", count=1))
        next_id = last if older and (len(found) >= limit or scanned >= SCAN_LIMIT) else None
        return {"entries": found, "next": next_id}


def _valid_id(entry_id: str) -> bool:
    """A stream id Redis takes as the exclusive end of a range (two numbers under 2^64, not 0-0)."""
    if not _STREAM_ID.match(entry_id):
        return False
    ms, seq = (int(part) for part in entry_id.split("-"))
    return ms < 2**64 and seq < 2**64 and (ms, seq) != (0, 0)


def _shown(entry_id: str, entry: dict[str, str]) -> dict[str, str]:
    """An entry as the audit view shows it: who, what, which case, when, the detail (numbers hidden), address."""
    return {
        "id": entry_id,
        "at": entry.get("at", ""),
        "actor": _PHONE.sub("•••", entry.get("actor", "")),
        "action": entry.get("action", ""),
        "case": entry.get("case", ""),
        "detail": _PHONE.sub("•••", entry.get("detail", "")),
        "address": entry.get("address", ""),
    }
