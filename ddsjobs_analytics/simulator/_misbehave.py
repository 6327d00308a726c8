"""A misbehaving server, for hardening clients: wrong bodies with status 200, trickled and endless replies.

Each name in :data:`MISBEHAVIOURS` is a one-shot fault for ``Simulator.inject`` (like ``"429"``), applied to
the reply the service would have sent. The writers here put such replies on the socket byte by byte or
chunk by chunk, counting what they sent, until the client hangs up or the simulator stops.
"""

from __future__ import annotations

import io
import itertools
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["MISBEHAVIOURS", "echo_body", "endless_page", "misbehave", "write_chunked", "write_slowly"]

MISBEHAVIOURS: tuple[str, ...] = (
    "200-busy",  # status 200, body {"error_code": "DBS.200998", ...}
    "200-error",  # status 200, body {"error_code": "DBS.280001", ...} (not retryable)
    "200-empty-array",  # status 200, body []
    "200-empty-object",  # status 200, body {}
    "200-html",  # status 200, an HTML error page
    "200-deep-json",  # status 200, 100,000 nested arrays
    "retry-after-huge",  # 429 with Retry-After: 999999
    "echo-headers",  # 401 whose error_msg echoes every request header (the Authorization line too)
    "trickle-body",  # the real reply, its body one byte per ``trickle_s``
    "trickle-headers",  # the real reply, its status line and headers one byte per ``trickle_s``
    "endless-chunked",  # status 200, a chunked body that never ends
    "huge-body",  # status 200, a declared Content-Length of ``huge_body_bytes``, sent in full
)
_DEPTH = 100_000
_HTML = (
    b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1>"
    b"<p>The upstream server is unavailable.</p></body></html>"
)


def misbehave(fault: str, reply: Any, headers: tuple[tuple[str, str], ...]) -> None:
    """Turn ``reply`` (the service's answer) into the misbehaving one, in place."""
    if fault in ("200-busy", "200-error"):
        code, message = (
            ("DBS.200998", "System busy. Try again later.")
            if fault == "200-busy"
            else ("DBS.280001", "Parameter error.")
        )
        reply.status, reply.body = 200, {"error_code": code, "error_msg": message}
    elif fault == "200-empty-array":
        reply.status, reply.raw = 200, b"[]"
    elif fault == "200-empty-object":
        reply.status, reply.raw = 200, b"{}"
    elif fault == "200-html":
        reply.status, reply.raw, reply.content_type = 200, _HTML, "text/html"
    elif fault == "200-deep-json":
        reply.status, reply.raw = 200, b"[" * _DEPTH + b"]" * _DEPTH
    elif fault == "retry-after-huge":
        reply.status, reply.headers = 429, {"Retry-After": "999999"}
        reply.body = {"error_code": "APIGW.0308", "error_msg": "The throttling threshold has been reached."}
    elif fault == "echo-headers":
        reply.status, reply.body = 401, echo_body(headers)
    elif fault in ("trickle-body", "trickle-headers"):
        reply.trickle = fault.removeprefix("trickle-")
    elif fault == "endless-chunked":
        reply.status, reply.endless = 200, True
    elif fault == "huge-body":
        reply.status, reply.huge = 200, True


def echo_body(headers: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """A gateway that quotes the request back: every header, credentials included."""
    quoted = "; ".join(f"{name}: {value}" for name, value in headers)
    return {"error_code": "APIGW.0301", "error_msg": f"Incorrect IAM authentication information: {quoted}"}


def endless_page(page: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """A full page of jobs never seen before (fresh ids), however far the client pages."""
    if not page:
        return page
    return [{**record, "id": str(uuid.uuid4())} for record in itertools.islice(itertools.cycle(page), limit)]


def write_slowly(out: io.BufferedIOBase, data: bytes, per_byte_s: float, stop: threading.Event) -> int:
    """Write ``data`` one byte per ``per_byte_s``; the bytes written (until a hang-up or ``stop``)."""
    sent = 0
    for i in range(len(data)):
        if stop.wait(per_byte_s):
            break
        out.write(data[i : i + 1])
        out.flush()
        sent += 1
    return sent


def _endless_chunks() -> Iterator[bytes]:
    record = json.dumps({"id": "x" * 36, "name": "CreateMongoDB", "status": "Completed"}).encode()
    block = b",".join([record] * 1000) + b","
    yield b'{"jobs": ['
    while True:
        yield block


def write_chunked(
    out: io.BufferedIOBase,
    stop: threading.Event,
    count: Callable[[int], None],
    chunks: Iterator[bytes] | None = None,
) -> None:
    """A chunked body from ``chunks`` (default: a ``jobs`` list that never ends), counting bytes sent."""
    for chunk in chunks if chunks is not None else _endless_chunks():
        if stop.is_set():
            return
        out.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        count(len(chunk))
