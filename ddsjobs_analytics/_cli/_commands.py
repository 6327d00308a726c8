"""What each ``ddsjobs`` command does, given its parsed arguments; returns the exit code.

Heavy modules (pandas, the client, the archive, matplotlib) are imported inside each command, so that
building the parser for ``--help`` stays cheap. Everything printed goes through :func:`terminal_safe`.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._attach import attach_instances, with_fleet_inventory
from ._console import show_progress, terminal_safe

if TYPE_CHECKING:
    import pandas as pd

    from ..client import TaskCenter

__all__ = [
    "EXIT_FAILURE",
    "EXIT_OK",
    "EXIT_PARTIAL",
    "EXIT_USAGE",
    "run_archive",
    "run_check",
    "run_demo",
    "run_fetch",
    "run_report",
    "run_simulate",
    "run_sync",
    "say",
    "task_center",
    "write_report_folder",
]

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_PARTIAL = 0, 1, 2, 3
# check: 1 is a regression, 3 not enough data; 4 = no regression among the targets that answered, some failed.
EXIT_REGRESSION, EXIT_CHECK_PARTIAL = 1, 4


def say(args: argparse.Namespace, text: str) -> None:
    """Print a result line on stdout (terminal-safe), unless ``-q``."""
    if args.verbosity >= 0:
        print(terminal_safe(text))


def write_report_folder(df: pd.DataFrame, args: argparse.Namespace) -> None:
    """``write_report`` into ``--out``, which then holds this run only; prints the summary."""
    from .._render._outdir import owned_run
    from .._render._report import write_report

    def write() -> Any:
        return write_report(
            df,
            args.out,
            html=args.html,
            bom=args.bom,
            charts=args.charts,
            tz=args.tz,
            excel=args.excel,
            scheduled=getattr(args, "scheduled_frame", None),  # set with the inventory (_attach)
        )

    paths, removed = owned_run(args.out, write, list)
    say(args, paths.summary)
    say(
        args,
        f"\nReport written to {args.out}/ ({len(list(paths))} files"
        + (f"; {len(removed)} from an earlier run removed)" if removed else ")"),
    )
    if paths.html is not None:
        say(args, f"Open {paths.html} in a browser.")


def run_report(args: argparse.Namespace) -> int:
    from .._load import load_jobs
    from ._targets import apply_filters, fetch_jobs, targets_of

    if args.archive is not None and args.inputs:
        raise ValueError("give input files or --archive, not both")
    source: Any = "archive" if args.archive is not None else list(args.inputs) or "sample"
    since, until = (_in_zone(value, args.tz) for value in (args.since, args.until))
    if source == "sample" and targets_of(args):  # --target or the file's targets: the task center
        df = fetch_jobs(args, *_window(since, until), single=task_center)
    else:
        df = apply_filters(args, load_jobs(source, archive=args.archive, since=since, until=until))
    df = attach_instances(df, args)
    write_report_folder(df, args)
    return EXIT_PARTIAL if df.attrs.get("failed_targets") else EXIT_OK


def _window(since: Any, until: Any) -> tuple[datetime, datetime | None]:
    """``--since`` (default 30d) and ``--until`` as UTC datetimes for a fetch."""
    from .._core._time import parse_moment

    start = parse_moment(since or "30d", what="--since").to_pydatetime()
    return start, None if until is None else parse_moment(until, what="--until").to_pydatetime()


def _in_zone(value: str | None, tz: Any) -> Any:
    """A naive ``--since``/``--until`` time read in ``--tz`` (a UTC instant); ages and words stay as given,
    to be resolved against the source's own clock."""
    from .._core._time import parse_age, parse_moment

    if (
        value is None
        or tz is None
        or parse_age(value) is not None
        or value.strip().lower() in ("now", "today")
    ):
        return value
    return parse_moment(value, naive_tz=tz, what="--since/--until")


def run_demo(args: argparse.Namespace) -> int:
    from ..client import AkSkAuth, TaskCenter
    from ..simulator import running
    from ..simulator._sample import DEFAULT_REGIONS

    if args.days <= 0:
        raise ValueError(f"--days must be positive, not {args.days:g}")
    # The real service answers for 30 days; the demo's simulator keeps (and answers for) what is asked.
    fleet = {"history_days": max(60.0, args.days), "horizon_days": max(30.0, args.days + 1)}
    with running(jobs=args.jobs, seed=args.seed, regions=DEFAULT_REGIONS, **fleet) as sim:
        say(args, f"Simulator listening on {sim.url} ({len(sim.project_ids)} regions, one project each)")
        auth = AkSkAuth(sim.ak, sim.sk)
        progress = show_progress(args.verbosity)
        # The simulator stands in for every region's endpoint, so each target is a client pointed at it.
        centers = [
            TaskCenter(region=region, project_id=project_id, auth=auth, endpoint=sim.url, progress=progress)
            for region, project_id in sim.project_ids.items()
        ]
        end = datetime.now(timezone.utc)
        try:
            df = centers[0].fetch_many(centers, end - timedelta(days=args.days), end)
            df = with_fleet_inventory(df, centers, args)  # the inventory too, for the Fleet section
        finally:
            for center in centers:
                center.close()
        say(args, f"Fetched {len(df):,} jobs of the last {args.days:g} days over signed HTTP")
    write_report_folder(df, args)
    return EXIT_OK


def task_center(args: argparse.Namespace) -> TaskCenter:
    """A client from the environment, with the command line's target and progress choices."""
    from ..client import TaskCenter

    overrides: dict[str, Any] = {"progress": show_progress(args.verbosity, args.progress)}
    for name in ("region", "project_id", "endpoint"):
        if getattr(args, name):
            overrides[name] = getattr(args, name)
    return TaskCenter.from_env(**overrides)


def run_fetch(args: argparse.Namespace) -> int:
    out: Path = args.out
    name = out.name.lower()
    if not name.endswith((".parquet", ".csv")):
        raise ValueError(f"--out must end in .parquet or .csv, not {out.name!r}")
    if args.job_ids and (args.since or args.until):
        raise ValueError("give --job-id or a --since/--until window, not both")
    if args.job_ids:
        with task_center(args) as center:
            df = center.fetch(job_ids=args.job_ids)
    else:
        from ._targets import fetch_jobs

        df = fetch_jobs(args, *_window(args.since, args.until), single=task_center)
    out.parent.mkdir(parents=True, exist_ok=True)
    if name.endswith(".parquet"):
        df.to_parquet(out, index=False)
    else:
        from .._render._report import write_csv

        write_csv(df, out)
    say(args, f"{len(df):,} jobs written to {out}")
    failed = df.attrs.get("failed_job_ids") or df.attrs.get("failed_targets") or []
    return EXIT_PARTIAL if failed else EXIT_OK


def run_sync(args: argparse.Namespace) -> int:
    from ..archive import JobArchive, sync
    from ._targets import sync_targets, targets_of

    targets = targets_of(args)
    if targets:
        lines, failed = sync_targets(args, targets)
        say(args, "\n".join(lines))
        return EXIT_PARTIAL if failed else EXIT_OK
    with task_center(args) as center:
        stats = sync(center, JobArchive(args.archive), since=args.since, overlap=args.overlap)
    say(args, str(stats))
    return EXIT_PARTIAL if stats.refetch_failed else EXIT_OK


def run_simulate(args: argparse.Namespace) -> int:
    from ..simulator import serve

    serve(
        args.port,
        jobs=args.jobs,
        seed=args.seed,
        throttle=args.throttle,
        error_rate=args.error_rate,
        latency_ms=args.latency,
    )
    return EXIT_OK


def run_archive(args: argparse.Namespace) -> int:
    """``verify`` prints the problems found (exit 1 if any) and changes nothing (no ``JobArchive`` is opened:
    opening may finish a transaction); ``repair`` rebuilds, then verifies. Not an archive: exit 2."""
    from ..archive import ArchiveNotFoundError, JobArchive, verify_archive

    try:
        if args.action == "repair":
            say(args, str(JobArchive(args.archive).repair()))
        report = verify_archive(Path(args.archive).expanduser())
    except ArchiveNotFoundError as exc:
        print(f"ddsjobs archive {args.action}: {terminal_safe(str(exc), one_line=True)}", file=sys.stderr)
        return EXIT_USAGE
    say(args, str(report))
    return EXIT_OK if report.ok else EXIT_FAILURE


def run_check(args: argparse.Namespace) -> int:
    """Read enough history for both periods, then compare and print (``_check.run_check``).

    Every error exits 2 here, never 1: for ``check`` exit 1 means "a regression", and a cron job or CI step
    must not mistake an unreadable file for one.
    """
    from .._core._calendar import resolve_tz
    from .._core._time import parse_moment
    from ._alerts import on_call
    from ._check import fail_on_metrics
    from ._check import run_check as compare_and_print
    from ._targets import apply_filters, fetch_jobs, targets_of

    try:
        oncall = on_call(args)
        tz = resolve_tz(args.tz if args.tz is not None else oncall.config.tz)
        fail_on = fail_on_metrics(args.fail_on)
        by = [name.strip() for name in args.by.split(",") if name.strip()]
        if args.archive is not None and args.inputs:
            raise ValueError("give input files or --archive, not both")
        if args.inputs:
            from .._load import load_jobs

            df = apply_filters(args, load_jobs(list(args.inputs), until=args.until))
        else:
            # Enough history for both periods; the exact windows are cut from the data afterwards.
            now = parse_moment(args.until or "now", naive_tz=tz, what="--until")
            since = parse_moment(args.since, now=now, naive_tz=tz, what="--since")
            start = parse_moment(args.baseline, now=since, naive_tz=tz, what="--baseline")
            if args.archive is not None:
                from ..archive import JobArchive

                df = apply_filters(args, JobArchive(args.archive).load(start=start))
            else:
                df = fetch_jobs(args, start.to_pydatetime(), now.to_pydatetime(), single=task_center)
        # The environment's task center: its live inventory too (with --target: give --instances FILE).
        from_api = not args.inputs and args.archive is None and not targets_of(args)
        df = attach_instances(df, args, client=task_center if from_api else None)
        code = compare_and_print(
            df,
            since=args.since,
            baseline=args.baseline,
            until=args.until,
            by=by,
            tz=tz,
            output_format=args.output_format,
            fail_on=fail_on,
            min_jobs=args.min_jobs,
            fdr=args.fdr,
            rules=oncall.rules,
            on_result=oncall.collect,
        )
        oncall.deliver(code, verbosity=args.verbosity)  # never raises, never changes the code
        if df.attrs.get("failed_targets") and code != EXIT_REGRESSION:
            return EXIT_CHECK_PARTIAL  # the verdict covers only the targets that answered
        return code
    except Exception as exc:
        if args.verbosity >= 1:
            raise
        message = terminal_safe(f"{type(exc).__name__}: {exc}", one_line=True)
        print(f"ddsjobs check: {message}", file=sys.stderr)
        return EXIT_USAGE
