"""``stuck_jobs`` inside ``analyse``: its share of the analysis before and after it reused the fit (#16 §6c).

One frame (``outside_data.py`` shape, ``--jobs``, default 1,000,000 with 1 % running in the last two days),
then, side by side: the analysis' tables as the report reads them (``duration_stats``, ``failure_rates``,
``fail_reason_groups``, ``stuck_jobs``) with ``stuck_jobs`` taking the analysis' fit, against the same with
``stuck_jobs(df)`` fitting again (what it did before). Also ``stuck_jobs(df, fit=…)`` alone against
``stuck_jobs(df)`` alone.

Run: ``python benchmarks/bench_stuck.py [--jobs 1000000] [--repeat 2]``.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bench_report import side_by_side
from outside_data import write_outside

from ddsjobs_analytics import analyse, jobs_frame
from ddsjobs_analytics._stats._durations import duration_stats_fit, stuck_jobs


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        df = jobs_frame(
            write_outside(Path(folder) / "jobs.jsonl", args.jobs), observed_at="2026-10-31T12:00Z"
        )

    def tables(reuse: bool) -> None:
        analysis = analyse(df)
        _ = analysis.duration_stats, analysis.failure_rates, analysis.fail_reason_groups
        _ = analysis.stuck_jobs if reuse else stuck_jobs(df)

    now, before = side_by_side(args.repeat, lambda: tables(True), lambda: tables(False))
    fit = duration_stats_fit(df)[1]
    alone, refit = side_by_side(args.repeat, lambda: stuck_jobs(df, fit=fit), lambda: stuck_jobs(df))
    running = int((df["status"] == "Running").sum())
    print(f"{len(df):,} jobs, {running:,} running; best of {args.repeat}; wall / cpu seconds")
    print(f"analysis tables, stuck_jobs reusing the fit: {now[0]:.2f} / {now[1]:.2f}")
    print(f"analysis tables, stuck_jobs fitting again:   {before[0]:.2f} / {before[1]:.2f}")
    print(
        f"stuck_jobs(df, fit=...) alone: {alone[0]:.2f} / {alone[1]:.2f}; "
        f"stuck_jobs(df): {refit[0]:.2f} / {refit[1]:.2f}"
    )
    print(
        f"stuck_jobs' share of the tables (cpu): "
        f"before {refit[1] / before[1]:.0%}, now {alone[1] / now[1]:.0%}"
    )


if __name__ == "__main__":
    main()
