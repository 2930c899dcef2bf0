"""A webhook receiver on loopback for the alert tests: records every POST and answers as told."""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    """``answers`` are status codes to give in turn (then 200); ``down()`` stops listening."""

    def __init__(self, port: int = 0) -> None:
        self.calls: list[Received] = []
        self.answers: deque[int] = deque()
        self.delay_s = 0.0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.port = port
        self.up()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def up(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                if len(body) < length:
                    # The sender died mid-POST (the kill -9 tests): nothing was delivered, and
                    # there is nobody to answer.
                    self.close_connection = True
                    return
                if receiver.delay_s:
                    threading.Event().wait(receiver.delay_s)
                with receiver._lock:
                    status = receiver.answers.popleft() if receiver.answers else 200
                    if 200 <= status < 300:
                        receiver.calls.append(Received(self.path, dict(self.headers.items()), body))
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except (BrokenPipeError, ConnectionResetError):
                    # The sender died while waiting for the answer; the call stays recorded as
                    # heard, and the sender re-sends it under the same key after its restart.
                    self.close_connection = True

            def log_message(self, *args: object) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def down(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def keys(self) -> list[str]:
        with self._lock:
            return [c.headers["Idempotency-Key"] for c in self.calls]
