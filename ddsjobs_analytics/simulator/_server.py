"""The simulator on a real loopback socket: a threaded HTTP server, its handle, ``running`` and ``serve``."""

from __future__ import annotations

import ipaddress
import socket
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import datetime
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TextIO
from urllib.parse import urlsplit

from ._misbehave import write_chunked, write_slowly
from ._sample import Fleet
from ._service import Reply, Request, RequestRecord, TaskCenterService, forward

__all__ = ["Simulator", "running", "serve"]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], service: TaskCenterService) -> None:
        self.service = service
        self.stopping = threading.Event()
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        self.streamed_bytes = 0  # body bytes of endless and huge replies put on the wire
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hung up (timeouts, drops) is normal traffic here, not a server error.
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError, OSError)):
            return
        super().handle_error(request, client_address)

    def close_connections(self) -> None:
        with self.connections_lock:
            for connection in list(self.connections):
                _hang_up(connection)


def _hang_up(connection: socket.socket) -> None:
    with suppress(OSError):
        connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "ddsjobs-simulator"
    sys_version = ""
    # Headers and body go out in separate writes; with Nagle on, a keep-alive client's delayed ACK
    # holds every response ~40 ms on loopback. Real gateways don't stall like that.
    disable_nagle_algorithm = True

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        with suppress(OSError):
            super().finish()

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _serve(self) -> None:
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        request = Request(
            self.command, split.path, split.query, self.headers.get, body, tuple(self.headers.items())
        )
        reply = self.server.service.handle(request)
        if reply.delay_s > 0 and self.server.stopping.wait(reply.delay_s):
            reply.drop = True
        if reply.drop:
            self.close_connection = True
            _hang_up(self.connection)
            return
        payload = reply.payload()
        if reply.endless or reply.huge or reply.chunks is not None:
            self._stream(reply)
            return
        self.send_response(reply.status, reply.reason)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(payload)))
        if "X-Request-Id" not in reply.headers:
            self.send_header("X-Request-Id", uuid.uuid4().hex)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.trickle == "headers":
            self.close_connection = True
            head = b"".join(getattr(self, "_headers_buffer", [])) + b"\r\n"
            self._headers_buffer: list[bytes] = []
            write_slowly(self.wfile, head, self.server.service.options.trickle_s, self.server.stopping)
        else:
            self.end_headers()
        if reply.trickle == "body":
            self.close_connection = True
            write_slowly(self.wfile, payload, self.server.service.options.trickle_s, self.server.stopping)
        elif reply.cut_at is not None:  # less than the declared length, then hang up
            self.wfile.write(payload[: reply.cut_at])
            self.wfile.flush()
            self.close_connection = True
            _hang_up(self.connection)
        else:
            self.wfile.write(payload)

    def _stream(self, reply: Reply) -> None:
        """An endless or truncated chunked body, or a huge declared one, until the client hangs up."""
        self.close_connection = True
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        size = self.server.service.options.huge_body_bytes
        self.send_header(*(("Content-Length", str(size)) if reply.huge else ("Transfer-Encoding", "chunked")))
        self.end_headers()

        def count(sent: int) -> None:
            self.server.streamed_bytes += sent

        if reply.endless or reply.chunks is not None:
            # ``chunks`` end without the last (empty) chunk: the connection just closes.
            chunks = iter(reply.chunks) if reply.chunks is not None else None
            write_chunked(self.wfile, self.server.stopping, count, chunks)
            if reply.chunks is not None:
                self.wfile.flush()
                _hang_up(self.connection)
            return
        block = b" " * 65536
        for start in range(0, size, len(block)):
            if self.server.stopping.is_set():
                return
            part = block[: min(len(block), size - start)]
            self.wfile.write(part)
            count(len(part))

    def date_time_string(self, timestamp: float | None = None) -> str:
        # The Date header tells the simulated clock, which advance() moves.
        return formatdate(self.server.service.now_s if timestamp is None else timestamp, usegmt=True)

    def log_message(self, format: str, *args: Any) -> None:
        return None


def _check_loopback(host: str) -> None:
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"the simulator only listens on loopback addresses, not {host!r}")


class Simulator:
    """Handle of a running simulator: where it listens, what it accepts, and its controls.

    ``repr`` never shows the SK, the token or the password.
    """

    def __init__(self, service: TaskCenterService, server: _Server) -> None:
        self.service = service
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @classmethod
    def start(cls, host: str = "127.0.0.1", port: int = 0, **options: Any) -> Simulator:
        """Start serving in a background thread (``port=0``: a free port); stop with :meth:`close`."""
        _check_loopback(host)
        service = TaskCenterService(**options)
        handle = cls(service, _Server((host, port), service))
        handle._thread.start()
        return handle

    def close(self) -> None:
        self._server.stopping.set()
        self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Simulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"Simulator(url={self.url!r}, ak={self.ak!r}, project_id={self.project_id!r}, "
            f"region={self.region!r}, jobs={len(self.fleet)}, now={self.now.isoformat()!r})"
        )

    # --- where and who -----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def region(self) -> str:
        return self.fleet.regions[0]

    @property
    def project_id(self) -> str:
        return self.fleet.project_ids[self.region]

    @property
    def project_ids(self) -> dict[str, str]:
        """Project id of each simulated region (the path's project id picks the region)."""
        return dict(self.fleet.project_ids)

    @property
    def ak(self) -> str:
        return self.service.credentials.ak

    @property
    def sk(self) -> str:
        return self.service.credentials.sk

    @property
    def token(self) -> str:
        """A ready token for :attr:`project_id` that never expires (IAM-issued ones last 24 h)."""
        return self.service.static_token

    @property
    def user(self) -> str:
        return self.service.credentials.user

    @property
    def password(self) -> str:
        return self.service.credentials.password

    @property
    def domain(self) -> str:
        return self.service.credentials.domain

    # --- the world ---------------------------------------------------------------------------------

    @property
    def fleet(self) -> Fleet:
        return self.service.fleet

    @property
    def now(self) -> datetime:
        return self.service.now

    @property
    def requests(self) -> list[RequestRecord]:
        with self.service.lock:
            return list(self.service.log)

    def advance(self, seconds: float) -> datetime:
        return self.service.advance(seconds)

    def spawn(self, count: int, *, region: str | None = None) -> list[str]:
        return self.service.spawn(count, region=region)

    def inject(self, fault: str, count: int = 1) -> None:
        self.service.inject(fault, count)

    def set(self, **options: Any) -> None:
        self.service.set(**options)

    def reset(self) -> None:
        """Back to default options with no queued fault, e.g. between tests sharing one simulator."""
        self.service.reset()

    truth = forward(TaskCenterService.truth)


@contextmanager
def running(**options: Any) -> Iterator[Simulator]:
    """Run a simulator on a free loopback port for the ``with`` block.

    Options: fleet (``jobs``, ``instances``, ``regions``, ``history_days``, ``future_days``, ``seed``,
    ``now``), clock (``tick=True`` follows real time; default frozen, moved by ``advance``),
    credentials (``ak``, ``sk``) and the runtime ones of :class:`Options`.
    """
    simulator = Simulator.start(**options)
    try:
        yield simulator
    finally:
        simulator.close()


def serve(
    port: int,
    host: str = "127.0.0.1",
    *,
    out: TextIO | None = None,
    stop: threading.Event | None = None,
    **options: Any,
) -> None:
    """Serve until interrupted or ``stop`` is set (``ddsjobs simulate``); prints the URL and credentials.

    The credentials are the simulator's own throwaway ones, printed so a client can be pointed at it.
    """
    out = out or sys.stdout
    # For a person watching, jobs should finish and arrive on their own: the clock follows real time.
    options.setdefault("tick", True)
    simulator = Simulator.start(host=host, port=port, **options)
    region_variable = "HUAWEICLOUD_SDK_REGION_DDS_" + simulator.region.upper().replace("-", "_")
    lines = [
        f"DDS task-center simulator listening on {simulator.url} ({len(simulator.fleet)} jobs, seed "
        f"{options.get('seed', 0)}); Ctrl-C stops it.",
        "Use these throwaway credentials:",
        f"export HUAWEICLOUD_SDK_REGION={simulator.region}",
        f"export {region_variable}={simulator.url}",
        f"export HUAWEICLOUD_SDK_AK={simulator.ak}",
        f"export HUAWEICLOUD_SDK_SK={simulator.sk}",
        f"export HUAWEICLOUD_SDK_PROJECT_ID={simulator.project_id}",
        f"export HUAWEICLOUD_SDK_IAM_ENDPOINT={simulator.url}",
        f"# token: {simulator.token}",
        f"# IAM password login: user {simulator.user!r}, domain {simulator.domain!r}, password "
        f"{simulator.password!r}",
    ]
    print("\n".join(lines), file=out, flush=True)
    try:
        (stop or threading.Event()).wait()
    except KeyboardInterrupt:
        pass
    finally:
        simulator.close()
