"""ListInstances and ListScheduledTasks of the simulated service (reference §8 and §9).

Both sit behind the same gateway as ListTasks (faults, throttling, misbehaviour, authentication), page with
``offset``/``limit`` (at most 100; ListInstances defaults to 100, ListScheduledTasks to 10) and validate
their queries with the documented error codes. ``instances_during_paging`` creates instances after every
ListInstances page, so the listing shifts under a client that pages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._core._time import parse_api_times
from . import _errors
from ._inventory import MODES, SCHEDULED_STATUSES
from ._messages import Reply, Request

if TYPE_CHECKING:
    from ._service import TaskCenterService

__all__ = ["list_instances", "list_scheduled_jobs"]

_DEFAULT_WINDOW_S = 7 * 86400


def _integer(text: str, *, minimum: int, maximum: int | None, limit: bool) -> int:
    error = _errors.invalid_limit if limit else _errors.invalid_offset
    try:
        value = int(text)
    except ValueError:
        raise error() from None
    if value < minimum or (maximum is not None and value > maximum):
        raise error()
    return value


def _epoch(text: str) -> int:
    """Epoch seconds of a ``yyyy-mm-ddThh:mm:ss+hhmm`` string; ValueError for any other spelling."""
    times = parse_api_times([text], strict=True)
    if times.bad[0] or times.missing[0]:
        raise ValueError(text)
    return int(times.utc.astype("datetime64[s]").astype("int64")[0])


def _tags(text: str) -> list[tuple[str, str]]:
    pairs = []
    for part in text.split(","):
        key, _, value = part.partition("=")
        if not key.strip():
            raise _errors.parameter_error(f"Invalid tags {text!r}: every key=value pair needs a key.")
        pairs.append((key.strip(), value.strip()))
    if len(pairs) > 20:
        raise _errors.parameter_error("At most 20 tags can be queried.")
    return pairs


def list_instances(service: TaskCenterService, request: Request, project_id: str) -> Reply:
    query = dict(request.query)
    mode = query.get("mode") or None
    if mode is not None and mode not in MODES.values():
        raise _errors.parameter_error(f"Invalid mode {mode!r}: one of Sharding, ReplicaSet, Single.")
    name = query.get("name") or None
    if name == "*":
        raise _errors.parameter_error("The name cannot be only '*'.")
    tags = _tags(query["tags"]) if query.get("tags") else None
    offset = _integer(query.get("offset", "0"), minimum=0, maximum=None, limit=False)
    limit = _integer(query.get("limit", "100"), minimum=1, maximum=100, limit=True)
    with service.lock:
        now = service.now_s
        region = service.fleet.region_of_project(project_id) or service.fleet.regions[0]
        listed = service.inventory.listed(
            now, region=region, instance_id=query.get("id") or None, name=name, mode=mode, tags=tags
        )
        page = listed[offset : offset + limit]
        if service.options.instances_during_paging:
            service.inventory.spawn(service.options.instances_during_paging, now, region=region)
    body: dict[str, Any] = {"instances": page, "total_count": len(listed)}
    return Reply(200, body)


def list_scheduled_jobs(service: TaskCenterService, request: Request, project_id: str) -> Reply:
    query = dict(request.query)
    with service.lock:
        now = service.now_s
    bounds = []
    for key, default in (("start_time", now - _DEFAULT_WINDOW_S), ("end_time", now)):
        if not query.get(key):
            bounds.append(default)
            continue
        try:
            bounds.append(_epoch(query[key]))
        except ValueError:
            raise _errors.invalid_time_format(key) from None
    start, end = bounds
    if end <= start:
        raise _errors.invalid_end("end_time must be later than start_time.")
    status = query.get("job_status") or None
    if status is not None and status not in SCHEDULED_STATUSES:
        raise _errors.parameter_error(
            f"Invalid job_status {status!r}: one of {', '.join(SCHEDULED_STATUSES)}."
        )
    offset = _integer(query.get("offset", "0"), minimum=0, maximum=None, limit=False)
    limit = _integer(query.get("limit", "10"), minimum=1, maximum=100, limit=True)
    with service.lock:
        region = service.fleet.region_of_project(project_id) or service.fleet.regions[0]
        listed = service.inventory.schedules(
            now,
            region=region,
            created_from=start,
            created_to=end,
            status=status,
            instance_id=query.get("instance_id") or None,
            job_name=query.get("job_name") or None,
        )
    return Reply(200, {"total_count": len(listed), "schedules": listed[offset : offset + limit]})
