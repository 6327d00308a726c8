"""``ddsjobs metrics``: the Prometheus series of job files or an archive, to stdout, a file or a gateway."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ._console import terminal_safe

__all__ = ["run_metrics"]

EXIT_OK = 0


def run_metrics(args: argparse.Namespace) -> int:
    from .._load import load_jobs
    from ..metrics._exposition import metrics_text, push_metrics, write_metrics
    from ._targets import apply_filters

    if args.archive is not None and args.inputs:
        raise ValueError("give input files or --archive, not both")
    source: Any = "archive" if args.archive is not None else list(args.inputs) or "sample"
    df = load_jobs(source, archive=args.archive, since=args.since, until=args.until)
    df = apply_filters(args, df)
    if args.push:
        push_metrics(df, args.push, job=args.job, top=args.top)
        if args.verbosity >= 0:
            print(terminal_safe(f"{len(df):,} jobs pushed to {args.push} as job {args.job}"), file=sys.stderr)
    elif args.out is not None:
        path = write_metrics(df, args.out, top=args.top)
        if args.verbosity >= 0:
            print(terminal_safe(f"{len(df):,} jobs written to {path}"), file=sys.stderr)
    else:
        sys.stdout.write(metrics_text(df, top=args.top))
    return EXIT_OK
