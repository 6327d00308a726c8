"""The metric families of a jobs frame, per ``job_type`` and ``region`` (a prometheus_client collector).

Every value comes from the project's own statistics on the same frame: :func:`failure_rates` for
``ddsjobs_failure_rate``, :func:`duration_stats` (its Kaplan–Meier ``km_p50_s``/``km_p95_s``) for
``ddsjobs_duration_seconds``, :func:`stuck_jobs` for ``ddsjobs_stuck_jobs``. Label sets stay bounded: the
``top`` job types by number of jobs keep their name, the rest are pooled as ``other``.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry

from .._frame import require_columns
from .._stats._durations import duration_stats, stuck_jobs
from .._stats._failures import failure_rates
from . import DEFAULT_TOP_JOB_TYPES

__all__ = [
    "DEFAULT_TOP_JOB_TYPES",
    "OTHER",
    "UNKNOWN_REGION",
    "JobsCollector",
    "bounded_job_types",
    "registry",
]

OTHER = "other"  # the label of the job types beyond the top N
UNKNOWN_REGION = "unknown"
LABELS = ("job_type", "region")
QUANTILES = {"0.5": "km_p50_s", "0.95": "km_p95_s"}
STATUSES = ("Completed", "Failed", "Running")


def bounded_job_types(df: pd.DataFrame, top: int = DEFAULT_TOP_JOB_TYPES) -> pd.Series:
    """``job_type`` with all but the ``top`` most frequent types (ties by name) relabelled ``other``."""
    if top < 1:
        raise ValueError(f"top must be at least 1, not {top}")
    counts = df["job_type"].astype("string").value_counts()
    counts = counts.sort_index().sort_values(ascending=False, kind="stable")
    keep = set(counts.index[:top])
    types = df["job_type"].astype("string")
    return types.where(types.isin(keep) | types.isna(), OTHER).fillna(OTHER).astype(str)


def labelled(df: pd.DataFrame, top: int = DEFAULT_TOP_JOB_TYPES) -> pd.DataFrame:
    """The frame with bounded ``job_type`` labels and a ``region`` label (``unknown`` where missing)."""
    region = df["region"].astype("string") if "region" in df.columns else pd.Series(pd.NA, index=df.index)
    return df.assign(job_type=bounded_job_types(df, top), region=region.fillna(UNKNOWN_REGION).astype(str))


def _key(index_value: object) -> list[str]:
    return [str(part) for part in index_value] if isinstance(index_value, tuple) else [str(index_value)]


class JobsCollector(Collector):
    """Yields the ``ddsjobs_*`` families of ``df`` each time it is collected (nothing is kept between)."""

    def __init__(self, df: pd.DataFrame, *, top: int = DEFAULT_TOP_JOB_TYPES) -> None:
        require_columns(df, ["job_type", "status", "duration_s", "age_s", "ended"], func="JobsCollector")
        self.df, self.top = df, top

    def collect(self) -> Iterator[Metric]:
        data = labelled(self.df, self.top)
        by = list(LABELS)
        jobs = GaugeMetricFamily(
            "ddsjobs_jobs_total",
            "Jobs in the data read, by status (a gauge over the window read, not a monotonic counter).",
            labels=[*LABELS, "status"],
        )
        counts = data.groupby([*by, data["status"].astype("string").fillna("unknown")], observed=True).size()
        for key, count in counts.items():
            jobs.add_metric(_key(key), float(count))
        yield jobs

        rates = failure_rates(data, by=by)
        rate = GaugeMetricFamily(
            "ddsjobs_failure_rate", "Failed / (Completed + Failed) of the jobs read.", labels=list(LABELS)
        )
        running = GaugeMetricFamily("ddsjobs_running_jobs", "Jobs still Running.", labels=list(LABELS))
        for key, row in rates.iterrows():
            if np.isfinite(row["failure_rate"]):
                rate.add_metric(_key(key), float(row["failure_rate"]))
            running.add_metric(_key(key), float(row["running"]))
        yield rate
        yield running

        stats = duration_stats(data, by=by)
        duration = GaugeMetricFamily(
            "ddsjobs_duration_seconds",
            "Kaplan–Meier duration quantiles (Completed jobs; Running ones censored at their age).",
            labels=[*LABELS, "quantile"],
        )
        for key, row in stats.iterrows():
            for quantile, column in QUANTILES.items():
                if np.isfinite(row[column]):
                    duration.add_metric([*_key(key), quantile], float(row[column]))
        yield duration

        stuck = stuck_jobs(self.df)  # judged against each real job type's history, then labelled
        stuck_labels = data.loc[stuck.index, by].value_counts() if len(stuck) else pd.Series(dtype="int64")
        stuck_family = GaugeMetricFamily(
            "ddsjobs_stuck_jobs", "Running jobs far past their type's usual duration.", labels=list(LABELS)
        )
        for key in rates.index:
            stuck_family.add_metric(_key(key), float(stuck_labels.get(key, 0)))
        yield stuck_family

        last = GaugeMetricFamily(
            "ddsjobs_last_success_timestamp_seconds",
            "When the last Completed job ended (Unix time).",
            labels=list(LABELS),
        )
        completed = data[(data["status"] == "Completed").fillna(False).astype(bool) & data["ended"].notna()]
        for key, ended in completed.groupby(by, observed=True)["ended"].max().items():
            last.add_metric(_key(key), pd.Timestamp(ended).timestamp())
        yield last


def registry(df: pd.DataFrame, *, top: int = DEFAULT_TOP_JOB_TYPES) -> CollectorRegistry:
    """A fresh registry holding only the jobs collector of ``df`` (no process or platform metrics)."""
    result = CollectorRegistry(auto_describe=False)
    result.register(JobsCollector(df, top=top))
    return result
