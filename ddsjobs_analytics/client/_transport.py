"""The asynchronous core shared by ``TaskCenter`` and ``AsyncTaskCenter``.

Its connections (a few small ``httpx.AsyncClient`` pools) belong to the event loop that first uses them.
Every HTTP attempt passes through the concurrency semaphore and then the rate limiter (in that order, so
waiting for a free slot can never bunch requests together past the rate); failures are retried by
``RetryPolicy``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timezone
from typing import Any, TypeVar

import httpx

from .._names import STATUSES, canonical_job_type
from ._auth import canonical_wire_query
from ._errors import (
    AuthError,
    NotFoundError,
    ServerError,
    TaskCenterError,
    TransportError,
    error_from_httpx,
)
from ._redact import install_log_redaction
from ._retry import RateLimiter, RetryPolicy, parse_retry_after
from ._timerange import format_api_time, split_windows

__all__ = ["PAGE_LIMIT", "ClientCore", "JobBatch", "map_bounded"]

logger = logging.getLogger("ddsjobs_analytics")
install_log_redaction()

PAGE_LIMIT = 100  # ListTasks' maximum page size
# Transport failures worth another try: timeouts, refused or reset connections, a peer hanging up mid-reply.
_RETRYABLE_TRANSPORT = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
_STALLED_PAGES = 3  # full pages in a row without one new id: the server is ignoring ``offset``

T = TypeVar("T")
R = TypeVar("R")
Stamped = tuple[dict[str, Any], datetime]


class JobBatch(list[dict[str, Any]]):
    """The jobs a batch returned, in request order, and ``failures``: job id → the error it raised."""

    def __init__(
        self, jobs: Sequence[dict[str, Any]] = (), failures: dict[str, TaskCenterError] | None = None
    ) -> None:
        super().__init__(jobs)
        self.failures: dict[str, TaskCenterError] = failures or {}

    def __repr__(self) -> str:
        return f"JobBatch({len(self)} jobs, {len(self.failures)} failures)"

    def summary(self) -> str:
        """One line naming the failed ids by error class (for warnings and logs)."""
        by_kind: dict[str, list[str]] = {}
        for job_id, error in self.failures.items():
            by_kind.setdefault(type(error).__name__, []).append(job_id)
        parts = [
            f"{kind} for {len(ids)} ({', '.join(ids[:5])}{', …' if len(ids) > 5 else ''})"
            for kind, ids in by_kind.items()
        ]
        return f"{len(self.failures)} of {len(self) + len(self.failures)} job ids failed: " + "; ".join(parts)


async def map_bounded(
    func: Callable[[T], Awaitable[R]], items: Sequence[T], limit: int
) -> list[R | TaskCenterError]:
    """``func`` over ``items`` with at most ``limit`` running, in order; a TaskCenterError is kept as the
    item's result, except AuthError (every other item would fail the same way), which cancels the rest."""
    results: list[R | TaskCenterError | None] = [None] * len(items)
    queue = iter(enumerate(items))

    async def worker() -> None:
        for index, item in queue:
            try:
                results[index] = await func(item)
            except AuthError:
                raise
            except TaskCenterError as error:
                results[index] = error

    tasks = [asyncio.ensure_future(worker()) for _ in range(max(1, min(limit, len(items))))]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    return results  # type: ignore[return-value]  # every slot was filled by a worker


class _NoCookies(httpx.Cookies):
    def extract_cookies(self, response: httpx.Response) -> None:
        return None


class _CookielessClient(httpx.AsyncClient):
    """The task center sets no cookies; skipping httpx's cookie jar saves a good share of the per-request CPU
    (it builds a ``urllib`` request for every response), which matters at hundreds of requests a second."""

    @property
    def cookies(self) -> httpx.Cookies:
        return _NoCookies()

    @cookies.setter
    def cookies(self, value: object) -> None:
        return None


_CONNECTIONS_PER_SHARD = 4


class _ShardedClients:
    """``max_concurrency`` connections split over several small httpx clients.

    httpcore's pool rescans every connection (a socket poll each) whenever a request starts or ends, which
    costs more CPU than the request itself at 16 connections; pools of four keep that scan short. Each
    request goes to the least busy shard, so with at most ``max_concurrency`` requests in flight (the
    core's semaphore) a shard always has a free connection.
    """

    def __init__(self, concurrency: int, **client_options: Any) -> None:
        sizes = [_CONNECTIONS_PER_SHARD] * (concurrency // _CONNECTIONS_PER_SHARD)
        if concurrency % _CONNECTIONS_PER_SHARD:
            sizes.append(concurrency % _CONNECTIONS_PER_SHARD)
        # One TLS context for all shards: building one reads the CA bundle (tens of milliseconds).
        client_options.setdefault("verify", httpx.create_ssl_context())
        self._clients = [
            _CookielessClient(
                limits=httpx.Limits(max_connections=size, max_keepalive_connections=size), **client_options
            )
            for size in sizes
        ]
        self._capacity = sizes
        self._busy = [0] * len(sizes)

    async def get(self, url: httpx.URL) -> httpx.Response:
        shard = min(range(len(self._clients)), key=lambda i: self._busy[i] / self._capacity[i])
        self._busy[shard] += 1
        try:
            return await self._clients[shard].get(url)
        finally:
            self._busy[shard] -= 1

    async def aclose(self) -> None:
        await asyncio.gather(*(client.aclose() for client in self._clients))


def _progress(enabled: bool, **options: Any) -> Any:
    from tqdm.auto import tqdm

    # ``delay``: short calls never draw a bar; long fetches show one after a second.
    return tqdm(disable=not enabled, delay=1.0, leave=False, **options)


class ClientCore:
    """Connection, retries, limits and the three API operations; all methods are coroutines."""

    def __init__(
        self,
        *,
        endpoint: str,
        project_id: str,
        region: str | None,
        auth: httpx.Auth,
        timeout: float,
        retry: RetryPolicy,
        max_retries: int,
        max_concurrency: int,
        rate_limiter: RateLimiter | None,
        progress: bool,
        transport: httpx.AsyncBaseTransport | None,
        headers: dict[str, str] | None = None,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be at least 1, got {max_concurrency!r}")
        if max_retries < 0:
            raise ValueError(f"max_retries must be 0 or more, got {max_retries!r}")
        self.endpoint = endpoint
        self.project_id = project_id
        self.region = region
        self.auth = auth
        self.timeout = timeout
        self.retry = retry
        self.max_retries = max_retries
        self.max_concurrency = max_concurrency
        self.rate_limiter = rate_limiter
        self.progress = progress
        self._transport = transport
        self._headers = {"Content-Type": "application/json", **(headers or {})}
        self._client: _ShardedClients | None = None
        self._semaphore: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # --- connection --------------------------------------------------------------------------------------
    def _bind(self) -> tuple[_ShardedClients, asyncio.Semaphore]:
        loop = asyncio.get_running_loop()
        if self._client is None or self._semaphore is None:
            self._client = _ShardedClients(
                self.max_concurrency,
                auth=self.auth,
                timeout=self.timeout,
                transport=self._transport,
                headers=self._headers,
            )
            self._semaphore = asyncio.Semaphore(self.max_concurrency)
            self._loop = loop
        elif loop is not self._loop:
            raise RuntimeError(
                "this client's connections belong to another event loop; create one AsyncTaskCenter per loop "
                "(or use the synchronous TaskCenter, which runs its own)"
            )
        return self._client, self._semaphore

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def url(self, path: str, params: Sequence[tuple[str, str]] = ()) -> httpx.URL:
        # Built by hand in the signer's canonical encoding so the wire query is exactly what gets signed.
        query = canonical_wire_query(list(params)).decode("ascii")
        return httpx.URL(f"{self.endpoint}{path}" + (f"?{query}" if query else ""))

    # --- one GET, with retries ---------------------------------------------------------------------------
    async def _attempt(
        self, url: httpx.URL, attempt: int
    ) -> tuple[Any, TaskCenterError | None, float | None]:
        """One HTTP attempt: (payload, None, None) on success, else (None, error, Retry-After seconds)."""
        client, semaphore = self._bind()
        method, shown = "GET", str(url)
        async with semaphore:
            if self.rate_limiter is not None:
                await self.rate_limiter.acquire()
            try:
                response = await client.get(url)
            except httpx.RequestError as exc:  # transport failures, and a body that cannot be decoded
                # Only the class name is kept: httpx/h11 messages may quote a header value.
                logger.debug("%s %s -> %s (attempt %d)", method, url.path, type(exc).__name__, attempt + 1)
                error = TransportError(
                    f"{method} {shown} failed: {type(exc).__name__}", method=method, url=shown
                )
                error.retryable = isinstance(exc, _RETRYABLE_TRANSPORT)
                return None, error, None
            except TaskCenterError as error:  # raised by an auth flow (e.g. IAM refused the password)
                return None, error, None
        logger.debug("%s %s -> %s (attempt %d)", method, url.path, response.status_code, attempt + 1)
        if response.is_success:
            try:
                return response.json(), None, None
            except ValueError:
                return (
                    None,
                    ServerError(f"{method} {shown} returned a body that is not JSON", url=shown),
                    None,
                )
        refusal = error_from_httpx(response, method=method, url=shown)
        return None, refusal, parse_retry_after(response.headers.get("Retry-After"))

    async def get(self, path: str, params: Sequence[tuple[str, str]] = ()) -> Any:
        """GET ``path`` and decode the JSON, retrying what can succeed on a second try."""
        url = self.url(path, params)
        for attempt in range(self.max_retries + 1):
            payload, error, retry_after = await self._attempt(url, attempt)
            if error is None:
                return payload
            if not error.retryable or attempt == self.max_retries:
                if attempt:
                    error.args = (f"{error.args[0]} (after {attempt + 1} attempts)",)
                raise error
            wait = self.retry.delay(attempt, retry_after)
            logger.debug(
                "GET %s: %s on attempt %d, retrying in %.3f s",
                url.path,
                type(error).__name__,
                attempt + 1,
                wait,
            )
            await self.retry.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    # --- ShowJobDetail -----------------------------------------------------------------------------------
    async def get_job(self, job_id: str) -> dict[str, Any]:
        if not isinstance(job_id, str) or not job_id.strip():
            raise ValueError(f"job id must be a non-empty string, got {job_id!r}")
        path = f"/v3/{self.project_id}/jobs"
        payload = await self.get(path, [("id", job_id)])
        job = payload.get("job") if isinstance(payload, dict) else None
        if not isinstance(job, dict) or not job:
            raise NotFoundError(
                f"GET {path}?id={job_id} returned no job",
                method="GET",
                url=str(self.url(path, [("id", job_id)])),
            )
        return job

    async def get_jobs(self, job_ids: Sequence[str]) -> JobBatch:
        if isinstance(job_ids, str):
            raise TypeError("get_jobs takes a list of job ids; use get_job for a single id")
        unique = list(dict.fromkeys(job_ids))
        with _progress(self.progress, total=len(unique), desc="jobs", unit="job") as bar:

            async def one(job_id: str) -> dict[str, Any]:
                try:
                    return await self.get_job(job_id)
                finally:
                    bar.update(1)

            outcomes = await map_bounded(one, unique, self.max_concurrency)
        batch = JobBatch()
        for job_id, outcome in zip(unique, outcomes, strict=True):
            if isinstance(outcome, TaskCenterError):
                batch.failures[job_id] = outcome
            else:
                batch.append(outcome)
        return batch

    # --- ListTasks ---------------------------------------------------------------------------------------
    def _list_params(self, start: datetime, end: datetime, status: str | None, name: str | None) -> list[Any]:
        params = [("start_time", format_api_time(start)), ("end_time", format_api_time(end))]
        if status is not None:
            if status not in STATUSES:
                raise ValueError(f"status must be one of {', '.join(STATUSES)}, got {status!r}")
            params.append(("status", status))
        if name is not None:
            params.append(("name", canonical_job_type(name)))
        return params

    async def _page(self, params: list[tuple[str, str]], offset: int) -> list[dict[str, Any]]:
        path = f"/v3.1/{self.project_id}/jobs"
        payload = await self.get(path, [*params, ("offset", str(offset)), ("limit", str(PAGE_LIMIT))])
        jobs = payload.get("jobs") if isinstance(payload, dict) else None
        if jobs is None:
            jobs = []
        if not isinstance(jobs, list) or not all(isinstance(job, dict) and "id" in job for job in jobs):
            raise ServerError(f"GET {path} returned a 'jobs' that is not a list of jobs with ids", url=path)
        return jobs

    async def _list_window(self, params: list[tuple[str, str]], bar: Any) -> list[Stamped]:
        """Every job of one window: page until a short page (``total_count`` is not reliably returned).

        Jobs created while paging push the older ones to later offsets, so a page may repeat ids of the
        previous one; those are skipped. When that happened, the top of the listing is re-read until a
        page reaches a job already seen, picking up the newcomers that landed on pages already read
        (the listing is newest first in practice; nothing else is assumed of the order).
        """
        seen: dict[str, Stamped] = {}

        async def sweep(catching_up: bool) -> bool:
            offset, stalled, shifted = 0, 0, False
            while True:
                jobs = await self._page(params, offset)
                now = datetime.now(timezone.utc)
                bar.update(1)
                fresh = 0
                for job in jobs:
                    if job["id"] in seen:
                        shifted = True
                    else:
                        seen[job["id"]] = (job, now)
                        fresh += 1
                bar.set_postfix(jobs=len(seen), refresh=False)
                if len(jobs) < PAGE_LIMIT or (catching_up and fresh < len(jobs)):
                    return shifted
                stalled = 0 if fresh else stalled + 1
                if stalled >= _STALLED_PAGES:
                    raise ServerError(
                        f"ListTasks paging made no progress for {stalled} pages at offset {offset}; "
                        "the service seems to ignore 'offset'"
                    )
                offset += len(jobs)

        if await sweep(catching_up=False):
            await sweep(catching_up=True)
        return list(seen.values())

    async def list_stamped(
        self, start: datetime, end: datetime, status: str | None = None, name: str | None = None
    ) -> list[Stamped]:
        """Jobs created in ``[start, end]`` with the time each was read, de-duplicated (first one kept)."""
        windows = split_windows(start, end)
        window_params = [self._list_params(lo, hi, status, name) for lo, hi in windows]
        with _progress(self.progress, desc="pages", unit="page") as bar:

            async def one(params: list[tuple[str, str]]) -> list[Stamped]:
                return await self._list_window(params, bar)

            outcomes = await map_bounded(one, window_params, self.max_concurrency)
        merged: dict[str, Stamped] = {}
        for outcome in outcomes:
            if isinstance(outcome, TaskCenterError):
                raise outcome  # a listing with a hole in it is not a listing
            for job, seen_at in outcome:
                merged.setdefault(job["id"], (job, seen_at))
        return list(merged.values())
