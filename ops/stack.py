"""The processes of the embedded helpdesk and how to start them: `make run` and the tests share this.

`python -m ops.stack run --model PATH` starts the action server, Rasa and the gateway (with its
embedded worker) with readable, prefixed logs, until Ctrl-C stops them all. Rasa and the action server
listen on loopback only: Rasa's REST channel has no authentication, and its HTTP API needs RASA_TOKEN
(a random one is made for the run when none is set).
"""

from __future__ import annotations

import argparse
import os
import secrets
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from honcho.manager import Manager

from core.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
RASA_BIN = ROOT / ".venv-rasa" / "bin" / "rasa"
GATEWAY_PYTHON = ROOT / ".venv" / "bin" / "python"


@dataclass(frozen=True)
class Process:
    """One process of the stack: its name, command line and environment."""

    name: str
    argv: list[str]
    env: dict[str, str]


def stack_env(settings: Settings, actions_port: int, rasa_redis_db: int) -> dict[str, str]:
    """Environment shared by the three processes (derived from the gateway settings)."""
    redis = urlsplit(settings.redis_url)
    env = dict(os.environ)
    env.update(
        {
            "REDIS_URL": settings.redis_url,
            "RASA_URL": settings.rasa_url,
            "RASA_TOKEN": settings.rasa_token,
            "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{actions_port}/webhook",
            "RASA_REDIS_HOST": redis.hostname or "127.0.0.1",
            "RASA_REDIS_PORT": str(redis.port or 6379),
            "RASA_REDIS_DB": str(rasa_redis_db),
            "RASA_REDIS_PASSWORD": redis.password or "",
            "RASA_TRACKER_TTL_SECONDS": str(settings.retention_seconds),
            "GATEWAY_HOST": settings.gateway_host,
            "GATEWAY_PORT": str(settings.gateway_port),
            "SANIC_HOST": "127.0.0.1",  # rasa-sdk's listen address
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "PYTHONWARNINGS": "ignore",  # Rasa 3.6's dependencies print deprecation warnings at every start
            "PYTHONUNBUFFERED": "1",
            # Rasa loads its tracker store from rasa_server/ (endpoints.yml).
            "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p),
        }
    )
    return env


def processes(settings: Settings, model: Path, actions_port: int = 5055, rasa_redis_db: int = 1) -> list[Process]:
    """The action server, Rasa and the gateway, in start order."""
    env = stack_env(settings, actions_port, rasa_redis_db)
    rasa_port = urlsplit(settings.rasa_url).port or 5005
    return [
        Process(
            "actions",
            [str(RASA_BIN), "run", "actions", "--actions", "actions", "--port", str(actions_port)],
            env,
        ),
        Process(
            "rasa",
            [
                str(RASA_BIN),
                "run",
                "--enable-api",
                f"--auth-token={settings.rasa_token}",  # one argument: a token may start with "-"
                "--interface",
                "127.0.0.1",
                "--port",
                str(rasa_port),
                "--model",
                str(model),
                "--endpoints",
                "endpoints.yml",
                "--credentials",
                "credentials.yml",
            ],
            env,
        ),
        Process("gateway", [str(GATEWAY_PYTHON), "-m", "gateway", "serve"], env),
    ]


def main() -> None:
    """Run the whole stack in the foreground until Ctrl-C or until one process dies."""
    parser = argparse.ArgumentParser(prog="python -m ops.stack")
    parser.add_argument("command", choices=["run"])
    parser.add_argument("--model", type=Path, required=True)
    args = parser.parse_args()
    settings = Settings()
    if not settings.rasa_token:
        settings = settings.model_copy(update={"rasa_token": secrets.token_urlsafe(24)})
    manager = Manager()
    for process in processes(settings, args.model):
        command = shlex.join(process.argv)
        manager.add_process(process.name, command, env=process.env, cwd=str(ROOT))
    host = "localhost" if settings.gateway_host in ("127.0.0.1", "0.0.0.0") else settings.gateway_host  # noqa: S104
    print(
        f"\n  Helpdesk starting. Rasa needs about a minute to load its model; messages sent meanwhile wait."
        f"\n  Web chat:  http://{host}:{settings.gateway_port}/chat"
        f"\n  Ready?     http://{host}:{settings.gateway_port}/readyz      Ctrl-C stops everything.\n",
        flush=True,
    )
    manager.loop()
    sys.exit(manager.returncode)


if __name__ == "__main__":
    main()
