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
    "EXIT_NO_DATA",
    "EXIT_OK",
    "EXIT_PARTIAL",
    "EXIT_USAGE",
    "NoDataError",
    "UsageError",
    "print_error",
    "refuse_inputs_in_out",
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
EXIT_NO_DATA = 3  # report: the selection holds no job (the previous report is kept)


class UsageError(ValueError):
    """A command line that cannot be carried out as given (exit 2): the message says what to change."""


class NoDataError(ValueError):
    """The selection holds no job (exit 3); nothing was written."""


def say(args: argparse.Namespace, text: str) -> None:
    """Print a result line on stdout (terminal-safe), unless ``-q``."""
    if args.verbosity >= 0:
        print(terminal_safe(text))


def write_report_folder(df: pd.DataFrame, args: argparse.Namespace) -> None:
    """``write_report`` into ``--out``, which then holds this run only; prints the summary.

    A file in ``--out`` that ddsjobs did not write is never replaced: that is a usage error (exit 2).
    """
    from .._render._outdir import ReportFolderError
    from .._render._report import write_report

    try:
        paths = write_report(
            df,
            args.out,
            html=args.html,
            bom=args.bom,
            charts=args.charts,
            tz=args.tz,
            excel=args.excel,
            scheduled=getattr(args, "scheduled_frame", None),  # set with the inventory (_attach)
        )
    except ReportFolderError as exc:
        raise UsageError(str(exc)) from None
    removed = paths.removed
    say(args, paths.summary)
    say(
        args,
        f"\nReport written to {paths.out_dir}/ ({len(list(paths))} files"
        + (f"; {len(removed)} from an earlier run removed)" if removed else ")"),
    )
    if paths.html is not None:
        say(args, f"Open {paths.html} in a browser.")


def refuse_inputs_in_out(inputs: list[Path], archive: Path | None, out: Path) -> None:
    """An input inside the report folder could be replaced by the report: always refused (exit 2)."""
    folder = out.expanduser().resolve()
    for path in [*inputs, *([archive] if archive is not None else [])]:
        where = path.expanduser().resolve()
        if where == folder or folder in where.parents or (path is archive and where in folder.parents):
            raise UsageError(f"{path}: an input inside the report folder --out {out}; choose another --out")


def run_report(args: argparse.Namespace) -> int:
    from .._load import load_jobs
    from ._targets import apply_filters, fetch_jobs, targets_of

    if args.archive is not None and args.inputs:
        raise UsageError("give input files or --archive, not both")
    refuse_inputs_in_out(list(args.inputs), args.archive, args.out)
    source: Any = "archive" if args.archive is not None else list(args.inputs) or "sample"
    since, until = (_in_zone(value, args.tz) for value in (args.since, args.until))
    targets = targets_of(args) if source == "sample" else []  # --target or the file's targets
    from_service = bool(targets)
    assume_tz = getattr(args, "assume_tz", None)
    if from_service:
        df = fetch_jobs(args, *_window(since, until), single=task_center)
    else:
        df = load_jobs(source, archive=args.archive, since=since, until=until, assume_tz=assume_tz)
        df = apply_filters(args, df)
    if len(df) == 0:
        if from_service:
            covered = "the task center returned no job for that window"
        else:
            everything = df
            if since or until:
                everything = load_jobs(source, archive=args.archive, assume_tz=assume_tz)
            covered = _coverage(everything)
        raise NoDataError(
            f"no job in the selection{_window_text(args.since, args.until)}; {covered}; nothing written, "
            f"{args.out} left as it was"
        )
    df = attach_instances(df, args, targets=targets)  # with targets: their live inventory too
    write_report_folder(df, args)
    return EXIT_PARTIAL if df.attrs.get("failed_targets") else EXIT_OK


def _window(since: Any, until: Any) -> tuple[datetime, datetime | None]:
    """``--since`` (default 30d) and ``--until`` as UTC datetimes for a fetch."""
    from .._core._time import parse_moment

    start = parse_moment(since or "30d", what="--since").to_pydatetime()
    return start, None if until is None else parse_moment(until, what="--until").to_pydatetime()


def _window_text(since: str | None, until: str | None) -> str:
    parts = [f"--since {since}" if since else "", f"--until {until}" if until else ""]
    shown = " ".join(part for part in parts if part)
    return f" ({shown})" if shown else ""


def _coverage(df: pd.DataFrame) -> str:
    """What range the data covers, for the no-data message."""
    created = df["created"].dropna() if "created" in df.columns else df.iloc[:0]
    if len(created) == 0:
        return "the input holds no job with a creation time"
    first, last = created.min(), created.max()
    return f"the data covers {len(df):,} jobs created {first:%Y-%m-%d %H:%M} – {last:%Y-%m-%d %H:%M} UTC"


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
        raise UsageError(f"--days must be positive, not {args.days:g}")
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
        raise UsageError(f"--out must end in .parquet or .csv, not {out.name!r}")
    if args.job_ids and (args.since or args.until):
        raise UsageError("give --job-id or a --since/--until window, not both")
    if args.job_ids:
        with task_center(args) as center:
            df = center.fetch(job_ids=args.job_ids)
    else:
        from ._targets import fetch_jobs

        df = fetch_jobs(args, *_window(args.since, args.until), single=task_center)
    _write_replacing(df, out)
    say(args, f"{len(df):,} jobs written to {out}")
    failed = df.attrs.get("failed_job_ids") or df.attrs.get("failed_targets") or []
    return EXIT_PARTIAL if failed else EXIT_OK


def _write_replacing(df: pd.DataFrame, out: Path) -> None:
    """Write ``fetch --out`` into a fresh temporary file beside it, then rename it over ``out``: a symlink
    at ``out`` is replaced, never written through, and an interrupted fetch leaves the old file whole."""
    import os
    import tempfile

    if out.is_dir():
        raise UsageError(f"--out {out} is a folder; give a .parquet or .csv file")
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".ddsjobs-fetch-", suffix=out.suffix, dir=out.parent)
    os.close(handle)
    try:
        if out.name.lower().endswith(".parquet"):
            df.to_parquet(temporary, index=False)
        else:
            from .._render._report import write_csv

            write_csv(df, Path(temporary))
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def run_sync(args: argparse.Namespace) -> int:
    from ..archive import JobArchive, sync
    from ._targets import sync_targets, targets_of

    targets = targets_of(args)
    if targets:
        lines, failed = sync_targets(args, targets)
        say(args, "\n".join(lines))
        return EXIT_PARTIAL if failed else EXIT_OK
    with task_center(args) as center:
        stats = sync(
            center,
            JobArchive(args.archive),
            since=args.since,
            overlap=args.overlap,
            instances=not getattr(args, "no_instances", False),
        )
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
            raise UsageError("give input files or --archive, not both")
        if args.inputs:
            from .._load import load_jobs

            assume_tz = getattr(args, "assume_tz", None)
            df = apply_filters(args, load_jobs(list(args.inputs), until=args.until, assume_tz=assume_tz))
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
        # From the task center: its live inventory too, of each target (--no-instances skips it).
        from_api = not args.inputs and args.archive is None
        targets = targets_of(args) if from_api else []
        df = attach_instances(df, args, client=task_center if from_api else None, targets=targets)
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
        print_error(args, exc)
        return EXIT_USAGE


def print_error(args: argparse.Namespace, exc: BaseException) -> None:
    """One ``ddsjobs COMMAND: …`` line on stderr; at ``-vv`` the traceback before it."""
    if args.verbosity >= 2:
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    shown = str(exc) if isinstance(exc, (UsageError, NoDataError)) else f"{type(exc).__name__}: {exc}"
    print(f"ddsjobs {args.command}: {terminal_safe(shown, one_line=True)}", file=sys.stderr)
