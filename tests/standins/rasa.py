"""A stand-in for the Rasa server, run as its own process (so a test can SIGKILL it): echoes every message.

`python -m tests.standins.rasa --port N [--delay SECONDS]` answers the REST channel
(`POST /webhooks/rest/webhook`) after `delay` with one text, `echo: {message}`, so that a test can count
exactly which inbound message each reply answers; `/status` (a model is loaded), `/domain` and `/model/parse`
as Rasa's HTTP API does; `GET /turns` says how many turns are under way now and how many were answered (a
test kills it mid-turn). It logs nothing, message texts least of all.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ECHO = "echo: "


class Turns:
    """The turns under way and answered, shared by the handler threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.in_progress = 0
        self.done = 0


def handler(delay: float, turns: Turns) -> type[BaseHTTPRequestHandler]:
    """The request handler class of a stand-in with this delay per turn."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self, status: int, body: Any) -> None:
            data = json.dumps(body, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/status":
                self._answer(200, {"model_file": "standin.tar.gz", "num_active_training_jobs": 0})
            elif path == "/domain":
                self._answer(200, {"intents": ["greet", "ask"]})
            elif path == "/turns":
                with turns.lock:
                    self._answer(200, {"in_progress": turns.in_progress, "done": turns.done})
            else:
                self._answer(404, {"error": "not found"})

        def do_POST(self) -> None:
            path = self.path.split("?", 1)[0]
            length = int(self.headers.get("content-length", "0") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            if path == "/model/parse":
                self._answer(200, {"text": body.get("text", ""), "intent": {"name": "ask", "confidence": 0.9}})
                return
            if path != "/webhooks/rest/webhook":
                self._answer(404, {"error": "not found"})
                return
            with turns.lock:
                turns.in_progress += 1
            try:
                time.sleep(delay)  # the turn takes a while: a kill can land in the middle of one
                sender = str(body.get("sender", ""))
                self._answer(200, [{"recipient_id": sender, "text": ECHO + str(body.get("message", ""))}])
            finally:
                with turns.lock:
                    turns.in_progress -= 1
                    turns.done += 1

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


def main() -> None:
    """Serve until killed."""
    parser = argparse.ArgumentParser(prog="python -m tests.standins.rasa")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--delay", type=float, default=0.1)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler(args.delay, Turns()))
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
