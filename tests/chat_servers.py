"""Local HTTP servers on 127.0.0.1 that play a chat platform's webhook: they record every request and
answer from a script (status, JSON body, headers), repeating the last answer."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Answer = tuple[int, Any, dict[str, str]]


@dataclass
class Received:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class ChatServer:
    url: str
    answers: list[Answer]
    received: list[Received] = field(default_factory=list)


@contextmanager
def chat_server(*answers: Answer, path: str = "/hook/TOKEN-secret-path") -> Iterator[ChatServer]:
    """A webhook at ``http://127.0.0.1:PORT{path}``; answers in order, the last one repeated."""
    script = list(answers) or [(200, {"code": 0, "errcode": 0}, {})]
    state: dict[str, Any] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            server: ChatServer = state["server"]
            length = int(self.headers.get("Content-Length", 0))
            raw = self.rfile.read(length)
            parts = urlsplit(self.path)
            server.received.append(
                Received(parts.path, parse_qs(parts.query), dict(self.headers), json.loads(raw or b"null"))
            )
            status, body, headers = script[min(len(server.received), len(script)) - 1]
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state["server"] = ChatServer(f"http://127.0.0.1:{httpd.server_address[1]}{path}", script)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state["server"]
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()
