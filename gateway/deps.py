"""What the gateway's routes depend on: the process's services, built once at start-up."""

from __future__ import annotations

from fastapi import Request

from gateway.services import Services


def services_of(request: Request) -> Services:
    """The services the app started with (gateway/app.py's lifespan)."""
    return request.app.state.services
