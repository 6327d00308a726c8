"""The inventory on the command line: ``fetch --instances``, ``report/check --instances FILE`` and
``ddsjobs scheduled``.

:func:`add_inventory_commands` extends the parsers ``_main`` built (so ``_main`` changes by one line); the
bodies import pandas and the client only when they run. The inventory file sits beside the jobs file:
``jobs.parquet`` → ``jobs.instances.jsonl`` (raw ListInstances records, each stamped with ``observed_at``
and ``project_id``) and ``jobs.scheduled.jsonl`` (raw ListScheduledTasks records).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from ._commands import EXIT_OK, say, task_center

__all__ = ["add_inventory_commands", "inventory_paths", "run_scheduled", "write_jsonl"]

_SCHEDULED_SINCE = "30d"  # creation window of `ddsjobs scheduled`: jobs wait days, not months, for a window


def inventory_paths(jobs_out: Path) -> tuple[Path, Path]:
    """``jobs.parquet`` → (``jobs.instances.jsonl``, ``jobs.scheduled.jsonl``) in the same folder."""
    stem = jobs_out.name.rsplit(".", 1)[0]
    return jobs_out.with_name(f"{stem}.instances.jsonl"), jobs_out.with_name(f"{stem}.scheduled.jsonl")


def _ours(path: Path) -> bool:
    """Whether an existing file is an inventory file this tool wrote (JSON objects, one per line)."""
    try:
        with path.open(encoding="utf-8") as handle:
            first = handle.readline()
    except (OSError, UnicodeDecodeError):
        return False
    if not first.strip():
        return path.stat().st_size == 0
    try:
        record = json.loads(first)
    except ValueError:
        return False
    return isinstance(record, dict) and ("observed_at" in record or "job_id" in record)


def write_jsonl(path: Path, records: Sequence[Mapping[str, Any]]) -> None:
    """Write atomically (temporary file, then rename); never through a symlink or over a foreign file."""
    if path.is_symlink():
        raise ValueError(f"{path} is a symbolic link; refusing to write through it")
    if path.exists() and not _ours(path):
        raise ValueError(f"{path} exists and is not an inventory file written by ddsjobs; not overwriting it")
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            for record in records:
                out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _fetch_inventory(
    args: argparse.Namespace, center: Any
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    observed = datetime.now(timezone.utc).isoformat()
    instances = [
        {
            **record,
            "observed_at": observed,
            "project_id": center.project_id,
            "region": record.get("region") or center.region,
        }
        for record in center.list_instances()
    ]
    start = datetime.now(timezone.utc) - timedelta(days=30)
    scheduled = center.list_scheduled_jobs(start)
    return instances, scheduled


def _wrap_fetch(run_fetch: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        code = run_fetch(args)
        if args.instances:
            with task_center(args) as center:
                instances, scheduled = _fetch_inventory(args, center)
            instances_path, scheduled_path = inventory_paths(args.out)
            write_jsonl(instances_path, instances)
            write_jsonl(scheduled_path, scheduled)
            say(args, f"{len(instances):,} instances written to {instances_path}")
            say(args, f"{len(scheduled):,} scheduled jobs written to {scheduled_path}")
        return code

    return run


def run_scheduled(args: argparse.Namespace) -> int:
    """Upcoming (Pending) scheduled jobs, soonest first, as text or JSON; ``--all`` shows every status."""
    import pandas as pd

    from .._core._calendar import resolve_tz
    from .._core._time import parse_moment

    tz = resolve_tz(args.tz)
    start = parse_moment(args.since, what="--since").to_pydatetime()
    with task_center(args) as center:
        frame = center.scheduled_jobs(start, status=None if args.all else "Pending")
    frame = frame.sort_values(["start", "created"], na_position="last", kind="stable")
    if args.output_format == "json":
        rows = []
        for row in frame.to_dict("records"):
            rows.append(
                {
                    key: (
                        value.isoformat()
                        if isinstance(value, pd.Timestamp)
                        else None
                        if pd.isna(value)
                        else value
                    )
                    for key, value in row.items()
                    if key != "utc_offset"
                }
            )
        print(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
        return EXIT_OK
    if frame.empty:
        say(args, "No scheduled jobs" + ("" if args.all else " pending") + f" (created since {args.since}).")
        return EXIT_OK
    zone = getattr(tz, "key", None) or str(tz)
    say(args, f"{len(frame)} scheduled job(s), times in {zone}:")
    starts = frame["start"].dt.tz_convert(tz).dt.strftime("%Y-%m-%d %H:%M").fillna("-")
    for job, when in zip(frame.itertuples(), starts, strict=True):
        instance = f"{job.instance_name} ({job.instance_id})"
        say(args, f"{when}  {job.status:<9}  {job.job_name}  {instance}  {job.job_id}")
    return EXIT_OK


def add_inventory_commands(
    commands: Any,
    *,
    command: Callable[..., argparse.ArgumentParser],
    target_options: Callable[[argparse.ArgumentParser], None],
) -> None:
    """Add ``--instances`` to fetch/report/check and the ``scheduled`` command to ``commands``."""
    choices = commands.choices
    fetch = choices["fetch"]
    fetch.add_argument(
        "--instances",
        action="store_true",
        help="also write the inventory beside the jobs: FILE.instances.jsonl and FILE.scheduled.jsonl",
    )
    fetch.set_defaults(run=_wrap_fetch(fetch.get_default("run")))
    for name in ("report", "check"):
        choices[name].add_argument(
            "--instances",
            type=Path,
            metavar="FILE",
            help="join the jobs with this inventory (from 'fetch --instances'), as of each job's time; "
            "instance columns (engine_version, mode, availability_zones, …) then work in --by",
        )
    for name in ("report", "check"):
        choices[name].add_argument(
            "--no-instances",
            action="store_true",
            help="when fetching from the task center (or --target), do not fetch the inventory too",
        )
    choices["sync"].add_argument(
        "--no-instances",
        action="store_true",
        help="store the jobs only, not the inventory snapshot (instances, nodes, scheduled jobs)",
    )
    scheduled = command(
        commands,
        "scheduled",
        summary="list the upcoming scheduled jobs (resizes waiting for their window), for a morning check",
        usage="[--since T] [--all] [--format text|json] [--tz TZ] [options]",
        example="ddsjobs scheduled --region ap-southeast-1 --tz Asia/Shanghai",
        run=run_scheduled,
    )
    target_options(scheduled)
    scheduled.add_argument(
        "--since",
        default=_SCHEDULED_SINCE,
        metavar="T",
        help=f"scheduled jobs created since this (default {_SCHEDULED_SINCE}; the API's own default is 7d)",
    )
    scheduled.add_argument("--all", action="store_true", help="every status, not only Pending")
    scheduled.add_argument(
        "--format", choices=("text", "json"), default="text", dest="output_format", help="text or json"
    )
    scheduled.add_argument("--tz", default=None, metavar="TZ", help="zone of the times shown (default UTC)")
