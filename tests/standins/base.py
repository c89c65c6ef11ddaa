"""A small local HTTP server that stands in for a messenger platform's API in tests and benchmarks.

It records every request (time, method, path, headers, parsed body) and answers with what the platform's
real API answers, including its error answers, which a test can script: `fail_next("429", ...)`.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl


@dataclass
class Received:
    """One request the stand-in received."""

    at: float
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class Answer:
    """What the stand-in answers."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


class StandIn:
    """The server; subclasses implement `answer` with the platform's wire format."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.lock = threading.Lock()
        self.failures: deque[tuple[str, dict[str, Any]]] = deque()
        self.delay = 0.0  # seconds before answering each request (a slow platform)
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0") or 0)
                raw = self.rfile.read(length)
                if len(raw) < length:
                    # The client went away mid-body (a killed process): the platform never acts on a
                    # request it did not receive whole, so nothing is recorded or answered.
                    self.close_connection = True
                    return
                headers = {k.lower(): v for k, v in self.headers.items()}
                body = _decode(raw, headers.get("content-type", ""))
                received = Received(time.time(), self.command, self.path, headers, body)
                with stand_in.lock:
                    stand_in.requests.append(received)
                if stand_in.delay:
                    time.sleep(stand_in.delay)
                answer = stand_in.answer(received)
                data = json.dumps(answer.body).encode()
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                try:
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client is gone (killed): it never reads the answer

            do_GET = do_POST

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        """The base URL of the stand-in."""
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()

    def fail_next(self, kind: str, count: int = 1, **details: Any) -> None:
        """Answer the next `count` send requests with an error of `kind` (platform specific)."""
        with self.lock:
            for _ in range(count):
                self.failures.append((kind, details))

    def next_failure(self) -> tuple[str, dict[str, Any]] | None:
        """The scripted failure for this request, if any."""
        with self.lock:
            return self.failures.popleft() if self.failures else None

    def reset(self) -> None:
        """Forget what was received and scripted."""
        with self.lock:
            self.requests.clear()
            self.failures.clear()
        self.delay = 0.0

    def sent(self, path_end: str) -> list[Received]:
        """The requests whose path ends with `path_end`, in order of arrival."""
        with self.lock:
            return [r for r in self.requests if r.path.split("?", 1)[0].endswith(path_end)]

    def answer(self, received: Received) -> Answer:
        """The platform's answer to one request."""
        raise NotImplementedError


def _decode(raw: bytes, content_type: str) -> dict[str, Any]:
    if not raw:
        return {}
    if "json" in content_type:
        try:
            data = json.loads(raw)
        except ValueError:
            return {"_raw": raw.decode(errors="replace")}
        return data if isinstance(data, dict) else {"_json": data}
    return dict(parse_qsl(raw.decode(), keep_blank_values=True))
