"""The one place the inbox checks who may do what: the logged-in session, the CSRF token of a change, and
the role a route needs. Routes declare what they need (`Reader`, `Changer`, `CaseReader`, `AuditReader`,
`AdminReader`, `AdminChanger`); the permissions on a case itself (its centre, its claim) are in
inbox/service.py, which every route calls.

Anonymous requests get 401, wrong roles 403, changes without the CSRF token 403.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from inbox.accounts import Account
from inbox.sessions import COOKIE, Session, same
from inbox.wiring import HandoffServices


def services_of(request: Request) -> HandoffServices:
    """The handoff's and the inbox's objects, built once at start-up."""
    return request.app.state.services.handoff


async def session_of(request: Request) -> tuple[Account, Session] | None:
    """The active account and its session, from the session cookie; None when logged out."""
    services = services_of(request)
    session = await services.sessions.find(request.cookies.get(COOKIE, ""))
    if session is None:
        return None
    account = await services.accounts.get(session.username)
    return (account, session) if account and account.active else None


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


def case_reader(account: Reader) -> Account:
    """An account that works with cases (not a campaigns-only account)."""
    if not account.sees_cases():
        raise HTTPException(403, "this account does not work with cases")
    return account


def audit_reader(account: Reader) -> Account:
    """A supervisor or an admin."""
    if account.role not in ("supervisor", "admin"):
        raise HTTPException(403, "the audit log is for supervisors and admins")
    return account


def _admin(account: Account) -> Account:
    if account.role != "admin":
        raise HTTPException(403, "accounts are for admins")
    return account


def admin_reader(account: Reader) -> Account:
    """An admin."""
    return _admin(account)


def admin_changer(account: Changer) -> Account:
    """An admin changing something (with the CSRF token)."""
    return _admin(account)


CaseReader = Annotated[Account, Depends(case_reader)]
AuditReader = Annotated[Account, Depends(audit_reader)]
AdminReader = Annotated[Account, Depends(admin_reader)]
AdminChanger = Annotated[Account, Depends(admin_changer)]
Services = Annotated[HandoffServices, Depends(services_of)]
