"""A misbehaving server, for hardening clients: wrong bodies with status 200, trickled and endless replies.

Each name in :data:`MISBEHAVIOURS` is a one-shot fault for ``Simulator.inject`` (like ``"429"``), applied to
the reply the service would have sent. The writers here put such replies on the socket byte by byte or
chunk by chunk, counting what they sent, until the client hangs up or the simulator stops.

The ``echo-*`` faults play a server that quotes the caller's credentials back (every secret it has seen or
holds: the ``X-Security-Token``, ``X-Auth-Token`` and ``Authorization`` values, the IAM password of a token
request, and the simulator's own SK and password) in one place each: the error code, the request id header,
the reason phrase, an HTML page, a status-200 error body. ``gzip-bomb``/``deflate-bomb`` send
``bomb_bytes`` of zeros compressed (2 GiB are 2 MB on the wire), to whatever request comes next, IAM's
token request included.
"""

from __future__ import annotations

import functools
import io
import itertools
import json
import threading
import uuid
import zlib
from collections.abc import Callable, Iterator
from typing import Any

from ._messages import Reply, Request

__all__ = [
    "MISBEHAVIOURS",
    "bomb",
    "echo_body",
    "echoed_secrets",
    "endless_page",
    "misbehave",
    "write_chunked",
    "write_slowly",
]

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
    # --- a server echoing the caller's secrets ---
    "echo-code",  # 500 (retried) whose error_code is the secrets
    "echo-200-code",  # status 200, {"error_code": secrets, "error_msg": secrets}
    "echo-request-id",  # 500 with X-Request-Id: the first secret
    "echo-reason",  # 503 whose reason phrase is the secrets
    "echo-html",  # status 200, an HTML page quoting the secrets
    "echo-html-prefix",  # status 200, HTML whitespace, then the first secret just where an excerpt ends
    # --- bodies that are too large once decompressed, or broken on the wire ---
    "gzip-bomb",  # the real status, ``bomb_bytes`` of zeros as Content-Encoding: gzip
    "deflate-bomb",  # the same as Content-Encoding: deflate
    "br-body",  # status 200, Content-Encoding: br (never asked for)
    "gzip-corrupt",  # status 200, Content-Encoding: gzip over bytes that are not gzip
    "deflate-raw",  # the real reply as a raw deflate stream (no zlib header), as some servers send it
    "truncated-chunked",  # status 200, part of a chunked jobs list, then the connection closes
    "truncated-length",  # status 200, Content-Length of the real reply, half of it sent, then closed
    "invalid-utf8",  # status 200, a jobs list with bytes that are not UTF-8
    "json-truncated",  # status 200, a jobs list cut off mid-record
    "json-nan",  # status 200, {"jobs": [], "total_count": NaN} (not JSON)
    "json-huge-int",  # status 200, a total_count of 5,000 digits
    "json-jobs-null",  # status 200, {"jobs": null, "total_count": 0}
    "text-plain",  # the real reply, labelled text/plain
    "redirect-external",  # 302 to another host (a TEST-NET address that is never contacted)
    "redirect-self",  # 307 to the same URL, every time (a loop if followed)
)
_EXCERPT_HEAD = 1920  # characters the client's excerpt reads (16 × its 120-character limit)
_DEPTH = 100_000
_HTML = (
    b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1>"
    b"<p>The upstream server is unavailable.</p></body></html>"
)


def misbehave(
    fault: str, reply: Reply, request: Request, held: tuple[str, ...] = (), bomb_bytes: int = 1 << 31
) -> None:
    """Turn ``reply`` (the service's answer) into the misbehaving one, in place; ``held``: the secrets the
    server holds itself (its SK and IAM password), echoed by the ``echo-*`` faults with the request's."""
    headers = request.headers
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
    elif fault.startswith("echo-"):
        _echo(fault, reply, echoed_secrets(request, held))
    else:
        _broken(fault, reply, request, bomb_bytes)


def echoed_secrets(request: Request, held: tuple[str, ...] = ()) -> list[str]:
    """The secrets a request carried, tokens first (``X-Security-Token``, ``X-Auth-Token``, an IAM password,
    the ``Authorization`` line), then ``held``."""
    sent = {name.lower(): value for name, value in request.headers}
    found = [sent.get("x-security-token"), sent.get("x-auth-token")]
    try:
        login = json.loads(request.body or b"{}")
        found.append(login["auth"]["identity"]["password"]["user"]["password"])
    except (ValueError, KeyError, TypeError):
        pass
    found.append(sent.get("authorization"))
    return [value for value in dict.fromkeys([*found, *held]) if isinstance(value, str) and value]


def _echo(fault: str, reply: Reply, secrets: list[str]) -> None:
    quoted = " ".join(secrets)
    first = secrets[0] if secrets else ""
    reply.raw, reply.content_type = None, "application/json;charset=UTF-8"
    if fault == "echo-code":
        reply.status, reply.body = 500, {"error_code": quoted, "error_msg": "Internal error."}
    elif fault == "echo-200-code":
        reply.status, reply.body = 200, {"error_code": quoted, "error_msg": f"Denied for {quoted}"}
    elif fault == "echo-request-id":
        reply.status, reply.headers = 500, {**reply.headers, "X-Request-Id": first}
        reply.body = {"error_code": "DBS.200001", "error_msg": "Internal error."}
    elif fault == "echo-reason":
        reply.status, reply.reason = 503, quoted
        reply.body = {"error_code": "DBS.200001", "error_msg": "Service unavailable."}
    elif fault == "echo-html":
        text = f"<html><body><h1>Forbidden</h1><p>credentials: {quoted}</p></body></html>"
        reply.status, reply.raw, reply.content_type = 200, text.encode(), "text/html"
    elif fault == "echo-html-prefix":
        # Whitespace collapses in an excerpt, so the secret's head is all it shows: 14 characters of it.
        page = b"<html>" + b" " * (_EXCERPT_HEAD - 6 - 14) + first.encode() + b"</html>"
        reply.status, reply.raw, reply.content_type = 200, page, "text/html"


def _broken(fault: str, reply: Reply, request: Request, bomb_bytes: int) -> None:
    """The wire and JSON faults (``gzip-bomb`` … ``redirect-self``)."""
    real = reply.payload()
    if fault in ("gzip-bomb", "deflate-bomb"):
        reply.raw = bomb(bomb_bytes, gzip=fault == "gzip-bomb")
        reply.headers = {**reply.headers, "Content-Encoding": fault.removesuffix("-bomb")}
    elif fault == "gzip-corrupt":
        reply.status, reply.raw = 200, b"\x1f\x8b\x08\x00" + b"not gzip at all" * 8
        reply.headers = {"Content-Encoding": "gzip"}
    elif fault == "deflate-raw":
        packer = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
        reply.raw = packer.compress(real) + packer.flush()
        reply.headers = {**reply.headers, "Content-Encoding": "deflate"}
    elif fault == "br-body":
        reply.status, reply.raw, reply.headers = 200, b"{}", {"Content-Encoding": "br"}
    elif fault == "truncated-chunked":
        reply.status, reply.chunks = 200, [b'{"jobs": [', real[:200]]
    elif fault == "truncated-length":
        reply.status, reply.raw, reply.cut_at = 200, real, len(real) // 2
    elif fault == "invalid-utf8":
        reply.status = 200
        reply.raw = b'{"total_count": 1, "jobs": [{"id": "\xff\xfe\xfd", "name": "\xc3("}]}'
    elif fault == "json-truncated":
        reply.status, reply.raw = 200, b'{"total_count": 3, "jobs": [{"id": "a1", "name": "Creat'
    elif fault == "json-nan":
        reply.status, reply.raw = 200, b'{"jobs": [], "total_count": NaN}'
    elif fault == "json-huge-int":
        reply.status, reply.raw = 200, b'{"jobs": [], "total_count": 1' + b"0" * 5000 + b"}"
    elif fault == "json-jobs-null":
        reply.status, reply.raw = 200, b'{"jobs": null, "total_count": 0}'
    elif fault == "text-plain":
        reply.content_type = "text/plain"
    elif fault in ("redirect-external", "redirect-self"):
        target = "http://203.0.113.9" if fault == "redirect-external" else f"http://{request.header('Host')}"
        query = f"?{request.query_string}" if request.query_string else ""
        reply.status = 302 if fault == "redirect-external" else 307
        reply.headers = {"Location": f"{target}{request.path}{query}"}
        reply.body = {"error_code": "APIGW.0101", "error_msg": "Moved."}


@functools.lru_cache(maxsize=4)
def bomb(size: int, *, gzip: bool = True) -> bytes:
    """``size`` zero bytes, gzip- or deflate-compressed (about 1,000 to 1), built in 1 MiB steps."""
    packer = zlib.compressobj(9, zlib.DEFLATED, (zlib.MAX_WBITS | 16) if gzip else zlib.MAX_WBITS)
    block, parts = bytes(1 << 20), []
    for start in range(0, size, len(block)):
        parts.append(packer.compress(block[: min(len(block), size - start)]))
    parts.append(packer.flush())
    return b"".join(parts)


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
