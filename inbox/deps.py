"""The one place the inbox checks who may do what: the logged-in session, the CSRF token of a change, and
the role a route needs. Routes declare what they need (`Reader`, `Changer`, `CaseReader`, `AuditReader`,
`AdminReader`, `AdminChanger`); the permissions on a case itself (its centre, its claim) are in
inbox/service.py, which every route calls.

Anonymous requests get 401, wrong roles 403, changes without the CSRF token 403. A session counts only while its
account is active and has not changed its password since (the account's session generation), and only until it
is idle too long (inbox/sessions.py); the campaigns page uses the same check (`active_session`).
"""

from __future__ import annotations

from ipaddress import ip_address
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from inbox.accounts import Account
from inbox.audit import at_address
from inbox.sessions import COOKIE, Session, same
from inbox.wiring import HandoffServices


def services_of(request: Request) -> HandoffServices:
    """The handoff's and the inbox's objects, built once at start-up."""
    return request.app.state.services.handoff


async def services_dep(request: Request) -> HandoffServices:
    """`services_of` as a route dependency, called in the event loop (a plain function would run in a thread)."""
    return services_of(request)


def client_address(request: Request) -> str:
    """The request's real client address. uvicorn has already replaced the TCP peer by the right-most address
    of X-Forwarded-For that is not a trusted proxy, and only when the peer is one (TRUSTED_PROXIES,
    gateway/__main__.py); anything that is not an IP address is `unknown`."""
    host = request.client.host if request.client else ""
    try:
        return str(ip_address(host))
    except ValueError:
        return "unknown"


async def active_session(
    services: HandoffServices, request: Request, cookie: str
) -> tuple[Account, Session] | None:
    """The active account and its session, from the session cookie `cookie`; None when logged out, idle too
    long, disabled, or the password changed since the session began (then the session is deleted too)."""
    at_address(client_address(request))
    session = await services.sessions.find(request.cookies.get(cookie, ""))
    if session is None:
        return None
    account = await services.accounts.get(session.username)
    if account is None or not account.active or account.generation != session.generation:
        await services.sessions.drop(session)
        return None
    return account, session


async def session_of(request: Request) -> tuple[Account, Session] | None:
    """The inbox's active account and its session; None when logged out."""
    return await active_session(services_of(request), request, COOKIE)


async def reader(request: Request) -> Account:
    """The logged-in account (401 otherwise)."""
    found = await session_of(request)
    if found is None:
        raise HTTPException(401, "log in first")
    return found[0]


async def changer(request: Request) -> Account:
    """The logged-in account of a request that changes something: the CSRF header must match (403 otherwise)."""
    found = await session_of(request)
    if found is None:
        raise HTTPException(401, "log in first")
    if not same(request.headers.get("x-csrf-token", ""), found[1].csrf):
        raise HTTPException(403, "missing or wrong CSRF token")
    return found[0]


Reader = Annotated[Account, Depends(reader)]
Changer = Annotated[Account, Depends(changer)]


async def case_reader(account: Reader) -> Account:
    """An account that works with cases (not a campaigns-only account)."""
    if not account.sees_cases():
        raise HTTPException(403, "this account does not work with cases")
    return account


async def audit_reader(account: Reader) -> Account:
    """A supervisor or an admin."""
    if account.role not in ("supervisor", "admin"):
        raise HTTPException(403, "the audit log is for supervisors and admins")
    return account


def _admin(account: Account) -> Account:
    if account.role != "admin":
        raise HTTPException(403, "accounts are for admins")
    return account


async def admin_reader(account: Reader) -> Account:
    """An admin."""
    return _admin(account)


async def admin_changer(account: Changer) -> Account:
    """An admin changing something (with the CSRF token)."""
    return _admin(account)


CaseReader = Annotated[Account, Depends(case_reader)]
AuditReader = Annotated[Account, Depends(audit_reader)]
AdminReader = Annotated[Account, Depends(admin_reader)]
AdminChanger = Annotated[Account, Depends(admin_changer)]
Services = Annotated[HandoffServices, Depends(services_dep)]
