"""The Kaplan–Meier product-limit estimator, for several groups at once and for one sample.

A job that has been running for 3 h will take *at least* 3 h: a right-censored observation. The estimator
uses such jobs without guessing when they will end. Everything here is numpy on sorted (group, time) steps,
so every group of a frame is fitted in one pass; :mod:`._durations` builds the per-group tables on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist
from typing import Any, overload

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = ["kaplan_meier", "km_quantile", "km_quantile_ci", "km_survival_at", "survival_band"]

FloatArray = npt.NDArray[np.floating[Any]]
IntArray = npt.NDArray[np.integer[Any]]

# Survival is a running product of floats: 7/8 · 6/7 · 5/6 · 4/5 may land a hair above 0.5. A survival
# within this distance of the target counts as reaching it, so the KM median of 8 uncensored jobs is the 4th.
SURVIVAL_TOLERANCE = 1e-10


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


def events_and_censorings(
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


def first_time_at_or_below(steps: _Steps, survival: float, n_groups: int) -> FloatArray:
    """Per group, the smallest step time whose survival is <= ``survival``; NaN when never reached."""
    return first_time_where_at_or_below(steps, steps.survival, survival, n_groups)


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


def _greenwood_sum(steps: _Steps) -> FloatArray:
    """Per group, the running Greenwood sum Σ dᵢ / (nᵢ (nᵢ − dᵢ)) (inf once every job at risk has ended)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(
            steps.events == 0, 0.0, steps.events / (steps.at_risk * (steps.at_risk - steps.events))
        )
    return pd.Series(term).groupby(steps.group, sort=False).cumsum().to_numpy(dtype=np.float64)


def survival_band(steps: _Steps, z: float) -> tuple[FloatArray, FloatArray]:
    """Pointwise (lower, upper) confidence band of S at every step: Greenwood's variance on the log(−log)
    scale ("exponential Greenwood", as lifelines reports it): S ** exp(∓ z·√V / log S), V the Greenwood sum.

    Where S = 1 (no event yet) the band is [1, 1]; where S = 0 it is [0, 0] (the limits of the formula).
    """
    survival = steps.survival
    greenwood = _greenwood_sum(steps)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_s = np.log(survival)
        spread = z * np.sqrt(greenwood) / log_s
        lower = np.exp(-np.exp(np.log(-log_s) - spread))
        upper = np.exp(-np.exp(np.log(-log_s) + spread))
    at_one = survival >= 1.0
    at_zero = survival <= 0.0
    lower = np.where(at_one, 1.0, np.where(at_zero, 0.0, lower))
    upper = np.where(at_one, 1.0, np.where(at_zero, 0.0, upper))
    return lower, upper


def first_time_where_at_or_below(
    steps: _Steps, values: FloatArray, level: float, n_groups: int
) -> FloatArray:
    """Per group, the smallest step time whose ``values`` (a step function such as a survival band) are
    <= ``level``; NaN when never reached."""
    reached = values <= level + SURVIVAL_TOLERANCE
    groups, first = np.unique(steps.group[reached], return_index=True)
    result = np.full(n_groups, np.nan)
    result[groups] = steps.time[reached][first]
    return result


def km_quantile_ci(
    steps: _Steps, q: float, n_groups: int, confidence: float
) -> tuple[FloatArray, FloatArray]:
    """Brookmeyer–Crowley interval of the KM ``q`` quantile per group: the times where the log(−log)
    Greenwood band of S first reaches 1 − q (lower band → low end, upper band → high end; NaN = unbounded)."""
    z = NormalDist().inv_cdf(0.5 + confidence / 2.0)
    lower, upper = survival_band(steps, z)
    return (
        first_time_where_at_or_below(steps, lower, 1.0 - q, n_groups),
        first_time_where_at_or_below(steps, upper, 1.0 - q, n_groups),
    )


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
    return float(first_time_at_or_below(steps, 1.0 - q, 1)[0])


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
