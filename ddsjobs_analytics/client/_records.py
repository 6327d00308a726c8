"""The records behind ``fetch``: a listing or a batch by id, stamped with when each was read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from ._errors import TaskCenterError
from ._progress import ProgressCallback
from ._transport import ClientCore, Stamped

__all__ = ["check_filters", "fetch_records", "observed_records"]


def observed_records(stamped: list[Stamped], extra: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """The records with the time each was read (``observed_at``, ISO text) and any extra keys.

    The records were decoded for this call and are returned nowhere else, so they are stamped in place:
    no copy, and only strings, which keeps ``jobs_frame`` on its Arrow path.
    """
    records = []
    for job, seen_at in stamped:
        job["observed_at"] = seen_at
        if extra:
            job.update(extra)
        records.append(job)
    return records


async def fetch_records(
    core: ClientCore,
    window: tuple[datetime, datetime] | None,
    job_ids: Sequence[str] | None,
    filters: Mapping[str, Any],
    tag_target: bool,
    on_progress: ProgressCallback | None = None,
) -> tuple[list[dict[str, Any]], dict[str, TaskCenterError]]:
    """Records for a frame: a listing of the window, or the given job ids; plus per-id failures."""
    extra = {"region": core.region, "project_id": core.project_id} if tag_target else None
    if job_ids is not None:
        batch = await core.get_jobs(job_ids, on_progress)
        now = datetime.now(timezone.utc).isoformat()
        return observed_records([(job, now) for job in batch], extra), batch.failures
    assert window is not None
    stamped = await core.list_stamped(
        window[0], window[1], filters.get("status"), filters.get("name"), on_progress
    )
    return observed_records(stamped, extra), {}


def check_filters(filters: Mapping[str, Any]) -> None:
    unknown = set(filters) - {"status", "name"}
    if unknown:
        raise TypeError(
            f"unknown filter(s) {', '.join(sorted(unknown))}; ListTasks filters are status and name"
        )
