"""The ``ddsjobs`` command: one parser builder and one function per sub-command, wired in ``main``.

Only the standard library is imported here, so ``ddsjobs --help`` and ``--version`` answer without loading
pandas, matplotlib or httpx; each command imports what it needs when it runs. Exit codes: 0 ok,
1 failure, 2 usage error (also: a file in --out that ddsjobs did not write, an input inside --out),
3 partial result (some job ids failed) or, for ``report``, no job in the selection (previous report kept);
``check`` has its own (see ``_check``). A new command is a ``_<name>_parser``
function (added to ``_PARSERS``) that sets ``run=`` to the function doing the work (see ``_commands``).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ddsjobs_analytics import __version__
from ddsjobs_analytics._cli._commands import (
    EXIT_FAILURE,
    EXIT_NO_DATA,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_USAGE,
    NoDataError,
    UsageError,
    print_error,
    run_archive,
    run_check,
    run_demo,
    run_fetch,
    run_report,
    run_simulate,
    run_sync,
    say,
    task_center,
    write_report_folder,
)
from ddsjobs_analytics._cli._console import console, terminal_safe
from ddsjobs_analytics._cli._inputs import add_assume_tz
from ddsjobs_analytics._cli._inventory import add_inventory_commands
from ddsjobs_analytics._cli._options import extend_parsers
from ddsjobs_analytics._cli._types import _checked, _moment, _path, parse_since

__all__ = ["EXIT_FAILURE", "EXIT_NO_DATA", "EXIT_OK", "EXIT_PARTIAL", "EXIT_USAGE", "main", "parse_since"]


_EXIT_CODES = (
    "exit codes: 0 ok, 1 failure, 2 usage error (also: a file in --out that ddsjobs did not write,\n"
    "  an input inside --out), 3 partial (some job ids or targets failed; report: no job in the\n"
    "  selection, the previous report kept)"
)


# ------------------------------------------------------------------------------------------------ parsing


class _Parser(argparse.ArgumentParser):
    """Usage errors are two lines: the short usage and the error (exit 2)."""

    def error(self, message: str) -> Any:
        usage = " ".join(self.format_usage().split())
        self.exit(EXIT_USAGE, f"{usage}\n{self.prog}: error: {terminal_safe(message, one_line=True)}\n")


def _output_options(parser: argparse.ArgumentParser, where: str) -> None:
    """-v/-q, accepted before and after the sub-command (counted separately, added up in ``main``)."""
    group = parser.add_argument_group("output")
    group.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        dest=f"verbose_{where}",
        help="more output on stderr: -v retries, waits and progress; -vv debug and tracebacks",
    )
    group.add_argument(
        "-q",
        "--quiet",
        action="count",
        default=0,
        dest=f"quiet_{where}",
        help="print only warnings and errors (for cron)",
    )


def _command(
    commands: Any,
    name: str,
    *,
    summary: str,
    usage: str,
    example: str,
    run: Callable[..., int],
    exit_codes: str = _EXIT_CODES,
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        name,
        help=summary,
        description=summary[0].upper() + summary[1:] + ".",
        usage=f"%(prog)s {usage}",
        epilog=f"example:\n  {example}\n\n{exit_codes}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _output_options(parser, "cmd")
    parser.set_defaults(run=run)
    return parser


def _report_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("report")
    group.add_argument(
        "--out",
        type=_path,
        default=Path("report"),
        metavar="DIR",
        help="output folder (default: ./report); holds one run; a file ddsjobs did not write is never "
        "replaced (exit 2)",
    )
    group.add_argument("--html", action="store_true", help="also write a self-contained report.html")
    group.add_argument("--bom", action="store_true", help="write CSV with a UTF-8 BOM (for Excel)")
    group.add_argument("--no-charts", dest="charts", action="store_false", help="skip the PNG charts")
    group.add_argument(
        "--excel", action="store_true", help="also write report.xlsx, a sheet per table (needs openpyxl)"
    )
    group.add_argument(
        "--tz",
        type=_checked("_core._calendar", "resolve_tz"),
        default=None,
        metavar="TZ",
        help="time zone of days, labels and local-time columns, e.g. Asia/Shanghai, +08:00, UTC+8, local "
        "(default UTC); naive --since/--until are read in it",
    )


def _target_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("task center (credentials: HUAWEICLOUD_SDK_AK/_SK in the environment)")
    group.add_argument(
        "--region",
        default=os.environ.get("HUAWEICLOUD_SDK_REGION"),
        help="e.g. ap-southeast-1 (default: $HUAWEICLOUD_SDK_REGION)",
    )
    group.add_argument(
        "--project-id",
        default=os.environ.get("HUAWEICLOUD_SDK_PROJECT_ID"),
        help="the project (default: $HUAWEICLOUD_SDK_PROJECT_ID)",
    )
    group.add_argument("--endpoint", default=None, help="override the regional endpoint URL")
    group.add_argument(
        "--no-progress", dest="progress", action="store_false", help="never draw a progress bar"
    )


def _window_options(parser: argparse.ArgumentParser, *, since_help: str) -> None:
    parser.add_argument("--since", type=_moment("--since"), metavar="T", help=since_help)
    parser.add_argument(
        "--until",
        type=_moment("--until"),
        metavar="T",
        help="only jobs created before this (e.g. 7d or 2026-11-01)",
    )


def _fleet_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--jobs", type=int, default=5000, help="jobs in the simulated fleet (default 5000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the simulated fleet (default 0)")


def _demo_parser(commands: Any) -> None:
    demo = _command(
        commands,
        "demo",
        summary="run the simulator in-process, fetch its jobs over signed HTTP and write a report",
        usage="[--days N] [--jobs N] [--out DIR] [--html] [options]",
        example="ddsjobs demo --days 45 --out report --html",
        run=run_demo,
    )
    demo.add_argument(
        "--days",
        type=float,
        default=36,
        help="how many days to fetch (default 36: the last week and the 4 before, for 'What changed')",
    )
    _fleet_options(demo)
    _report_options(demo)


def _report_parser(commands: Any) -> None:
    report = _command(
        commands,
        "report",
        summary="write the CSV/PNG (and --html) report from files, an archive or the bundled sample",
        usage="[INPUT ...] [--archive PATH] [--since T] [--until T] [--out DIR] [options]",
        example="ddsjobs report jobs.parquet --since 30d --out report --html",
        run=run_report,
    )
    report.add_argument(
        "inputs",
        nargs="*",
        type=_path,
        metavar="INPUT",
        help="job files: .parquet/.csv from 'ddsjobs fetch', or API records as .json/.jsonl(.gz); "
        "none: the bundled sample",
    )
    report.add_argument(
        "--archive", type=_path, metavar="PATH", help="read from a job archive instead of files"
    )
    _window_options(
        report, since_help="only jobs created since this (e.g. 30d or 2026-09-01; sample: before its end)"
    )
    add_assume_tz(report)
    _report_options(report)


def _fetch_parser(commands: Any) -> None:
    fetch = _command(
        commands,
        "fetch",
        summary="fetch jobs from the task center into a .parquet or .csv file",
        usage="--out FILE [--since T] [--until T] [--job-id ID ...] [options]",
        example="ddsjobs fetch --region ap-southeast-1 --since 7d --out jobs.parquet",
        run=run_fetch,
    )
    _target_options(fetch)
    _window_options(fetch, since_help="window start, e.g. 30d or 2026-11-01 (default: 30 days ago)")
    fetch.add_argument(
        "--job-id",
        dest="job_ids",
        action="append",
        metavar="ID",
        help="fetch these jobs by id instead of a window (repeatable); exit 3 if some fail",
    )
    fetch.add_argument("--out", type=_path, required=True, metavar="FILE", help="jobs.parquet or jobs.csv")


def _sync_parser(commands: Any) -> None:
    sync = _command(
        commands,
        "sync",
        summary="bring a local job archive up to date with the task center (run it daily)",
        usage="--archive PATH [--since T] [--overlap AGE] [options]",
        example="ddsjobs sync --archive ~/dds-jobs --region ap-southeast-1 -q",
        run=run_sync,
    )
    sync.add_argument(
        "--archive", type=_path, required=True, metavar="PATH", help="the archive folder (created if new)"
    )
    _target_options(sync)
    sync.add_argument(
        "--since",
        type=_moment("--since"),
        default="30d",
        metavar="T",
        help="first run: how far back (default 30d, the service's horizon)",
    )
    sync.add_argument(
        "--overlap",
        default="1d",
        metavar="AGE",
        help="later runs re-list this much before the newest job seen (default 1d)",
    )


def _simulate_parser(commands: Any) -> None:
    simulate = _command(
        commands,
        "simulate",
        summary="serve the local task-center simulator on 127.0.0.1 until Ctrl-C",
        usage="[--port N] [--jobs N] [fault options]",
        example="ddsjobs simulate --port 8080 --latency 50 --error-rate 0.02",
        run=run_simulate,
    )
    simulate.add_argument("--port", type=int, default=8080, help="port on 127.0.0.1 (default 8080)")
    _fleet_options(simulate)
    simulate.add_argument("--throttle", type=float, default=None, help="max requests/second before 429")
    simulate.add_argument("--error-rate", type=float, default=0.0, help="share of requests answered 5xx")
    simulate.add_argument("--latency", type=float, default=0.0, help="added latency per request, ms")


def _check_parser(commands: Any) -> None:
    check = _command(
        commands,
        "check",
        summary="compare the last days with the weeks before; exit 1 on a regression (for cron and CI)",
        usage="[INPUT ...] [--archive PATH] [--since 7d] [--baseline 28d] [--by COLS] [options]",
        example="ddsjobs check --archive ~/dds-jobs --since 7d --baseline 28d --tz Asia/Shanghai",
        run=run_check,
        exit_codes="exit codes: 0 no regression, 1 at least one regression or rule breach, 2 usage error or "
        "unreadable input,\n  3 not enough data to judge (new failure reasons need a baseline of --min-jobs "
        "jobs),\n  4 no regression but a --target failed",
    )
    check.add_argument(
        "inputs",
        nargs="*",
        type=_path,
        metavar="INPUT",
        help="job files (default: --archive or the task center)",
    )
    add_assume_tz(check)
    check.add_argument(
        "--archive", type=_path, metavar="PATH", help="read from a job archive instead of files"
    )
    _target_options(check)
    group = check.add_argument_group("periods and output")
    group.add_argument(
        "--since",
        type=_moment("--since"),
        default="7d",
        metavar="T",
        help="current period: the last 7d (default)",
    )
    group.add_argument(
        "--baseline", default="28d", metavar="AGE|T", help="baseline: this long before --since (default 28d)"
    )
    group.add_argument(
        "--until", type=_moment("--until"), default=None, metavar="T", help="end of the current period"
    )
    group.add_argument("--by", default="job_type", metavar="COLS", help="group column(s), comma-separated")
    group.add_argument(
        "--tz",
        type=_checked("_core._calendar", "resolve_tz"),
        default=None,
        help="zone of naive times and of the output, e.g. Asia/Shanghai or +08:00",
    )
    group.add_argument(
        "--format",
        choices=("text", "markdown", "json"),
        default="text",
        dest="output_format",
        help="text (default), markdown (for a chat or an issue) or json",
    )
    group.add_argument(
        "--fail-on",
        type=_checked("_cli._check", "fail_on_metrics"),
        default="failure_rate,duration_p50,duration_p95",
        metavar="METRICS",
        help="what counts as a regression: failure_rate, duration_p50, duration_p95, fail_reason",
    )
    group.add_argument("--min-jobs", type=int, default=20, help="fewer jobs in a period: insufficient (20)")
    group.add_argument("--fdr", type=float, default=0.05, help="false discovery rate (default 0.05)")


def _archive_parser(commands: Any) -> None:
    archive = _command(
        commands,
        "archive",
        summary="check a job archive's integrity (verify, read-only) or rebuild its manifest (repair)",
        usage="{verify,repair} --archive PATH [options]",
        example="ddsjobs archive verify --archive ~/dds-jobs",
        run=run_archive,
        exit_codes="exit codes: 0 the archive is sound, 1 problems found (or a failure), 2 usage error or "
        "not an archive (nothing touched)",
    )
    archive.add_argument(
        "action",
        choices=["verify", "repair"],
        help="verify: report problems, change nothing; repair: rebuild from the part files, then verify "
        "(files it cannot account for are moved to _quarantine/, never deleted)",
    )
    archive.add_argument("--archive", type=_path, required=True, metavar="PATH", help="the archive folder")


_PARSERS: list[Callable[[Any], None]] = [
    _demo_parser,
    _report_parser,
    _fetch_parser,
    _sync_parser,
    _simulate_parser,
    _check_parser,
    _archive_parser,
]


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="ddsjobs",
        description="Huawei Cloud DDS task-center jobs: fetch, archive and report.",
        epilog="example:\n  ddsjobs report --archive ~/dds-jobs --since 7d --out report --html\n\n"
        f"'ddsjobs COMMAND --help' describes a command.\n{_EXIT_CODES}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"ddsjobs {__version__}")
    _output_options(parser, "top")
    commands = parser.add_subparsers(title="commands", dest="command", required=True, metavar="COMMAND")
    for build in _PARSERS:
        build(commands)
    extend_parsers(commands, _command)
    add_inventory_commands(commands, command=_command, target_options=_target_options)
    parser.set_defaults(commands=commands.choices)
    return parser


# The helpers a command needs, under the names commands added here use.
_say, _task_center, _write_report = say, task_center, write_report_folder


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``ddsjobs`` with ``argv`` (default: the process's arguments); returns the exit code."""
    parser = _build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # the command's own usage line, not the top-level one
        args.commands[args.command].error(f"unrecognized arguments: {' '.join(unknown)}")
    verbose, quiet = args.verbose_top + args.verbose_cmd, args.quiet_top + args.quiet_cmd
    if verbose and quiet:
        parser.error("-v and -q contradict each other")
    args.verbosity = verbose - quiet
    with console(args.verbosity):
        try:
            return int(args.run(args))
        except KeyboardInterrupt:
            return 130
        except Exception as exc:  # the command line shows one clear line (-vv: and the traceback)
            print_error(args, exc)
            if isinstance(exc, UsageError):
                return EXIT_USAGE
            if isinstance(exc, NoDataError):
                return EXIT_NO_DATA
            return EXIT_FAILURE


if __name__ == "__main__":
    raise SystemExit(main())
