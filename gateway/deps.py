"""What the gateway's routes depend on: the process's services, built once at start-up."""

from __future__ import annotations

from fastapi import Request

from gateway.services import Services


def services_of(request: Request) -> Services:
    """The services the app started with (gateway/app.py's lifespan)."""
    return request.app.state.services


async def services_dep(request: Request) -> Services:
    """`services_of` as a route dependency: `async` so FastAPI calls it in the event loop (a plain function
    dependency is run in a worker thread for every request, which cost CPU and a thread hop on every webhook)."""
    return services_of(request)
