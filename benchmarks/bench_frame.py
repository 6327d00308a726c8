"""Benchmark ``jobs_frame`` against baselines that build the same columns, side by side in one run.

Records in memory (default):
(a) a plain-Python loop: ``datetime.strptime`` per time, one dict per record, then the same dtypes;
(b) idiomatic pandas: ``pd.json_normalize`` + ``pd.to_datetime(utc=True, format="ISO8601")``.

A ``.jsonl`` file (``--files``): ``jobs_frame(path)`` against ``pyarrow.json.read_json(path)`` of the same
file (time, best of R, interleaved), and each one's peak memory in a fresh subprocess (peak RSS minus the RSS
after imports) against the frame's ``memory_usage(deep=True)``; the previous reading (``json.loads`` per line,
then the records) is measured the same way for reference.

Run: ``.venv/bin/python benchmarks/bench_frame.py [--quick] [--rows N] [--repeat R] [--files]``
(1,000,000 synthetic ListTasks records, ``--files``: 300,000 and 1,000,000; ``--quick``: 100,000).
Results go in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ddsjobs_analytics._core._names import JOB_NAMES, TERMINAL_STATUSES, canonical_job_type
from ddsjobs_analytics._frame import JOB_COLUMNS, _as_record_list, jobs_frame

OBSERVED_AT = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)
# (offset as written, share of regions): cn regions answer +0800, most others +0000, la-south -0300.
OFFSETS = (("+0800", 0.5), ("+0000", 0.4), ("-0300", 0.1))
FAIL_REASONS = (
    "Failed to upgrade the DB Agent.",
    "Insufficient quota for the instance flavor.",
    "Node dds-{n}-sh timed out waiting for replication.",
    "Failed to attach volume vol-{n}.",
)


def synthetic_records(n: int, seed: int = 20261130) -> list[dict[str, Any]]:
    """``n`` ListTasks-shaped records: 37 names, three offsets, ~2 % failed with messages, ~0.5 % running."""
    rng = random.Random(seed)
    names = list(JOB_NAMES)
    instances = [(f"{rng.getrandbits(128):032x}in02", f"dds-{i:04x}-sh") for i in range(3000)]
    start = int(datetime(2026, 10, 31, tzinfo=timezone.utc).timestamp())
    zones = [
        (text, (1 if text[0] == "+" else -1) * (int(text[1:3]) * 3600 + int(text[3:]) * 60))
        for text, _ in OFFSETS
    ]
    weights = [share for _, share in OFFSETS]

    def local(epoch: int, zone: tuple[str, int]) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch + zone[1])) + zone[0]

    records = []
    for _ in range(n):
        zone = rng.choices(zones, weights)[0]
        created = start + rng.randrange(30 * 86400)
        ended = created + int(rng.lognormvariate(5, 1.2)) + 1
        roll = rng.random()
        status = "Running" if roll < 0.005 else "Failed" if roll < 0.025 else "Completed"
        instance_id, instance_name = rng.choice(instances)
        hexid = f"{rng.getrandbits(128):032x}"
        records.append(
            {
                "id": f"{hexid[:8]}-{hexid[8:12]}-{hexid[12:16]}-{hexid[16:20]}-{hexid[20:]}",
                "name": rng.choice(names),
                "instance_id": instance_id,
                "instance_name": instance_name,
                "status": status,
                "progress": f"{rng.randrange(100)}%" if status == "Running" else "",
                "fail_reason": rng.choice(FAIL_REASONS).format(n=rng.randrange(999))
                if status == "Failed"
                else None,
                "created_at": local(created, zone),
                "ended_at": local(ended, zone),
            }
        )
    return records


def as_parsed_json(records: list[dict[str, Any]], chunk: int = 100_000) -> list[dict[str, Any]]:
    """The records as ``json.loads`` would hand them over: every string its own object, dicts scattered
    in memory. Shared string objects (as the generator makes) would flatter every method's hashing."""
    return [
        record
        for start in range(0, len(records), chunk)
        for record in json.loads(json.dumps(records[start : start + chunk]))
    ]


def _with_contract_dtypes(columns: dict[str, Any]) -> pd.DataFrame:
    """Assemble baseline columns with the contract's dtypes, so all three produce the same frame."""
    frame = pd.DataFrame(columns)
    for name in ("job_name", "job_type", "status", "instance_id", "instance_name", "region", "project_id"):
        frame[name] = frame[name].astype("category")
    for name in ("job_id", "fail_reason"):
        frame[name] = frame[name].astype(pd.StringDtype("pyarrow"))
    frame["utc_offset"] = frame["utc_offset"].astype("Int16")
    for name in ("created", "ended", "observed_at"):
        frame[name] = frame[name].astype("datetime64[us, UTC]")
    return frame[list(JOB_COLUMNS)]


def python_baseline(records: list[dict[str, Any]], observed_at: datetime) -> pd.DataFrame:
    """(a) One pass of plain Python per record, ``datetime.strptime`` for each time."""
    out: dict[str, list[Any]] = {name: [] for name in JOB_COLUMNS}
    for record in records:
        created = datetime.strptime(record["created_at"], "%Y-%m-%dT%H:%M:%S%z")
        ended = datetime.strptime(record["ended_at"], "%Y-%m-%dT%H:%M:%S%z")
        status = record["status"]
        running = status == "Running"
        offset = created.utcoffset()
        out["job_id"].append(record["id"])
        out["job_name"].append(record["name"])
        out["job_type"].append(canonical_job_type(record["name"]))
        out["status"].append(status)
        out["created"].append(created.astimezone(timezone.utc))
        out["ended"].append(None if running else ended.astimezone(timezone.utc))
        out["utc_offset"].append(None if offset is None else int(offset.total_seconds() // 60))
        duration = (ended - created).total_seconds() if status in TERMINAL_STATUSES else float("nan")
        out["duration_s"].append(duration if duration >= 0 else float("nan"))
        out["age_s"].append((observed_at - created).total_seconds() if running else float("nan"))
        progress = record["progress"]
        out["progress"].append(float(progress.rstrip("%")) / 100 if progress else float("nan"))
        out["fail_reason"].append(record["fail_reason"] or None)
        out["instance_id"].append(record["instance_id"])
        out["instance_name"].append(record["instance_name"])
        out["region"].append(None)
        out["project_id"].append(None)
        out["observed_at"].append(observed_at)
    return _with_contract_dtypes(out)


def pandas_baseline(records: list[dict[str, Any]], observed_at: datetime) -> pd.DataFrame:
    """(b) ``pd.json_normalize``, then column-wise pandas; times by ``pd.to_datetime(format="ISO8601")``."""
    raw = pd.json_normalize(records)
    created = pd.to_datetime(raw["created_at"], utc=True, format="ISO8601")
    ended = pd.to_datetime(raw["ended_at"], utc=True, format="ISO8601")
    running = raw["status"] == "Running"
    terminal = raw["status"].isin(list(TERMINAL_STATUSES))
    ended = ended.mask(running)
    duration = (ended - created).dt.total_seconds().where(terminal)
    sign = np.where(raw["created_at"].str[19] == "-", -1, 1)
    offset = sign * (raw["created_at"].str[20:22].astype(int) * 60 + raw["created_at"].str[22:24].astype(int))
    observed = pd.Timestamp(observed_at)
    columns = {
        "job_id": raw["id"],
        "job_name": raw["name"],
        "job_type": raw["name"].map(canonical_job_type),
        "status": raw["status"],
        "created": created,
        "ended": ended,
        "utc_offset": offset,
        "duration_s": duration.where(duration >= 0),
        "age_s": (observed - created).dt.total_seconds().where(running),
        "progress": pd.to_numeric(raw["progress"].str.rstrip("%"), errors="coerce") / 100,
        "fail_reason": raw["fail_reason"].replace("", None),
        "instance_id": raw["instance_id"],
        "instance_name": raw["instance_name"],
        "region": None,
        "project_id": None,
        "observed_at": observed,
    }
    return _with_contract_dtypes(columns)


def timed(func: Callable[[], pd.DataFrame]) -> tuple[float, pd.DataFrame]:
    gc.collect()
    started = time.perf_counter()
    result = func()
    return time.perf_counter() - started, result


def same_values(ours: pd.DataFrame, theirs: pd.DataFrame) -> bool:
    """The baselines must compute the same thing, or the ratio means nothing."""
    for name in JOB_COLUMNS:
        left = ours[name].astype(object) if isinstance(ours[name].dtype, pd.CategoricalDtype) else ours[name]
        right = (
            theirs[name].astype(object)
            if isinstance(theirs[name].dtype, pd.CategoricalDtype)
            else theirs[name]
        )
        if not left.reset_index(drop=True).equals(right.reset_index(drop=True)):
            print(f"  column {name} differs")
            return False
    return True


# --------------------------------------------------------------------------------------------- files

FILE_VARIANTS = {
    "pyarrow.json.read_json": lambda path: __import__("pyarrow.json").json.read_json(path),
    "jobs_frame(path)": lambda path: jobs_frame(path, observed_at=OBSERVED_AT, errors="raise"),
    "previous: json.loads per line + jobs_frame(records)": lambda path: jobs_frame(
        _as_record_list(path), observed_at=OBSERVED_AT, errors="raise"
    ),
}


def _rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _peak_rss_bytes() -> int:
    """This process's peak RSS (VmHWM): unlike ``ru_maxrss``, it does not inherit the parent's peak across
    fork + exec, so a small child of a big benchmark process reads its own."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def measure_child(variant: str, path: str) -> None:
    """In a fresh process: one run of ``variant``, printing seconds, RSS growth at peak and result size."""
    import pyarrow as pa
    import pyarrow.json

    before = _rss_bytes()
    started = time.perf_counter()
    result = FILE_VARIANTS[variant](path)
    seconds = time.perf_counter() - started
    peak = _peak_rss_bytes()
    size = int(result.memory_usage(deep=True).sum()) if isinstance(result, pd.DataFrame) else result.nbytes
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_growth": peak - before,
                "result_bytes": size,
                "arrow_pool_max": pa.default_memory_pool().max_memory(),
            }
        )
    )


def write_jsonl(rows: int, directory: Path) -> Path:
    path = directory / f"jobs-{rows}.jsonl"
    records = synthetic_records(rows)
    with path.open("w", encoding="utf-8") as fh:
        for start in range(0, rows, 100_000):
            fh.write("".join(json.dumps(r) + "\n" for r in records[start : start + 100_000]))
    return path


def bench_files(sizes: list[int], repeat: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for rows in sizes:
            path = write_jsonl(rows, Path(tmp))
            gc.collect()
            print(f"\n{rows:,} records, {path.stat().st_size / 1e6:.0f} MB of NDJSON")
            timed_variants = list(FILE_VARIANTS)[:2]
            best = dict.fromkeys(timed_variants, float("inf"))
            frame = None
            for _ in range(repeat):  # interleaved rounds, best of each
                for name in timed_variants:
                    seconds, result = timed(lambda name=name, path=path: FILE_VARIANTS[name](path))
                    best[name] = min(best[name], seconds)
                    if isinstance(result, pd.DataFrame):
                        frame = result
                    del result
            assert frame is not None
            frame_mb = frame.memory_usage(deep=True).sum() / 1e6
            del frame
            arrow = best["pyarrow.json.read_json"]
            print(f"  {'method':<54} {'seconds':>8}  ratio to read_json")
            for name, seconds in best.items():
                print(f"  {name:<54} {seconds:>8.2f}  {seconds / arrow:.2f}×")
            print(f"  frame memory_usage(deep=True): {frame_mb:.1f} MB")
            print(f"  {'peak memory, fresh process per method':<54} {'seconds':>8}  {'peak MB':>8}  × frame")
            for name in FILE_VARIANTS:
                out = subprocess.run(
                    [sys.executable, __file__, "--measure", name, str(path)],
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout
                got = json.loads(out.strip().splitlines()[-1])
                peak_mb = got["peak_growth"] / 1e6
                print(f"  {name:<54} {got['seconds']:>8.2f}  {peak_mb:>8.0f}  {peak_mb / frame_mb:.1f}×")
            path.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 records instead of 1,000,000")
    parser.add_argument("--rows", type=int, help="number of records (overrides --quick)")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs (baseline (a): 1)")
    parser.add_argument("--files", action="store_true", help="jobs_frame(path) vs pyarrow.json.read_json")
    parser.add_argument("--measure", nargs=2, metavar=("VARIANT", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure_child(*args.measure)
        return
    rows = args.rows or (100_000 if args.quick else 1_000_000)
    if args.files:
        print(f"python {platform.python_version()}, pandas {pd.__version__}, numpy {np.__version__}")
        sizes = [args.rows] if args.rows else [100_000] if args.quick else [300_000, 1_000_000]
        bench_files(sizes, args.repeat)
        return

    print(f"python {platform.python_version()}, pandas {pd.__version__}, numpy {np.__version__}")
    started = time.perf_counter()
    records = as_parsed_json(synthetic_records(rows))
    print(f"built {rows:,} synthetic ListTasks records in {time.perf_counter() - started:.1f} s")

    methods: dict[str, Callable[[], pd.DataFrame]] = {
        "jobs_frame": lambda: jobs_frame(records, observed_at=OBSERVED_AT, errors="raise"),
        "(a) per-record datetime.strptime loop": lambda: python_baseline(records, OBSERVED_AT),
        "(b) json_normalize + to_datetime(ISO8601)": lambda: pandas_baseline(records, OBSERVED_AT),
    }
    # Interleaved rounds, best of each: the machine is shared, so noise hits every method alike.
    best: dict[str, float] = dict.fromkeys(methods, float("inf"))
    frames: dict[str, pd.DataFrame] = {}
    for round_ in range(args.repeat):
        for name, method in methods.items():
            if name.startswith("(a)") and round_ > 0:
                continue  # 20+ s a run and ~10× the others: one run is precise enough
            seconds, frames[name] = timed(method)
            best[name] = min(best[name], seconds)
    ours = frames.pop("jobs_frame")
    for name, theirs in frames.items():
        print(f"same values as {name[:3]}: {same_values(ours, theirs)}")

    print(f"{'method':<44} {'seconds':>8}  jobs_frame is")
    for name, seconds in best.items():
        ratio = "" if name == "jobs_frame" else f"{seconds / best['jobs_frame']:.1f}× faster"
        print(f"{name:<44} {seconds:>8.2f}  {ratio}")
    memory_mb = ours.memory_usage(deep=True).sum() / 1e6
    print(f"jobs_frame memory: {memory_mb:.1f} MB for {rows:,} rows ({memory_mb * 1e6 / rows:.0f} B/row)")
    theirs_mb = frames["(b) json_normalize + to_datetime(ISO8601)"].memory_usage(deep=True).sum() / 1e6
    print(f"(b)'s frame, same dtypes: {theirs_mb:.1f} MB")


if __name__ == "__main__":
    main()
