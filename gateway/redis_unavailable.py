"""While Redis is away (its one retry did not help), requests are answered 503 JSON with Retry-After, not 500."""

from __future__ import annotations

import logging

from fastapi import Request
from fastapi.responses import JSONResponse

from messaging.redis_client import UNAVAILABLE

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
ERROR = "the store is unavailable; try again shortly"
EXCEPTIONS = UNAVAILABLE  # the exception classes the app hands to `unavailable`


def unavailable(request: Request, exc: Exception) -> JSONResponse:
    """The 503 answer to a Redis connection error or timeout (the app's handler of those exceptions)."""
    # The error's class and the route only: the request may carry personal data, the error never helps.
    log.warning("Redis unavailable (%s): 503 for %s %s", type(exc).__name__, request.method, request.url.path)
    return JSONResponse({"error": ERROR}, 503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
