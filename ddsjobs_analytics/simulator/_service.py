"""The simulated task center, independent of sockets: state, options, faults, and request dispatch."""

from __future__ import annotations

import collections
import dataclasses
import functools
import json
import random
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Concatenate, ParamSpec, TypeVar

from .._core._names import JOB_NAMES, STATUSES
from .._core._time import parse_api_times
from . import _errors
from ._auth import TOKEN_LIFETIME_S, Credentials, TokenStore, iam_login, iam_token_body, verify_signature
from ._errors import ApiError
from ._inventory import Inventory, build_inventory
from ._inventory_api import list_instances, list_scheduled_jobs
from ._messages import Reply, Request, RequestRecord
from ._misbehave import MISBEHAVIOURS, endless_page, misbehave
from ._sample import Fleet, generate_fleet

__all__ = ["FAULTS", "Options", "Reply", "Request", "RequestRecord", "TaskCenterService"]

FAULTS: tuple[str, ...] = ("429", "429-retry-after", "500", "503", "drop", "timeout", *MISBEHAVIOURS)
_LIST_PATH = re.compile(r"/v3\.1/([^/]+)/jobs/?")
_DETAIL_PATH = re.compile(r"/v3/([^/]+)/jobs/?")
_INSTANCES_PATH = re.compile(r"/v3/([^/]+)/instances/?")
_SCHEDULED_PATH = re.compile(r"/v3/([^/]+)/scheduled-jobs/?")
_IAM_PATH = re.compile(r"/v3/auth/tokens/?")

_P = ParamSpec("_P")
_R = TypeVar("_R")


@dataclass
class Options:
    """Runtime-mutable behaviour (see :meth:`TaskCenterService.set`).

    ``throttle``: admitted requests per second (None: unlimited); ``retry_after``: seconds sent as
    ``Retry-After`` on throttling (the real gateway sends none); ``error_rate``/``drop_rate``: chance of a
    random 500/503 or of closing the connection unanswered; ``shift_during_paging``: jobs that arrive after
    every ListTasks page; ``timeout_s``: how long the "timeout" fault stalls; ``detail_lag_s``: how long a new
    job stays invisible to ShowJobDetail; ``horizon_days``: how far back anything can be queried.
    Misbehaviour (``_misbehave``): ``trickle_s`` per byte of a trickled reply; ``huge_body_bytes`` of the
    "huge-body" fault; ``endless_pages``: every ListTasks page is full of new ids; ``record_override``:
    fields set on every served record (e.g. ``{"fail_reason": "x\\ud800"}``); ``bomb_bytes``: decompressed
    size of the bomb faults; ``total_count``: the total_count ListTasks claims (a lie) instead of the real
    one; ``ignore_offset``: every ListTasks page is the first.
    """

    latency_ms: float = 0.0
    throttle: float | None = None
    retry_after: float | None = None
    error_rate: float = 0.0
    drop_rate: float = 0.0
    total_count_omitted: bool = False
    shift_during_paging: int = 0
    instances_during_paging: int = 0  # instances created after every ListInstances page
    timeout_s: float = 5.0
    detail_lag_s: float = 0.0
    horizon_days: float = 30.0
    max_span_days: float = 30.0
    trickle_s: float = 1.0
    huge_body_bytes: int = 300 * 1024 * 1024
    endless_pages: bool = False
    record_override: dict[str, Any] | None = None
    bomb_bytes: int = 1 << 31
    total_count: int | None = None
    ignore_offset: bool = False

    def update(self, **changes: Any) -> None:
        names = {f.name for f in dataclasses.fields(self)}
        unknown = set(changes) - names
        if unknown:
            raise TypeError(
                f"unknown simulator option(s): {', '.join(sorted(unknown))}; known: {sorted(names)}"
            )
        for name, value in changes.items():
            setattr(self, name, value)
        for rate in ("error_rate", "drop_rate"):
            if not 0.0 <= getattr(self, rate) <= 1.0:
                raise ValueError(f"{rate} must be within [0, 1], not {getattr(self, rate)!r}")


def parse_api_time(value: str) -> int:
    """Epoch seconds of a ``yyyy-mm-ddThh:mm:ss+hhmm`` string; ValueError for any other spelling."""
    times = parse_api_times([value], strict=True)
    if times.bad[0] or times.missing[0]:
        raise ValueError(value)
    return int(times.utc.astype("datetime64[s]").astype("int64")[0])


class TaskCenterService:
    """The DDS task center of one fleet, behind a gateway with throttling, faults and authentication."""

    def __init__(
        self,
        *,
        jobs: int = 5000,
        instances: int = 60,
        regions: Sequence[str] = ("cn-north-4",),
        history_days: float = 60,
        future_days: float = 2,
        seed: int = 0,
        now: datetime | None = None,
        tick: bool = False,
        ak: str | None = None,
        sk: str | None = None,
        **options: Any,
    ) -> None:
        start = now or datetime.now(timezone.utc)
        self._start = int(start.timestamp())
        self._advanced = 0
        # A ticking clock follows real time from ``now`` on (for people); a frozen one moves by advance().
        self._tick_origin = time.monotonic() if tick else None
        # Jobs are drawn up to ``future_days`` ahead so that advancing the clock brings new ones.
        self.fleet: Fleet = generate_fleet(
            jobs=jobs,
            instances=instances,
            regions=tuple(regions),
            days=history_days + future_days,
            end=datetime.fromtimestamp(self._start + int(future_days * 86400), timezone.utc),
            seed=seed,
        )
        # The inventory (ListInstances, ListScheduledTasks) of the same fleet, from its own draws.
        self.inventory: Inventory = build_inventory(self.fleet, now=self._start, seed=seed)
        self.options = Options()
        self.options.update(**options)
        self.credentials = Credentials.generate(ak, sk)
        self.tokens = TokenStore()
        self.static_token = self.tokens.issue(self.fleet.project_ids[self.fleet.regions[0]], None)
        self.lock = threading.RLock()
        self._faults: collections.deque[str] = collections.deque()
        self._random = random.Random(seed)
        self._admitted: collections.deque[float] = collections.deque()
        self.log: list[RequestRecord] = []

    # --- control -----------------------------------------------------------------------------------

    @property
    def now(self) -> datetime:
        return datetime.fromtimestamp(self.now_s, timezone.utc)

    @property
    def now_s(self) -> int:
        ticked = int(time.monotonic() - self._tick_origin) if self._tick_origin is not None else 0
        return self._start + self._advanced + ticked

    def advance(self, seconds: float) -> datetime:
        """Move the job clock forward: running jobs finish, jobs drawn for later appear."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self.lock:
            self._advanced += round(seconds)
            return self.now

    def spawn(self, count: int, *, region: str | None = None) -> list[str]:
        """``count`` new jobs created now (in ``region``, default the first); returns their ids."""
        with self.lock:
            return self.fleet.spawn(count, self.now_s, region=region or self.fleet.regions[0])

    def inject(self, fault: str, count: int = 1) -> None:
        """Queue ``count`` deterministic faults for the next requests (one fault per request)."""
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; known: {', '.join(FAULTS)}")
        with self.lock:
            self._faults.extend([fault] * count)

    def set(self, **options: Any) -> None:
        with self.lock:
            self.options.update(**options)

    def reset(self) -> None:
        """Default options and no queued fault (the fleet, clock and request log stay)."""
        with self.lock:
            self.options = Options()
            self._faults.clear()
            self._admitted.clear()

    def truth(
        self,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        project_id: str | None = None,
        shape: str = "v3.1",
    ) -> list[dict[str, Any]]:
        """The records the service holds now, created in ``[start, end]`` (inclusive; the one-month horizon
        does not apply), newest first: ListTasks shape by default, ``shape="v3"`` for ShowJobDetail's."""
        with self.lock:
            now = self.now_s
            indices = self.fleet.select(
                now,
                created_from=int(start.timestamp()) if start else None,
                created_to=int(end.timestamp()) if end else None,
                project_id=project_id or self.fleet.project_ids[self.fleet.regions[0]],
            )
            return self.fleet.render(indices, now, shape="v3" if shape == "v3" else "v3.1")

    # --- serving -----------------------------------------------------------------------------------

    def handle(self, request: Request) -> Reply:
        """Serve one request: gateway faults and throttling first, then authentication, then the API."""
        fault, reply = self._gateway(request)
        if reply is None:
            try:
                reply = self._route(request)
            except ApiError as error:
                reply = Reply(error.status, error.body(), dict(error.headers))
            if fault in MISBEHAVIOURS:
                held = (self.credentials.sk, self.credentials.password)
                misbehave(fault, reply, request, held, self.options.bomb_bytes)
        reply.delay_s += self.options.latency_ms / 1000.0
        with self.lock:
            status = None if reply.drop else reply.status
            self.log.append(RequestRecord(request.method, request.path, tuple(request.query), status, fault))
        return reply

    def _gateway(self, request: Request) -> tuple[str | None, Reply | None]:
        with self.lock:
            fault = self._faults.popleft() if self._faults else None
            if fault is None and self.options.drop_rate and self._random.random() < self.options.drop_rate:
                fault = "drop"
            if fault is None and self.options.error_rate and self._random.random() < self.options.error_rate:
                fault = self._random.choice(("500", "503"))
            if fault is None and self._over_rate():
                return "throttle", _error_reply(
                    _errors.throttled(self.options.throttle or 0, self.options.retry_after)
                )
        if fault is None or fault in MISBEHAVIOURS:
            return fault, None
        if fault == "drop":
            return fault, Reply(drop=True)
        if fault == "timeout":
            return fault, Reply(drop=True, delay_s=self.options.timeout_s)
        if fault.startswith("429"):
            retry_after = (self.options.retry_after or 1.0) if fault == "429-retry-after" else None
            return fault, _error_reply(_errors.throttled(self.options.throttle or 10, retry_after))
        return fault, _error_reply(_errors.server_error() if fault == "500" else _errors.unavailable())

    def _over_rate(self) -> bool:
        limit = self.options.throttle
        if not limit:
            return False
        clock = time.monotonic()
        while self._admitted and clock - self._admitted[0] >= 1.0:
            self._admitted.popleft()
        if len(self._admitted) >= limit:
            return True
        self._admitted.append(clock)
        return False

    def _route(self, request: Request) -> Reply:
        path = request.path
        if request.method == "POST" and _IAM_PATH.fullmatch(path):
            return self._iam(request)
        if request.method == "GET":
            if match := _LIST_PATH.fullmatch(path):
                project_id = self._authenticate(request, match.group(1))
                return self._list_tasks(request, project_id)
            if match := _DETAIL_PATH.fullmatch(path):
                project_id = self._authenticate(request, match.group(1))
                return self._show_job_detail(request, project_id)
            if match := _INSTANCES_PATH.fullmatch(path):
                return list_instances(self, request, self._authenticate(request, match.group(1)))
            if match := _SCHEDULED_PATH.fullmatch(path):
                return list_scheduled_jobs(self, request, self._authenticate(request, match.group(1)))
        raise _errors.no_such_api()

    def _authenticate(self, request: Request, project_id: str) -> str:
        token = request.header("X-Auth-Token")
        if token is not None:
            with self.lock:
                self.tokens.check(token, project_id, self.now_s)
        else:
            verify_signature(
                method=request.method,
                path=request.path,
                query=request.query,
                header=request.header,
                body=request.body,
                credentials=self.credentials,
                wall_now=datetime.now(timezone.utc),
            )
            header_project = request.header("X-Project-Id")
            if header_project is not None and header_project != project_id:
                raise _errors.invalid_project(header_project)
        if project_id not in self.fleet.project_ids.values():
            raise _errors.invalid_project(project_id)
        return project_id

    def _iam(self, request: Request) -> Reply:
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            body = {}
        scope = iam_login(body, self.credentials, self.fleet.project_ids)
        if scope is None:
            message = {"code": 401, "message": "The username or password is wrong.", "title": "Unauthorized"}
            return Reply(401, {"error": message})
        project_id, region = scope
        with self.lock:
            issued = self.now_s
            token = self.tokens.issue(project_id, issued + TOKEN_LIFETIME_S)
        payload = iam_token_body(
            credentials=self.credentials,
            project_id=project_id,
            region=region,
            issued_at=datetime.fromtimestamp(issued, timezone.utc),
            expires_at=datetime.fromtimestamp(issued + TOKEN_LIFETIME_S, timezone.utc),
        )
        return Reply(201, payload, {"X-Subject-Token": token})

    def _queryable_from(self, now: int) -> int:
        return now - int(self.options.horizon_days * 86400)

    def _show_job_detail(self, request: Request, project_id: str) -> Reply:
        job_id = dict(request.query).get("id", "")
        if not job_id:
            raise _errors.parameter_error("The job id is required.")
        with self.lock:
            now = self.now_s
            indices = self.fleet.select(
                now - int(self.options.detail_lag_s),
                created_from=self._queryable_from(now),
                project_id=project_id,
                job_id=job_id,
            )
            if not len(indices):
                raise _errors.job_not_found(job_id)
            record = self.fleet.render(indices[:1], now, shape="v3")[0]
        return Reply(200, {"job": {**record, **(self.options.record_override or {})}})

    def _list_tasks(self, request: Request, project_id: str) -> Reply:
        query = dict(request.query)
        start, end = _window(query, self.options.max_span_days)
        status = query.get("status") or None
        if status is not None and status not in STATUSES:
            raise _errors.parameter_error(f"Invalid status {status!r}: one of {', '.join(STATUSES)}.")
        name = query.get("name") or None
        if name is not None and name not in JOB_NAMES:
            raise _errors.parameter_error(f"Invalid job name {name!r}.")
        offset = _integer(query.get("offset", "0"), minimum=0, maximum=None, error=_errors.invalid_offset)
        limit = _integer(query.get("limit", "100"), minimum=1, maximum=100, error=_errors.invalid_limit)
        with self.lock:
            now = self.now_s
            # Jobs older than the horizon are silently out of reach, as the reference describes.
            indices = self.fleet.select(
                now,
                created_from=max(start, self._queryable_from(now)),
                created_to=end,
                project_id=project_id,
                status=status,
                job_id=query.get("id") or None,
                name=name,
            )
            first = 0 if self.options.ignore_offset else offset
            page = self.fleet.render(indices[first : first + limit], now)
            if self.options.endless_pages:
                page = endless_page(self.fleet.render(indices[:limit], now), limit)
            if self.options.record_override:
                page = [{**record, **self.options.record_override} for record in page]
            if self.options.shift_during_paging:
                region = self.fleet.region_of_project(project_id)
                self.fleet.spawn(self.options.shift_during_paging, now, region=region)
        body: dict[str, Any] = {"jobs": page}
        if not self.options.total_count_omitted:
            claimed = self.options.total_count
            body = {"total_count": len(indices) if claimed is None else claimed, "jobs": page}
        return Reply(200, body)


def _error_reply(error: ApiError) -> Reply:
    return Reply(error.status, error.body(), dict(error.headers))


def _window(query: dict[str, str], max_span_days: float) -> tuple[int, int]:
    """Validated ``(start, end)`` epoch seconds of a ListTasks query (codes from the reference, §5)."""
    if not query.get("start_time"):
        raise _errors.invalid_start("start_time is mandatory.")
    try:
        start = parse_api_time(query["start_time"])
    except ValueError:
        raise _errors.invalid_time_format("start_time") from None
    if not query.get("end_time"):
        raise _errors.invalid_end_time("end_time is mandatory.")
    try:
        end = parse_api_time(query["end_time"])
    except ValueError:
        raise _errors.invalid_end_time(
            "Invalid end_time format: expected yyyy-mm-ddThh:mm:ss+hhmm."
        ) from None
    if end <= start:
        raise _errors.invalid_end("end_time must be later than start_time.")
    if end - start > max_span_days * 86400:
        raise _errors.invalid_end_time(
            f"The period between start_time and end_time exceeds {max_span_days:g} days."
        )
    return start, end


def _integer(text: str, *, minimum: int, maximum: int | None, error: Callable[[], ApiError]) -> int:
    try:
        value = int(text)
    except ValueError:
        raise error() from None
    if value < minimum or (maximum is not None and value > maximum):
        raise error()
    return value


def forward(
    method: Callable[Concatenate[TaskCenterService, _P], _R],
) -> Callable[Concatenate[Any, _P], _R]:
    """A handle's method that calls ``method`` on the handle's ``service``: same signature and docstring."""

    @functools.wraps(method)
    def call(handle: Any, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        return method(handle.service, *args, **kwargs)

    return call
