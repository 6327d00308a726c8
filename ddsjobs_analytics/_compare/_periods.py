"""What changed between two periods: failure rates and durations per group, with tests, intervals, verdicts.

A job belongs to a period by ``created``. Every (group, metric) pair gets an effect (``change``), its
interval, an exact or censoring-aware p-value, a Benjamini–Hochberg q-value over the whole call, and a
verdict that needs both evidence (q) and a meaningful size (``min_rate_change``/``min_ratio``). Groups with
too few jobs in either period are ``insufficient``, never judged. The statistics live in ``_compare_stats``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from .._core._calendar import TzLike, resolve_tz
from .._core._time import Moment, parse_moment
from .._frame import require_columns
from .._stats._durations import (
    FloatArray,
    GroupKeys,
    IntArray,
    group_codes,
    group_keys,
    km_quantile_ci,
    status_mask,
)
from .._stats._km import events_and_censorings, first_time_at_or_below
from ._stats import benjamini_hochberg, fisher_exact, logrank_test, mover_log_ratio, newcombe_interval

__all__ = [
    "METRICS",
    "VERDICTS",
    "compare_periods",
    "default_periods",
    "period_masks",
    "resolve_tz",
    "spans_periods",
]

Window = tuple[Moment, Moment]
Windows = Window | Sequence[Window]

METRICS: tuple[str, ...] = ("failure_rate", "duration_p50", "duration_p95")
VERDICTS: tuple[str, ...] = ("regressed", "improved", "unchanged", "insufficient")
_DURATION_QUANTILES = {"duration_p50": 0.50, "duration_p95": 0.95}
RESULT_COLUMNS = (
    "metric",
    "baseline",
    "current",
    "change",
    "ci_low",
    "ci_high",
    "p_value",
    "q_value",
    "n_baseline",
    "n_current",
    "verdict",
)


def _window(
    pair: Window, tz: dt.tzinfo, now: pd.Timestamp | None, what: str
) -> tuple[pd.Timestamp, pd.Timestamp]:
    if isinstance(pair, str) or not isinstance(pair, Sequence) or len(pair) != 2:
        raise ValueError(f"{what} must be a (start, end) pair, got {pair!r}")
    start = parse_moment(pair[0], now=now, naive_tz=tz, what=f"{what} start")
    end = parse_moment(pair[1], now=now, naive_tz=tz, what=f"{what} end")
    if not start < end:
        raise ValueError(f"{what}: start {start} is not before end {end}")
    return start, end


def _windows(value: Windows, tz: dt.tzinfo, what: str) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """One (start, end) pair, or several (e.g. the same hours of earlier weeks); UTC Timestamps."""
    is_pair = (
        isinstance(value, Sequence)
        and len(value) == 2
        and not any(isinstance(item, Sequence) and not isinstance(item, str) for item in value)
    )
    pairs: Sequence[Window] = [value] if is_pair else value  # type: ignore[list-item,assignment]
    if isinstance(pairs, str) or not isinstance(pairs, Sequence) or not pairs:
        raise ValueError(f"{what} must be a (start, end) pair or a list of them, got {value!r}")
    return [_window(pair, tz, None, what) for pair in pairs]


def period_masks(
    created: pd.Series, windows: Sequence[tuple[pd.Timestamp, pd.Timestamp]]
) -> npt.NDArray[np.bool_]:
    """Rows whose ``created`` lies in any of the [start, end) windows (missing ``created`` never does)."""
    instants = pd.to_datetime(created, utc=True)
    mask = np.zeros(len(created), dtype=bool)
    for start, end in windows:
        mask |= ((instants >= start) & (instants < end)).to_numpy(dtype=bool, na_value=False)
    return mask


def default_periods(
    df: pd.DataFrame,
    *,
    now: Moment | None = None,
    current: str | dt.timedelta = "7d",
    baseline: str | dt.timedelta = "28d",
) -> tuple[tuple[pd.Timestamp, pd.Timestamp], tuple[pd.Timestamp, pd.Timestamp]]:
    """``(current, baseline)`` windows: the last ``current`` before ``now``, and the ``baseline`` before that.

    ``now`` defaults to when the data was read: the newest ``observed_at`` (else the newest ``created``).
    """
    if now is None:
        column = (
            "observed_at" if "observed_at" in df.columns and df["observed_at"].notna().any() else "created"
        )
        require_columns(df, [column], func="default_periods")
        if not df[column].notna().any():
            raise ValueError("default_periods: the frame has no time to anchor 'now' on; pass now=")
        end = pd.Timestamp(df[column].max()).tz_convert("UTC").as_unit("us")
    else:
        end = parse_moment(now, what="default_periods: now")
    split = parse_moment(current, now=end, what="default_periods: current")
    start = parse_moment(baseline, now=split, what="default_periods: baseline")
    return (split, end), (start, split)


def spans_periods(df: pd.DataFrame, *, current: Windows, baseline: Windows, tz: TzLike = None) -> bool:
    """Whether the jobs' ``created`` times reach from the start of ``baseline`` into ``current``: the data
    covers both periods, so a comparison is meaningful (e.g. before adding a "What changed" section)."""
    require_columns(df, ["created"], func="spans_periods")
    zone = resolve_tz(tz)
    windows = [*_windows(current, zone, "spans_periods: current"), *_windows(baseline, zone, "spans_periods")]
    created = pd.to_datetime(df["created"], utc=True).dropna()
    if created.empty:
        return False
    first_start = min(start for start, _ in windows)
    last_start = max(start for start, _ in windows)
    return bool(created.min() <= first_start and created.max() >= last_start)


def _verdicts(
    change: FloatArray,
    low: FloatArray,
    high: FloatArray,
    q: FloatArray,
    sufficient: npt.NDArray[np.bool_],
    *,
    neutral: float,
    worse_at: float,
    better_at: float,
    fdr: float,
) -> npt.NDArray[np.object_]:
    """regressed: q <= fdr, change at or past ``worse_at`` and the interval excluding ``neutral``;
    improved: the mirror image; insufficient: too few jobs or no test; else unchanged."""
    significant = sufficient & (q <= fdr)
    worse = significant & (change >= worse_at) & (low > neutral)
    better = significant & (change <= better_at) & (high < neutral)
    verdict = np.full(len(change), "unchanged", dtype=object)
    verdict[worse] = "regressed"
    verdict[better] = "improved"
    verdict[~sufficient] = "insufficient"
    return verdict


def _rate_rows(
    codes: IntArray, in_current: npt.NDArray[np.bool_], status: pd.Series, n_groups: int, confidence: float
) -> dict[str, Any]:
    failed = status_mask(status, ["Failed"])
    decided = failed | status_mask(status, ["Completed"])

    def count(mask: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
        return np.bincount(codes[mask], minlength=n_groups).astype(np.int64)

    x1, n1 = count(failed & in_current), count(decided & in_current)
    x0, n0 = count(failed & ~in_current), count(decided & ~in_current)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate1, rate0 = x1 / n1, x0 / n0
    low, high = newcombe_interval(x1, n1, x0, n0, confidence)
    return {
        "baseline": rate0,
        "current": rate1,
        "change": rate1 - rate0,
        "ci_low": low,
        "ci_high": high,
        "p_value": fisher_exact(x1, n1, x0, n0),
        "n_baseline": n0,
        "n_current": n1,
    }


def _duration_rows(
    codes: IntArray,
    in_current: npt.NDArray[np.bool_],
    df: pd.DataFrame,
    n_groups: int,
    confidence: float,
    metrics: Sequence[str],
) -> dict[str, dict[str, Any]]:
    duration = df["duration_s"].to_numpy(dtype=np.float64, na_value=np.nan)
    age = df["age_s"].to_numpy(dtype=np.float64, na_value=np.nan)
    event = status_mask(df["status"], ["Completed"]) & np.isfinite(duration)
    censored = status_mask(df["status"], ["Running"]) & np.isfinite(age)
    used = event | censored
    time = np.where(event, duration, age)
    _, p_value = logrank_test(codes[used], in_current[used], time[used], event[used], n_groups)

    per_period = []
    for period in (~in_current, in_current):
        steps = events_and_censorings(codes, event & period, duration, censored & period, age)
        count = np.bincount(codes[used & period], minlength=n_groups).astype(np.int64)
        per_period.append((steps, count))
    rows = {}
    for metric in metrics:
        q = _DURATION_QUANTILES[metric]
        values = []
        for steps, _ in per_period:
            estimate = first_time_at_or_below(steps, 1.0 - q, n_groups)
            low, high = km_quantile_ci(steps, q, n_groups, confidence)
            values.append((estimate, low, high))
        (base, base_low, base_high), (cur, cur_low, cur_high) = values
        ratio, low, high = mover_log_ratio(cur, cur_low, cur_high, base, base_low, base_high)
        rows[metric] = {
            "baseline": base,
            "current": cur,
            "change": ratio,
            "ci_low": low,
            "ci_high": high,
            "p_value": p_value,
            "n_baseline": per_period[0][1],
            "n_current": per_period[1][1],
        }
    return rows


def compare_periods(
    df: pd.DataFrame,
    *,
    current: Windows,
    baseline: Windows,
    by: GroupKeys = "job_type",
    confidence: float = 0.95,
    fdr: float = 0.05,
    min_jobs: int = 20,
    min_rate_change: float = 0.02,
    min_ratio: float = 1.2,
    metrics: Sequence[str] = METRICS,
    tz: TzLike = None,
) -> pd.DataFrame:
    """One row per (group, metric) comparing the ``current`` period with the ``baseline`` one.

    ``current``/``baseline``: ``(start, end)`` pairs (or lists of pairs) of moments in any form the package
    reads; naive moments are read in ``tz`` (UTC when None). A job belongs to a period when its ``created``
    is in [start, end). Metrics: ``failure_rate`` (``change`` = current − baseline, Newcombe interval,
    Fisher's exact test) and ``duration_p50``/``duration_p95`` of Completed jobs, Running ones censored at
    their age (``change`` = current / baseline of the Kaplan–Meier quantiles, MOVER interval from the two
    Brookmeyer–Crowley intervals, log-rank test). ``q_value``: Benjamini–Hochberg over the tested rows of
    this call. ``verdict``: ``insufficient`` when fewer than ``min_jobs`` jobs in either period (or no
    estimate); ``regressed``/``improved`` when q <= ``fdr``, the interval excludes "no change" and the change
    is at least ``min_rate_change`` (absolute) or ``min_ratio`` (either way); else ``unchanged``. Rows:
    regressions first (smallest q first), then improvements, unchanged, insufficient.
    """
    keys = group_keys(by)
    unknown = [metric for metric in metrics if metric not in METRICS]
    if unknown or not metrics:
        raise ValueError(f"compare_periods: metrics must be among {list(METRICS)}, got {list(metrics)!r}")
    if not 0.0 < confidence < 1.0 or not 0.0 < fdr < 1.0:
        raise ValueError(f"compare_periods: confidence and fdr must be in (0, 1), got {confidence=}, {fdr=}")
    if min_jobs < 1 or min_rate_change < 0 or min_ratio < 1:
        raise ValueError(
            f"compare_periods: need min_jobs >= 1, min_rate_change >= 0, min_ratio >= 1; "
            f"got {min_jobs=}, {min_rate_change=}, {min_ratio=}"
        )
    require_columns(df, [*keys, "status", "created", "duration_s", "age_s"], func="compare_periods")
    zone = resolve_tz(tz)
    current_windows = _windows(current, zone, "compare_periods: current")
    baseline_windows = _windows(baseline, zone, "compare_periods: baseline")
    in_current = period_masks(df["created"], current_windows)
    in_baseline = period_masks(df["created"], baseline_windows)
    overlap = in_current & in_baseline
    if overlap.any():
        raise ValueError(f"compare_periods: current and baseline overlap ({int(overlap.sum())} jobs in both)")

    rows = df.loc[in_current | in_baseline]
    is_current = in_current[in_current | in_baseline]
    codes, index = group_codes([rows[key] for key in keys], len(rows))
    n_groups = len(index) if len(rows) else 0
    parts: dict[str, dict[str, Any]] = {}
    if "failure_rate" in metrics:
        parts["failure_rate"] = _rate_rows(codes, is_current, rows["status"], n_groups, confidence)
    duration_metrics = [metric for metric in metrics if metric in _DURATION_QUANTILES]
    if duration_metrics:
        parts.update(_duration_rows(codes, is_current, rows, n_groups, confidence, duration_metrics))

    frames = []
    for metric in metrics:
        part = pd.DataFrame(parts[metric])
        part.insert(0, "metric", metric)
        for position, key in enumerate(keys):
            labels = index.get_level_values(position) if isinstance(index, pd.MultiIndex) else index
            part.insert(position, key, labels[:n_groups])
        frames.append(part)
    result = pd.concat(frames, ignore_index=True) if n_groups else _empty_result(keys)
    return _judge(
        result, fdr=fdr, min_jobs=min_jobs, min_rate_change=min_rate_change, min_ratio=min_ratio
    ).pipe(
        _annotate,
        current=current_windows,
        baseline=baseline_windows,
        confidence=confidence,
        fdr=fdr,
        by=keys,
    )


def _empty_result(keys: list[str]) -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series(dtype=object) for column in [*keys, *RESULT_COLUMNS]})


def _judge(
    result: pd.DataFrame, *, fdr: float, min_jobs: int, min_rate_change: float, min_ratio: float
) -> pd.DataFrame:
    """Adds ``q_value`` and ``verdict`` and sorts the rows (see :func:`compare_periods`)."""
    n0 = result["n_baseline"].to_numpy(dtype=np.float64)
    n1 = result["n_current"].to_numpy(dtype=np.float64)
    change = result["change"].to_numpy(dtype=np.float64)
    p = result["p_value"].to_numpy(dtype=np.float64)
    sufficient = (n0 >= min_jobs) & (n1 >= min_jobs) & np.isfinite(change) & ~np.isnan(p)
    q = benjamini_hochberg(np.where(sufficient, p, np.nan))
    is_rate = (result["metric"] == "failure_rate").to_numpy(dtype=bool)
    low = result["ci_low"].to_numpy(dtype=np.float64)
    high = result["ci_high"].to_numpy(dtype=np.float64)
    verdict = np.where(
        is_rate,
        _verdicts(
            change,
            low,
            high,
            q,
            sufficient,
            neutral=0.0,
            worse_at=min_rate_change,
            better_at=-min_rate_change,
            fdr=fdr,
        ),
        _verdicts(
            change,
            low,
            high,
            q,
            sufficient,
            neutral=1.0,
            worse_at=min_ratio,
            better_at=1.0 / min_ratio,
            fdr=fdr,
        ),
    )
    result = result.assign(q_value=q, verdict=verdict)
    result["n_baseline"] = result["n_baseline"].astype("int64")
    result["n_current"] = result["n_current"].astype("int64")
    rank = pd.Series(verdict).map({name: i for i, name in enumerate(VERDICTS)}).to_numpy()
    keys = [column for column in result.columns if column not in RESULT_COLUMNS]
    # Ties (equal q and p) by group label and metric, so the order never depends on category order.
    labels = [" ".join(map(str, values)) for values in result[keys].itertuples(index=False)]
    label = np.unique(np.array(labels, dtype=str), return_inverse=True)[1] if keys else np.zeros(len(result))
    metric = result["metric"].map({name: i for i, name in enumerate(METRICS)}).to_numpy()
    order = np.lexsort((metric, label, np.nan_to_num(p, nan=2.0), np.nan_to_num(q, nan=2.0), rank))
    return result.iloc[order].reset_index(drop=True)[[*keys, *RESULT_COLUMNS]]


def _annotate(result: pd.DataFrame, **attrs: Any) -> pd.DataFrame:
    """Remember how the comparison was made (periods, confidence, fdr, by) for renderers and the chart."""
    result.attrs.update(attrs)
    return result
