"""Several targets in one run (``--target REGION:PROJECT`` or the file's ``[[targets]]``) and the
``--status``/``--job-type``/``--instance`` filters.

Targets are fetched concurrently into one frame that carries ``region`` and ``project_id``. A target that
fails is reported on stderr by name and the others still count; the frame's ``attrs["failed_targets"]``
names the failures so the command can exit *partial*. Filters go to ListTasks where the API can filter (one
exact ``status``; one exact job ``name`` from the documented list) and are always applied to the frame
afterwards, so the result is the same whichever side filtered.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ._console import show_progress, terminal_safe

if TYPE_CHECKING:
    import pandas as pd

    from ..client import TaskCenter
    from ..config import Target

__all__ = [
    "apply_filters",
    "client_options",
    "fetch_jobs",
    "list_tasks_filters",
    "report_failures",
    "sync_targets",
    "targets_of",
]

API_STATUSES = ("Running", "Completed", "Failed")


def _values(args: argparse.Namespace, name: str) -> list[str]:
    return list(getattr(args, name, None) or [])


def apply_filters(args: argparse.Namespace, df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with the command line's filters applied (all of them: the API may have applied some)."""
    from .._frame._filter import filter_jobs

    status, job_type, instance = (_values(args, name) for name in ("status", "job_type", "instance"))
    if not (status or job_type or instance):
        return df
    return filter_jobs(df, status=status, job_type=job_type, instance=instance)


def list_tasks_filters(args: argparse.Namespace) -> dict[str, str]:
    """What ListTasks can filter itself: a single exact status, a single exact documented job name."""
    from .._core._names import JOB_NAMES
    from .._frame._filter import is_glob

    found: dict[str, str] = {}
    status, job_type = _values(args, "status"), _values(args, "job_type")
    if len(status) == 1 and not is_glob(status[0]) and status[0] in API_STATUSES:
        found["status"] = status[0]
    if len(job_type) == 1 and not is_glob(job_type[0]) and job_type[0] in JOB_NAMES:
        found["name"] = job_type[0]
    return found


def targets_of(args: argparse.Namespace) -> list[Target]:
    """``--target`` values, else the configuration file's targets, else none (the environment's one)."""
    from ..config import Target
    from ._config import config_for

    given = _values(args, "target")
    if given:
        return [Target.parse(text) for text in given]
    return list(config_for(args).targets)


def client_options(args: argparse.Namespace, target: Target) -> dict[str, Any]:
    options: dict[str, Any] = {"region": target.region, "project_id": target.project_id, "progress": False}
    if getattr(args, "endpoint", None):
        options["endpoint"] = args.endpoint
    return options


def report_failures(args: argparse.Namespace, failures: dict[str, BaseException], *, what: str = "") -> None:
    """One stderr line per failed target, naming it (and ``what`` failed: ``"inventory"``)."""
    for label, exc in failures.items():
        text = terminal_safe(f"{type(exc).__name__}: {exc}", one_line=True)
        part = f" {what}" if what else ""
        print(f"ddsjobs {args.command}: target {label}{part} failed: {text}", file=sys.stderr)


def fetch_jobs(
    args: argparse.Namespace,
    start: datetime | None,
    end: datetime | None,
    *,
    single: Callable[[argparse.Namespace], TaskCenter],
) -> pd.DataFrame:
    """The jobs of ``[start, end]`` from every target (or from ``single(args)``, the environment's client
    when there are no targets), filtered.

    With several targets the failures are reported and named in ``attrs["failed_targets"]``; when every
    target fails the first error is raised.
    """
    server = list_tasks_filters(args)
    targets = targets_of(args)
    if not targets:
        with single(args) as center:
            return apply_filters(args, center.fetch(start, end, **server))  # type: ignore[arg-type]
    from .._frame import jobs_frame
    from ..client import AsyncTaskCenter

    async def one(target: Target) -> list[dict[str, Any]]:
        async with AsyncTaskCenter.from_env(**client_options(args, target)) as center:
            records = await center.list_jobs(start, end, **server)  # type: ignore[arg-type]
        return [{**record, "region": target.region, "project_id": target.project_id} for record in records]

    async def every() -> list[Any]:
        return await asyncio.gather(*(one(target) for target in targets), return_exceptions=True)

    if start is None:
        from .._core._time import parse_moment

        start = parse_moment("30d", now=end, what="--since").to_pydatetime()
    results = asyncio.run(every())
    failures = {t.label: r for t, r in zip(targets, results, strict=True) if isinstance(r, BaseException)}
    report_failures(args, failures)
    if len(failures) == len(targets):
        raise next(iter(failures.values()))
    records = [record for result in results if not isinstance(result, BaseException) for record in result]
    frame = jobs_frame(records, observed_at=datetime.now(timezone.utc))
    frame = apply_filters(args, frame)
    frame.attrs["failed_targets"] = sorted(failures)
    return frame


def sync_targets(args: argparse.Namespace, targets: list[Target]) -> tuple[list[str], list[str]]:
    """Sync each target into the one archive in turn (the archive's lock serialises writers); returns
    (the summary lines, the failed target labels). Filters never apply: an archive keeps everything."""
    from ..archive import JobArchive, sync
    from ..client import TaskCenter

    lines: list[str] = []
    failures: dict[str, BaseException] = {}
    archive = JobArchive(args.archive)
    for target in targets:
        options = client_options(args, target)
        options["progress"] = show_progress(args.verbosity, args.progress)
        try:
            with TaskCenter.from_env(**options) as center:
                stats = sync(
                    center,
                    archive,
                    since=args.since,
                    overlap=args.overlap,
                    instances=not getattr(args, "no_instances", False),
                )
            lines.append(f"{target.label}: {stats}")
            if stats.refetch_failed:
                failures[target.label] = RuntimeError(f"{len(stats.refetch_failed)} job(s) not re-fetched")
        except Exception as exc:
            failures[target.label] = exc
    report_failures(args, failures)
    if len(failures) == len(targets) and not lines:
        raise next(iter(failures.values()))
    return lines, sorted(failures)
