"""A redis-server of its own on a free port, for tests and benchmarks that stop, restart or pause Redis (never
the shared one at 127.0.0.1:6379), or that must not share it."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
from pathlib import Path

import redis as redis_sync

from ops.local_stack import free_port, wait_until


class RedisServer:
    """A redis-server in `folder` on a free port: without persistence, or with the append-only file (fsync every
    second, as the deployments run it) so that a restart keeps what was written. Stop, restart, pause, resume."""

    def __init__(self, folder: Path, *, persistent: bool = False) -> None:
        self.port = free_port()
        self.folder = folder
        self.persistent = persistent
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start (or start again, on the same port and files) and wait until it answers."""
        argv = [shutil.which("redis-server") or "/usr/bin/redis-server", "--port", str(self.port)]
        argv += ["--bind", "127.0.0.1", "--dir", str(self.folder), "--save", ""]
        argv += ["--appendonly", "yes", "--appendfsync", "everysec"] if self.persistent else ["--appendonly", "no"]
        log = (self.folder / "redis.log").open("ab")
        self.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        wait_until(self.answers, 10, "redis-server did not start")

    def stop(self) -> None:
        """A clean stop (SIGTERM: the append-only file is written out), also of a paused server."""
        if self.proc:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            self.proc.wait(timeout=20)
            self.proc = None

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): connections stay open and nothing answers."""
        assert self.proc
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """Let a paused server go on (SIGCONT)."""
        assert self.proc
        self.proc.send_signal(signal.SIGCONT)

    def url(self, db: int = 0) -> str:
        """The redis:// URL of one of its databases."""
        return f"redis://127.0.0.1:{self.port}/{db}"

    def client(self, db: int = 0) -> redis_sync.Redis:
        """A client of one of its databases, answers decoded."""
        return redis_sync.Redis(port=self.port, db=db, decode_responses=True)

    def answers(self) -> bool:
        """Whether it answers PING now."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False
