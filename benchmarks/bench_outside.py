"""Every headline ratio on two data sets: the demo fleet and outside-shaped data (issue 16 §3, §4).

For each data set (``fleet``: the demo fleet of ``simulator._fleet``, one instance per 500 jobs, even
spread; ``outside``: ``outside_data.py``, thousands of instances, bursts, 90 % distinct messages, odd
offsets, long names) and each size, one JSON-lines file is written, then, side by side in this process
(best of ``--repeat``, the two sides alternating so both see the same load; wall and process CPU):

1. ``jobs_frame(path)`` against ``pyarrow.json.read_json(path)`` (Arrow's defaults), and each one's peak
   memory in a fresh process (peak RSS growth) against the frame's ``memory_usage(deep=True)``;
2. the core analysis: failure rate per type and day, p50/p95 per type, top failure reasons, done by
   ``jobs_frame`` + ``analyse`` (which also does Kaplan–Meier, Wilson intervals, templates and stuck jobs:
   ``duration_stats``, ``failure_rates``, ``failure_rates(by="job_type", freq="D")``,
   ``fail_reason_groups`` and ``stuck_jobs``), and by DuckDB, polars and plain pandas, each reading the file;
   every one is compared with polars;
3. ``write_report(df, html=True)`` against ``df.to_csv()`` of the jobs frame alone (``--sizes`` ≤ 1M).

Run: ``python benchmarks/bench_outside.py [--sizes 300000 1000000] [--data fleet outside] [--repeat 1]
[--read-only 3000000] [--steps read peers report]`` (``--read-only``: sizes for step 1 alone).
Results: benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pyarrow.json as pj
from bench_report import side_by_side
from outside_data import write_outside

from ddsjobs_analytics import analyse, failure_rates, jobs_frame, write_report
from ddsjobs_analytics.simulator._sample import generate_fleet

OBSERVED_AT = "2026-12-01T00:00:00+00:00"
Row = tuple[str, tuple[float, float], tuple[float, float]]


def write_fleet(path: Path, jobs: int) -> Path:
    """The demo fleet's records (as ``bench_report.fleet_frame`` draws them) as JSON lines."""
    fleet = generate_fleet(jobs=jobs, instances=max(60, jobs // 500), days=90, seed=jobs)
    indices = fleet.select()
    regions = [fleet.regions[r] for r in fleet.region[indices].tolist()]
    with open(path, "w", encoding="utf-8") as handle:
        for start in range(0, len(indices), 100_000):
            part = indices[start : start + 100_000]
            records = fleet.render(part)
            handle.write(
                "".join(
                    json.dumps({**r, "region": g, "project_id": fleet.project_ids[g]}) + "\n"
                    for r, g in zip(records, regions[start : start + 100_000], strict=True)
                )
            )
    return path


# --- the core analysis, four ways ---------------------------------------------------------------------


def ours(path: Path) -> object:
    df = jobs_frame(path, observed_at=OBSERVED_AT)
    analysis = analyse(df)
    per_day = failure_rates(df, by="job_type", freq="D")
    return (analysis.duration_stats, analysis.failure_rates, per_day, analysis.fail_reason_groups,
            analysis.stuck_jobs)  # fmt: skip


def with_polars(path: Path) -> object:
    fmt = "%Y-%m-%dT%H:%M:%S%z"
    # The schema names the five fields used (inference from the first lines sees only null reasons).
    schema = dict.fromkeys(("name", "status", "fail_reason", "created_at", "ended_at"), pl.String)
    df = pl.read_ndjson(path, schema=schema).with_columns(
        pl.col("created_at").str.to_datetime(fmt, time_zone="UTC"),
        pl.col("ended_at").str.to_datetime(fmt, time_zone="UTC", strict=False),
    )
    df = df.with_columns(
        duration=(pl.col("ended_at") - pl.col("created_at")).dt.total_milliseconds() / 1000,
        day=pl.col("created_at").dt.truncate("1d"),
    )
    finished = df.filter(pl.col("status").is_in(["Completed", "Failed"]))
    rates = finished.group_by("name", "day").agg(
        failed=(pl.col("status") == "Failed").sum(), total=pl.len()
    ).with_columns(rate=pl.col("failed") / pl.col("total"))  # fmt: skip
    quantiles = df.filter(pl.col("status") == "Completed").group_by("name").agg(
        p50=pl.col("duration").quantile(0.5, "linear"), p95=pl.col("duration").quantile(0.95, "linear")
    )  # fmt: skip
    reasons = df.filter(pl.col("status") == "Failed")["fail_reason"].value_counts(sort=True).head(10)
    return rates, quantiles, reasons


def with_duckdb(path: Path) -> object:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(
        f"""CREATE TEMP TABLE jobs AS SELECT name, status, fail_reason,
        strptime(created_at, '%Y-%m-%dT%H:%M:%S%z') AS created,
        try_strptime(ended_at, '%Y-%m-%dT%H:%M:%S%z') AS ended
        FROM read_json('{path}', format='newline_delimited', columns={{name: 'VARCHAR', status: 'VARCHAR',
        fail_reason: 'VARCHAR', created_at: 'VARCHAR', ended_at: 'VARCHAR'}})"""
    )
    rates = con.sql(
        """SELECT name, date_trunc('day', created) AS day, count(*) FILTER (status = 'Failed') AS failed,
        count(*) AS total, failed / total AS rate FROM jobs WHERE status IN ('Completed', 'Failed')
        GROUP BY ALL"""
    ).to_arrow_table()
    quantiles = con.sql(
        """SELECT name, quantile_cont(epoch(ended) - epoch(created), 0.5) AS p50,
        quantile_cont(epoch(ended) - epoch(created), 0.95) AS p95 FROM jobs WHERE status = 'Completed'
        GROUP BY name"""
    ).to_arrow_table()
    reasons = con.sql(
        """SELECT fail_reason, count(*) AS n FROM jobs WHERE status = 'Failed' GROUP BY fail_reason
        ORDER BY n DESC LIMIT 10"""
    ).to_arrow_table()
    con.close()
    return rates, quantiles, reasons


def with_pandas(path: Path) -> object:
    df = pd.read_json(path, lines=True, dtype=False)
    created = pd.to_datetime(df["created_at"], utc=True, format="ISO8601")
    ended = pd.to_datetime(df["ended_at"].replace("", None), utc=True, format="ISO8601")
    df = df.assign(created=created, duration=(ended - created).dt.total_seconds(), day=created.dt.floor("D"))
    finished = df[df["status"].isin(["Completed", "Failed"])]
    rates = finished.assign(failed=finished["status"].eq("Failed")).groupby(["name", "day"])["failed"].agg(
        ["sum", "size", "mean"]
    )  # fmt: skip
    quantiles = df[df["status"].eq("Completed")].groupby("name")["duration"].quantile([0.5, 0.95])
    reasons = df.loc[df["status"].eq("Failed"), "fail_reason"].value_counts().head(10)
    return rates, quantiles, reasons


PEERS: dict[str, Callable[[Path], object]] = {
    "jobs_frame + analyse": ours,
    "DuckDB": with_duckdb,
    "plain pandas": with_pandas,
}


# --- memory, in a fresh process --------------------------------------------------------------------------


def peak_memory(variant: str, path: Path) -> dict[str, float]:
    """Peak RSS growth of one ``bench_frame.py --measure`` run (the same child as bench_frame's)."""
    names = {"read_json": "pyarrow.json.read_json", "jobs_frame": "jobs_frame(path)"}
    script = str(Path(__file__).with_name("bench_frame.py"))
    command = [sys.executable, script, "--measure", names[variant], str(path)]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def run(data: str, jobs: int, repeat: int, folder: Path, *, steps: set[str]) -> list[Row]:
    path = folder / f"{data}-{jobs}.jsonl"
    (write_fleet if data == "fleet" else write_outside)(path, jobs)
    label = f"{data}, {jobs:,}"
    print(f"{label}: {path.stat().st_size / 1e6:,.0f} MB of JSON lines", flush=True)
    rows: list[Row] = []
    if "read" in steps:
        mine, base = side_by_side(
            repeat, lambda: jobs_frame(path, observed_at=OBSERVED_AT), lambda: pj.read_json(path)
        )
        rows.append((f"jobs_frame(path) vs pyarrow read_json, {label}", mine, base))
    frame = jobs_frame(path, observed_at=OBSERVED_AT)
    frame_mb = frame.memory_usage(deep=True).sum() / 1e6
    for variant in ("jobs_frame", "read_json") if "read" in steps else ():
        got = peak_memory(variant, path)
        peak = got["peak_growth"] / 1e6
        print(
            f"  peak memory {variant}: {peak:,.0f} MB = {peak / frame_mb:.1f}× the frame ({frame_mb:,.0f} MB)"
        )
    if "peers" in steps:
        for name, peer in PEERS.items():
            mine, base = side_by_side(repeat, lambda peer=peer: peer(path), lambda: with_polars(path))
            rows.append((f"core analysis: {name} vs polars, {label}", mine, base))
    if "report" in steps:
        out = folder / "report"
        mine, base = side_by_side(
            repeat,
            lambda: write_report(frame, out, html=True),
            lambda: frame.to_csv(folder / "plain.csv", index=False),
        )
        rows.append((f"write_report(html=True) vs to_csv, {label}", mine, base))
        shutil.rmtree(out, ignore_errors=True)
    for row in rows:
        show(row)
    path.unlink()
    return rows


def show(row: Row) -> None:
    name, (wall, cpu), (base_wall, base_cpu) = row
    print(
        f"{name:<66} {wall:7.2f} {cpu:7.2f} {base_wall:7.2f} {base_cpu:7.2f}"
        f" {wall / base_wall:5.2f} {cpu / base_cpu:5.2f}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="*", default=[300_000, 1_000_000])
    parser.add_argument("--read-only", type=int, nargs="*", default=[], help="sizes for step 1 only")
    parser.add_argument("--data", nargs="*", default=["fleet", "outside"], choices=["fleet", "outside"])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--steps", nargs="*", default=["read", "peers", "report"], help="read, peers, report")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench_outside_"))
    write_report(jobs_frame(write_outside(folder / "warm.jsonl", 3_000)), folder / "warm", html=True)
    print(f"python {platform.python_version()}, pandas {pd.__version__}, polars {pl.__version__}, "
          f"duckdb {duckdb.__version__}, numpy {np.__version__}; best of {args.repeat}")  # fmt: skip
    print(f"{'measurement':<66} {'ours: wall / cpu':>15} {'base: wall / cpu':>15} {'ratio: wall / cpu':>11}")
    rows = []
    for jobs in args.sizes:
        for data in args.data:
            rows += run(data, jobs, args.repeat, folder, steps=set(args.steps))
    for jobs in args.read_only:
        for data in args.data:
            rows += run(data, jobs, args.repeat, folder, steps={"read"})
    print("\nall rows:")
    for row in rows:
        show(row)
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
