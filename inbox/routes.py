"""The inbox's pages and JSON API under `/inbox` (an APIRouter included by gateway/app.py). Routes stay thin:
they declare the session, CSRF token and role they need (inbox/deps.py), then call inbox/service.py.

Pages: `GET /inbox/login`, `POST /inbox/login`, `POST /inbox/logout`, `GET /inbox` (the app), `GET /inbox/assets/*`
(script and style, public), `GET /inbox/locales/{language}.json` (the page's texts, public). API: `/inbox/api/...`
(see docs/inbox.md). Anonymous requests get 401 (pages: a redirect to the login page), wrong roles 403, changes
without the CSRF token 403. A refused action answers `{"detail", "code", "params"}`: the page says `code` in the
counsellor's language (`errors.*` in inbox/locales/).
"""

from __future__ import annotations

import asyncio
import html
import re
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from string import Template
from typing import Any, TypeVar
from urllib.parse import parse_qs

import yaml
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field

from core.api_errors import STORE, DetailOut, InvalidOut, RefusalOut, responses
from inbox.accounts import ROLES, AccountError
from inbox.audit import PAGE_SIZE
from inbox.deps import (
    AdminChanger,
    AdminReader,
    AuditReader,
    CaseReader,
    Changer,
    Reader,
    services_of,
    session_of,
)
from inbox.i18n import languages, locale, pick, text
from inbox.login import log_in
from inbox.service import InboxError
from inbox.sessions import COOKIE, LOGIN_COOKIE, same
from knowledge.cards import knowledge
from knowledge.page import page as review_page

STATIC = Path(__file__).parent / "static"
LOCALES = Path(__file__).parent / "locales"
LANGUAGE_COOKIE = "hd_inbox_lang"  # the language of the login page: the last one chosen or logged in with
CANNED = Path(__file__).parent / "data" / "canned.yml"
_EVENT_ID = re.compile(r"^\d+-\d+$")
_STREAM_SECONDS = 20  # an event stream ends after this; the page reconnects with Last-Event-ID
_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class _Route(APIRoute):
    """A route that answers a refused action (InboxError) with its reason for people (`detail`, English, as
    before) and for the page (`code` and `params`, said in the counsellor's language)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except InboxError as exc:
                body = {"detail": exc.reason, "code": exc.code, "params": exc.params}
                return JSONResponse(body, exc.status, headers={"Cache-Control": "no-store"})

        return handle


router = APIRouter(prefix="/inbox", route_class=_Route, responses=responses({401: DetailOut, **STORE}))
# What the API's routes answer besides 200, 401, 413 and 503 (/openapi.json): a role or CSRF refusal is
# {"detail"}, a refused action {"detail", "code", "params"}, FastAPI's own 422 {"detail": [...]}.
_CHANGE = responses({403: DetailOut | RefusalOut, 404: RefusalOut, 409: RefusalOut, 422: InvalidOut | RefusalOut})
_WRITE = {**responses({400: DetailOut}), **_CHANGE}  # a change with a body: 400 when it cannot be read as JSON
_SEE = responses({403: RefusalOut, 404: RefusalOut})
T = TypeVar("T")


def _page(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(body, status, headers=_SECURITY_HEADERS)


def _set_cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/inbox",
        httponly=True,
        samesite="strict",
        secure=services_of(request).sessions.secure,
    )


async def _json(call: Awaitable[T]) -> T:
    """The result of a service call; its InboxError is answered by the route (`_Route`)."""
    return await call


def _language(request: Request) -> str:
    """The login page's language: `?lang=`, else the last one chosen on this browser, else the default."""
    asked = request.query_params.get("lang") or request.cookies.get(LANGUAGE_COOKIE)
    return pick(asked)


# Pages -----------------------------------------------------------------------------------------------------


def _login_page(request: Request, language: str, error: str = "", status: int = 200) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    template = Template((STATIC / "login.html").read_text(encoding="utf-8"))
    words = {key: html.escape(value) for key, value in locale(language)["login"].items()}
    others = [
        f'<a href="/inbox/login?lang={other}" hreflang="{other}" lang="{other}">'
        f"{html.escape(locale(other)['meta']['name'])}</a>"
        for other in languages()
        if other != language
    ]
    body = template.substitute(
        words,
        lang=language,
        csrf=token,
        error=f'<p class="error" role="alert">{html.escape(error)}</p>' if error else "",
        languages=" ".join(others),
    )
    response = _page(body, status)
    _set_cookie(response, request, LOGIN_COOKIE, token, 3600)
    _set_cookie(response, request, LANGUAGE_COOKIE, language, 365 * 24 * 3600)
    return response


@router.get("/login", include_in_schema=False)
async def login_page(request: Request) -> Response:
    """The login form."""
    if await session_of(request):
        return RedirectResponse("/inbox", 303)
    return _login_page(request, _language(request))


@router.post("/login", include_in_schema=False)
async def login(request: Request) -> Response:
    """Check the form (CSRF token, login limiter, password) and start a new session (inbox/login.py)."""
    services = services_of(request)
    language = _language(request)
    result = await log_in(services, request, session_cookie=COOKIE, language=language)
    if not result.token:
        response = _login_page(request, language, result.error, result.status)
        if result.retry_after:
            response.headers["Retry-After"] = str(result.retry_after)
        return response
    response = RedirectResponse("/inbox", 303, headers=_SECURITY_HEADERS)
    _set_cookie(response, request, COOKIE, result.token, services.sessions.ttl)
    if result.account:
        _set_cookie(response, request, LANGUAGE_COOKIE, result.account.language, 365 * 24 * 3600)
    response.delete_cookie(LOGIN_COOKIE, path="/inbox")
    return response


@router.post("/logout", include_in_schema=False)
async def logout(request: Request) -> Response:
    """End the session (CSRF token in the header or the form)."""
    found = await session_of(request)
    if found is None:
        raise HTTPException(401, "log in first")
    sent = request.headers.get("x-csrf-token", "")
    if not sent:
        sent = parse_qs((await request.body())[:1024].decode(errors="replace")).get("csrf", [""])[0]
    if not same(sent, found[1].csrf):
        raise HTTPException(403, "missing or wrong CSRF token")
    await services_of(request).sessions.end(request.cookies.get(COOKIE, ""))
    await services_of(request).audit.log(found[0].username, "logout")
    response = RedirectResponse("/inbox/login", 303)
    response.delete_cookie(COOKIE, path="/inbox")
    return response


@router.get("", include_in_schema=False)
async def inbox_page(request: Request) -> Response:
    """The inbox app (logged in), else the login page."""
    found = await session_of(request)
    if found is None:
        return RedirectResponse("/inbox/login", 303)
    if found[0].role == "campaigns":
        words = html.escape(text(found[0].language, "login.campaigns_only"))
        return _page(f"<!doctype html><title>Inbox</title><p>{words}</p>", 403)
    return _page((STATIC / "inbox.html").read_text(encoding="utf-8"))


@router.get("/knowledge", include_in_schema=False)
async def knowledge_review(request: Request) -> Response:
    """Every answer of the assistant side by side in ro/it/es with sources and dates, for staff (logged in)."""
    found = await session_of(request)
    if found is None:
        return RedirectResponse("/inbox/login", 303)
    # The page is one self-contained file: its style is inline, and it has no script at all. Its own words are in
    # the account's language (Romanian unless it chose another), the answers in all three.
    texts = locale(found[0].language)
    words = {**texts["knowledge"], "lang": pick(found[0].language)}
    words |= {"languages": texts["languages"], "countries": texts["countries"]}
    headers = {**_SECURITY_HEADERS, "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"}
    return HTMLResponse(review_page(knowledge(), words), headers=headers)


@router.get("/assets/{name}", include_in_schema=False)
async def asset(name: str) -> FileResponse:
    """The inbox's script and style sheet (no data in them)."""
    types = {"inbox.js": "text/javascript", "inbox.css": "text/css"}
    if name not in types:
        raise HTTPException(404, "no such file")
    return FileResponse(STATIC / name, media_type=f"{types[name]}; charset=utf-8", headers=_SECURITY_HEADERS)


@router.get("/locales/{name}", include_in_schema=False)
async def locale_file(name: str) -> FileResponse:
    """The texts of one language of the page, `ro.json`, `en.json` (public, no data; inbox/i18n.py)."""
    if name.removesuffix(".json") not in languages() or not name.endswith(".json"):
        raise HTTPException(404, "no such file")
    return FileResponse(LOCALES / name, media_type="application/json; charset=utf-8", headers=_SECURITY_HEADERS)


# API -------------------------------------------------------------------------------------------------------


def _api(data: object, status: int = 200) -> JSONResponse:
    return JSONResponse(data, status, headers={"Cache-Control": "no-store"})


@router.get("/api/me")
async def me(request: Request, account: Reader) -> JSONResponse:
    """Who is logged in, the CSRF token for changes, and the centres."""
    found = await session_of(request)
    assert found
    centres = [{"id": c.id, "name": c.name} for c in services_of(request).centres.all()]
    body = {**account.public(), "csrf": found[1].csrf, "centres": centres, "roles": list(ROLES)}
    return _api({**body, "languages": list(languages())})


class LanguageIn(BaseModel):
    """The language of one's inbox."""

    language: str = Field(max_length=10)


@router.post(
    "/api/me/language", responses=responses({400: DetailOut, 403: DetailOut, 422: InvalidOut | RefusalOut})
)
async def choose_language(request: Request, body: LanguageIn, account: Changer) -> JSONResponse:
    """Choose the language of one's own inbox (kept on the account; the login page follows it on this browser)."""
    try:
        await services_of(request).accounts.set_language(account.username, body.language)
    except AccountError as exc:
        raise InboxError(422, str(exc), exc.code, **exc.params) from exc
    await services_of(request).audit.log(account.username, "language", detail=body.language)
    response = _api({"language": body.language})
    _set_cookie(response, request, LANGUAGE_COOKIE, body.language, 365 * 24 * 3600)
    return response


@router.get("/api/centres")
async def centres(request: Request, account: Reader) -> JSONResponse:
    """The centres of the data file: hours, languages, contacts, whether open now."""
    at = datetime.now(UTC)
    out = []
    for c in services_of(request).centres.all():
        hours = {day: [f"{s:%H:%M}-{e:%H:%M}" for s, e in ranges] for day, ranges in c.hours.items()}
        out.append(
            {
                "id": c.id,
                "name": c.name,
                "country": c.country,
                "timezone": c.timezone,
                "languages": list(c.languages),
                "hours": hours,
                "contacts": c.contacts,
                "open_now": c.is_open(at),
                "default": c.id == services_of(request).centres.default.id,
            }
        )
    return _api({"centres": out})


@router.get("/api/queue", responses=responses({403: RefusalOut, 422: InvalidOut}))
async def queue(
    request: Request, account: Reader, centre: str | None = Query(default=None, max_length=40)
) -> JSONResponse:
    """Open cases: urgent first, then by waiting time."""
    return _api(await _json(services_of(request).inbox.queue(account, centre)))


@router.get("/api/search", responses=responses({403: RefusalOut, 422: InvalidOut}))
async def search(request: Request, account: Reader, q: str = Query(min_length=1, max_length=100)) -> JSONResponse:
    """Open and recent cases whose messages, notes, labels, origin or counsellor hold every word of `q`."""
    return _api(await _json(services_of(request).inbox.search(account, q)))


@router.get("/api/cases/{case_id}", responses=_SEE)
async def case(request: Request, case_id: str, account: Reader) -> JSONResponse:
    """One case with its timeline."""
    return _api(await _json(services_of(request).inbox.case(account, case_id)))


class TextIn(BaseModel):
    """A reply or a note."""

    text: str = Field(min_length=1, max_length=4000)


class LabelsIn(BaseModel):
    """The labels of a case."""

    labels: list[str] = Field(max_length=20)


class TransferIn(BaseModel):
    """Where a case goes: a centre, or a counsellor."""

    centre: str = Field(default="", max_length=40)
    counsellor: str = Field(default="", max_length=40)
    reason: str = Field(default="", max_length=300)  # why (added, issue 12): kept in the case's timeline


class CloseIn(BaseModel):
    """How a case ended."""

    outcome: str = Field(max_length=30)


@router.post("/api/cases/{case_id}/claim", responses=_CHANGE)
async def claim(request: Request, case_id: str, account: Changer) -> JSONResponse:
    """Claim the case, or renew one's claim (409 if a colleague holds it)."""
    return _api(await _json(services_of(request).inbox.claim(account, case_id)))


@router.post("/api/cases/{case_id}/reply", responses=_WRITE)
async def reply(request: Request, case_id: str, body: TextIn, account: Changer) -> JSONResponse:
    """Send a reply to the user on their channel."""
    await _json(services_of(request).inbox.reply(account, case_id, body.text))
    return _api({"sent": True})


@router.post("/api/cases/{case_id}/template", responses=_CHANGE)
async def template(request: Request, case_id: str, account: Changer) -> JSONResponse:
    """Send the approved WhatsApp template (outside the 24-hour window)."""
    await _json(services_of(request).inbox.send_template(account, case_id))
    return _api({"sent": True})


@router.post("/api/cases/{case_id}/note", responses=_WRITE)
async def note(request: Request, case_id: str, body: TextIn, account: Changer) -> JSONResponse:
    """Add a private note."""
    await _json(services_of(request).inbox.note(account, case_id, body.text))
    return _api({"saved": True})


@router.post("/api/cases/{case_id}/labels", responses=_WRITE)
async def labels(request: Request, case_id: str, body: LabelsIn, account: Changer) -> JSONResponse:
    """Set the labels."""
    return _api({"labels": await _json(services_of(request).inbox.label(account, case_id, body.labels))})


@router.post("/api/cases/{case_id}/transfer", responses=_WRITE)
async def transfer(request: Request, case_id: str, body: TransferIn, account: Changer) -> JSONResponse:
    """Transfer to another centre or counsellor."""
    await _json(services_of(request).inbox.transfer(account, case_id, body.centre, body.counsellor, body.reason))
    return _api({"transferred": True})


@router.post("/api/cases/{case_id}/close", responses=_WRITE)
async def close(request: Request, case_id: str, body: CloseIn, account: Changer) -> JSONResponse:
    """Close with an outcome; the bot answers the user again."""
    await _json(services_of(request).inbox.close(account, case_id, body.outcome))
    return _api({"closed": True})


@router.post("/api/cases/{case_id}/handback", responses=_CHANGE)
async def handback(request: Request, case_id: str, account: Changer) -> JSONResponse:
    """Hand the conversation back to the bot."""
    await _json(services_of(request).inbox.close(account, case_id, "", hand_back=True))
    return _api({"closed": True})


@router.post("/api/cases/{case_id}/reveal", responses=_CHANGE)
async def reveal(request: Request, case_id: str, account: Changer) -> JSONResponse:
    """The full number (logged in the audit log)."""
    return _api({"user": await _json(services_of(request).inbox.reveal(account, case_id))})


@router.get("/api/canned", responses=responses({403: DetailOut, 422: InvalidOut}))
async def canned(account: CaseReader, language: str = Query(default="ro", pattern="^(ro|it|es)$")) -> JSONResponse:
    """The canned replies of a language."""
    data = yaml.safe_load(CANNED.read_text(encoding="utf-8"))
    return _api({"language": language, "replies": data.get(language, [])})


@router.get("/api/figures", responses=responses({403: RefusalOut, 422: InvalidOut}))
async def figures(
    request: Request,
    account: Reader,
    days: int = Query(default=30, ge=1, le=365),
    since: int | None = Query(default=None, ge=0, le=4_102_444_800),
) -> JSONResponse:
    """Supervisors: waiting cases, times to first response and to close, per centre, language and topic; of the
    last `days` days, or since `since` (Unix seconds; the page's "today" is the browser's midnight)."""
    return _api(await _json(services_of(request).inbox.figures(account, days, since)))


@router.get("/api/audit", responses=responses({403: DetailOut, 422: InvalidOut}))
async def audit(
    request: Request,
    account: AuditReader,
    *,
    case: str = Query(default="", max_length=40),
    action: str = Query(default="", max_length=40),
    actor: str = Query(default="", max_length=40),
    before: str = Query(default="", max_length=45),
    limit: int = Query(default=PAGE_SIZE, ge=1, le=200),
) -> JSONResponse:
    """Supervisors and admins: the audit log, newest first, a page at a time (`before` = the last page's
    `next`), filtered by action, account (`actor`) and case; never message text or a phone number."""
    services = services_of(request)
    found = await services.audit.page(action=action, actor=actor, case_id=case, before=before, limit=limit)
    return _api({**found, "names": await services.accounts.names()})


@router.post("/api/presence/leave", responses=responses({403: DetailOut}))
async def leave(request: Request, account: CaseReader) -> JSONResponse:
    """The page is closing (navigator.sendBeacon on pagehide): off duty at once. A beacon cannot send headers,
    so the CSRF token comes in the form body (`csrf=`) or the header."""
    found = await session_of(request)
    assert found
    sent = request.headers.get("x-csrf-token", "")
    if not sent:
        sent = parse_qs((await request.body())[:1024].decode(errors="replace")).get("csrf", [""])[0]
    if not same(sent, found[1].csrf):
        raise HTTPException(403, "missing or wrong CSRF token")
    await services_of(request).inbox.presence.leave(account.username)
    return _api({"on_duty": False})


@router.get(
    "/api/events",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}},
        **responses({403: DetailOut}),
    },
)
async def events(request: Request, account: CaseReader) -> StreamingResponse:
    """Server-sent events: a case arrives, a message comes in, a colleague claims, a case changes."""
    services = services_of(request)
    last = request.headers.get("last-event-id", "")
    start = last if _EVENT_ID.match(last) else await services.events.last_id()

    async def stream() -> AsyncIterator[str]:
        after = start
        presence = services.inbox.presence
        yield "retry: 1000\n\n"
        deadline = time.monotonic() + _STREAM_SECONDS
        while time.monotonic() < deadline and not await request.is_disconnected():
            if await session_of(request) is None:
                return
            await presence.beat(account.username)  # on duty: the inbox is open
            for event in await services.events.read(after, 2000):
                after = event.id
                visible = account.may_see_centre(event.centre) or (
                    event.previous_centre and account.may_see_centre(event.previous_centre)
                )
                if visible:
                    yield f"id: {event.id}\nevent: {event.type}\ndata: {event.json()}\n\n"
            yield f"id: {after}\n: alive\n\n" if after != "0-0" else ": alive\n\n"
            await asyncio.sleep(0)

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)


# Accounts (admins) -----------------------------------------------------------------------------------------


class AccountIn(BaseModel):
    """A new account."""

    username: str = Field(min_length=2, max_length=40)
    name: str = Field(default="", max_length=80)
    role: str = Field(max_length=20)
    centre: str = Field(default="", max_length=40)
    password: str = Field(min_length=10, max_length=200)
    language: str = Field(default="", max_length=10)


class ActiveIn(BaseModel):
    """Enable or disable an account."""

    active: bool


@router.get("/api/users", responses=responses({403: DetailOut}))
async def users(request: Request, account: AdminReader) -> JSONResponse:
    """Admins: every account."""
    found = await services_of(request).accounts.all()
    return _api({"users": [{**a.public(), "active": a.active} for a in found]})


@router.get("/api/counsellors", responses=responses({403: DetailOut | RefusalOut, 422: InvalidOut}))
async def counsellors(request: Request, account: CaseReader, centre: str = Query(max_length=40)) -> JSONResponse:
    """The active counsellors of a centre (for transfers): a counsellor's own centre only, any for supervisors."""
    if not account.may_see_centre(centre):
        raise InboxError(403, "counsellors see the colleagues of their own centre", "own_colleagues")
    found = await services_of(request).accounts.of_centre(centre)
    return _api({"counsellors": [{"username": a.username, "name": a.name} for a in found]})


@router.post(
    "/api/users",
    status_code=201,
    responses=responses({400: DetailOut, 403: DetailOut, 422: InvalidOut | RefusalOut}),
)
async def add_user(request: Request, body: AccountIn, account: AdminChanger) -> JSONResponse:
    """Admins: create an account."""
    services = services_of(request)
    try:
        created = await services.accounts.add(
            body.username,
            body.password,
            role=body.role,
            centre=body.centre,
            name=body.name,
            centres=set(services.centres.by_id),
            language=pick(body.language),
        )
    except AccountError as exc:
        raise InboxError(422, str(exc), exc.code, **exc.params) from exc
    await services.audit.log(account.username, "user_add", detail=f"{created.username} {created.role}")
    return _api(created.public(), 201)


@router.post(
    "/api/users/{username}/active",
    responses=responses({400: DetailOut, 403: DetailOut, 404: RefusalOut, 422: InvalidOut}),
)
async def set_active(request: Request, username: str, body: ActiveIn, account: AdminChanger) -> JSONResponse:
    """Admins: enable or disable an account."""
    try:
        await services_of(request).accounts.set_active(username, body.active)
    except AccountError as exc:
        raise InboxError(404, str(exc), exc.code, **exc.params) from exc
    await services_of(request).audit.log(account.username, "user_active", detail=f"{username} {body.active}")
    return _api({"username": username, "active": body.active})
