"""Incremental sync of a task center into a :class:`JobArchive`.

The task center only knows about a month of jobs, and ListTasks has no "changed since" filter, so a sync
(1) lists jobs created since the last high-water mark minus an overlap (the first run: the whole window the
service keeps), (2) lists again every window ``repair`` recorded as lost (a hole) that the service still
keeps, and (3) re-fetches by id every job the archive still holds as Running, because a job that was
created long ago can finish at any time and never appear in a later listing window.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .._core._time import parse_age, parse_moment, utcnow
from ._inventory import record_inventory
from ._records import ordered_batch, table_from_records
from ._stats import SyncStats
from ._store import JobArchive

__all__ = ["CLOCK_SKEW", "SERVICE_HORIZON", "TaskCenterLike", "sync"]

log = logging.getLogger("ddsjobs_analytics.archive")

# ListTasks/ShowJobDetail only answer for roughly the last month (shared/dds-task-api.md §3–4).
SERVICE_HORIZON = timedelta(days=30)
# A Running job older than this cannot be known to the service any more: counted lost without asking.
_ASK_HORIZON = timedelta(days=35)
# A `created` further than this past now is not a plausible high-water mark (clocks differ a little).
CLOCK_SKEW = timedelta(days=1)


class TaskCenterLike(Protocol):
    """What :func:`sync` needs from a task center (``ddsjobs_analytics.client.TaskCenter`` has it).

    ``get_jobs`` may return a batch with ``failures`` (id → exception); an id counts as lost only when its
    exception is the client's ``NotFoundError`` (or a subclass), anything else is a reported failure.
    """

    @property
    def region(self) -> str | None: ...

    @property
    def project_id(self) -> str: ...

    def list_jobs(self, start: datetime, end: datetime) -> list[dict[str, Any]]: ...

    def get_jobs(self, job_ids: Sequence[str]) -> Sequence[dict[str, Any]]: ...


def _as_age(value: str | timedelta) -> timedelta:
    age = parse_age(value)
    if age is None:
        raise ValueError(f"overlap={value!r} is not an age like '1d' or '12h'")
    return age


def _plausible_mark(state: Mapping[str, Any] | None, now: pd.Timestamp) -> pd.Timestamp | None:
    """The stored high-water mark, unless it is unreadable or in the future (then ignored, with a warning)."""
    for key in ("max_created", "listed_until"):
        value = None if state is None else state.get(key)
        if not value:
            continue
        try:
            mark = parse_moment(value)
        except (TypeError, ValueError):
            log.warning("ignoring the archive's unreadable %s %r", key, value)
            continue
        if mark > now + CLOCK_SKEW:
            log.warning("ignoring the archive's %s %s: it is in the future", key, mark)
            continue
        return mark
    return None


def _window_start(
    state: Mapping[str, Any] | None,
    since: str | timedelta | datetime,
    overlap: str | timedelta,
    now: pd.Timestamp,
) -> pd.Timestamp:
    """Where the listing starts: the high-water mark minus the overlap, or ``since`` on a first run."""
    earliest = now - SERVICE_HORIZON
    mark = _plausible_mark(state, now)
    if mark is None:
        start = parse_moment(since, now=now.to_pydatetime())
        if start < earliest:
            log.info("the task center keeps about %s of jobs: listing from %s", SERVICE_HORIZON, earliest)
            start = earliest
        return start if start < now else now - _as_age(overlap)
    start = min(mark, now) - _as_age(overlap)
    if start < earliest:
        log.warning(
            "last sync reached %s, beyond the task center's horizon: jobs created between %s and %s may be "
            "missing from the archive",
            mark,
            start,
            earliest,
        )
        start = earliest
    return start


def _new_mark(
    state: Mapping[str, Any] | None, created: pa.ChunkedArray, now: pd.Timestamp
) -> pd.Timestamp | None:
    """The high-water mark after this listing: the newest plausible ``created`` (absurd dates are ignored)."""
    marks = (
        [mark] if (mark := _plausible_mark({"max_created": (state or {}).get("max_created")}, now)) else []
    )
    limit = pa.scalar(now + CLOCK_SKEW, type=pa.timestamp("us", "UTC"))
    future = pc.fill_null(pc.greater(created, limit), False)
    if pc.any(future).as_py():
        log.warning(
            "%d listed job(s) were created after %s (e.g. %s): archived, but not used as the high-water mark",
            pc.sum(future).as_py(),
            limit,
            created.filter(future)[0],
        )
    plausible = created.filter(pc.invert(future))
    if plausible.null_count < len(plausible):
        marks.append(pd.Timestamp(pc.max(plausible).as_py()))
    return max(marks, default=None)


Plan = list[tuple[pd.Timestamp, pd.Timestamp, "int | None"]]


def _plan_holes(
    holes: list[dict[str, Any]], target: list[Any], now: pd.Timestamp
) -> tuple[Plan, list[dict[str, Any]]]:
    """The hole windows this sync lists again (start, end, jobs lost), and the holes left afterwards.

    A hole is this target's to fill when it names no targets (repair knew of none) or names this one; the
    part older than the service's horizon stays (those jobs cannot be fetched any more), and so does the
    rest for any other target recorded in it.
    """
    earliest = now - SERVICE_HORIZON
    plan: Plan = []
    left: list[dict[str, Any]] = []
    for hole in holes:
        targets = hole.get("targets")
        if hole.get("start") is None or (targets is not None and target not in targets):
            left.append(hole)
            continue
        start, end = parse_moment(hole["start"]), parse_moment(hole["end"])
        if end <= earliest:
            left.append(hole)
            continue
        low, high = max(start, earliest), min(end, now)
        plan.append((low, high, hole.get("jobs")))
        if start < earliest:
            left.append({**hole, "end": earliest.isoformat()})
        others = None if targets is None else [other for other in targets if other != target]
        if others:
            left.append({**hole, "start": low.isoformat(), "targets": others})
    return plan, left


def _is_not_found(error: object) -> bool:
    """The service does not know the id: the client's :class:`NotFoundError` (by type, never by name)."""
    from ddsjobs_analytics.client import NotFoundError

    return isinstance(error, NotFoundError)


def _quietly_get_jobs(
    task_center: TaskCenterLike, ids: list[str]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """``get_jobs`` with its per-id failures returned rather than warned about (sync reports them itself)."""
    with warnings.catch_warnings():
        try:
            from ddsjobs_analytics.client import PartialResultWarning

            warnings.simplefilter("ignore", PartialResultWarning)
        except ImportError:  # pragma: no cover - the client is part of the package
            pass
        try:
            batch = task_center.get_jobs(ids)
        except Exception as exc:  # a PartialResultError-like batch failure still carries its results
            if not hasattr(exc, "failures"):
                raise
            return list(getattr(exc, "results", [])), dict(exc.failures)
    return list(batch), dict(getattr(batch, "failures", {}) or {})


def _refetch(
    task_center: TaskCenterLike, running: pd.DataFrame, now: pd.Timestamp
) -> tuple[list[dict[str, Any]], int, list[str], dict[str, str]]:
    """Ask for the archive's Running jobs by id: (records, ids asked, lost ids, id → failure message)."""
    too_old = running["created"].notna() & (running["created"] < now - _ASK_HORIZON)
    lost = sorted(running.loc[too_old, "job_id"].astype(str))
    ids = list(running.loc[~too_old, "job_id"].astype(str))
    if not ids:
        return [], 0, lost, {}
    records, failures = _quietly_get_jobs(task_center, ids)
    answered = {str(record.get("id")) for record in records if isinstance(record, Mapping)}
    failed: dict[str, str] = {}
    for job_id in ids:
        if job_id in answered:
            continue
        error = failures.get(job_id)
        if error is None or _is_not_found(error):
            lost.append(job_id)
        else:
            failed[job_id] = f"{type(error).__name__}: {error}"
    return records, len(ids), sorted(lost), failed


def _listed_again(running: pd.DataFrame, listed: pa.ChunkedArray) -> np.ndarray:
    """Which of the archive's Running jobs this listing holds: those need no fetch by id.

    Arrow's hash lookups (``Series.isin`` on a Python set of 1M ids took seconds, #16 §6), each hashing the
    small side: ``is_in`` builds its table from ``value_set`` first, which for a million listed ids cost
    0.2 s even when no job was Running. The listing is probed against the Running ids, then those ids
    against the few listed ones found.
    """
    ids = pa.array(running["job_id"].astype(str), type=pa.string())
    found = listed.filter(pc.is_in(listed, value_set=ids)).combine_chunks()
    return np.asarray(pc.is_in(ids, value_set=found).to_numpy(zero_copy_only=False), dtype=bool)


def sync(
    task_center: TaskCenterLike,
    archive: JobArchive,
    *,
    since: str | timedelta | datetime = "30d",
    overlap: str | timedelta = "1d",
    now: datetime | None = None,
    instances: bool = True,
) -> SyncStats:
    """Bring ``archive`` up to date with ``task_center`` (one region and project); returns what changed.

    First run: list jobs created since ``since`` ("30d", "12h", a timedelta or a datetime; capped at the
    service's 30-day horizon). Later runs: list from the last high-water mark (max ``created`` seen for
    this region/project) minus ``overlap``, then re-fetch by id every job the archive still holds as
    Running. Ids the service no longer knows stay Running and are reported as ``lost``; other per-id
    failures are reported in ``refetch_failed``, not raised. Windows of jobs a ``repair`` lost (holes) are
    listed again while the service keeps them (``holes_refetched``), and dropped from the manifest once
    listed. Everything is written in one atomic commit
    under the archive's lock (a concurrent sync gets :class:`ArchiveLockedError`). With ``instances`` (and a
    task center that lists them), the inventory snapshot is stored too (``archive._inventory``).
    """
    reference = parse_moment(now) if now is not None else utcnow()
    region, project_id = task_center.region, str(task_center.project_id)
    target = f"{region}/{project_id}"

    def observed() -> datetime:
        moment = reference if now is not None else pd.Timestamp.now(tz="UTC")
        return moment.to_pydatetime()

    with archive.locked():
        state = archive.sync_state(region, project_id)
        start = _window_start(state, since, overlap, reference)
        log.info("sync %s: listing jobs created %s → %s", target, start, reference)
        listed = list(task_center.list_jobs(start.to_pydatetime(), reference.to_pydatetime()))
        plan, holes_left = _plan_holes(archive.holes(), [region, project_id], reference)
        for low, high, jobs in plan:
            log.warning(
                "sync %s: listing again jobs created %s → %s, where a repair lost %s job(s)",
                target,
                low,
                high,
                "an unknown number of" if jobs is None else f"{jobs:,}",
            )
            listed += task_center.list_jobs(low.to_pydatetime(), high.to_pydatetime())
        listed_table, listed_distinct = ordered_batch(
            listed, observed_at=observed(), region=region, project_id=project_id
        )
        running = archive.nonterminal_jobs(region, project_id)
        running = running[~_listed_again(running, listed_table.column("job_id"))]
        records, asked, lost, failed = _refetch(task_center, running, reference)
        fetched_table = table_from_records(
            records, observed_at=observed(), region=region, project_id=project_id
        )
        mark = _new_mark(state, listed_table.column("created"), reference)
        entry = {
            "region": region,
            "project_id": project_id,
            "max_created": None if mark is None else mark.isoformat(),
            "listed_until": reference.isoformat(),
            "last_sync": pd.Timestamp.now(tz="UTC").isoformat(),
        }
        stats = archive._upsert(
            pa.concat_tables([listed_table, fetched_table]),
            entry,
            holes_left if plan else None,
            # Nothing fetched by id (e.g. a first sync): the listing's ids were found distinct already.
            one_per_job=listed_distinct and fetched_table.num_rows == 0,
        )
        if instances:
            record_inventory(task_center, archive.path, reference)
    stats.target, stats.listed, stats.window = target, len(listed), (start, reference)
    stats.refetched, stats.lost, stats.refetch_failed = asked, lost, failed
    stats.holes_refetched, stats.holes_left = plan, len(holes_left)
    log.info("sync %s done:\n%s", target, stats)
    return stats
