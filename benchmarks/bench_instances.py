"""Benchmark ``with_instances`` against a plain ``merge`` on ``instance_id``.

(a) one snapshot: 1,000,000 jobs on 5,000 instances (plus 50 deleted ones the inventory lacks), the jobs
    frame's dtypes (categorical ``instance_id``), against ``jobs.merge(instances, on="instance_id",
    how="left")`` with the instance columns renamed the same way; target ratio <= 2.
(b) as of: the same jobs against 30 daily snapshots (150,000 instance rows), against the same plain merge
    of one snapshot (the operation a user would otherwise write); target ratio <= 3. For reference also
    ``pd.merge_asof(by="instance_id")``, which needs both sides sorted by time first.

Interleaved rounds, best of R. Run: ``.venv/bin/python benchmarks/bench_instances.py [--quick] [--repeat R]``.
"""

from __future__ import annotations

import argparse
import platform
import time
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd

import ddsjobs_analytics as dj
from ddsjobs_analytics._core._schema_inventory import INSTANCE_JOIN_COLUMNS

STATUSES = ["Completed", "Failed", "Running"]


def timed(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def make_instances(count: int, snapshots: int, seed: int) -> pd.DataFrame:
    """Instances frames of ``snapshots`` daily observations, built through ``instances_frame``."""
    rng = np.random.default_rng(seed)
    ids = [f"{i:032x}in02" for i in range(count)]
    modes = rng.choice(["Sharding", "ReplicaSet", "Single"], count)
    frames = []
    for day in range(snapshots):
        versions = rng.choice(["3.4", "4.0", "4.2", "4.4", "5.0"], count)
        records = [
            {
                "id": ids[i],
                "name": f"dds-{i}",
                "status": "normal",
                "port": 8635,
                "mode": str(modes[i]),
                "region": "cn-north-4",
                "datastore": {"version": str(versions[i]), "whole_version": f"{versions[i]}.1"},
                "engine": "wiredTiger",
                "created": "2025-01-01T00:00:00",
                "updated": "2025-01-01T00:00:00",
                "ssl": 1,
                "tags": [{"key": "env", "value": "prod"}],
                "groups": [
                    {
                        "type": "replica",
                        "volume": {"size": "100", "used": "10"},
                        "nodes": [{"spec_code": "s", "availability_zone": f"az{i % 3}"}],
                    }
                ],
            }
            for i in range(count)
        ]
        observed = pd.Timestamp("2026-10-01", tz="UTC") + pd.Timedelta(days=day)
        frames.append(dj.instances_frame(records, observed_at=observed))
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def make_jobs(count: int, instances: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ids = [f"{i:032x}in02" for i in range(instances + 50)]  # 50 deleted instances
    codes = rng.integers(0, len(ids), count)
    created = pd.Timestamp("2026-09-25", tz="UTC") + pd.to_timedelta(rng.integers(0, 40 * 86400, count), "s")
    return pd.DataFrame(
        {
            "job_id": pd.array([f"j{i}" for i in range(count)], dtype="string[pyarrow]"),
            "status": pd.Categorical.from_codes(rng.integers(0, 3, count), STATUSES),
            "created": pd.Series(created).astype("datetime64[us, UTC]"),
            "duration_s": rng.exponential(600, count),
            "instance_id": pd.Categorical.from_codes(codes, ids),
        }
    )


def plain_merge(jobs: pd.DataFrame, instances: pd.DataFrame) -> pd.DataFrame:
    right = instances[["instance_id", *INSTANCE_JOIN_COLUMNS]].rename(columns=INSTANCE_JOIN_COLUMNS)
    return jobs.merge(right, on="instance_id", how="left")


def matching_right(jobs: pd.DataFrame, instances: pd.DataFrame) -> pd.DataFrame:
    """The instances with ``instance_id`` as the jobs' own categorical (built outside the timing)."""
    right = instances[["instance_id", *INSTANCE_JOIN_COLUMNS]].rename(columns=INSTANCE_JOIN_COLUMNS)
    categories = jobs["instance_id"].cat.categories
    return right.assign(instance_id=pd.Categorical(right["instance_id"].astype(str), categories=categories))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="100,000 jobs instead of 1,000,000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n_jobs, n_instances = (100_000, 5_000) if args.quick else (1_000_000, 5_000)
    print(f"python {platform.python_version()}, pandas {pd.__version__}, numpy {np.__version__}")
    jobs = make_jobs(n_jobs, n_instances, 1)
    one = make_instances(n_instances, 1, 2)
    daily = make_instances(n_instances, 30, 3)
    print(f"jobs {len(jobs):,}; instances {len(one):,}; 30 snapshots {len(daily):,} rows")
    warnings.simplefilter("ignore", dj.DataQualityWarning)
    merged, ours = plain_merge(jobs, one), dj.with_instances(jobs, one)
    assert len(merged) == len(ours) == len(jobs)
    theirs, mine = (frame["engine_version"].astype(object).fillna("NA") for frame in (merged, ours))
    same = theirs == mine
    assert same.all(), "with_instances and merge disagree"
    times: dict[str, list[float]] = {
        "merge": [],
        "merge_same_keys": [],
        "with_instances": [],
        "as_of_30": [],
        "merge_asof": [],
    }
    same_keys = matching_right(jobs, one)
    by_time = jobs.sort_values("created")
    right = daily.sort_values("observed_at")[["instance_id", "observed_at", "engine_version"]]
    right = right.assign(instance_id=right["instance_id"].astype(str))
    left = by_time.assign(instance_id=by_time["instance_id"].astype(str))
    for _ in range(args.repeat):
        times["merge"].append(timed(lambda: plain_merge(jobs, one)))
        times["merge_same_keys"].append(timed(lambda: jobs.merge(same_keys, on="instance_id", how="left")))
        times["with_instances"].append(timed(lambda: dj.with_instances(jobs, one)))
        times["as_of_30"].append(timed(lambda: dj.with_instances(jobs, daily)))
        times["merge_asof"].append(
            timed(
                lambda: pd.merge_asof(
                    left, right, left_on="created", right_on="observed_at", by="instance_id"
                )
            )
        )
    best = {name: min(values) for name, values in times.items()}
    base = best["merge"]
    for name, value in best.items():
        print(f"{name:15s} best of {args.repeat}: {value:.3f} s  ({value / base:.2f}× the plain merge)")


if __name__ == "__main__":
    main()
