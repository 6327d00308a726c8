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

from ._durations import FloatArray, GroupKeys, group_codes, group_keys, status_mask
from ._format import Formats
from ._frame import require_columns

__all__ = ["FAILURE_RATE_FORMATS", "failure_rates", "wilson_interval"]

# How the columns of a failure_rates table are shown (see _format.ColumnFormat).
FAILURE_RATE_FORMATS: Formats = {
    **dict.fromkeys(("completed", "failed", "running", "other", "total"), "count"),
    **dict.fromkeys(("failure_rate", "ci_low", "ci_high"), "percent"),
}

# ``freq`` → the numpy calendar unit its periods are floored to. Computed on datetime64[us] directly: pandas'
# Period.start_time is nanoseconds in pandas 2.2 (so years outside 1677–2262 raised, and the level's dtype
# differed between versions), and offset aliases (``MS``, ``ME``, ``W``) changed between pandas 2.2 and 3.
PERIOD_FREQUENCIES: dict[str, str] = {
    "h": "h",
    "D": "D",
    "W": "W",  # weeks Monday–Sunday, labelled by their Monday
    "MS": "M",
    "ME": "M",
    "M": "M",
    "QS": "Q",
    "QE": "Q",
    "Q": "Q",
    "YS": "Y",
    "YE": "Y",
    "Y": "Y",
}
_MONDAY_OFFSET = 3  # 1970-01-01, day 0, was a Thursday: (day + 3) % 7 is the days since Monday


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
    # At 0 or n successes a bound is exactly 0 or 1 in theory; clip the float rounding around it.
    low = np.clip(center - half_width, 0.0, 1.0)
    high = np.clip(center + half_width, 0.0, 1.0)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high


def period_start(created: pd.Series, freq: str) -> pd.Series:
    """Start (UTC Timestamp, µs) of the UTC calendar period of each ``created``; named ``period``."""
    try:
        unit = PERIOD_FREQUENCIES[freq]
    except KeyError:
        raise ValueError(f"freq must be one of {sorted(PERIOD_FREQUENCIES)}, got {freq!r}") from None
    utc = pd.to_datetime(created, utc=True)
    instants = utc.dt.tz_localize(None).to_numpy(dtype="datetime64[us]")
    missing = np.isnat(instants)
    if unit == "W":
        days = instants.astype("datetime64[D]").astype(np.int64)
        start = (days - (days + _MONDAY_OFFSET) % 7).astype("datetime64[D]")
    elif unit == "Q":
        months = instants.astype("datetime64[M]").astype(np.int64)  # months since 1970-01
        start = (months - months % 3).astype("datetime64[M]")
    else:
        start = instants.astype(f"datetime64[{unit}]")
    start = start.astype("datetime64[us]")
    start[missing] = np.datetime64("NaT")
    return pd.Series(
        pd.array(start, dtype=pd.DatetimeTZDtype(unit="us", tz="UTC")), index=created.index, name="period"
    )


def failure_rates(
    df: pd.DataFrame, by: GroupKeys = "job_type", *, freq: str | None = None, confidence: float = 0.95
) -> pd.DataFrame:
    """Failure rate per group with a Wilson ``confidence`` interval.

    ``failure_rate`` = failed / (completed + failed); Running jobs and unknown statuses are counted
    (``running``, ``other``) but never enter the rate. ``freq`` (``"D"``, ``"W"``, ``"MS"``, …) adds an
    outer index level ``period`` (start of the UTC calendar period of ``created``). Rows are worst first by
    ``ci_low`` (the rate we are confident the group at least has), then by ``failure_rate``; with ``freq``,
    periods in time order and worst first within each. Groups without a verdict (total 0) have NaN rates and
    come last.
    """
    keys = group_keys(by)
    require_columns(df, [*keys, "status", *(["created"] if freq is not None else [])], func="failure_rates")
    key_series = [df[key] for key in keys]
    if freq is not None:
        key_series.insert(0, period_start(df["created"], freq))
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
    sort_keys = pd.DataFrame({"ci_low": low, "failure_rate": rate})
    if freq is not None:
        sort_keys.insert(0, "period", index.get_level_values("period"))
    order = sort_keys.sort_values(
        list(sort_keys.columns),
        ascending=[True, False, False] if freq is not None else [False, False],
        na_position="last",
        kind="stable",
    ).index
    return rates.iloc[order]
