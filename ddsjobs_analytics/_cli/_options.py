"""The on-call commands and options (issue #20), added to the parser built by ``_main``.

Kept apart from ``_main`` so that it stays small: ``extend_parsers`` adds ``config`` and ``metrics`` and gives
``check`` its configuration, rules and notification options. Only the standard library is imported here.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..metrics import DEFAULT_PUSH_JOB, DEFAULT_TOP_JOB_TYPES

__all__ = ["extend_parsers"]

Command = Callable[..., argparse.ArgumentParser]


def _run(module: str, function: str) -> Callable[[argparse.Namespace], int]:
    """A command body imported when the command runs, so ``--help`` stays cheap."""

    def run(args: argparse.Namespace) -> int:
        import importlib

        return int(getattr(importlib.import_module(f"ddsjobs_analytics._cli.{module}"), function)(args))

    return run


def config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        metavar="FILE",
        help="the configuration file (default: $DDSJOBS_CONFIG, else ./ddsjobs.toml if present), "
        "e.g. --config ddsjobs.toml",
    )


def _config_parser(commands: Any, command: Command) -> None:
    parser = command(
        commands,
        "config",
        summary="validate the configuration file and print what it resolved (secrets as set/unset)",
        usage="check [--config FILE]",
        example="ddsjobs config check --config ddsjobs.toml",
        run=_run("_config", "run_config"),
        exit_codes="exit codes: 0 the file is valid, 2 it is missing or invalid (file:line: key: problem)",
    )
    parser.add_argument("action", choices=["check"], help="check: validate and print the resolved values")
    config_option(parser)


def _check_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "rules and notifications (from the configuration file)",
        "e.g. ddsjobs check jobs.parquet --config ddsjobs.toml --notify ops-feishu",
    )
    config_option(group)  # type: ignore[arg-type]
    group.add_argument(
        "--notify",
        action="append",
        metavar="NAME",
        help="post the verdict to this [[notify]] entry of the file (repeatable; default: every entry), "
        "one message per run and only when something is flagged, e.g. --notify ops-feishu",
    )
    group.add_argument(
        "--notify-always",
        action="store_true",
        help="post even when nothing is flagged (a daily digest), e.g. --notify ops-feishu --notify-always",
    )


def _metrics_parser(commands: Any, command: Command) -> None:
    parser = command(
        commands,
        "metrics",
        summary="write Prometheus metrics per job type and region (failure rate, KM p50/p95, running, stuck)",
        usage="[INPUT ...] [--archive PATH] [--since T] [--out FILE.prom | --push URL] [options]",
        example="ddsjobs metrics --archive ~/dds-jobs --since 7d --out /var/lib/node_exporter/ddsjobs.prom",
        run=_run("_metrics", "run_metrics"),
    )
    parser.add_argument(
        "inputs", nargs="*", type=Path, metavar="INPUT", help="job files (none: --archive or the sample)"
    )
    parser.add_argument(
        "--archive", type=Path, metavar="PATH", help="read from a job archive, e.g. --archive ~/dds-jobs"
    )
    parser.add_argument("--since", metavar="T", help="only jobs created since this, e.g. 7d or 2026-11-01")
    parser.add_argument("--until", metavar="T", help="only jobs created before this, e.g. 1d")
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--out",
        type=Path,
        metavar="FILE",
        help="write this file atomically for node_exporter's textfile collector, e.g. --out ddsjobs.prom "
        "(default: stdout)",
    )
    where.add_argument(
        "--push", metavar="URL", help="push to a Pushgateway, e.g. --push http://127.0.0.1:9091"
    )
    parser.add_argument(
        "--job",
        default=DEFAULT_PUSH_JOB,
        help=f"the Pushgateway job name (default {DEFAULT_PUSH_JOB}), e.g. --job ddsjobs-cn",
    )
    parser.add_argument(
        "--top",
        type=int,
        default=DEFAULT_TOP_JOB_TYPES,
        metavar="N",
        help="label the N most frequent job types by name and the rest 'other' "
        f"(default {DEFAULT_TOP_JOB_TYPES}), e.g. --top 10",
    )


def _target_option(parser: argparse.ArgumentParser, *, config: bool) -> None:
    group = parser.add_argument_group(
        "targets",
        "several regions and projects in one run, fetched concurrently into one frame with region and "
        "project_id; a target that fails is named on stderr and the others still count (exit 3 partial; "
        "check: 4)",
    )
    group.add_argument(
        "--target",
        action="append",
        metavar="REGION:PROJECT",
        help="fetch this region and project (repeatable; default: the file's [[targets]], else the "
        "environment's), e.g. --target cn-north-4:0123abcd --target ap-southeast-1:4567ef01",
    )
    if config:
        config_option(group)  # type: ignore[arg-type]


def _filter_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "filters",
        "glob patterns, case-sensitive, repeatable (alternatives); different filters must all hold. Sent to "
        "ListTasks where it can filter (one exact status or job name), always applied to the result",
    )
    group.add_argument(
        "--status", action="append", metavar="GLOB", help="only jobs in this status, e.g. --status Failed"
    )
    group.add_argument(
        "--job-type",
        action="append",
        metavar="GLOB",
        help="only jobs of this type, e.g. --job-type 'MongodbSnapshot*'",
    )
    group.add_argument(
        "--instance",
        action="append",
        metavar="ID|NAME",
        help="only jobs of instances whose id or name matches, e.g. --instance 'dds-prod-*'",
    )


def extend_parsers(commands: Any, command: Command) -> None:
    """Add the on-call commands to ``commands`` (the sub-parsers) and options to existing commands;
    ``command`` is ``_main._command``, the builder every command uses."""
    _config_parser(commands, command)
    _metrics_parser(commands, command)
    _check_options(commands.choices["check"])
    for name in ("fetch", "report", "check", "sync"):
        _target_option(commands.choices[name], config=name != "check")  # check has --config already
    for name in ("fetch", "report", "check", "metrics"):  # not sync: an archive keeps everything
        _filter_options(commands.choices[name])
