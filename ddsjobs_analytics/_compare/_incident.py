"""An incident window against the same hours of the previous weeks, for post-mortems."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from .._core._time import Moment
from .._frame import require_columns
from .._stats._durations import GroupKeys
from ._periods import TzLike, _windows, compare_periods, resolve_tz
from ._reasons import new_fail_reasons

__all__ = ["IncidentComparison", "incident_comparison"]

_WEEK = pd.Timedelta(weeks=1)


@dataclass(frozen=True)
class IncidentComparison:
    """``changes``: :func:`compare_periods` of the window against the same hours of earlier weeks;
    ``new_fail_reasons``: templates seen in the window and in none of those weeks; the windows used (UTC)."""

    changes: pd.DataFrame
    new_fail_reasons: pd.DataFrame
    current: tuple[pd.Timestamp, pd.Timestamp]
    baseline: list[tuple[pd.Timestamp, pd.Timestamp]]


def incident_comparison(
    df: pd.DataFrame,
    *,
    start: Moment,
    end: Moment,
    instance: str | None = None,
    region: str | None = None,
    weeks: int = 4,
    by: GroupKeys = None,
    min_jobs: int = 10,
    tz: TzLike = None,
    **options: Any,
) -> IncidentComparison:
    """Compare the jobs created in [``start``, ``end``) with those created in the same hours 1 … ``weeks``
    weeks earlier (same weekday and time of day), optionally only of one ``instance`` (id or name) or
    ``region``. Weekly baselines follow the weekly rhythm of maintenance windows and backups. ``options``
    go to :func:`compare_periods` (``fdr``, ``confidence``, ``metrics``…); ``by=None`` compares the
    selection as a whole.
    """
    if isinstance(weeks, bool) or not isinstance(weeks, int) or weeks < 1:
        raise ValueError(f"incident_comparison: weeks must be a positive integer, got {weeks!r}")
    current = _windows((start, end), resolve_tz(tz), "incident_comparison")[0]
    if current[1] - current[0] > _WEEK:
        raise ValueError("incident_comparison: the window is longer than a week; use compare_periods")
    baseline = [(current[0] - k * _WEEK, current[1] - k * _WEEK) for k in range(1, weeks + 1)]
    selected = df
    if instance is not None:
        require_columns(df, ["instance_id", "instance_name"], func="incident_comparison")
        match = (df["instance_id"].astype(object) == instance) | (
            df["instance_name"].astype(object) == instance
        )
        selected = selected.loc[match.to_numpy(dtype=bool, na_value=False)]
    if region is not None:
        require_columns(df, ["region"], func="incident_comparison")
        selected = selected.loc[
            (selected["region"].astype(object) == region).to_numpy(dtype=bool, na_value=False)
        ]
    changes = compare_periods(
        selected, current=current, baseline=baseline, by=by, min_jobs=min_jobs, **options
    )
    reasons = new_fail_reasons(selected, current=current, baseline=baseline)
    return IncidentComparison(changes, reasons, current, baseline)
