"""The inventory calls: ListInstances and ListScheduledTasks, paged exactly, for both client flavours.

They go through the same :class:`~._transport.ClientCore` as the job calls, so retries, the per-request
deadline, the response cap and the redaction of credentials apply unchanged. :class:`InventoryMethods`
(blocking) and :class:`AsyncInventoryMethods` (coroutines) are mixed into ``TaskCenter`` and
``AsyncTaskCenter``.

Paging. ListInstances lists newest-created first. An instance created while we page pushes the others one
place down, so a later page repeats an id (skipped: each id is kept once) and the newcomer sits on a page
already read; when that happens the top of the listing is read again until a page reaches an instance
already seen. ListScheduledTasks defaults to 10 per page; we always ask for 100 and page until
``total_count``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, TypeVar

from ._body import _shape_error
from ._errors import ProtocolError
from ._timerange import TimeLike, format_api_time, to_utc
from ._transport import PAGE_LIMIT, ClientCore

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "INSTANCE_MODES",
    "SCHEDULED_STATUSES",
    "AsyncInventoryMethods",
    "InventoryMethods",
    "list_instance_records",
    "list_scheduled_records",
]

T = TypeVar("T")
INSTANCE_MODES = ("Sharding", "ReplicaSet", "Single")
SCHEDULED_STATUSES = ("Pending", "Running", "Completed", "Failed", "Canceled")
SCHEDULED_DEFAULT_WINDOW = timedelta(days=7)  # the API's own default when no window is sent


def _items_of(
    payload: Any, key: str, id_key: str, url: str, secrets: tuple[str, ...]
) -> tuple[list[Any], int | None]:
    """The page's list under ``key`` and its ``total_count``; ProtocolError if the body is not that shape."""
    if isinstance(payload, dict) and key not in payload and payload.get("total_count") == 0:
        return [], 0
    if not isinstance(payload, dict) or not isinstance(payload.get(key), list):
        raise _shape_error(f'no "{key}" list', payload, url, secrets)
    items = payload[key]
    if not all(isinstance(item, dict) for item in items):
        raise _shape_error(f'a "{key}" list that is not a list of objects', payload, url, secrets)
    total = payload.get("total_count")
    return items, total if isinstance(total, int) and not isinstance(total, bool) else None


def _tags_param(tags: Mapping[str, str] | str | None) -> str | None:
    if tags is None or isinstance(tags, str):
        return tags or None
    if not tags:
        return None
    if len(tags) > 20:
        raise ValueError("ListInstances takes at most 20 tags")
    for key, value in tags.items():
        if not str(key).strip() or any(c in f"{key}{value}" for c in ",="):
            raise ValueError(f"tag {key!r}={value!r}: keys must be non-empty, neither may hold ',' or '='")
    return ",".join(f"{key}={value}" for key, value in tags.items())


def _instance_params(
    name: str | None, mode: str | None, tags: Mapping[str, str] | str | None
) -> list[tuple[str, str]]:
    params: list[tuple[str, str]] = []
    if name is not None:
        if not name or name == "*":
            raise ValueError("name must be a name, or '*' followed by part of one (fuzzy match)")
        params.append(("name", name))
    if mode is not None:
        if mode not in INSTANCE_MODES:
            raise ValueError(f"mode must be one of {', '.join(INSTANCE_MODES)}, got {mode!r}")
        params.append(("mode", mode))
    tag_text = _tags_param(tags)
    if tag_text:
        params.append(("tags", tag_text))
    return params


async def _sweep(
    core: ClientCore,
    path: str,
    params: list[tuple[str, str]],
    key: str,
    id_key: str,
    seen: dict[str, dict[str, Any]],
    anonymous: list[dict[str, Any]],
    *,
    catching_up: bool,
) -> bool:
    """Read pages from the top until ``total_count`` (or a short page); True if an id repeated."""
    offset, pages, shifted = 0, 0, False
    while True:
        page_params = [*params, ("offset", str(offset)), ("limit", str(PAGE_LIMIT))]
        payload = await core.get(path, page_params)
        items, total = _items_of(payload, key, id_key, str(core.url(path, page_params)), core.secrets)
        pages += 1
        fresh = 0
        for item in items:
            item_id = item.get(id_key)
            if not isinstance(item_id, str) or not item_id:
                if not catching_up:
                    anonymous.append(item)  # kept, for the frame to count; it cannot be de-duplicated
                continue
            if item_id in seen:
                shifted = True
            else:
                seen[item_id] = item
                fresh += 1
        offset += len(items)
        if catching_up and fresh < len(items):
            return shifted
        if len(items) < PAGE_LIMIT or (total is not None and offset >= total):
            return shifted
        if pages > core.settings.max_pages or (total is not None and offset > 2 * total + 10 * PAGE_LIMIT):
            raise ProtocolError(f"GET {path} went on for {pages} pages ({offset} items); refusing to page on")


async def _list_all(
    core: ClientCore, path: str, params: list[tuple[str, str]], key: str, id_key: str
) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    anonymous: list[dict[str, Any]] = []
    if await _sweep(core, path, params, key, id_key, seen, anonymous, catching_up=False):
        await _sweep(core, path, params, key, id_key, seen, anonymous, catching_up=True)
    return [*seen.values(), *anonymous]


async def list_instance_records(
    core: ClientCore, name: str | None, mode: str | None, tags: Mapping[str, str] | str | None
) -> list[dict[str, Any]]:
    """Every instance of the project matching the filters, each id once (newcomers while paging too)."""
    params = _instance_params(name, mode, tags)
    return await _list_all(core, f"/v3/{core.project_id}/instances", params, "instances", "id")


def scheduled_window(start: TimeLike | None, end: TimeLike | None) -> tuple[datetime, datetime]:
    """``[start, end]`` on the scheduled jobs' creation time; by default the last 7 days (the API's)."""
    end_utc = to_utc(end, "end") if end is not None else datetime.now(timezone.utc)
    start_utc = to_utc(start, "start") if start is not None else end_utc - SCHEDULED_DEFAULT_WINDOW
    if end_utc <= start_utc:
        raise ValueError(
            f"end ({format_api_time(end_utc)}) must be later than start ({format_api_time(start_utc)})"
        )
    return start_utc, end_utc


async def list_scheduled_records(
    core: ClientCore,
    start: TimeLike | None,
    end: TimeLike | None,
    status: str | None,
    job_name: str | None,
    instance_id: str | None,
) -> list[dict[str, Any]]:
    """Scheduled jobs created in the window, each job id once, asking 100 per page (the API default is 10)."""
    lo, hi = scheduled_window(start, end)
    params = [("start_time", format_api_time(lo)), ("end_time", format_api_time(hi))]
    if status is not None:
        if status not in SCHEDULED_STATUSES:
            raise ValueError(f"status must be one of {', '.join(SCHEDULED_STATUSES)}, got {status!r}")
        params.append(("job_status", status))
    if job_name is not None:
        params.append(("job_name", job_name))
    if instance_id is not None:
        params.append(("instance_id", instance_id))
    return await _list_all(core, f"/v3/{core.project_id}/scheduled-jobs", params, "schedules", "job_id")


def _stamp(records: list[dict[str, Any]], core: ClientCore) -> list[dict[str, Any]]:
    """Copies with the project (and region, unless the record has one) the frame needs."""
    out = []
    for record in records:
        stamped = {**record, "project_id": core.project_id}
        if not stamped.get("region") and core.region:
            stamped["region"] = core.region
        out.append(stamped)
    return out


def _instances_frame(records: list[dict[str, Any]], core: ClientCore) -> pd.DataFrame:
    from .._frame import instances_frame

    return instances_frame(_stamp(records, core), observed_at=datetime.now(timezone.utc))


def _scheduled_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    from .._frame import scheduled_frame

    return scheduled_frame(records)


async def _instances_many(cores: list[ClientCore], filters: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every target's instances, concurrently, stamped with its region and project; the cores are closed."""
    try:
        results = await asyncio.gather(
            *(
                list_instance_records(core, filters.get("name"), filters.get("mode"), filters.get("tags"))
                for core in cores
            )
        )
    finally:
        await asyncio.gather(*(core.aclose() for core in cores))
    return [record for core, records in zip(cores, results, strict=True) for record in _stamp(records, core)]


def _check_instance_filters(filters: Mapping[str, Any]) -> None:
    unknown = set(filters) - {"name", "mode", "tags"}
    if unknown:
        raise TypeError(
            f"unknown filter(s) {', '.join(sorted(unknown))}; ListInstances filters: name, mode, tags"
        )


def _frame_of_stamped(records: list[dict[str, Any]]) -> pd.DataFrame:
    from .._frame import instances_frame

    return instances_frame(records, observed_at=datetime.now(timezone.utc))


class InventoryMethods:
    """``TaskCenter``'s inventory calls (blocking)."""

    _core: ClientCore

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:  # pragma: no cover - provided by TaskCenter
        raise NotImplementedError

    def _sibling_core(self, target: Any) -> ClientCore:  # pragma: no cover - provided by the client
        raise NotImplementedError

    def instances_many(self, targets: Sequence[Any], **filters: Any) -> pd.DataFrame:
        """One instances frame of several (region, project_id) pairs or clients, listed concurrently
        (``fetch_many``'s counterpart); each row carries its region and project."""
        _check_instance_filters(filters)

        async def run() -> list[dict[str, Any]]:
            return await _instances_many([self._sibling_core(target) for target in targets], filters)

        return _frame_of_stamped(self._run(run()))

    def list_instances(
        self, *, name: str | None = None, mode: str | None = None, tags: Mapping[str, str] | str | None = None
    ) -> list[dict[str, Any]]:
        """The project's instances as ListInstances returns them (raw records), each id once.

        ``name`` matches exactly, or with a leading ``*`` any name containing the rest; ``mode`` is
        Sharding, ReplicaSet or Single; ``tags`` (``{"env": "prod"}`` or ``"env=prod"``) must all match.
        """
        return self._run(list_instance_records(self._core, name, mode, tags))

    def instances(self, **filters: Any) -> pd.DataFrame:
        """The instances frame (:func:`ddsjobs_analytics.instances_frame`) of :meth:`list_instances`."""
        return _instances_frame(self.list_instances(**filters), self._core)

    def list_scheduled_jobs(
        self,
        start: TimeLike | None = None,
        end: TimeLike | None = None,
        *,
        status: str | None = None,
        job_name: str | None = None,
        instance_id: str | None = None,
    ) -> list[dict[str, Any]]:
        """Scheduled jobs *created* in ``[start, end]`` (default: the last 7 days), raw, each job once."""
        return self._run(list_scheduled_records(self._core, start, end, status, job_name, instance_id))

    def scheduled_jobs(
        self, start: TimeLike | None = None, end: TimeLike | None = None, **filters: Any
    ) -> pd.DataFrame:
        """The scheduled-jobs frame (``scheduled_frame``) of :meth:`list_scheduled_jobs`."""
        return _scheduled_frame(self.list_scheduled_jobs(start, end, **filters))


class AsyncInventoryMethods:
    """``AsyncTaskCenter``'s inventory calls (coroutines), like :class:`InventoryMethods`."""

    _core: ClientCore

    def _check_open(self) -> None:  # pragma: no cover - provided by AsyncTaskCenter
        raise NotImplementedError

    def _sibling_core(self, target: Any) -> ClientCore:  # pragma: no cover - provided by the client
        raise NotImplementedError

    async def instances_many(self, targets: Sequence[Any], **filters: Any) -> pd.DataFrame:
        """One instances frame of several targets, listed concurrently (see ``TaskCenter.instances_many``)."""
        self._check_open()
        _check_instance_filters(filters)
        cores = [self._sibling_core(target) for target in targets]
        return _frame_of_stamped(await _instances_many(cores, filters))

    async def list_instances(
        self, *, name: str | None = None, mode: str | None = None, tags: Mapping[str, str] | str | None = None
    ) -> list[dict[str, Any]]:
        """The project's instances (raw records), each id once; see ``TaskCenter.list_instances``."""
        self._check_open()
        return await list_instance_records(self._core, name, mode, tags)

    async def instances(self, **filters: Any) -> pd.DataFrame:
        """The instances frame of :meth:`list_instances`."""
        return _instances_frame(await self.list_instances(**filters), self._core)

    async def list_scheduled_jobs(
        self,
        start: TimeLike | None = None,
        end: TimeLike | None = None,
        *,
        status: str | None = None,
        job_name: str | None = None,
        instance_id: str | None = None,
    ) -> list[dict[str, Any]]:
        """Scheduled jobs created in ``[start, end]`` (default: the last 7 days), raw, each job once."""
        self._check_open()
        return await list_scheduled_records(self._core, start, end, status, job_name, instance_id)

    async def scheduled_jobs(
        self, start: TimeLike | None = None, end: TimeLike | None = None, **filters: Any
    ) -> pd.DataFrame:
        """The scheduled-jobs frame of :meth:`list_scheduled_jobs`."""
        return _scheduled_frame(await self.list_scheduled_jobs(start, end, **filters))
