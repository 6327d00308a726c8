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
from ._config import ClientSettings
from ._errors import PartialResultError, PartialResultWarning, TaskCenterError
from ._inventory import AsyncInventoryMethods, InventoryMethods
from ._loop import LoopThread
from ._progress import ProgressCallback
from ._records import check_filters, fetch_records
from ._regions import resolve_endpoint
from ._retry import RateLimiter, RetryPolicy
from ._timerange import MAX_WINDOW, TimeLike, to_utc
from ._transport import ClientCore, JobBatch

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["AsyncTaskCenter", "TaskCenter"]

T = TypeVar("T")
Target = Union[tuple[str, str], "TaskCenter", "AsyncTaskCenter"]


_CLOSED = "this {} has been closed; create a new client to send more requests"


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
        deadline: float | None = None,
        max_response_bytes: int = ClientSettings.max_response_bytes,
        max_retry_after: float = ClientSettings.max_retry_after,
        max_retries: int = 5,
        max_concurrency: int = 8,
        rate_limit: float | RateLimiter | None = None,
        max_pages: int = ClientSettings.max_pages,
        progress: bool = True,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        if not project_id:
            raise ValueError("project_id is required (the DDS API puts it in every path)")
        if not isinstance(auth, httpx.Auth):
            raise TypeError(f"auth must be AkSkAuth, TokenAuth or PasswordAuth, got {type(auth).__name__}")
        self.settings = ClientSettings(
            timeout=timeout,
            deadline=deadline,
            max_response_bytes=max_response_bytes,
            max_retry_after=max_retry_after,
            max_retries=max_retries,
            max_concurrency=max_concurrency,
            rate_limit=rate_limit,
            max_pages=max_pages,
            progress=progress,
            transport=transport,
            retry=retry or RetryPolicy(),
        )
        self._auth = auth
        self._closed = False
        # The blocking flavour's private event loop, started on first use.
        self._runner: LoopThread | None = None
        self._runner_lock = threading.Lock()
        self._finalizer: weakref.finalize[Any, Any] | None = None
        self._core = ClientCore(
            endpoint=resolve_endpoint(region, endpoint),
            project_id=project_id,
            region=region,
            auth=auth_for_project(auth, project_id),
            settings=self.settings,
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

    @property
    def is_closed(self) -> bool:
        return self._closed

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(region={self.region!r}, project_id={self.project_id!r}, "
            f"endpoint={self.endpoint!r}, auth={self._core.auth!r}{', closed' if self._closed else ''})"
        )

    def _check_open(self) -> None:
        """Like httpx: a closed client refuses work rather than silently reconnecting."""
        if self._closed:
            raise RuntimeError(_CLOSED.format(type(self).__name__))

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
        on_progress: ProgressCallback | None = None,
    ) -> tuple[list[dict[str, Any]], dict[str, TaskCenterError]]:
        check_filters(filters)
        if job_ids is not None and (start is not None or end is not None or filters):
            raise ValueError("fetch takes either job_ids or a time range with filters, not both")
        window = None if job_ids is not None else self._window(start, end)
        return await fetch_records(self._core, window, job_ids, filters, False, on_progress)

    async def _fetch_many_parts(
        self,
        targets: Sequence[Target],
        start: TimeLike | None,
        end: TimeLike | None,
        filters: Mapping[str, Any],
    ) -> tuple[list[dict[str, Any]], dict[str, TaskCenterError]]:
        self._check_open()
        check_filters(filters)
        cores = [self._sibling_core(target) for target in targets]
        try:
            results = await asyncio.gather(
                *(fetch_records(core, self._window(start, end), None, filters, True) for core in cores)
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
            target._check_open()
            source, auth = target._core, target._auth
            region, project_id, endpoint = source.region, source.project_id, source.endpoint
        else:
            region, project_id = target
            source, auth = self._core, self._auth
            endpoint = source.endpoint if region == source.region else resolve_endpoint(region, None)
        return ClientCore(
            endpoint=endpoint,
            project_id=project_id,
            region=region,
            auth=auth_for_project(auth, project_id),
            settings=source.settings,
        )


class TaskCenter(_TaskCenterBase, InventoryMethods):
    """Blocking client for the DDS task center of one project.

    ``region`` picks the endpoint (or give ``endpoint``; plain HTTP only on loopback); ``auth`` is an
    ``AkSkAuth``, ``TokenAuth`` or ``PasswordAuth``. The other keywords are the :class:`ClientSettings`
    (``timeout`` per network operation, ``deadline`` per request, ``max_response_bytes``,
    ``max_retry_after``, ``max_retries``, ``max_concurrency``, ``rate_limit``, ``max_pages``, ``progress``,
    ``transport``, ``retry``). Retries of throttling, 5xx, "busy", timeouts and dropped connections are
    logged at INFO on the ``ddsjobs_analytics.client`` logger; ``on_progress(done, total)`` on
    ``list_jobs``/``get_jobs``/``fetch`` reports progress (called from the client's worker thread).
    After ``close()`` (or the ``with`` block) every call raises RuntimeError.

    >>> with TaskCenter(region="cn-north-4", project_id="…", auth=AkSkAuth(ak, sk)) as tc:  # doctest: +SKIP
    ...     frame = tc.fetch()  # the last 30 days as a jobs frame
    """

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        with self._runner_lock:
            if self._closed:
                coro.close()
                raise RuntimeError(_CLOSED.format(type(self).__name__))
            if self._runner is None:
                self._runner = LoopThread()
                self._finalizer = weakref.finalize(self, self._runner.stop)
            runner = self._runner
        return runner.run(coro)

    def close(self) -> None:
        """Close the connections and stop the private event loop (safe to call twice)."""
        with self._runner_lock:
            runner, self._runner = self._runner, None
            self._closed = True
        if runner is not None:
            runner.run(self._core.aclose())
            runner.stop()
            if self._finalizer is not None:
                self._finalizer.detach()
        self._core.release()

    def __enter__(self) -> TaskCenter:
        self._check_open()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def get_job(self, job_id: str) -> dict[str, Any]:
        """The job (ShowJobDetail's ``job`` object); NotFoundError for an unknown or expired id."""
        return self._run(self._core.get_job(job_id))

    def get_jobs(
        self, job_ids: Sequence[str], *, strict: bool = False, on_progress: ProgressCallback | None = None
    ) -> JobBatch:
        """Jobs by id, concurrently, in request order (each id once). Failed ids are in ``.failures`` and
        summarised in a PartialResultWarning (``strict=True``: PartialResultError instead); an AuthError
        stops the batch."""
        return self._check_batch(self._run(self._core.get_jobs(job_ids, on_progress)), strict)

    def list_jobs(
        self,
        start: TimeLike,
        end: TimeLike | None = None,
        *,
        status: str | None = None,
        name: str | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> list[dict[str, Any]]:
        """Jobs created in ``[start, end]`` (naive times are UTC; no ``end``: now), in 30-day windows, each
        job once."""
        window = self._window(start, end)
        stamped = self._run(self._core.list_stamped(*window, status, name, on_progress))
        return [job for job, _ in stamped]

    def fetch(
        self,
        start: TimeLike | None = None,
        end: TimeLike | None = None,
        *,
        job_ids: Sequence[str] | None = None,
        on_progress: ProgressCallback | None = None,
        **filters: Any,
    ) -> pd.DataFrame:
        """A jobs frame of ``[start, end]`` (default: the last 30 days) or of ``job_ids``."""
        return self._finish_fetch(self._run(self._fetch_parts(start, end, job_ids, filters, on_progress)))

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


class AsyncTaskCenter(_TaskCenterBase, AsyncInventoryMethods):
    """The same client as coroutines, on the caller's event loop (use ``async with``)."""

    async def aclose(self) -> None:
        self._closed = True
        await self._core.aclose()

    async def close(self) -> None:
        await self.aclose()

    async def __aenter__(self) -> AsyncTaskCenter:
        self._check_open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def get_job(self, job_id: str) -> dict[str, Any]:
        """The job (ShowJobDetail's ``job`` object); NotFoundError for an unknown or expired id."""
        self._check_open()
        return await self._core.get_job(job_id)

    async def get_jobs(
        self, job_ids: Sequence[str], *, strict: bool = False, on_progress: ProgressCallback | None = None
    ) -> JobBatch:
        """Jobs by id, concurrently, in request order; failures in ``.failures`` (see ``TaskCenter``)."""
        self._check_open()
        return self._check_batch(await self._core.get_jobs(job_ids, on_progress), strict)

    async def list_jobs(
        self,
        start: TimeLike,
        end: TimeLike | None = None,
        *,
        status: str | None = None,
        name: str | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> list[dict[str, Any]]:
        """Jobs created in ``[start, end]`` (naive times are UTC; no ``end``: now), in 30-day windows, each
        job once."""
        self._check_open()
        stamped = await self._core.list_stamped(*self._window(start, end), status, name, on_progress)
        return [job for job, _ in stamped]

    async def fetch(
        self,
        start: TimeLike | None = None,
        end: TimeLike | None = None,
        *,
        job_ids: Sequence[str] | None = None,
        on_progress: ProgressCallback | None = None,
        **filters: Any,
    ) -> pd.DataFrame:
        """A jobs frame of ``[start, end]`` (default: the last 30 days) or of ``job_ids``."""
        self._check_open()
        return self._finish_fetch(await self._fetch_parts(start, end, job_ids, filters, on_progress))

    async def fetch_many(
        self,
        targets: Sequence[Target],
        start: TimeLike | None = None,
        end: TimeLike | None = None,
        **filters: Any,
    ) -> pd.DataFrame:
        """One frame of several (region, project_id) pairs or clients, fetched concurrently."""
        return self._finish_fetch(await self._fetch_many_parts(targets, start, end, filters), tagged=True)
