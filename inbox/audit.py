"""The audit log: every counsellor action (log in and out, open, claim, reply, note, label, reveal a number,
transfer, close, hand back, accounts), who did it, when and from which client address. Never the text of a
message.

The address is the request's real client address (X-Forwarded-For believed only from TRUSTED_PROXIES), bound
once per request by `at_address` (inbox/deps.py, inbox/login.py) and read here, so the actions deeper down
(inbox/service.py, broadcasts/campaigns.py) need not pass it; entries made outside a request (the campaign
scheduler) have none.

Owns the Redis key `hd:inbox:audit` (a stream); entries older than INBOX_AUDIT_DAYS are trimmed.
"""

from __future__ import annotations

import time
from contextvars import ContextVar

from redis.asyncio import Redis

STREAM = "hd:inbox:audit"
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
