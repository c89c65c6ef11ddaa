"""Start the stack's processes one by one on free ports: for tests and benchmarks.

Uses the same process definitions as `make run` (ops/stack.py), so what is tested is what runs.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from core.settings import Settings
from ops.stack import ROOT, Process, processes

LOGS = ROOT / "results" / "logs"
# The Redis server the tests and benchmarks use (another port lets two test sessions run side by side).
TEST_REDIS_PORT = int(os.environ.get("HELPDESK_TEST_REDIS_PORT", "6379"))


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def trained_model() -> Path:
    """The model for the current data (ops/model.sh trains it if it is not cached)."""
    out = subprocess.run([str(ROOT / "ops" / "model.sh")], check=True, capture_output=True, text=True).stdout
    return Path(out.strip())


def wait_until(check: Callable[[], bool], timeout: float, message: str) -> None:
    """Poll `check` until it is true; AssertionError with `message` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.3)
    raise AssertionError(message)


def _ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@dataclass
class LocalStack:
    """The helpdesk's processes on this machine, started and stopped on demand."""

    settings: Settings
    specs: dict[str, Process]
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @classmethod
    def create(cls, model: Path, gateway_db: int, rasa_db: int, **overrides: object) -> LocalStack:
        """A stack on free ports using two Redis databases of its own (gateway and Rasa); `overrides` are
        settings (field names) given to this object and, as their environment variables, to the processes."""
        settings = Settings(
            redis_url=f"redis://127.0.0.1:{TEST_REDIS_PORT}/{gateway_db}",
            rasa_url=f"http://127.0.0.1:{free_port()}",
            rasa_token=secrets.token_urlsafe(16),
            gateway_port=free_port(),
            **overrides,
        )
        specs = {p.name: p for p in processes(settings, model, actions_port=free_port(), rasa_redis_db=rasa_db)}
        exported = {name.upper(): _env_value(getattr(settings, name)) for name in overrides}
        for spec in specs.values():
            spec.env.update(exported)
        return cls(settings, specs)

    @property
    def gateway(self) -> str:
        """The gateway's base URL."""
        return f"http://127.0.0.1:{self.settings.gateway_port}"

    def start(self, *names: str) -> None:
        """Start processes by name ("actions", "rasa", "gateway"); output goes to results/logs/."""
        LOGS.mkdir(parents=True, exist_ok=True)
        for name in names:
            spec = self.specs[name]
            log = (LOGS / f"{name}-{self.settings.gateway_port}.log").open("wb")
            self.procs[name] = subprocess.Popen(
                spec.argv, env=spec.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
            )

    def stop(self, name: str, kill: bool = False) -> None:
        """Stop one process (SIGTERM, or SIGKILL to simulate a crash)."""
        proc = self.procs.pop(name, None)
        if proc is None:
            return
        proc.kill() if kill else proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def stop_all(self) -> None:
        """Stop every process started."""
        for name in list(self.procs):
            self.stop(name)

    def wait_gateway(self, timeout: float = 30) -> None:
        """Wait until the gateway answers /healthz."""
        wait_until(lambda: _ok(f"{self.gateway}/healthz"), timeout, "the gateway did not start")

    def wait_ready(self, timeout: float = 300) -> None:
        """Wait until /readyz says Redis and Rasa are ready."""
        wait_until(lambda: _ok(f"{self.gateway}/readyz"), timeout, "Rasa did not become ready")


def _env_value(value: object) -> str:
    """A setting as its environment variable reads it (booleans in lower case)."""
    return str(value).lower() if isinstance(value, bool) else str(value)
