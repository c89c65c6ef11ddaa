"""Logging in, shared by the inbox (`/inbox/login`) and the campaigns page (`/campaigns/login`): the form's
CSRF token, the login limiter, the password check off the event loop, a new session, the audit entries.
Each page renders its own form and sets its own cookie with the result."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs

from fastapi import Request

from inbox.accounts import Account
from inbox.audit import at_address
from inbox.deps import client_address
from inbox.i18n import text
from inbox.login_limit import bucket, limiter_key
from inbox.sessions import LOGIN_COOKIE, same
from inbox.wiring import HandoffServices

_MAX_FORM = 4096


@dataclass(frozen=True)
class Login:
    """How a login went: a session token (status 303), or the page's error, its status and Retry-After."""

    status: int
    token: str = ""
    account: Account | None = None
    error: str = ""
    retry_after: int = 0


async def log_in(
    services: HandoffServices, request: Request, *, session_cookie: str, place: str = "", language: str = "en"
) -> Login:
    """Check the posted form and start a new session (the one of `session_cookie` ends); `place` goes into the
    audit entries' detail (`campaigns`, or nothing for the inbox); the error is in `language` (inbox/locales/,
    `login.*`; the campaigns page's errors stay English)."""
    body = (await request.body())[:_MAX_FORM].decode(errors="replace")
    form = {k: v[0] for k, v in parse_qs(body).items()}
    if not same(form.get("csrf", ""), request.cookies.get(LOGIN_COOKIE, "")):
        return Login(403, error=text(language, "login.expired"))
    username = form.get("username", "").strip().lower()[:40]
    address = client_address(request)
    at_address(address)
    verdict = await services.limiter.admit(username, address)
    if not verdict.allowed:
        scope = f"{verdict.limit}:{bucket(address) if verdict.limit == 'address' else limiter_key(username)}"
        detail = " ".join(filter(None, [place, verdict.limit]))
        await services.audit.log_once(username or "-", "login_limited", "", 60, detail=detail, scope=scope)
        minutes = max(1, -(-verdict.retry_after // 60))
        error = text(language, f"login.wait_{verdict.limit}", seconds=verdict.retry_after, minutes=minutes)
        return Login(429, error=error, retry_after=verdict.retry_after)
    account = await services.accounts.check(username, form.get("password", "")[:1024])
    if account is None:
        await services.limiter.failed(username)
        await services.audit.log(username or "-", "login_failed", detail=place)
        return Login(401, error=text(language, "login.wrong"))
    await services.limiter.succeeded(username, address)
    token, _ = await services.sessions.start(
        account.username, account.generation, request.cookies.get(session_cookie, "")
    )
    await services.audit.log(account.username, "login", detail=place)
    return Login(303, token=token, account=account)
