"""``TaskCenter`` (blocking) and ``AsyncTaskCenter`` (coroutines): one DDS project in one region.

Both drive the same asynchronous core. The blocking client runs it on a private event loop in a worker
thread, so its methods also work where an event loop is already running (a Jupyter cell).
"""

from __future__ import annotations

import asyncio
import os
import threading
import warnings
import weakref
from collections.abc import Coroutine, Mapping, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, TypeVar, Union

import httpx

from ._auth import AkSkAuth, auth_for_project
from ._errors import PartialResultError, PartialResultWarning, TaskCenterError
from ._regions import resolve_endpoint
from ._retry import RateLimiter, RetryPolicy
from ._timerange import MAX_WINDOW, TimeLike, to_utc
from ._transport import ClientCore, JobBatch, Stamped

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["AsyncTaskCenter", "TaskCenter"]

T = TypeVar("T")
Target = Union[tuple[str, str], "TaskCenter", "AsyncTaskCenter"]


class _LoopThread:
    """A private event loop in a daemon thread; ``run`` blocks the caller until a coroutine finishes."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="ddsjobs-client", daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result()
        except BaseException:
            future.cancel()  # e.g. KeyboardInterrupt in the caller: stop the work too
            raise

    def stop(self) -> None:
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()


def _observed_records(stamped: list[Stamped], extra: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Copies of the records with the time each was read (``observed_at``) and any extra keys."""
    return [{**job, "observed_at": seen_at, **(extra or {})} for job, seen_at in stamped]


class _TaskCenterBase:
    """Configuration and argument handling shared by the blocking and the asynchronous client."""

    def __init__(
        self,
        *,
        region: str | None = None,
        project_id: str,
        auth: httpx.Auth,
        endpoint: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 5,
        max_concurrency: int = 8,
        rate_limit: float | RateLimiter | None = None,
        progress: bool = True,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        if not project_id:
            raise ValueError("project_id is required (the DDS API puts it in every path)")
        if not isinstance(auth, httpx.Auth):
            raise TypeError(f"auth must be AkSkAuth, TokenAuth or PasswordAuth, got {type(auth).__name__}")
        if isinstance(rate_limit, (int, float)):
            rate_limit = RateLimiter(rate_limit)
        self._options: dict[str, Any] = {
            "timeout": timeout,
            "max_retries": max_retries,
            "max_concurrency": max_concurrency,
            "rate_limit": rate_limit,
            "progress": progress,
            "transport": transport,
            "retry": retry,
        }
        self._auth = auth
        # The blocking flavour's private event loop, started on first use.
        self._runner: _LoopThread | None = None
        self._runner_lock = threading.Lock()
        self._finalizer: weakref.finalize[Any, Any] | None = None
        self._core = ClientCore(
            endpoint=resolve_endpoint(region, endpoint),
            project_id=project_id,
            region=region,
            auth=auth_for_project(auth, project_id),
            timeout=timeout,
            retry=retry or RetryPolicy(),
            max_retries=max_retries,
            max_concurrency=max_concurrency,
            rate_limiter=rate_limit,
            progress=progress,
            transport=transport,
        )

    @classmethod
    def from_env(cls: type[T], environ: Mapping[str, str] | None = None, **options: Any) -> T:
        """A client configured like the official SDK from the environment.

        Reads ``HUAWEICLOUD_SDK_AK``, ``HUAWEICLOUD_SDK_SK``, ``HUAWEICLOUD_SDK_SECURITY_TOKEN`` (temporary
        credentials), ``HUAWEICLOUD_SDK_PROJECT_ID``, ``HUAWEICLOUD_SDK_REGION`` (ours: the SDK takes the
        region in code) and the endpoint overrides ``DDSJOBS_ENDPOINT`` / ``HUAWEICLOUD_SDK_REGION_DDS_<R>``.
        Keyword ``options`` are passed on and win over the environment.
        """
        env = os.environ if environ is None else environ
        missing = [name for name in ("HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK") if not env.get(name)]
        if "project_id" not in options and not env.get("HUAWEICLOUD_SDK_PROJECT_ID"):
            missing.append("HUAWEICLOUD_SDK_PROJECT_ID")
        if "auth" not in options and missing:
            raise ValueError(f"missing environment variable(s): {', '.join(missing)}")
        settings: dict[str, Any] = {
            "region": env.get("HUAWEICLOUD_SDK_REGION") or None,
            "project_id": env.get("HUAWEICLOUD_SDK_PROJECT_ID"),
        }
        if "auth" not in options:
            settings["auth"] = AkSkAuth(
                env["HUAWEICLOUD_SDK_AK"],
                env["HUAWEICLOUD_SDK_SK"],
                security_token=(env.get("HUAWEICLOUD_SDK_SECURITY_TOKEN") or "").strip() or None,
            )
        merged = {**settings, **options}
        if not merged.get("endpoint"):
            if not merged.get("region") and not env.get("DDSJOBS_ENDPOINT"):
                raise ValueError(
                    "no region or endpoint: set HUAWEICLOUD_SDK_REGION (or DDSJOBS_ENDPOINT), "
                    "or pass region=... or endpoint=..."
                )
            merged["endpoint"] = resolve_endpoint(merged.get("region"), None, env)
        return cls(**merged)

    # --- properties ----------------------------------------------------------------------------------------
    @property
    def region(self) -> str | None:
        return self._core.region

    @property
    def project_id(self) -> str:
        return self._core.project_id

    @property
    def endpoint(self) -> str:
        return self._core.endpoint

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(region={self.region!r}, project_id={self.project_id!r}, "
            f"endpoint={self.endpoint!r}, auth={self._core.auth!r})"
        )

    # --- argument handling shared by both flavours ---------------------------------------------------------
    @staticmethod
    def _window(start: TimeLike | None, end: TimeLike | None) -> tuple[datetime, datetime]:
        """``[start, end]`` in UTC; by default the last 30 days (the service's horizon)."""
        end_utc = to_utc(end, "end") if end is not None else datetime.now(timezone.utc)
        start_utc = to_utc(start, "start") if start is not None else end_utc - MAX_WINDOW
        return start_utc, end_utc

    @staticmethod
    def _check_batch(batch: JobBatch, strict: bool) -> JobBatch:
        if batch.failures:
            if strict:
                raise PartialResultError(batch.summary(), results=list(batch), failures=batch.failures)
            warnings.warn(batch.summary(), PartialResultWarning, stacklevel=3)
        return batch

    async def _fetch_parts(
        self,
        start: TimeLike | None,
        end: TimeLike | None,
        job_ids: Sequence[str] | None,
        filters: Mapping[str, Any],
    ) -> tuple[list[dict[str, Any]], dict[str, TaskCenterError]]:
        _check_filters(filters)
        if job_ids is not None and (start is not None or end is not None or filters):
            raise ValueError("fetch takes either job_ids or a time range with filters, not both")
        window = None if job_ids is not None else self._window(start, end)
        return await _fetch_records(self._core, window, job_ids, filters, False)

    async def _fetch_many_parts(
        self,
        targets: Sequence[Target],
        start: TimeLike | None,
        end: TimeLike | None,
        filters: Mapping[str, Any],
    ) -> tuple[list[dict[str, Any]], dict[str, TaskCenterError]]:
        _check_filters(filters)
        cores = [self._sibling_core(target) for target in targets]
        try:
            results = await asyncio.gather(
                *(_fetch_records(core, self._window(start, end), None, filters, True) for core in cores)
            )
        finally:
            await asyncio.gather(*(core.aclose() for core in cores))
        return [record for records, _ in results for record in records], {}

    def _finish_fetch(
        self, parts: tuple[list[dict[str, Any]], dict[str, TaskCenterError]], *, tagged: bool = False
    ) -> pd.DataFrame:
        """The frame of fetched records (in the caller's thread, so warnings point at the caller)."""
        from .._frame import jobs_frame

        records, failures = parts
        if failures:
            warnings.warn(JobBatch(records, failures).summary(), PartialResultWarning, stacklevel=3)
        region, project_id = (None, None) if tagged else (self.region, self.project_id)
        frame = jobs_frame(
            records, observed_at=datetime.now(timezone.utc), region=region, project_id=project_id
        )
        if failures:
            frame.attrs["failed_job_ids"] = sorted(failures)
        return frame

    def _sibling_core(self, target: Target) -> ClientCore:
        """A fresh core on the caller's loop for a fetch_many target: a (region, project) pair or a client."""
        if isinstance(target, _TaskCenterBase):
            source, auth, options = target._core, target._auth, target._options
            region, project_id, endpoint = source.region, source.project_id, source.endpoint
        else:
            region, project_id = target
            source, auth, options = self._core, self._auth, self._options
            endpoint = source.endpoint if region == source.region else resolve_endpoint(region, None)
        return ClientCore(
            endpoint=endpoint,
            project_id=project_id,
            region=region,
            auth=auth_for_project(auth, project_id),
            timeout=options["timeout"],
            retry=options["retry"] or RetryPolicy(),
            max_retries=options["max_retries"],
            max_concurrency=options["max_concurrency"],
            rate_limiter=options["rate_limit"],
            progress=options["progress"],
            transport=options["transport"],
        )


async def _fetch_records(
    core: ClientCore,
    window: tuple[datetime, datetime] | None,
    job_ids: Sequence[str] | None,
    filters: Mapping[str, Any],
    tag_target: bool,
) -> tuple[list[dict[str, Any]], dict[str, TaskCenterError]]:
    """Records for a frame: a listing of the window, or the given job ids; plus per-id failures."""
    extra = {"region": core.region, "project_id": core.project_id} if tag_target else None
    if job_ids is not None:
        batch = await core.get_jobs(job_ids)
        now = datetime.now(timezone.utc)
        return _observed_records([(job, now) for job in batch], extra), batch.failures
    assert window is not None
    stamped = await core.list_stamped(window[0], window[1], filters.get("status"), filters.get("name"))
    return _observed_records(stamped, extra), {}


def _check_filters(filters: Mapping[str, Any]) -> None:
    unknown = set(filters) - {"status", "name"}
    if unknown:
        raise TypeError(
            f"unknown filter(s) {', '.join(sorted(unknown))}; ListTasks filters are status and name"
        )


class TaskCenter(_TaskCenterBase):
    """Blocking client for the DDS task center of one project.

    ``region`` picks the endpoint (or give ``endpoint``; plain HTTP only on loopback); ``auth`` is an
    ``AkSkAuth``, ``TokenAuth`` or ``PasswordAuth``. ``timeout`` is per request in seconds; ``max_retries``
    bounds retries of throttling, 5xx, "busy", timeouts and dropped connections (never other 4xx);
    ``max_concurrency`` bounds requests in flight; ``rate_limit`` caps requests started per second;
    ``progress`` shows a tqdm bar on long fetches; ``transport`` replaces the network (an async-capable
    httpx transport such as ``httpx.MockTransport``); ``retry`` tunes the backoff (``RetryPolicy``).

    >>> with TaskCenter(region="cn-north-4", project_id="…", auth=AkSkAuth(ak, sk)) as tc:  # doctest: +SKIP
    ...     frame = tc.fetch()  # the last 30 days as a jobs frame
    """

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        with self._runner_lock:
            if self._runner is None:
                self._runner = _LoopThread()
                self._finalizer = weakref.finalize(self, self._runner.stop)
            runner = self._runner
        return runner.run(coro)

    def close(self) -> None:
        """Close the connections and stop the private event loop (safe to call twice)."""
        with self._runner_lock:
            runner, self._runner = self._runner, None
        if runner is not None:
            runner.run(self._core.aclose())
            runner.stop()
            if self._finalizer is not None:
                self._finalizer.detach()

    def __enter__(self) -> TaskCenter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def get_job(self, job_id: str) -> dict[str, Any]:
        """The job (ShowJobDetail's ``job`` object); NotFoundError for an unknown or expired id."""
        return self._run(self._core.get_job(job_id))

    def get_jobs(self, job_ids: Sequence[str], *, strict: bool = False) -> JobBatch:
        """Jobs by id, concurrently, in request order (each id once). Failed ids are in ``.failures`` and
        summarised in a PartialResultWarning (``strict=True``: PartialResultError instead); an AuthError
        stops the batch."""
        return self._check_batch(self._run(self._core.get_jobs(job_ids)), strict)

    def list_jobs(
        self, start: TimeLike, end: TimeLike, *, status: str | None = None, name: str | None = None
    ) -> list[dict[str, Any]]:
        """Jobs created in ``[start, end]`` (naive times are UTC), in 30-day windows, each job once."""
        stamped = self._run(self._core.list_stamped(*self._window(start, end), status, name))
        return [job for job, _ in stamped]

    def fetch(
        self,
        start: TimeLike | None = None,
        end: TimeLike | None = None,
        *,
        job_ids: Sequence[str] | None = None,
        **filters: Any,
    ) -> pd.DataFrame:
        """A jobs frame of ``[start, end]`` (default: the last 30 days) or of ``job_ids``."""
        return self._finish_fetch(self._run(self._fetch_parts(start, end, job_ids, filters)))

    def fetch_many(
        self,
        targets: Sequence[Target],
        start: TimeLike | None = None,
        end: TimeLike | None = None,
        **filters: Any,
    ) -> pd.DataFrame:
        """One frame of several (region, project_id) pairs or clients, fetched concurrently.

        Pairs reuse this client's credentials and settings; each row carries its region and project.
        """
        return self._finish_fetch(
            self._run(self._fetch_many_parts(targets, start, end, filters)), tagged=True
        )


class AsyncTaskCenter(_TaskCenterBase):
    """The same client as coroutines, on the caller's event loop (use ``async with``)."""

    async def aclose(self) -> None:
        await self._core.aclose()

    async def close(self) -> None:
        await self.aclose()

    async def __aenter__(self) -> AsyncTaskCenter:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def get_job(self, job_id: str) -> dict[str, Any]:
        """The job (ShowJobDetail's ``job`` object); NotFoundError for an unknown or expired id."""
        return await self._core.get_job(job_id)

    async def get_jobs(self, job_ids: Sequence[str], *, strict: bool = False) -> JobBatch:
        """Jobs by id, concurrently, in request order; failures in ``.failures`` (see ``TaskCenter``)."""
        return self._check_batch(await self._core.get_jobs(job_ids), strict)

    async def list_jobs(
        self, start: TimeLike, end: TimeLike, *, status: str | None = None, name: str | None = None
    ) -> list[dict[str, Any]]:
        """Jobs created in ``[start, end]`` (naive times are UTC), in 30-day windows, each job once."""
        stamped = await self._core.list_stamped(*self._window(start, end), status, name)
        return [job for job, _ in stamped]

    async def fetch(
        self,
        start: TimeLike | None = None,
        end: TimeLike | None = None,
        *,
        job_ids: Sequence[str] | None = None,
        **filters: Any,
    ) -> pd.DataFrame:
        """A jobs frame of ``[start, end]`` (default: the last 30 days) or of ``job_ids``."""
        return self._finish_fetch(await self._fetch_parts(start, end, job_ids, filters))

    async def fetch_many(
        self,
        targets: Sequence[Target],
        start: TimeLike | None = None,
        end: TimeLike | None = None,
        **filters: Any,
    ) -> pd.DataFrame:
        """One frame of several (region, project_id) pairs or clients, fetched concurrently."""
        return self._finish_fetch(await self._fetch_many_parts(targets, start, end, filters), tagged=True)
