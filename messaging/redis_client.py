"""How the processes build their Redis client: a command that meets a dropped connection is retried once."""

from __future__ import annotations

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

# After Redis restarts, every pooled connection is dead until it is used once: one retry (on a new connection,
# after at most RETRY_CAP_SECONDS) turns that first use into a success instead of an error.
RETRIES = 1
RETRY_BASE_SECONDS = 0.1
RETRY_CAP_SECONDS = 0.5
# A connection idle longer than this is checked with a PING before its next command (retried like a command).
HEALTH_CHECK_SECONDS = 15
CONNECT_TIMEOUT_SECONDS = 5
# What a request answers with 503 (Redis away) instead of an error: the retry did not help.
UNAVAILABLE = (RedisConnectionError, RedisTimeoutError)


def redis_client(url: str, socket_timeout: float | None = None) -> Redis:
    """A pooled client for `url`; `socket_timeout` must be longer than the longest blocking read made with it."""
    return Redis.from_url(
        url,
        socket_timeout=socket_timeout,
        socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
        health_check_interval=HEALTH_CHECK_SECONDS,
        retry=Retry(ExponentialWithJitterBackoff(cap=RETRY_CAP_SECONDS, base=RETRY_BASE_SECONDS), RETRIES),
        retry_on_error=list(UNAVAILABLE),
    )
