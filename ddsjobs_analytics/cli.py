"""The ``ddsjobs`` command: the one place that wires fetching, archiving, analysis and reports together.

Sub-commands::

    ddsjobs demo      --out DIR             simulator in-process → signed fetch over HTTP → report
    ddsjobs report    [INPUT …] --out DIR   report from files, an archive, or the bundled sample
    ddsjobs fetch     --region R --project-id P --since 30d --out jobs.parquet|.csv
    ddsjobs sync      --archive PATH --region R --project-id P
    ddsjobs archive   verify|repair --archive PATH   check an archive's integrity, or rebuild it
    ddsjobs simulate  --port 8080           serve the local task-center simulator
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ddsjobs_analytics._time import parse_moment

if TYPE_CHECKING:
    from ddsjobs_analytics.client import TaskCenter

__all__ = ["load_jobs", "main", "parse_since"]


def parse_since(value: str, *, now: datetime | None = None) -> datetime:
    """``"30d"``, ``"12h"``, ``"90m"``, ``"2w"`` or an ISO date/time → the UTC start of the window."""
    try:
        return parse_moment(value, now=now, what="--since").to_pydatetime()
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _add_report_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=Path("report"), help="output folder (default: ./report)")
    parser.add_argument("--html", action="store_true", help="also write a self-contained report.html")
    parser.add_argument("--bom", action="store_true", help="write CSV with a UTF-8 BOM (for Excel)")
    parser.add_argument("--no-charts", dest="charts", action="store_false", help="skip the PNG charts")


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ddsjobs", description=__doc__.split("\n\n")[0])
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv: debug)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser(
        "demo", help="run the simulator in-process, fetch a month over HTTP, write a report"
    )
    demo.add_argument("--days", type=int, default=30, help="how many days to fetch (default 30)")
    demo.add_argument("--jobs", type=int, default=5000, help="jobs in the simulated fleet (default 5000)")
    demo.add_argument("--seed", type=int, default=0)
    _add_report_options(demo)

    report = commands.add_parser("report", help="write the CSV/PNG (and --html) report")
    report.add_argument(
        "inputs", nargs="*", type=Path, help=".json/.jsonl(.gz) or .parquet job files (default: sample)"
    )
    report.add_argument("--archive", type=Path, help="read from a job archive instead of files")
    report.add_argument(
        "--since", type=parse_since, help="with --archive: only jobs created since (e.g. 90d or 2026-09-01)"
    )
    _add_report_options(report)

    fetch = commands.add_parser(
        "fetch", help="fetch jobs from the real task center (credentials from the environment)"
    )
    _add_target_options(fetch)
    fetch.add_argument(
        "--since", type=parse_since, default="30d", help="window start, e.g. 30d (default) or 2026-11-01"
    )
    fetch.add_argument("--out", type=Path, required=True, help="jobs.parquet or jobs.csv")

    sync = commands.add_parser("sync", help="incrementally sync the task center into a local archive")
    sync.add_argument("--archive", type=Path, required=True)
    _add_target_options(sync)
    sync.add_argument(
        "--since",
        type=parse_since,
        default="30d",
        help="first run: how far back (default 30d, the service's horizon)",
    )
    sync.add_argument(
        "--overlap", default="1d", help="later runs re-list this much before the high-water mark"
    )

    archive = commands.add_parser("archive", help="verify (read-only) or repair a job archive")
    archive.add_argument("action", choices=["verify", "repair"])
    archive.add_argument("--archive", type=Path, required=True)

    simulate = commands.add_parser("simulate", help="serve the local task-center simulator on 127.0.0.1")
    simulate.add_argument("--port", type=int, default=8080)
    simulate.add_argument("--jobs", type=int, default=5000)
    simulate.add_argument("--seed", type=int, default=0)
    simulate.add_argument("--throttle", type=float, default=None, help="max requests/second before 429")
    simulate.add_argument("--error-rate", type=float, default=0.0, help="share of requests answered 5xx")
    simulate.add_argument("--latency", type=float, default=0.0, help="added latency per request, ms")
    return parser


def _add_target_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--region", default=os.environ.get("HUAWEICLOUD_SDK_REGION"), help="e.g. ap-southeast-1"
    )
    parser.add_argument("--project-id", default=os.environ.get("HUAWEICLOUD_SDK_PROJECT_ID"))
    parser.add_argument("--endpoint", default=None, help="override the regional endpoint")
    parser.add_argument("--no-progress", dest="progress", action="store_false")


def _write_report(df: pd.DataFrame, args: argparse.Namespace) -> None:
    from ddsjobs_analytics._report import write_report

    paths = write_report(df, args.out, html=args.html, bom=args.bom, charts=args.charts)
    print(paths.summary)
    print(f"\nReport written to {args.out}/ ({len(list(paths))} files)")
    if paths.html is not None:
        print(f"Open {paths.html} in a browser.")


def _read_inputs(inputs: Sequence[Path]) -> pd.DataFrame:
    """Job files: API records as .json/.jsonl (optionally .gz), or frames from ``ddsjobs fetch``."""
    from ddsjobs_analytics._frame import jobs_frame

    frames = []
    for path in inputs:
        name = path.name.lower()
        if name.endswith(".parquet"):
            frames.append(pd.read_parquet(path))
        elif name.endswith((".json", ".jsonl", ".json.gz", ".jsonl.gz")):
            frames.append(jobs_frame(path))
        else:
            raise ValueError(f"{path}: expected .json, .jsonl (optionally .gz) or .parquet")
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def load_jobs(
    source: str = "auto", *, archive: str | Path | None = None, since: str = "30d"
) -> tuple[pd.DataFrame, str]:
    """Jobs and the source they came from, as the notebooks pick it (``since``: e.g. ``"30d"``).

    ``"api"``: the task center, credentials from the environment (:meth:`TaskCenter.from_env`);
    ``"archive"``: the job archive at ``archive`` (default ``$DDSJOBS_ARCHIVE``); ``"sample"``: the
    bundled sample, whole; ``"auto"``: the API when ``HUAWEICLOUD_SDK_AK`` is set, else the archive when
    one is given, else the sample.
    """
    archive = archive or os.environ.get("DDSJOBS_ARCHIVE") or None
    if source == "auto":
        source = "api" if os.environ.get("HUAWEICLOUD_SDK_AK") else "archive" if archive else "sample"
    if source == "api":
        from ddsjobs_analytics.client import TaskCenter

        with TaskCenter.from_env() as center:
            return center.fetch(parse_moment(since, what="since"), datetime.now(timezone.utc)), source
    if source == "archive":
        if archive is None:
            raise ValueError("load_jobs: source='archive' needs archive= or $DDSJOBS_ARCHIVE")
        from ddsjobs_analytics.archive import JobArchive

        return JobArchive(archive).load(start=parse_moment(since, what="since")), source
    if source == "sample":
        from ddsjobs_analytics._sample import load_sample

        return load_sample(), source
    raise ValueError(f"load_jobs: source must be 'auto', 'api', 'archive' or 'sample', not {source!r}")


def _cmd_report(args: argparse.Namespace) -> int:
    if args.archive is not None:
        from ddsjobs_analytics.archive import JobArchive

        df = JobArchive(args.archive).load(start=args.since)
    elif args.inputs:
        df = _read_inputs(args.inputs)
    else:
        from ddsjobs_analytics._sample import load_sample

        df = load_sample()
    _write_report(df, args)
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from ddsjobs_analytics._sample import DEFAULT_REGIONS
    from ddsjobs_analytics.client import AkSkAuth, TaskCenter
    from ddsjobs_analytics.simulator import running

    with running(jobs=args.jobs, seed=args.seed, regions=DEFAULT_REGIONS) as sim:
        print(f"Simulator listening on {sim.url} ({len(sim.project_ids)} regions, one project each)")
        auth = AkSkAuth(sim.ak, sim.sk)
        # The simulator stands in for every region's endpoint, so each target is a client pointed at it.
        centers = [
            TaskCenter(region=region, project_id=project_id, auth=auth, endpoint=sim.url)
            for region, project_id in sim.project_ids.items()
        ]
        end = datetime.now(timezone.utc)
        try:
            df = centers[0].fetch_many(centers, end - timedelta(days=args.days), end)
        finally:
            for center in centers:
                center.close()
        print(f"Fetched {len(df):,} jobs of the last {args.days} days over signed HTTP")
    _write_report(df, args)
    return 0


def _task_center(args: argparse.Namespace) -> TaskCenter:
    from ddsjobs_analytics.client import TaskCenter

    overrides: dict[str, Any] = {"progress": args.progress}
    if args.region:
        overrides["region"] = args.region
    if args.project_id:
        overrides["project_id"] = args.project_id
    if args.endpoint:
        overrides["endpoint"] = args.endpoint
    return TaskCenter.from_env(**overrides)


def _cmd_fetch(args: argparse.Namespace) -> int:
    out: Path = args.out
    name = out.name.lower()
    if not name.endswith((".parquet", ".csv")):
        raise ValueError(f"--out must end in .parquet or .csv, not {out.name!r}")
    with _task_center(args) as center:
        df = center.fetch(args.since, datetime.now(timezone.utc))
    out.parent.mkdir(parents=True, exist_ok=True)
    if name.endswith(".parquet"):
        df.to_parquet(out, index=False)
    else:
        from ddsjobs_analytics._report import write_csv

        write_csv(df, out)
    print(f"{len(df):,} jobs written to {out}")
    return 0


def _cmd_sync(args: argparse.Namespace) -> int:
    from ddsjobs_analytics.archive import JobArchive, sync

    with _task_center(args) as center:
        stats = sync(center, JobArchive(args.archive), since=args.since, overlap=args.overlap)
    print(stats)
    return 0


def _cmd_archive(args: argparse.Namespace) -> int:
    """``verify`` prints the problems found (exit 1 if any); ``repair`` rebuilds, then verifies."""
    from ddsjobs_analytics.archive import JobArchive

    archive = JobArchive(args.archive)
    if args.action == "repair":
        print(archive.repair())
    report = archive.verify()
    print(report)
    return 0 if report.ok else 1


def _cmd_simulate(args: argparse.Namespace) -> int:
    from ddsjobs_analytics.simulator import serve

    serve(
        args.port,
        jobs=args.jobs,
        seed=args.seed,
        throttle=args.throttle,
        error_rate=args.error_rate,
        latency_ms=args.latency,
    )
    return 0


_COMMANDS = {
    "demo": _cmd_demo,
    "report": _cmd_report,
    "fetch": _cmd_fetch,
    "sync": _cmd_sync,
    "archive": _cmd_archive,
    "simulate": _cmd_simulate,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    level = [logging.WARNING, logging.INFO, logging.DEBUG][min(args.verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    try:
        return _COMMANDS[args.command](args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the command line shows one clear line, not a traceback
        if args.verbose:
            raise
        print(f"ddsjobs {args.command}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
