"""A seeded synthetic fleet with known changes in its last week, for validating ``compare_periods``.

Each job type has a true failure probability and a lognormal duration; jobs are created uniformly over
``days`` days before ``END``. Changes apply to jobs created in the last ``current_days``. A job still running
at ``END`` (its true end is later) is Running with ``age_s`` = END − created; a small share of jobs are stuck
(Running whatever their true duration) in every period. Used by the tests, ``benchmarks/bench_compare.py``
and ``docs/make_compare_figure.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np
import pandas as pd

END = datetime(2026, 11, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Change:
    """In the current period: failure probability × ``failure``, durations × ``duration``."""

    job_type: str
    failure: float = 1.0
    duration: float = 1.0


# The injected changes of the validation: a type failing 4× as often, one 1.7× slower, one 1.7× faster.
INJECTED = (
    Change("type-00", failure=4.0),
    Change("type-01", duration=1.7),
    Change("type-02", duration=1 / 1.7),
)
# The verdict each injected change must get, per (group, metric); every other pair is unchanged.
EXPECTED = {
    ("type-00", "failure_rate"): "regressed",
    ("type-01", "duration_p50"): "regressed",
    ("type-01", "duration_p95"): "regressed",
    ("type-02", "duration_p50"): "improved",
    ("type-02", "duration_p95"): "improved",
}
ALARMS = ("regressed", "improved")


def score_verdicts(result: pd.DataFrame, found: dict[tuple[str, str], int]) -> tuple[int, int]:
    """Count right verdicts of injected changes into ``found``; return (unchanged pairs, false alarms)."""
    unchanged = false_alarms = 0
    for row in result.itertuples(index=False):
        key = (row.job_type, row.metric)
        if key in EXPECTED:
            found[key] += row.verdict == EXPECTED[key]
        else:
            unchanged += 1
            false_alarms += row.verdict in ALARMS
    return unchanged, false_alarms


NEW_REASON = "Backup storage unreachable at 10.0.{0}.{1}:8080 after 3 retries"
_REASONS = (
    "Task {0} failed on node {1}: replica set did not elect a primary within 600s",
    "Flavor change rejected: insufficient quota, {0} vCPUs requested, {1} available",
    "Timed out waiting for mongod on node {1} (exit code {0})",
)


def type_names(types: int) -> list[str]:
    return [f"type-{i:02d}" for i in range(types)]


def fleet(
    seed: int,
    *,
    types: int = 12,
    jobs_per_type_day: float = 40.0,
    days: int = 35,
    current_days: int = 7,
    changes: tuple[Change, ...] = INJECTED,
    stuck: float = 0.005,
    new_reason: bool = True,
) -> pd.DataFrame:
    """A jobs frame (the columns the analyses need, with the contract's dtypes) observed at ``END``."""
    rng = np.random.default_rng(seed)
    names = type_names(types)
    fail_p = rng.uniform(0.02, 0.08, types)
    fail_p[0] = 0.04
    median = np.exp(rng.uniform(np.log(60), np.log(3600), types))
    sigma = rng.uniform(0.4, 0.7, types)
    counts = rng.poisson(jobs_per_type_day * days * rng.uniform(0.7, 1.3, types))
    type_index = np.repeat(np.arange(types), counts)
    n = len(type_index)
    end_s = END.timestamp()
    created_s = end_s - rng.uniform(0, days * 86400.0, n)
    in_current = created_s >= end_s - current_days * 86400.0

    fail_factor = np.ones(types)
    duration_factor = np.ones(types)
    for change in changes:
        position = names.index(change.job_type)
        fail_factor[position] = change.failure
        duration_factor[position] = change.duration
    p = fail_p[type_index] * np.where(in_current, fail_factor[type_index], 1.0)
    failed = rng.random(n) < p
    scale = median[type_index] * np.where(in_current, duration_factor[type_index], 1.0)
    duration = scale * np.exp(sigma[type_index] * rng.standard_normal(n))
    duration = np.where(failed, duration * 0.5, duration).round()
    running = (created_s + duration > end_s) | (rng.random(n) < stuck)

    status = np.where(running, "Running", np.where(failed, "Failed", "Completed"))
    instance = rng.integers(0, 60, n)
    reasons = _reasons(rng, failed & ~running, in_current, type_index, instance, new_reason)
    created = pd.to_datetime(np.round(created_s * 1e6).astype("int64"), unit="us", utc=True)
    # NaT for running jobs by masking afterwards: pandas 2.2's to_timedelta(unit="s") sends NaN through an
    # int64 cast and rounding, which can raise a spurious "overflow encountered in multiply".
    ended = (created + pd.to_timedelta(duration, unit="s")).where(~running)
    frame = pd.DataFrame(
        {
            "job_id": pd.array([f"{seed}-{i}" for i in range(n)], dtype="string"),
            "job_type": pd.Categorical.from_codes(type_index, categories=names),
            "status": pd.Categorical(status, categories=["Completed", "Failed", "Running"]),
            "created": created,
            "ended": ended,
            "duration_s": np.where(running, np.nan, duration),
            "age_s": np.where(running, end_s - created_s, np.nan),
            "fail_reason": pd.array(reasons, dtype="string"),
            "instance_id": pd.Categorical([f"inst-{i:02d}" for i in instance]),
            "instance_name": pd.Categorical([f"db-{i:02d}" for i in instance]),
            "region": pd.Categorical(np.where(instance % 3 == 0, "cn-north-4", "ap-southeast-1")),
            "observed_at": pd.Series(pd.Timestamp(END), index=range(n)).astype("datetime64[us, UTC]"),
        }
    )
    return frame.sort_values("created", kind="stable").reset_index(drop=True)


def _reasons(
    rng: np.random.Generator,
    failed: np.ndarray,
    in_current: np.ndarray,
    type_index: np.ndarray,
    instance: np.ndarray,
    new_reason: bool,
) -> list[str | None]:
    template = rng.integers(0, len(_REASONS), len(failed))
    numbers = rng.integers(1, 250, len(failed))
    # Half of type-00's extra failures in the current period come with a message never seen before.
    is_new = new_reason & failed & in_current & (type_index == 0) & (rng.random(len(failed)) < 0.5)
    out: list[str | None] = []
    for i in range(len(failed)):
        if not failed[i]:
            out.append(None)
        elif is_new[i]:
            out.append(NEW_REASON.format(instance[i], numbers[i]))
        else:
            out.append(_REASONS[template[i]].format(numbers[i], f"node-{instance[i]:02d}-{numbers[i] % 7}"))
    return out
