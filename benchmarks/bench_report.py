"""Benchmark the report on the bundled 5,000-job sample, each step beside a plain baseline in one process.

(a) ``write_csv`` (ISO times, formula-injection guard) against ``DataFrame.to_csv`` of the same frame;
(b) the whole ``write_report(html=True)`` against ``write_report(charts=False)`` (tables and CSVs only), which
    shows what the five charts cost;
(c) ``table_html`` (sortable, escaped, formatted) against pandas' ``DataFrame.to_html`` on the jobs frame.

Run: ``.venv/bin/python benchmarks/bench_report.py [--quick] [--repeat R]``.
Reports best-of-R seconds and the ratios.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pandas as pd

from ddsjobs_analytics._frame import jobs_frame
from ddsjobs_analytics._html import table_html
from ddsjobs_analytics._report import write_csv, write_report
from ddsjobs_analytics._sample import sample_records


def best_of(repeat: int, run: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="one repetition instead of three")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    repeat = 1 if args.quick else args.repeat
    df = jobs_frame(sample_records())
    out = Path(tempfile.mkdtemp(prefix="bench_report_"))
    write_report(df, out / "warmup", html=True)  # font cache, lazy imports

    rows: list[tuple[str, float, float]] = []
    plain_csv = best_of(repeat, lambda: df.to_csv(out / "plain.csv", index=False))
    safe_csv = best_of(repeat, lambda: write_csv(df, out / "safe.csv"))
    rows.append(("write_csv vs DataFrame.to_csv (jobs, 5k rows)", safe_csv, plain_csv))
    tables_only = best_of(repeat, lambda: write_report(df, out / "tables", charts=False))
    full = best_of(repeat, lambda: write_report(df, out / "full", html=True))
    rows.append(("write_report(html=True) vs write_report(charts=False)", full, tables_only))
    pandas_html = best_of(repeat, lambda: df.to_html())
    ours_html = best_of(repeat, lambda: table_html(df, max_rows=None))
    rows.append(("table_html vs DataFrame.to_html (jobs, 5k rows)", ours_html, pandas_html))

    print(f"python {platform.python_version()}, pandas {pd.__version__}, {len(df):,} jobs, best of {repeat}")
    print(f"{'measurement':<58} {'ours s':>8} {'base s':>8} {'ratio':>6}")
    for name, ours, base in rows:
        print(f"{name:<58} {ours:8.3f} {base:8.3f} {ours / base:6.2f}")


if __name__ == "__main__":
    main()
