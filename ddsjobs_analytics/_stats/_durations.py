"""How long DDS jobs take: quantiles of finished jobs, and Kaplan–Meier estimates that count running jobs.

Quantiles of finished jobs alone are biased low exactly when it matters (the slow jobs are the ones still
running), so every table here also carries the censoring-aware Kaplan–Meier view (:mod:`._km`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd

from .._core._calendar import TzLike, period_start
from .._frame import require_columns
from ._km import (
    FloatArray,
    IntArray,
    _step_value_at,
    _Steps,
    events_and_censorings,
    first_time_at_or_below,
    kaplan_meier,
    km_quantile,
    km_quantile_ci,
    km_survival_at,
)

__all__ = [
    "DurationFit",
    "duration_stats",
    "duration_stats_fit",
    "kaplan_meier",
    "km_quantile",
    "km_survival_at",
    "stuck_jobs",
]

GroupKeys = str | Sequence[str] | None
StatusSelection = str | Sequence[str] | None

FINISHED_STATUSES: tuple[str, ...] = ("Completed", "Failed")
QUANTILES: dict[str, float] = {"p50_s": 0.50, "p90_s": 0.90, "p95_s": 0.95, "p99_s": 0.99}
STUCK_IDENTITY_COLUMNS: tuple[str, ...] = (
    "job_id",
    "job_type",
    "instance_id",
    "instance_name",
    "region",
    "created",
)


# --- grouped statistics over a jobs frame -------------------------------------------------------------------


def group_keys(by: GroupKeys, *, func: str = "by") -> list[str]:
    """Column names of a ``by`` argument: a name, a list (or tuple) of names, or None (no grouping)."""
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    if isinstance(by, (list, tuple)) and all(isinstance(key, str) for key in by):
        return list(by)
    what = type(by).__name__ + (f" of length {len(by)}" if hasattr(by, "__len__") else "")
    raise TypeError(f"{func}: by= takes a column name or a list of column names, not a {what}")


def time_levels(index: pd.Index) -> list[int]:
    """Positions of the index levels that hold moments (periods, datetime ``by`` columns): sorted by time."""
    levels = index.levels if isinstance(index, pd.MultiIndex) else [index]
    return [
        i
        for i, level in enumerate(levels)
        if pd.api.types.is_datetime64_any_dtype(level.dtype) or isinstance(level.dtype, pd.PeriodDtype)
    ]


def group_codes(keys: Sequence[pd.Series], n_rows: int) -> tuple[IntArray, pd.Index]:
    """Group number of every row and the index of the groups (sorted; only observed categories; NaN kept).

    No keys means one overall group labelled ``"all"``.
    """
    if not keys:
        return np.zeros(n_rows, dtype=np.intp), pd.Index(["all"])
    if len(keys) == 1 and isinstance(keys[0].dtype, pd.CategoricalDtype):
        return _category_codes(keys[0])
    grouped = pd.Series(np.zeros(n_rows), index=keys[0].index).groupby(
        list(keys), observed=True, dropna=False, sort=True
    )
    return grouped.ngroup().to_numpy(dtype=np.intp), grouped.size().index


def _category_codes(key: pd.Series) -> tuple[IntArray, pd.Index]:
    """:func:`group_codes` of one categorical column without a groupby: its codes, renumbered over the
    observed categories in category order, missing values last (what ``groupby(observed=True,
    dropna=False, sort=True)`` gives, at a fraction of the cost on a million rows)."""
    raw = key.cat.codes.to_numpy()
    categories = key.cat.categories
    seen = np.bincount(raw[raw >= 0], minlength=len(categories)) > 0
    renumber = np.cumsum(seen) - 1
    missing = bool((raw < 0).any())
    codes = np.where(raw >= 0, renumber[np.maximum(raw, 0)], int(seen.sum())).astype(np.intp)
    index_codes = np.append(np.flatnonzero(seen), np.full(int(missing), -1)).astype(np.int64)
    dtype = key.dtype
    assert isinstance(dtype, pd.CategoricalDtype)
    values = pd.Categorical.from_codes(index_codes, dtype=dtype)
    return codes, pd.CategoricalIndex(values, name=key.name)


def status_mask(status: pd.Series, statuses: Sequence[str]) -> npt.NDArray[np.bool_]:
    """Rows whose status is one of ``statuses`` (missing status never matches)."""
    return status.isin(list(statuses)).to_numpy(dtype=bool)


def _float_column(df: pd.DataFrame, column: str) -> FloatArray:
    return df[column].to_numpy(dtype=np.float64, na_value=np.nan)


def selected_statuses(status: StatusSelection) -> list[str]:
    """The statuses a ``status`` argument selects: the finished ones when None, else those named."""
    if status is None:
        return list(FINISHED_STATUSES)
    if isinstance(status, str):
        return [status]
    return list(status)


def _by_code(per_group: pd.Series, n_groups: int) -> FloatArray:
    """A statistic indexed by group number as an array over all groups (NaN where a group had no rows)."""
    return per_group.reindex(range(n_groups)).to_numpy(dtype=np.float64, na_value=np.nan)


def _count_by_group(codes: IntArray, mask: npt.NDArray[np.bool_], n_groups: int) -> npt.NDArray[np.int64]:
    return np.bincount(codes[mask], minlength=n_groups).astype(np.int64)


class DurationFit(NamedTuple):
    """What :func:`duration_stats` fitted, per group code: the Kaplan–Meier steps, the count of finished jobs
    and their linear P95. :func:`stuck_jobs` needs exactly this for ``by="job_type"`` of Completed jobs, so
    an :class:`~ddsjobs_analytics.Analysis` hands it over instead of fitting again (issue 16 §6)."""

    codes: IntArray
    steps: _Steps
    finished: npt.NDArray[np.int64]  # the count column: finished jobs with a duration
    p95: FloatArray


def duration_stats(
    df: pd.DataFrame,
    by: GroupKeys = "job_type",
    *,
    status: StatusSelection = "Completed",
    confidence: float = 0.95,
    freq: str | None = None,
    tz: TzLike = None,
) -> pd.DataFrame:
    """Duration summary per group, finished jobs plus a Kaplan–Meier view that counts running ones.

    ``count``, ``mean_s``, ``p50_s`` … ``p99_s`` (linear interpolation, pandas' default) and ``max_s``
    describe the jobs whose status is in ``status`` (default Completed; None = Completed and Failed) with a
    valid ``duration_s``. ``running`` counts the group's Running jobs; ``km_p50_s``/``km_p95_s`` are
    Kaplan–Meier quantiles with those finished jobs as events and the Running ones censored at their ``age_s``
    (NaN when not estimable); ``km_p50_ci_low``/``km_p50_ci_high`` is the Brookmeyer–Crowley ``confidence``
    interval of ``km_p50_s`` (NaN where the band never reaches 0.5). Other statuses are left out. One row
    per observed group, largest ``count`` first (ties in group order); ``by=None`` gives one row labelled
    ``"all"``.
    ``freq``/``tz`` add an outer ``period`` level as in :func:`failure_rates`; periods (and datetime ``by``
    columns) come in time order.
    """
    return duration_stats_fit(df, by, status=status, confidence=confidence, freq=freq, tz=tz)[0]


def duration_stats_fit(
    df: pd.DataFrame,
    by: GroupKeys = "job_type",
    *,
    status: StatusSelection = "Completed",
    confidence: float = 0.95,
    freq: str | None = None,
    tz: TzLike = None,
) -> tuple[pd.DataFrame, DurationFit]:
    """:func:`duration_stats` and the fit behind it (for :func:`stuck_jobs`)."""
    keys = group_keys(by, func="duration_stats")
    needed = [*keys, "status", "duration_s", "age_s", *(["created"] if freq is not None else [])]
    require_columns(df, needed, func="duration_stats")
    key_series = [df[key] for key in keys]
    if freq is not None:
        key_series.insert(0, period_start(df["created"], freq, tz))
    codes, index = group_codes(key_series, len(df))
    n_groups = len(index)
    duration = _float_column(df, "duration_s")
    age = _float_column(df, "age_s")
    finished = status_mask(df["status"], selected_statuses(status)) & np.isfinite(duration)
    running = status_mask(df["status"], ["Running"])
    censored = running & np.isfinite(age)

    if not 0.0 < confidence < 1.0:
        raise ValueError(f"duration_stats: confidence must be in (0, 1), got {confidence!r}")
    finished_durations = pd.Series(duration[finished]).groupby(codes[finished])
    steps = events_and_censorings(codes, finished, duration, censored, age)
    median_low, median_high = km_quantile_ci(steps, 0.5, n_groups, confidence)
    quantiles = {name: _by_code(finished_durations.quantile(q), n_groups) for name, q in QUANTILES.items()}
    count = _count_by_group(codes, finished, n_groups)
    stats = pd.DataFrame(
        {
            "count": count,
            "running": _count_by_group(codes, running, n_groups),
            "mean_s": _by_code(finished_durations.mean(), n_groups),
            **quantiles,
            "max_s": _by_code(finished_durations.max(), n_groups),
            "km_p50_s": first_time_at_or_below(steps, 0.50, n_groups),
            "km_p95_s": first_time_at_or_below(steps, 0.05, n_groups),
            "km_p50_ci_low": median_low,
            "km_p50_ci_high": median_high,
        },
        index=index,
    )
    times = time_levels(index)
    sort_keys = pd.DataFrame({f"_t{i}": index.get_level_values(level) for i, level in enumerate(times)})
    sort_keys["count"] = stats["count"].to_numpy()
    order = sort_keys.sort_values(
        list(sort_keys.columns), ascending=[True] * len(times) + [False], na_position="last", kind="stable"
    ).index
    return stats.iloc[order], DurationFit(codes, steps, count, quantiles["p95_s"])


def stuck_jobs(
    df: pd.DataFrame,
    *,
    k: float = 3.0,
    min_history: int = 20,
    fallback_s: float = 86400.0,
    fit: DurationFit | None = None,
) -> pd.DataFrame:
    """Running jobs that have run far longer than jobs of their kind usually take.

    A Running job is stuck when ``age_s`` > ``threshold_s``: ``k`` × the P95 (linear) of the Completed
    durations of its ``job_type`` (``baseline_p95_s``), or ``fallback_s`` when that type has fewer than
    ``min_history`` Completed jobs (``baseline_p95_s`` is then NaN). ``km_share_longer`` is the Kaplan–Meier
    S(age): the share of jobs of that type estimated to run longer than this one has so far, with Completed
    jobs as events and the *other* Running jobs censored at their age. Keeps the input's index; most overdue
    (largest ``age_s / threshold_s``) first. ``fit``: the :class:`DurationFit` of
    ``duration_stats_fit(df, "job_type")`` when already made (an Analysis passes its own), so the
    Kaplan–Meier steps and P95s are not computed twice.
    """
    if not k > 0 or not fallback_s > 0 or min_history < 1:
        raise ValueError(
            f"need k > 0, fallback_s > 0, min_history >= 1; got {k=}, {fallback_s=}, {min_history=}"
        )
    require_columns(df, [*STUCK_IDENTITY_COLUMNS, "status", "duration_s", "age_s"], func="stuck_jobs")
    age = _float_column(df, "age_s")
    running = status_mask(df["status"], ["Running"]) & np.isfinite(age)
    if fit is None:
        # The same fit as duration_stats(df, "job_type"): Completed durations as events, Running jobs
        # censored at their age (an Analysis passes the one it already made).
        fit = duration_stats_fit(df, "job_type", status="Completed")[1]
    codes, steps, history, p95 = fit
    baseline = np.where(history >= min_history, p95, np.nan)
    threshold = np.where(history >= min_history, k * p95, fallback_s)

    run_codes, run_age = codes[running], age[running]
    # Each running job is at risk at every step up to its own age, so removing it from those risk sets is the
    # same adjustment for all of them: S without the job itself, evaluated at its age.
    share_longer = _step_value_at(steps, steps.survival_without_one_at_risk(), run_codes, run_age)

    candidates = df.loc[running, list(STUCK_IDENTITY_COLUMNS)].assign(
        age_s=run_age,
        baseline_p95_s=baseline[run_codes],
        threshold_s=threshold[run_codes],
        history=history[run_codes],
        km_share_longer=share_longer,
    )
    stuck = candidates[run_age > threshold[run_codes]]
    overdue = stuck["age_s"] / stuck["threshold_s"]
    return stuck.iloc[np.argsort(-overdue.to_numpy(), kind="stable")]
