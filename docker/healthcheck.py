"""Health checks of the containers (docker-compose.yml healthchecks, Kubernetes exec probes; docs/deploy.md).

    python /app/healthcheck.py http URL  the URL answers 2xx within 3 s (gateway /healthz, actions /health)
    python /app/healthcheck.py rasa      Rasa at 127.0.0.1:5005 has a model loaded (GET /status, RASA_TOKEN)
    python /app/healthcheck.py worker    this container's `python -m gateway worker` beat its heartbeat lately

The worker serves no HTTP: its heartbeat in `hd:in:workers` (a sorted set of `{hostname}:{pid}:{id}` by last
beat, every 5 s; docs/design-contract.md) says it is alive. A Redis that does not answer is not the worker's
fault: the check passes then, so an outage of Redis does not also restart every worker. Exit 0 healthy, 1 not.
Standard library only, except `redis` for the worker check; Python 3.10 (the Rasa image) and 3.11.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
import urllib.parse
import urllib.request
from typing import Any, Protocol

WORKERS_KEY = "hd:in:workers"
STALE_SECONDS = 30.0  # six missed beats
TIMEOUT_SECONDS = 3.0


class SortedSets(Protocol):
    """The one Redis call the worker check needs."""

    def zrange(self, name: str, start: int, end: int, withscores: bool = ...) -> Any:  # noqa: ANN401
        """Members of a sorted set with their scores."""


def worker_alive(redis: SortedSets, hostname: str, now: float) -> bool:
    """True when a worker of this host beat its heartbeat within STALE_SECONDS."""
    prefix = f"{hostname}:"
    for member, score in redis.zrange(WORKERS_KEY, 0, -1, withscores=True):
        name = member.decode() if isinstance(member, bytes) else str(member)
        if name.startswith(prefix) and now - float(score) <= STALE_SECONDS:
            return True
    return False


def check_worker() -> bool:
    """This container's worker is alive, or Redis cannot tell (then it is not the worker's fault)."""
    import redis  # noqa: PLC0415  (only the gateway image's worker check needs it)

    client = redis.Redis.from_url(
        os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        socket_timeout=TIMEOUT_SECONDS,
        socket_connect_timeout=TIMEOUT_SECONDS,
    )
    try:
        return worker_alive(client, socket.gethostname(), time.time())
    except (redis.ConnectionError, redis.TimeoutError):
        return True


def get(url: str) -> tuple[int, bytes]:
    """Status and body of a GET (a status of 0: no answer)."""
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 (our own URLs)
            return response.status, response.read()
    except OSError:
        return 0, b""


def check_rasa() -> bool:
    """Rasa answers /status with a model file: it can take messages."""
    token = os.environ.get("RASA_TOKEN", "")
    status, body = get("http://127.0.0.1:5005/status?" + urllib.parse.urlencode({"token": token}))
    if status != 200:
        return False
    try:
        return bool(json.loads(body).get("model_file"))
    except ValueError:
        return False


def main(argv: list[str]) -> int:
    """Run the check named by the first argument."""
    if argv[:1] == ["http"] and len(argv) == 2:
        ok = 200 <= get(argv[1])[0] < 300
    elif argv == ["rasa"]:
        ok = check_rasa()
    elif argv == ["worker"]:
        ok = check_worker()
    else:
        sys.stderr.write(__doc__ or "")
        return 2
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
