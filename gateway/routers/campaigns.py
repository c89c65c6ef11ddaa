"""The campaigns page and its JSON API under `/campaigns` (thin: the work is in broadcasts/).

Staff log in here with their inbox account (`/campaigns/login`; cookie `hd_campaigns`, Path=/campaigns, the
inbox's login (inbox/login.py: CSRF token, login limiter, password check), sessions and audit log). Campaign
staff, supervisors and admins see the page; counsellors get 403. Drafting: campaign staff, supervisors, admins;
approving: a supervisor or an admin other than the drafter (broadcasts/campaigns.py). Anonymous API calls get
401, changes without the CSRF token 403.
"""

from __future__ import annotations

import html
import secrets
from collections.abc import Awaitable
from datetime import datetime
from pathlib import Path
from string import Template
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Body, Depends, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response

from broadcasts.campaigns import DRAFTERS, MAX_BUTTONS, MAX_TEXT, CampaignError, Draft
from broadcasts.i18n import LOCALES, languages, locale, pick
from broadcasts.message import footer
from broadcasts.report import as_csv, progress
from broadcasts.subscribers import Audience, split_member
from broadcasts.topics import BUTTON_PAYLOADS, CHANNELS, TOPICS
from core.api_errors import STORE, DetailOut, InvalidOut, responses
from core.languages import LANGUAGES
from gateway.services import Services
from inbox.accounts import Account, AccountError
from inbox.deps import active_session
from inbox.i18n import text
from inbox.login import log_in
from inbox.sessions import LOGIN_COOKIE, Session, same
from knowledge.cards import COUNTRIES

STATIC = Path(__file__).resolve().parent.parent.parent / "broadcasts" / "static"
COOKIE = "hd_campaigns"
LANGUAGE_COOKIE = "hd_campaigns_lang"  # the login page's language: the last one chosen or logged in with
LIMITS = {"whatsapp": 1600, "telegram": 4096, "viber": 7000, "sms": 1600}
_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

router = APIRouter(prefix="/campaigns", responses=responses({401: DetailOut, 403: DetailOut, **STORE}))
# What the API's routes answer besides 200, 401, 403, 413 and 503 (/openapi.json); every error is {"detail"}
# but FastAPI's own 422, {"detail": [...]}; 400 a body that is not JSON.
_FOUND = responses({404: DetailOut})
_CHANGE = responses({400: DetailOut, 404: DetailOut, 409: DetailOut, 422: DetailOut | InvalidOut})
T = TypeVar("T")


def _services(request: Request) -> Services:
    return request.app.state.services


async def _session(request: Request) -> tuple[Account, Session] | None:
    return await active_session(_services(request).handoff, request, COOKIE)


async def reader(request: Request) -> Account:
    """A logged-in account that works with campaigns (401 anonymous, 403 counsellors)."""
    found = await _session(request)
    if found is None:
        raise HTTPException(401, "log in first")
    if found[0].role not in DRAFTERS:
        raise HTTPException(403, "campaigns are for campaign staff, supervisors and admins")
    return found[0]


async def changer(request: Request) -> Account:
    """The same, changing something: the CSRF header must match."""
    account = await reader(request)
    found = await _session(request)
    assert found
    if not same(request.headers.get("x-csrf-token", ""), found[1].csrf):
        raise HTTPException(403, "missing or wrong CSRF token")
    return account


Reader = Annotated[Account, Depends(reader)]
Changer = Annotated[Account, Depends(changer)]
JsonBody = Annotated[dict[str, Any], Body()]


def _api(data: object, status: int = 200) -> JSONResponse:
    return JSONResponse(data, status, headers={"Cache-Control": "no-store"})


async def _do(call: Awaitable[T]) -> T:
    try:
        return await call
    except CampaignError as exc:
        raise HTTPException(exc.status, exc.reason) from exc


def _cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    secure = _services(request).handoff.sessions.secure
    response.set_cookie(
        name, value, max_age=max_age, path="/campaigns", httponly=True, samesite="strict", secure=secure
    )


# Pages -----------------------------------------------------------------------------------------------------


def _language(request: Request) -> str:
    """The login page's language: `?lang=`, else the one last used on this browser, else Romanian."""
    return pick(request.query_params.get("lang") or request.cookies.get(LANGUAGE_COOKIE))


def _login_page(request: Request, language: str, error: str = "", status: int = 200) -> HTMLResponse:
    """The login form in `language` (broadcasts/locales/), with links to the other languages."""
    token = secrets.token_urlsafe(24)
    words = {key: html.escape(value) for key, value in locale(language)["login"].items()}
    others = [
        f'<a href="/campaigns/login?lang={other}" hreflang="{other}" lang="{other}">'
        f"{html.escape(locale(other)['meta']['name'])}</a>"
        for other in languages()
        if other != language
    ]
    body = Template((STATIC / "login.html").read_text(encoding="utf-8")).substitute(
        words,
        lang=language,
        csrf=token,
        error=f'<p class="error" role="alert">{html.escape(error)}</p>' if error else "",
        languages=" ".join(others),
    )
    response = HTMLResponse(body, status, headers=_HEADERS)
    _cookie(response, request, LOGIN_COOKIE, token, 3600)
    _cookie(response, request, LANGUAGE_COOKIE, language, 365 * 24 * 3600)
    return response


@router.get("/login", include_in_schema=False)
async def login_page(request: Request) -> Response:
    """The login form."""
    return _login_page(request, _language(request))


@router.post("/login", include_in_schema=False)
async def login(request: Request) -> Response:
    """Check the form (CSRF token, login limiter, password) and start a new session (inbox/login.py); the errors
    are in the login page's language, and after a login the page remembers the account's."""
    handoff = _services(request).handoff
    language = _language(request)
    result = await log_in(handoff, request, session_cookie=COOKIE, place="campaigns", language=language)
    if not result.token:
        response = _login_page(request, language, result.error, result.status)
        if result.retry_after:
            response.headers["Retry-After"] = str(result.retry_after)
        return response
    response = RedirectResponse("/campaigns", 303, headers=_HEADERS)
    _cookie(response, request, COOKIE, result.token, handoff.sessions.ttl)
    if result.account:
        _cookie(response, request, LANGUAGE_COOKIE, result.account.language, 365 * 24 * 3600)
    response.delete_cookie(LOGIN_COOKIE, path="/campaigns")
    return response


@router.get("", include_in_schema=False)
async def page(request: Request) -> Response:
    """The campaigns app (logged in), else the login page."""
    found = await _session(request)
    if found is None:
        return RedirectResponse("/campaigns/login", 303)
    if found[0].role not in DRAFTERS:
        words = html.escape(text(found[0].language, "login.drafters_only"))
        return HTMLResponse(f"<!doctype html><title>Campaigns</title><p>{words}</p>", 403)
    return HTMLResponse((STATIC / "campaigns.html").read_text(encoding="utf-8"), headers=_HEADERS)


@router.get("/locales/{name}", include_in_schema=False)
async def locale_file(name: str) -> FileResponse:
    """The page's texts in one language, `ro.json`, `en.json` (public, no data; broadcasts/i18n.py)."""
    if not name.endswith(".json") or name.removesuffix(".json") not in languages():
        raise HTTPException(404, "no such file")
    return FileResponse(LOCALES / name, media_type="application/json; charset=utf-8", headers=_HEADERS)


@router.get("/assets/{name}", include_in_schema=False)
async def asset(name: str) -> FileResponse:
    """The page's script and style (no data in them)."""
    types = {"campaigns.js": "text/javascript", "campaigns.css": "text/css"}
    if name not in types:
        raise HTTPException(404, "no such file")
    return FileResponse(STATIC / name, media_type=f"{types[name]}; charset=utf-8", headers=_HEADERS)


# API -------------------------------------------------------------------------------------------------------


@router.get("/api/me")
async def me(request: Request, account: Reader) -> JSONResponse:
    """Who is logged in, the CSRF token, and what the form offers (filters, payloads, limits, lines added)."""
    services = _services(request)
    found = await _session(request)
    assert found
    recognition = services.settings.broadcast_recognition
    return _api(
        {
            **account.public(),
            "csrf": found[1].csrf,
            "languages": list(LANGUAGES),
            "ui_languages": list(languages()),  # the page's own languages (broadcasts/locales/)
            "channels": [c for c in CHANNELS if c in services.channels],
            "topics": list(TOPICS),
            "countries": list(COUNTRIES),
            "centres": [{"id": c.id, "name": c.name} for c in services.handoff.centres.all()],
            "payloads": list(BUTTON_PAYLOADS),
            "limits": LIMITS,
            "max_text": MAX_TEXT,
            "max_buttons": MAX_BUTTONS,
            "footer": {language: footer(language, recognition) for language in LANGUAGES},
        }
    )


@router.post("/api/me/language", responses=_CHANGE)
async def choose_language(request: Request, body: JsonBody, account: Changer) -> JSONResponse:
    """Choose the language of one's campaigns page, {"language": "ro" | "en"}: kept on the account (the inbox's
    too: one account, one language), and by this browser's login page."""
    language = body.get("language")
    if not isinstance(language, str) or language not in languages():
        raise HTTPException(422, f"language: one of {', '.join(languages())}")
    handoff = _services(request).handoff
    try:
        await handoff.accounts.set_language(account.username, language)
    except AccountError as exc:
        raise HTTPException(422, str(exc)) from exc
    await handoff.audit.log(account.username, "language", detail=language)
    response = _api({"language": language})
    _cookie(response, request, LANGUAGE_COOKIE, language, 365 * 24 * 3600)
    return response


@router.get("/api/campaigns")
async def campaigns(request: Request, account: Reader) -> JSONResponse:
    """Every campaign, newest first."""
    return _api({"campaigns": [c.public() for c in await _services(request).broadcasts.campaigns.all()]})


@router.post("/api/campaigns", status_code=201, responses=responses({400: DetailOut, 422: DetailOut | InvalidOut}))
async def create(request: Request, body: JsonBody, account: Changer) -> JSONResponse:
    """A new draft."""
    found = await _do(_services(request).broadcasts.campaigns.create(account, await _do(_draft(body))))
    return _api(found.public(), 201)


async def _draft(body: dict[str, Any]) -> Draft:
    return Draft.of(body)


@router.get("/api/campaigns/{campaign_id}", responses=_FOUND)
async def campaign(request: Request, campaign_id: str, account: Reader) -> JSONResponse:
    """One campaign."""
    return _api((await _do(_services(request).broadcasts.campaigns.need(campaign_id))).public())


@router.put("/api/campaigns/{campaign_id}", responses=_CHANGE)
async def edit(request: Request, campaign_id: str, body: JsonBody, account: Changer) -> JSONResponse:
    """Change a draft (an approved one goes back to draft)."""
    draft = await _do(_draft(body))
    return _api((await _do(_services(request).broadcasts.campaigns.edit(account, campaign_id, draft))).public())


@router.post("/api/campaigns/{campaign_id}/{action}", responses=_CHANGE)
async def act(
    request: Request, campaign_id: str, action: str, account: Changer, body: JsonBody | None = None
) -> JSONResponse:
    """approve, send, schedule {"at": "2026-05-01T09:00", "timezone": "Europe/Rome"}, pause, resume, cancel."""
    store = _services(request).broadcasts.campaigns
    if action == "schedule":
        at = _when((body or {}).get("at"), (body or {}).get("timezone") or "Europe/Bucharest")
        found = await _do(store.schedule(account, campaign_id, at))
    elif action in ("approve", "send", "pause", "resume", "cancel"):
        method = {"send": store.start}.get(action) or getattr(store, action)
        found = await _do(method(account, campaign_id))
        if action == "send":
            await _services(request).broadcasts.runner().freeze(found)
            found = await _do(store.need(campaign_id))
    else:
        raise HTTPException(404, "no such action")
    return _api(found.public())


def _when(at: object, timezone: str) -> int:
    """An ISO local time in a time zone, as epoch seconds (422 if unreadable)."""
    try:
        moment = datetime.fromisoformat(str(at))
        zone = ZoneInfo(str(timezone))
    except (ValueError, KeyError) as exc:
        raise HTTPException(422, "at: a date and time like 2026-05-01T09:00, and a known time zone") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return int(moment.timestamp())


@router.post("/api/audience", responses=responses({400: DetailOut, 422: DetailOut | InvalidOut}))
async def audience(request: Request, body: JsonBody, account: Reader) -> JSONResponse:
    """How many people an audience has per channel (and how many matched but stopped); with
    `"window": true`, how many WhatsApp subscribers are outside the 24-hour window now."""
    services = _services(request)
    wanted = Audience.of(body.get("audience") or {})
    counts = (await services.broadcasts.subscribers.count(wanted)).to_dict()
    if body.get("window") and "whatsapp" in wanted.channels() and "whatsapp" in services.channels:
        counts["whatsapp_outside_window"] = await outside_window(services, wanted)
    return _api(counts)


_WINDOW_BATCH = 5000  # subscribers looked at in one Redis round trip


async def outside_window(services: Services, wanted: Audience) -> int:
    """How many of an audience's WhatsApp subscribers are outside the 24-hour window now (one look each)."""
    members = await services.broadcasts.subscribers.members(wanted, "whatsapp")
    closed = 0
    for start in range(0, len(members), _WINDOW_BATCH):
        users = [split_member(m)[1] for m in members[start : start + _WINDOW_BATCH]]
        closed += sum(1 for is_open in await services.delivery.windows_open("whatsapp", users) if not is_open)
    return closed


@router.get("/api/campaigns/{campaign_id}/report", responses=_FOUND)
async def report(request: Request, campaign_id: str, account: Reader) -> JSONResponse:
    """Progress and report: counts per channel and language."""
    services = _services(request)
    found = await _do(services.broadcasts.campaigns.need(campaign_id))
    return _api(await progress(services.redis, found))


@router.get(
    "/api/campaigns/{campaign_id}/report.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}, **_FOUND},
)
async def report_csv(request: Request, campaign_id: str, account: Reader) -> Response:
    """The report as CSV, counts only (no personal data)."""
    services = _services(request)
    found = await _do(services.broadcasts.campaigns.need(campaign_id))
    headers = {
        "Content-Disposition": f'attachment; filename="campaign-{campaign_id}.csv"',
        "Cache-Control": "no-store",
    }
    return Response(as_csv(await progress(services.redis, found)), media_type="text/csv", headers=headers)
