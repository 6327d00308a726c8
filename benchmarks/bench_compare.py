"""Benchmark and validate ``compare_periods``.

(a) speed: ``compare_periods`` (last 7 days against the 28 before, by job type, all three metrics) against
    ``duration_stats`` (by job type) on the same frame: 1,000,000 jobs of 40 types over 35 days, ~1 % Running.
    Interleaved rounds, best of R; target ratio <= 3.
(b) statistics: over N seeded fleets (tests/compare_fleet.py: 12 types, 35 days, three injected changes), the
    share of fleets where each injected change gets the right verdict (power), and the share of unchanged
    (type, metric) pairs flagged (false alarms); plus N fleets without any change.

Run: ``.venv/bin/python benchmarks/bench_compare.py [--quick] [--repeat R] [--seeds N]``.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

import ddsjobs_analytics as dj

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from compare_fleet import ALARMS, EXPECTED, INJECTED, fleet, score_verdicts


def timed(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def speed(jobs: int, repeat: int) -> None:
    types = 40
    per_type_day = jobs / types / 35
    df = fleet(0, types=types, jobs_per_type_day=per_type_day)
    current, baseline = dj.default_periods(df)
    running = int((df["status"] == "Running").sum())
    print(f"frame: {len(df):,} jobs, {df['job_type'].nunique()} types, {running:,} running")
    compare_times, stats_times = [], []
    for _ in range(repeat):
        stats_times.append(timed(lambda: dj.duration_stats(df)))
        compare_times.append(timed(lambda: dj.compare_periods(df, current=current, baseline=baseline)))
    best_compare, best_stats = min(compare_times), min(stats_times)
    print(f"duration_stats   best of {repeat}: {best_stats:.3f} s")
    print(
        f"compare_periods  best of {repeat}: {best_compare:.3f} s  (ratio {best_compare / best_stats:.2f}×)"
    )


def validation(seeds: int) -> None:
    found = dict.fromkeys(EXPECTED, 0)
    false_alarms = unchanged = null_alarms = null_pairs = 0
    for seed in range(seeds):
        df = fleet(seed)
        current, baseline = dj.default_periods(df)
        pairs, alarms = score_verdicts(dj.compare_periods(df, current=current, baseline=baseline), found)
        unchanged += pairs
        false_alarms += alarms
        quiet = fleet(10_000 + seed, changes=())
        current, baseline = dj.default_periods(quiet)
        verdicts = dj.compare_periods(quiet, current=current, baseline=baseline)["verdict"]
        null_pairs += len(verdicts)
        null_alarms += int(verdicts.isin(ALARMS).sum())
    changes = ", ".join(f"{c.job_type}: fail×{c.failure:g} dur×{c.duration:.3g}" for c in INJECTED)
    print(f"injected changes ({changes}):")
    for key, hits in found.items():
        print(f"  {key[0]} {key[1]:<13} {EXPECTED[key]:<9} found in {hits}/{seeds} ({hits / seeds:.0%})")
    print(f"false alarms on unchanged pairs: {false_alarms}/{unchanged} ({false_alarms / unchanged:.2%})")
    print(
        f"false alarms in fleets without change: {null_alarms}/{null_pairs} ({null_alarms / null_pairs:.2%})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="100,000 jobs and 20 seeds")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seeds", type=int, default=None)
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-validation", action="store_true")
    args = parser.parse_args()
    print(f"python {platform.python_version()}, pandas {pd.__version__}")
    if not args.skip_speed:
        speed(100_000 if args.quick else 1_000_000, args.repeat)
    if not args.skip_validation:
        validation(args.seeds or (20 if args.quick else 100))


if __name__ == "__main__":
    main()
