"""How often each kind of DDS job fails, with Wilson score intervals so small groups are not over-read.

The rate's denominator is the jobs that reached a verdict (Completed + Failed): a Running job may still fail,
and an unknown status says nothing either way, so both are counted but kept out of the rate.
"""

from __future__ import annotations

from statistics import NormalDist
from typing import Any, overload

import numpy as np
import numpy.typing as npt
import pandas as pd

from .._core._calendar import TzLike, period_start
from .._frame import require_columns
from ._durations import FloatArray, GroupKeys, group_codes, group_keys, status_mask, time_levels

__all__ = ["failure_rates", "wilson_interval"]


@overload
def wilson_interval(successes: float, n: float, confidence: float = 0.95) -> tuple[float, float]: ...
@overload
def wilson_interval(
    successes: npt.NDArray[Any] | pd.Series, n: npt.NDArray[Any] | pd.Series, confidence: float = 0.95
) -> tuple[FloatArray, FloatArray]: ...
def wilson_interval(
    successes: float | npt.NDArray[Any] | pd.Series,
    n: float | npt.NDArray[Any] | pd.Series,
    confidence: float = 0.95,
) -> tuple[float, float] | tuple[FloatArray, FloatArray]:
    """Wilson score interval for a binomial proportion ``successes / n``; NaN where ``n`` is 0.

    Unlike the normal (Wald) interval it stays inside [0, 1] and does not collapse to a point at 0 or n
    successes, which matters for job types with a handful of runs. Element-wise over arrays.
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    x = np.asarray(successes, dtype=np.float64)
    total = np.asarray(n, dtype=np.float64)
    if np.any(total < 0) or np.any(x < 0) or np.any(x > total):
        raise ValueError("wilson_interval needs 0 <= successes <= n")
    z = NormalDist().inv_cdf(0.5 + confidence / 2.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = x / total
        z2_n = z * z / total
        center = (share + z2_n / 2.0) / (1.0 + z2_n)
        half_width = z / (1.0 + z2_n) * np.sqrt(share * (1.0 - share) / total + z2_n / (4.0 * total))
    # At 0 or n successes a bound is exactly 0 or 1; the float rounding around it (2.8e-17) is noise.
    low = np.where(x == 0, 0.0, np.clip(center - half_width, 0.0, 1.0))
    high = np.where(x == total, 1.0, np.clip(center + half_width, 0.0, 1.0))
    low = np.where(total > 0, low, np.nan)
    high = np.where(total > 0, high, np.nan)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high


def failure_rates(
    df: pd.DataFrame,
    by: GroupKeys = "job_type",
    *,
    freq: str | None = None,
    tz: TzLike = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Failure rate per group with a Wilson ``confidence`` interval.

    ``failure_rate`` = failed / (completed + failed); Running jobs and unknown statuses are counted
    (``running``, ``other``) but never enter the rate. ``freq`` (a calendar offset alias: ``"D"``, ``"W"``,
    ``"W-SUN"``, ``"MS"``, ``"6h"``, …) adds an outer index level ``period``: the start of the calendar period
    of ``created`` in ``tz`` (UTC when None; ``tz="Asia/Shanghai"`` makes ``"D"`` a Beijing day). Rows are
    worst first by ``ci_low`` (the rate we are confident the group at least has), then by ``failure_rate``;
    periods (and datetime ``by`` columns) in time order and worst first within each. Groups without a
    verdict (total 0) have NaN rates and come last.
    """
    keys = group_keys(by, func="failure_rates")
    require_columns(df, [*keys, "status", *(["created"] if freq is not None else [])], func="failure_rates")
    key_series = [df[key] for key in keys]
    if freq is not None:
        key_series.insert(0, period_start(df["created"], freq, tz))
    codes, index = group_codes(key_series, len(df))
    n_groups = len(index)

    def count(statuses: list[str]) -> npt.NDArray[np.int64]:
        return np.bincount(codes[status_mask(df["status"], statuses)], minlength=n_groups).astype(np.int64)

    completed, failed, running = count(["Completed"]), count(["Failed"]), count(["Running"])
    other = np.bincount(codes, minlength=n_groups).astype(np.int64) - completed - failed - running
    total = completed + failed
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = failed / total
    low, high = wilson_interval(failed, total, confidence)
    rates = pd.DataFrame(
        {
            "completed": completed,
            "failed": failed,
            "running": running,
            "other": other,
            "total": total,
            "failure_rate": rate,
            "ci_low": low,
            "ci_high": high,
        },
        index=index,
    )
    # Periods (and any datetime ``by`` column) in time order, then worst first within each.
    times = time_levels(index)
    sort_keys = pd.DataFrame({f"_t{i}": index.get_level_values(level) for i, level in enumerate(times)})
    sort_keys["ci_low"], sort_keys["failure_rate"] = low, rate
    order = sort_keys.sort_values(
        list(sort_keys.columns),
        ascending=[True] * len(times) + [False, False],
        na_position="last",
        kind="stable",
    ).index
    return rates.iloc[order]
