"""The error bodies the HTTP routes answer, as models, and the `responses=` that name them in /openapi.json."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ErrorOut(BaseModel):
    """The gateway's own error: the web chat, the messenger webhooks, a body over the limit, Redis away."""

    error: str
    details: list[str] = Field(default_factory=list, description="`field: reason` for each wrong field")


class DetailOut(BaseModel):
    """An HTTP error of the inbox's and the campaigns' pages and API (and of a path that does not exist)."""

    detail: str


class RefusalOut(BaseModel):
    """An inbox action refused: the reason in English, and `code` and `params` for the page's own language."""

    detail: str
    code: str
    params: dict[str, Any]


class InvalidOut(BaseModel):
    """FastAPI's answer to a query, path or body that does not fit the route's types."""

    detail: list[dict[str, Any]]


_SAYS = {
    202: "the message is stored; its replies are not ready yet (`pending`: true, poll /webhooks/web/messages)",
    400: "the body is not JSON or not a form",
    401: "not logged in",
    403: "a wrong role, a missing or wrong X-CSRF-Token, or (webhooks) a failed signature check",
    404: "no such object, or a channel that is off",
    409: "the object is not in a state that allows this",
    413: "the body is over the route's limit, or a text over 4096 characters",
    422: "input that does not fit",
    503: "Redis is unavailable, or (web chat) too many messages wait to be answered: try again after Retry-After",
}
_RETRY_AFTER = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "string"}}}


def responses(shapes: dict[int, Any]) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route or router: each status with its body model (a union for several shapes)."""
    out: dict[int | str, dict[str, Any]] = {}
    for status, model in shapes.items():
        if model is None:  # a JSON object of the route's own
            out[status] = {
                "description": _SAYS[status],
                "content": {"application/json": {"schema": {"type": "object"}}},
            }
        else:
            out[status] = {"description": _SAYS[status], "model": model}
        if status == 503:
            out[status]["headers"] = _RETRY_AFTER
    return out


def too_large() -> dict[int | str, dict[str, Any]]:
    """413 of a route that answers another type than JSON (a page, text): its refusal is JSON all the same."""
    schema = {"$ref": "#/components/schemas/ErrorOut"}  # registered by the JSON routes that name ErrorOut
    return {413: {"description": _SAYS[413], "content": {"application/json": {"schema": schema}}}}


# Every route: a body over the limit (gateway/body_limit.py); a route that reads Redis: Redis away.
STORE = {413: ErrorOut, 503: ErrorOut}
