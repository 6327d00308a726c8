"""The asynchronous core shared by ``TaskCenter`` and ``AsyncTaskCenter``.

Its connections (a few small ``httpx.AsyncClient`` pools) belong to the event loop that first uses them.
Every HTTP attempt passes through the concurrency semaphore and then the rate limiter (in that order, so
waiting for a free slot can never bunch requests together past the rate); failures are retried by
``RetryPolicy``.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Coroutine, Sequence
from datetime import datetime, timezone
from typing import Any, TypeVar

import httpx

from .._core._names import STATUSES, canonical_job_type
from ._auth import canonical_wire_query
from ._batch import JobBatch, map_bounded
from ._body import decode_json, error_in_payload, job_of, jobs_of, read_capped
from ._config import ClientSettings
from ._errors import (
    NotFoundError,
    ProtocolError,
    TaskCenterError,
    ThrottledError,
    TransportError,
    error_from_response,
)
from ._pool import ShardedClients
from ._progress import Progress, ProgressCallback
from ._redact import auth_secrets, mask_payload, mentions, register, unregister
from ._retry import parse_retry_after
from ._stream import ACCEPT_ENCODING, BodyTooLarge, capping_hook
from ._timerange import format_api_time, split_windows

__all__ = ["PAGE_LIMIT", "ClientCore", "JobBatch", "ProgressCallback", "map_bounded"]

logger = logging.getLogger("ddsjobs_analytics.client")

PAGE_LIMIT = 100  # ListTasks' maximum page size
# Transport failures worth another try: timeouts, refused or reset connections, a peer hanging up mid-reply.
_RETRYABLE_TRANSPORT = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
_STALLED_PAGES = 3  # full pages in a row without one new id: the server is ignoring ``offset``

T = TypeVar("T")
# A job and when it was read, as ISO text: one string per page keeps ``jobs_frame`` on its Arrow path.
Stamped = tuple[dict[str, Any], str]
_MAX_MESSAGE = 1000  # characters of an error message kept (a server may echo megabytes)


async def _within(seconds: float, coro: Coroutine[Any, Any, T]) -> T:
    """``await coro``, cancelled after ``seconds`` (asyncio.TimeoutError); no extra task on 3.11+."""
    if sys.version_info >= (3, 11):
        async with asyncio.timeout(seconds):
            return await coro
    return await asyncio.wait_for(coro, seconds)  # pragma: no cover - Python 3.10


def _host_of(location: str) -> str:
    """The host a ``Location`` names (the rest may carry anything, credentials included)."""
    try:
        return httpx.URL(location).host or "the same host"
    except (httpx.InvalidURL, TypeError, ValueError):
        return "an unreadable location"


def _reason(error: TaskCenterError, retry_after: float | None) -> str:
    """Why an attempt failed, e.g. ``ServerError HTTP 500 DBS.280005`` (never a secret)."""
    parts = [type(error).__name__]
    if error.status is not None:
        parts.append(f"HTTP {error.status}")
    if error.error_code:
        parts.append(error.error_code)
    if isinstance(error, TransportError) and error.args:
        parts.append(str(error.args[0]).rpartition(" failed: ")[2])
    if retry_after is not None:
        parts.append(f"Retry-After {retry_after:g} s")
    return " ".join(parts)


class ClientCore:
    """Connection, retries, limits and the three API operations; all methods are coroutines."""

    def __init__(
        self,
        *,
        endpoint: str,
        project_id: str,
        region: str | None,
        auth: httpx.Auth,
        settings: ClientSettings,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.project_id = project_id
        self.region = region
        self.auth = auth
        self.settings = settings
        self.closed = False
        self._headers = {
            "Content-Type": "application/json",
            "Accept-Encoding": ACCEPT_ENCODING,
            **(headers or {}),
        }
        self._client: ShardedClients | None = None
        self._semaphore: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        register(auth)  # its secrets are masked in every log record while this client is open

    def release(self) -> None:
        """Mark closed; the auth's secrets stop being looked for in log records (once)."""
        if not self.closed:
            self.closed = True
            unregister(self.auth)

    # --- connection --------------------------------------------------------------------------------------
    def _bind(self) -> tuple[ShardedClients, asyncio.Semaphore]:
        if self.closed:
            raise RuntimeError("this task-center client has been closed; create a new one to send requests")
        loop = asyncio.get_running_loop()
        if self._client is None or self._semaphore is None:
            self._client = ShardedClients(
                self.settings.max_concurrency,
                auth=self.auth,
                timeout=self.settings.timeout,
                transport=self.settings.transport,
                headers=self._headers,
                event_hooks={"response": [capping_hook(self.settings.max_response_bytes)]},
            )
            self._semaphore = asyncio.Semaphore(self.settings.max_concurrency)
            self._loop = loop
        elif loop is not self._loop:
            raise RuntimeError(
                "this client's connections belong to another event loop; create one AsyncTaskCenter per loop "
                "(or use the synchronous TaskCenter, which runs its own)"
            )
        return self._client, self._semaphore

    async def aclose(self) -> None:
        self.release()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def url(self, path: str, params: Sequence[tuple[str, str]] = ()) -> httpx.URL:
        # Built by hand in the signer's canonical encoding so the wire query is exactly what gets signed.
        query = canonical_wire_query(list(params)).decode("ascii")
        return httpx.URL(f"{self.endpoint}{path}" + (f"?{query}" if query else ""))

    @property
    def secrets(self) -> tuple[str, ...]:
        return auth_secrets(self.auth)

    # --- one GET, with retries ---------------------------------------------------------------------------
    async def _exchange(self, client: ShardedClients, url: httpx.URL) -> tuple[httpx.Response, bytes]:
        async with client.stream(url) as response:
            return response, await read_capped(response, self.settings.max_response_bytes)

    async def _attempt(
        self, url: httpx.URL, attempt: int
    ) -> tuple[Any, TaskCenterError | None, float | None]:
        """One HTTP attempt: (payload, None, None) on success, else (None, error, Retry-After seconds)."""
        client, semaphore = self._bind()
        method, shown, deadline = "GET", str(url), self.settings.request_deadline
        async with semaphore:
            if self.settings.limiter is not None:
                await self.settings.limiter.acquire()
            try:
                response, body = await _within(deadline, self._exchange(client, url))
            except asyncio.TimeoutError:
                logger.debug(
                    "%s %s -> deadline of %g s passed (attempt %d)", method, url.path, deadline, attempt + 1
                )
                error = TransportError(
                    f"{method} {shown} failed: no complete reply within the deadline of {deadline:g} s",
                    method=method,
                    url=shown,
                )
                return None, error, None
            except BodyTooLarge as too_large:
                cap = self.settings.max_response_bytes
                return (
                    None,
                    ProtocolError(
                        f"{too_large.where or f'{method} {shown}'} returned more than "
                        f"max_response_bytes={cap} bytes "
                        f"(at least {too_large.size}); reading stopped there",
                        method=method,
                        url=shown,
                    ),
                    None,
                )
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
        request_id = response.headers.get("X-Request-Id")
        if response.is_redirect:  # never followed: the API has no redirects, credentials stay where they are
            where = _host_of(response.headers.get("Location", ""))
            moved = ProtocolError(
                f"{method} {shown} -> HTTP {response.status_code}, a redirect to {where[:100]} "
                "(not followed)",
                status=response.status_code,
                request_id=request_id,
                method=method,
                url=shown,
            )
            return None, moved, None
        if not response.is_success:
            refusal = error_from_response(
                response.status_code, body, request_id=request_id, method=method, url=shown
            )
            return None, refusal, parse_retry_after(response.headers.get("Retry-After"))
        secrets = self.secrets
        try:
            payload = decode_json(body, where=f"{method} {shown}", secrets=secrets)
        except ProtocolError as error:
            error.status, error.request_id, error.method = response.status_code, request_id, method
            return None, error, None
        if mentions(body, secrets):  # a server quoting credentials in job fields: masked before any use
            payload, masked = mask_payload(payload, secrets)
            logger.warning(
                "%s %s: %d field(s) quoted the client's credentials; masked", method, url.path, masked
            )
        carried = error_in_payload(
            payload, status=response.status_code, method=method, url=shown, request_id=request_id
        )
        if carried is not None:
            return None, carried, parse_retry_after(response.headers.get("Retry-After"))
        return payload, None, None

    def _too_long_to_wait(self, error: TaskCenterError, retry_after: float) -> ThrottledError:
        limit = self.settings.max_retry_after
        throttled = ThrottledError(
            f"{error.args[0]}; the server asked to retry after {retry_after:g} s, more than "
            f"max_retry_after={limit:g} s",
            **error.fields(),
        )
        throttled.retry_after = retry_after
        return throttled

    async def get(self, path: str, params: Sequence[tuple[str, str]] = ()) -> Any:
        """GET ``path`` and decode the JSON, retrying what can succeed on a second try."""
        url = self.url(path, params)
        tries = self.settings.max_retries + 1
        for attempt in range(tries):
            payload, error, retry_after = await self._attempt(url, attempt)
            if error is None:
                return payload
            error = error.scrub(self.secrets, _MAX_MESSAGE)  # whatever the server echoed
            if error.retryable and retry_after is not None and retry_after > self.settings.max_retry_after:
                raise self._too_long_to_wait(error, retry_after) from None
            if not error.retryable or attempt == tries - 1:
                if attempt:
                    error.args = (f"{error.args[0]} (after {attempt + 1} attempts)",)
                raise error
            wait = self.settings.retry.delay(attempt, retry_after)
            logger.info(
                "GET %s: attempt %d/%d failed (%s); retrying in %.2f s",
                url.path,
                attempt + 1,
                tries,
                _reason(error, retry_after),
                wait,
            )
            await self.settings.retry.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    # --- ShowJobDetail -----------------------------------------------------------------------------------
    async def get_job(self, job_id: str) -> dict[str, Any]:
        if not isinstance(job_id, str) or not job_id.strip():
            raise ValueError(f"job id must be a non-empty string, got {job_id!r}")
        path = f"/v3/{self.project_id}/jobs"
        payload = await self.get(path, [("id", job_id)])
        shown = str(self.url(path, [("id", job_id)]))
        job = job_of(payload, url=shown, secrets=self.secrets)
        if job is None:
            raise NotFoundError(f"GET {path}?id={job_id} returned no job", method="GET", url=shown)
        return job

    async def get_jobs(self, job_ids: Sequence[str], on_progress: ProgressCallback | None = None) -> JobBatch:
        if isinstance(job_ids, str):
            raise TypeError("get_jobs takes a list of job ids; use get_job for a single id")
        unique = list(dict.fromkeys(job_ids))
        with Progress(
            self.settings.progress, on_progress, total=len(unique), desc="jobs", unit="job"
        ) as progress:

            async def one(job_id: str) -> dict[str, Any]:
                try:
                    return await self.get_job(job_id)
                finally:
                    progress.job_done()

            outcomes = await map_bounded(one, unique, self.settings.max_concurrency)
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

    async def _page(
        self, params: list[tuple[str, str]], offset: int
    ) -> tuple[list[dict[str, Any]], int | None]:
        path = f"/v3.1/{self.project_id}/jobs"
        page_params = [*params, ("offset", str(offset)), ("limit", str(PAGE_LIMIT))]
        payload = await self.get(path, page_params)
        return jobs_of(payload, url=str(self.url(path, page_params)), secrets=self.secrets)

    def _check_paging(self, where: str, pages: int, held: int, total: int | None) -> None:
        """Refuse a listing that cannot end: more pages than ``max_pages``, a ``total_count`` (of the first
        page) that ``max_pages`` could never list, or far more records than that ``total_count`` means."""
        limit = self.settings.max_pages
        if total is not None and total > limit * PAGE_LIMIT:
            raise ProtocolError(
                f"ListTasks {where} says total_count={total}, more than max_pages={limit} pages of "
                f"{PAGE_LIMIT} could list; refusing to page (raise max_pages if the project really has that "
                "many jobs)"
            )
        if pages > limit:
            raise ProtocolError(
                f"ListTasks {where} went on for more than max_pages={limit} pages ({held} jobs); refusing to "
                "page on (raise max_pages if the project really has that many jobs)"
            )
        # Jobs created while paging may add to the first count; twice it plus ten pages is beyond that.
        if total is not None and held > 2 * total + 10 * PAGE_LIMIT:
            raise ProtocolError(
                f"ListTasks {where} returned {held} jobs although its first page's total_count is {total}; "
                "refusing to page on"
            )

    async def _list_window(self, params: list[tuple[str, str]], progress: Progress) -> list[Stamped]:
        """Every job of one window: page until a short page (``total_count`` is not reliably returned).

        Jobs created while paging push the older ones to later offsets, so a page may repeat ids of the
        previous one; those are skipped. When that happened, the top of the listing is re-read until a
        page reaches a job already seen, picking up the newcomers that landed on pages already read
        (the listing is newest first in practice; nothing else is assumed of the order). Pages that repeat
        without a new id, or that never end, raise ProtocolError.
        """
        seen: dict[str, Stamped] = {}
        bounds = dict(params)
        where = f"for {bounds['start_time']} .. {bounds['end_time']}"
        first_total: list[int | None] = []  # the first page's total_count, once read

        async def sweep(catching_up: bool) -> bool:
            offset, stalled, shifted, pages = 0, 0, False, 0
            while True:
                jobs, total = await self._page(params, offset)
                now = datetime.now(timezone.utc).isoformat()
                pages += 1
                if not first_total:
                    first_total.append(total)
                    self._check_paging(where, pages, 0, total)
                fresh = 0
                for job in jobs:
                    if job["id"] in seen:
                        shifted = True
                    else:
                        seen[job["id"]] = (job, now)
                        fresh += 1
                progress.page_read(fresh)
                if len(jobs) < PAGE_LIMIT or (catching_up and fresh < len(jobs)):
                    return shifted
                stalled = 0 if fresh else stalled + 1
                if stalled >= _STALLED_PAGES:
                    raise ProtocolError(
                        f"ListTasks {where} made no progress for {stalled} pages at offset {offset}; "
                        "the service seems to ignore 'offset'"
                    )
                offset += len(jobs)
                self._check_paging(where, pages, len(seen), first_total[0])

        if await sweep(catching_up=False):
            await sweep(catching_up=True)
        return list(seen.values())

    async def list_stamped(
        self,
        start: datetime,
        end: datetime,
        status: str | None = None,
        name: str | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> list[Stamped]:
        """Jobs created in ``[start, end]`` with the time each was read, de-duplicated (first one kept)."""
        windows = split_windows(start, end)
        window_params = [self._list_params(lo, hi, status, name) for lo, hi in windows]
        with Progress(self.settings.progress, on_progress, desc="pages", unit="page") as progress:

            async def one(params: list[tuple[str, str]]) -> list[Stamped]:
                return await self._list_window(params, progress)

            outcomes = await map_bounded(one, window_params, self.settings.max_concurrency)
        merged: dict[str, Stamped] = {}
        for outcome in outcomes:
            if isinstance(outcome, TaskCenterError):
                raise outcome  # a listing with a hole in it is not a listing
            for job, seen_at in outcome:
                merged.setdefault(job["id"], (job, seen_at))
        return list(merged.values())
