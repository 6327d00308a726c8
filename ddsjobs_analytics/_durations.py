"""How long DDS jobs take: quantiles of finished jobs, and Kaplan–Meier estimates that count running jobs.

A job that has been running for 3 h will take *at least* 3 h: it is a right-censored observation. Quantiles of
finished jobs alone are biased low exactly when it matters (the slow jobs are the ones still running); the
Kaplan–Meier product-limit estimator uses the running jobs without guessing when they will end.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np
import numpy.typing as npt
import pandas as pd

from ._frame import require_columns

__all__ = ["duration_stats", "kaplan_meier", "km_quantile", "km_survival_at", "stuck_jobs"]

FloatArray = npt.NDArray[np.floating[Any]]
IntArray = npt.NDArray[np.integer[Any]]
GroupKeys = str | Sequence[str] | None
StatusSelection = str | Sequence[str] | None

FINISHED_STATUSES: tuple[str, ...] = ("Completed", "Failed")
QUANTILES: dict[str, float] = {"p50_s": 0.50, "p90_s": 0.90, "p95_s": 0.95, "p99_s": 0.99}
# Survival is a running product of floats: 7/8 · 6/7 · 5/6 · 4/5 may land a hair above 0.5. A survival
# within this distance of the target counts as reaching it, so the KM median of 8 uncensored jobs is the 4th.
SURVIVAL_TOLERANCE = 1e-10
STUCK_IDENTITY_COLUMNS: tuple[str, ...] = (
    "job_id",
    "job_type",
    "instance_id",
    "instance_name",
    "region",
    "created",
)


# --- product-limit core (several groups at once) ----------------------------------------------------------


@dataclass(frozen=True)
class _Steps:
    """Product-limit steps of several groups at once: one row per distinct (group, time), sorted by both."""

    group: IntArray
    time: FloatArray
    at_risk: IntArray
    events: IntArray
    censored: IntArray
    survival: FloatArray

    def survival_without_one_at_risk(self) -> FloatArray:
        """Survival if one more censored job had been left out of every risk set.

        Valid at steps where that job was at risk, i.e. up to its own censoring time; used to judge a running
        job against the *other* jobs of its kind.
        """
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = np.where(self.events == 0, 1.0, 1.0 - self.events / (self.at_risk - 1))
        return _cumprod_by_group(factor, self.group)


def _cumprod_by_group(values: FloatArray, group: IntArray) -> FloatArray:
    return pd.Series(values).groupby(group, sort=False).cumprod().to_numpy(dtype=np.float64)


def _group_time_order(group: IntArray, time: FloatArray) -> IntArray:
    """The permutation sorting by ``group``, then ``time``: the same as ``np.lexsort((time, group))``.

    Two stable argsorts are about twice as fast: by time, then by the group codes narrowed to int16/int32
    (a stable sort of small integers is a radix sort).
    """
    by_time = np.argsort(time, kind="stable")
    codes = group[by_time]
    if len(codes) and codes.min() >= 0 and codes.max() <= np.iinfo(np.int32).max:
        codes = codes.astype(np.int16 if codes.max() <= np.iinfo(np.int16).max else np.int32)
    return by_time[np.argsort(codes, kind="stable")]


def _product_limit(group: IntArray, time: FloatArray, observed: npt.NDArray[np.bool_]) -> _Steps:
    """Kaplan–Meier steps per group; ``time`` must be finite."""
    order = _group_time_order(group, time)
    group, time, observed = group[order], time[order], observed[order]
    n = len(time)
    if n == 0:
        empty_int = np.empty(0, dtype=np.intp)
        return _Steps(empty_int, np.empty(0), empty_int, empty_int, empty_int, np.empty(0))
    is_step_start = np.ones(n, dtype=bool)
    is_step_start[1:] = (group[1:] != group[:-1]) | (time[1:] != time[:-1])
    starts = np.flatnonzero(is_step_start)
    size = np.diff(np.append(starts, n))
    events = np.add.reduceat(observed.astype(np.intp), starts)
    step_group = group[starts]
    # At risk at t: every job of the group with time >= t. Censorings tied with events at t are counted as at
    # risk (events are taken to happen first), the usual convention (Kalbfleisch & Prentice).
    at_risk = np.searchsorted(group, step_group, side="right") - starts
    survival = _cumprod_by_group(1.0 - events / at_risk, step_group)
    return _Steps(step_group, time[starts], at_risk, events, size - events, survival)


def _events_and_censorings(
    group: IntArray,
    is_event: npt.NDArray[np.bool_],
    event_time: FloatArray,
    is_censored: npt.NDArray[np.bool_],
    censoring_time: FloatArray,
) -> _Steps:
    """Product-limit steps of the rows selected as events (at ``event_time``) and as censored (at
    ``censoring_time``); a row may take its two times from different columns (``duration_s``/``age_s``)."""
    return _product_limit(
        np.concatenate([group[is_event], group[is_censored]]),
        np.concatenate([event_time[is_event], censoring_time[is_censored]]),
        np.concatenate([np.ones(is_event.sum(), dtype=bool), np.zeros(is_censored.sum(), dtype=bool)]),
    )


def _first_time_at_or_below(steps: _Steps, survival: float, n_groups: int) -> FloatArray:
    """Per group, the smallest step time whose survival is <= ``survival``; NaN when never reached."""
    reached = steps.survival <= survival + SURVIVAL_TOLERANCE
    groups, first = np.unique(steps.group[reached], return_index=True)
    result = np.full(n_groups, np.nan)
    result[groups] = steps.time[reached][first]
    return result


def _step_value_at(
    steps: _Steps, values: FloatArray, query_group: IntArray, query_time: FloatArray
) -> FloatArray:
    """``values`` of the last step of the query's group at or before its time: 1.0 before the first step."""
    n_steps = len(steps.time)
    group = np.concatenate([steps.group, query_group])
    time = np.concatenate([steps.time, query_time])
    is_query = np.arange(len(time)) >= n_steps
    # Steps sort before queries at the same (group, time), so S(t) includes the drop at t (right-continuous).
    order = np.lexsort((is_query, time, group))
    sorted_is_query = is_query[order]
    last_step = np.cumsum(~sorted_is_query)[sorted_is_query] - 1
    query_index = order[sorted_is_query] - n_steps
    in_group = last_step >= 0
    in_group[in_group] = steps.group[last_step[in_group]] == query_group[query_index[in_group]]
    result = np.full(len(query_time), np.nan)
    result[query_index] = np.where(in_group, values[np.maximum(last_step, 0)] if n_steps else 1.0, 1.0)
    result[np.isnan(query_time)] = np.nan
    return result


# --- public single-sample estimator -----------------------------------------------------------------------


def _survival_sample(
    durations: npt.ArrayLike, observed: npt.ArrayLike
) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """Validated 1-D ``(durations, observed)``; errors name the offending position."""
    time = np.asarray(durations, dtype=np.float64)
    raw_observed = np.asarray(observed)
    if time.ndim != 1 or raw_observed.shape != time.shape:
        raise ValueError(
            "durations and observed must be 1-D of equal length, "
            f"got shapes {time.shape} and {raw_observed.shape}"
        )
    invalid = np.flatnonzero(~np.isfinite(time) | (time < 0))
    if invalid.size:
        raise ValueError(
            f"durations must be finite and >= 0: {invalid.size} invalid value(s), "
            f"first durations[{invalid[0]}] = {time.tolist()[invalid[0]]!r}"
        )
    if raw_observed.dtype != np.bool_:
        not_flag = np.flatnonzero(~np.isin(raw_observed, (0, 1)))
        if not_flag.size:
            raise ValueError(
                f"observed must be boolean (True = event, False = censored): "
                f"observed[{not_flag[0]}] = {raw_observed.tolist()[not_flag[0]]!r}"
            )
    return time, raw_observed.astype(bool)


def _single_group_steps(durations: npt.ArrayLike, observed: npt.ArrayLike) -> _Steps:
    time, event = _survival_sample(durations, observed)
    return _product_limit(np.zeros(len(time), dtype=np.intp), time, event)


def kaplan_meier(durations: npt.ArrayLike, observed: npt.ArrayLike) -> pd.DataFrame:
    """Kaplan–Meier (product-limit) survival table of one sample.

    ``observed`` is True for an event (the job ended after ``durations``) and False for a right-censored
    observation (still running at that age). One row per distinct time, columns ``time``, ``at_risk``,
    ``events``, ``censored``, ``survival`` (S(t): the estimated share of jobs taking longer than ``time``).
    Censorings tied with events count as still at risk at that time.
    """
    steps = _single_group_steps(durations, observed)
    return pd.DataFrame(
        {
            "time": steps.time,
            "at_risk": steps.at_risk.astype(np.int64),
            "events": steps.events.astype(np.int64),
            "censored": steps.censored.astype(np.int64),
            "survival": steps.survival,
        }
    )


def _check_quantile(q: float) -> None:
    if not 0.0 < q <= 1.0:
        raise ValueError(f"q must be in (0, 1], got {q!r}")


def km_quantile(durations: npt.ArrayLike, observed: npt.ArrayLike, q: float) -> float:
    """Kaplan–Meier ``q`` quantile: the smallest time t with S(t) <= 1 - q.

    NaN when the estimate never falls that low (too many jobs still running, or censored, past that point).
    """
    _check_quantile(q)
    steps = _single_group_steps(durations, observed)
    return float(_first_time_at_or_below(steps, 1.0 - q, 1)[0])


@overload
def km_survival_at(durations: npt.ArrayLike, observed: npt.ArrayLike, t: float) -> float: ...
@overload
def km_survival_at(durations: npt.ArrayLike, observed: npt.ArrayLike, t: npt.NDArray[Any]) -> FloatArray: ...
def km_survival_at(
    durations: npt.ArrayLike, observed: npt.ArrayLike, t: float | npt.NDArray[Any]
) -> float | FloatArray:
    """Kaplan–Meier S(t): the estimated share of jobs taking longer than ``t`` (1.0 before the first event).

    Beyond the largest observation S stays at its last value. ``t`` may be a scalar or an array.
    """
    steps = _single_group_steps(durations, observed)
    query = np.asarray(t, dtype=np.float64).ravel()
    result = _step_value_at(steps, steps.survival, np.zeros(len(query), dtype=np.intp), query)
    return float(result[0]) if np.ndim(t) == 0 else result.reshape(np.shape(t))


# --- grouped statistics over a jobs frame -------------------------------------------------------------------


def group_keys(by: GroupKeys) -> list[str]:
    """Column names of a ``by`` argument: a name, a list of names, or None (no grouping)."""
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    return list(by)


def group_codes(keys: Sequence[pd.Series], n_rows: int) -> tuple[IntArray, pd.Index]:
    """Group number of every row and the index of the groups (sorted; only observed categories; NaN kept).

    No keys means one overall group labelled ``"all"``.
    """
    if not keys:
        return np.zeros(n_rows, dtype=np.intp), pd.Index(["all"])
    grouped = pd.Series(np.zeros(n_rows), index=keys[0].index).groupby(
        list(keys), observed=True, dropna=False, sort=True
    )
    return grouped.ngroup().to_numpy(dtype=np.intp), grouped.size().index


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


def duration_stats(
    df: pd.DataFrame, by: GroupKeys = "job_type", *, status: StatusSelection = "Completed"
) -> pd.DataFrame:
    """Duration summary per group, finished jobs plus a Kaplan–Meier view that counts running ones.

    ``count``, ``mean_s``, ``p50_s`` … ``p99_s`` (linear interpolation, pandas' default) and ``max_s``
    describe the jobs whose status is in ``status`` (default Completed; None = Completed and Failed) with a
    valid ``duration_s``. ``running`` counts the group's Running jobs; ``km_p50_s``/``km_p95_s`` are
    Kaplan–Meier quantiles with those finished jobs as events and the Running ones censored at their ``age_s``
    (NaN when not estimable). Other statuses are left out. One row per observed group, largest ``count``
    first (ties in group order); ``by=None`` gives one row labelled ``"all"``.
    """
    keys = group_keys(by)
    require_columns(df, [*keys, "status", "duration_s", "age_s"], func="duration_stats")
    codes, index = group_codes([df[key] for key in keys], len(df))
    n_groups = len(index)
    duration = _float_column(df, "duration_s")
    age = _float_column(df, "age_s")
    finished = status_mask(df["status"], selected_statuses(status)) & np.isfinite(duration)
    running = status_mask(df["status"], ["Running"])
    censored = running & np.isfinite(age)

    finished_durations = pd.Series(duration[finished]).groupby(codes[finished])
    steps = _events_and_censorings(codes, finished, duration, censored, age)
    stats = pd.DataFrame(
        {
            "count": _count_by_group(codes, finished, n_groups),
            "running": _count_by_group(codes, running, n_groups),
            "mean_s": _by_code(finished_durations.mean(), n_groups),
            **{name: _by_code(finished_durations.quantile(q), n_groups) for name, q in QUANTILES.items()},
            "max_s": _by_code(finished_durations.max(), n_groups),
            "km_p50_s": _first_time_at_or_below(steps, 0.50, n_groups),
            "km_p95_s": _first_time_at_or_below(steps, 0.05, n_groups),
        },
        index=index,
    )
    return stats.sort_values("count", ascending=False, kind="stable")


def stuck_jobs(
    df: pd.DataFrame, *, k: float = 3.0, min_history: int = 20, fallback_s: float = 86400.0
) -> pd.DataFrame:
    """Running jobs that have run far longer than jobs of their kind usually take.

    A Running job is stuck when ``age_s`` > ``threshold_s``: ``k`` × the P95 (linear) of the Completed
    durations of its ``job_type`` (``baseline_p95_s``), or ``fallback_s`` when that type has fewer than
    ``min_history`` Completed jobs (``baseline_p95_s`` is then NaN). ``km_share_longer`` is the Kaplan–Meier
    S(age): the share of jobs of that type estimated to run longer than this one has so far, with Completed
    jobs as events and the *other* Running jobs censored at their age. Keeps the input's index; most overdue
    (largest ``age_s / threshold_s``) first.
    """
    if not k > 0 or not fallback_s > 0 or min_history < 1:
        raise ValueError(
            f"need k > 0, fallback_s > 0, min_history >= 1; got {k=}, {fallback_s=}, {min_history=}"
        )
    require_columns(df, [*STUCK_IDENTITY_COLUMNS, "status", "duration_s", "age_s"], func="stuck_jobs")
    codes, _ = group_codes([df["job_type"]], len(df))
    n_groups = int(codes.max()) + 1 if len(codes) else 0
    duration = _float_column(df, "duration_s")
    age = _float_column(df, "age_s")
    completed = status_mask(df["status"], ["Completed"]) & np.isfinite(duration)
    running = status_mask(df["status"], ["Running"]) & np.isfinite(age)

    history = _count_by_group(codes, completed, n_groups)
    p95 = _by_code(pd.Series(duration[completed]).groupby(codes[completed]).quantile(0.95), n_groups)
    baseline = np.where(history >= min_history, p95, np.nan)
    threshold = np.where(history >= min_history, k * p95, fallback_s)

    run_codes, run_age = codes[running], age[running]
    steps = _events_and_censorings(codes, completed, duration, running, age)
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
