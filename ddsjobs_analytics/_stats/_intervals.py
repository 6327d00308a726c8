"""When a job occupied its instance, and which jobs meet a time window (no drawing here).

The post-mortem, the report's focus window and the timeline chart share these rules, so a job counted
in a post-mortem table is the same job drawn on its timeline.
"""

from __future__ import annotations

import datetime as dt
import heapq
from typing import Any

import numpy as np
import pandas as pd

from .._core._names import TERMINAL_STATUSES
from .._core._time import parse_moment

__all__ = [
    "equals",
    "instance_labels",
    "job_finish",
    "open_ended",
    "overlapping",
    "pack",
    "parse_time",
    "select_instance",
]


def equals(values: pd.Series, value: str) -> pd.Series:
    """``values == value`` as plain booleans (missing never matches); a categorical is compared by its
    categories, not cast to strings row by row."""
    return (values == value).fillna(False).astype(bool)


def parse_time(value: Any, tz: dt.tzinfo, *, name: str, func: str) -> pd.Timestamp | None:
    """A UTC Timestamp from str/datetime/Timestamp/age (None stays None); naive values are read in ``tz``."""
    return None if value is None else parse_moment(value, naive_tz=tz, what=f"{func}: {name}")


def select_instance(data: pd.DataFrame, instance: str, *, func: str) -> pd.DataFrame:
    """The rows of one instance, given by id or by name; unknown → ValueError naming it."""
    by_id = equals(data["instance_id"], instance)
    rows = data[by_id] if by_id.any() else data[equals(data["instance_name"], instance)]
    if rows.empty:
        raise ValueError(
            f"{func}: instance {instance!r} is not in the data (neither an instance_id nor an instance_name)"
        )
    if not by_id.any() and rows["instance_id"].nunique() > 1:
        ids = ", ".join(sorted(rows["instance_id"].astype(str).unique()))
        raise ValueError(f"{func}: instance name {instance!r} is ambiguous ({ids}); pass the instance_id")
    return rows


def open_ended(data: pd.DataFrame) -> pd.Series:
    """Jobs without a verdict yet: Running, or an unknown status without ``ended``.

    A Completed/Failed job with a missing ``ended`` is not open: it did end, we just do not know when.
    """
    verdict = data["status"].isin(list(TERMINAL_STATUSES))
    return ((data["status"] == "Running") | (data["ended"].isna() & ~verdict)).fillna(False).astype(bool)


def job_finish(data: pd.DataFrame) -> pd.Series:
    """When each job stopped occupying its instance: ``ended``; ``observed_at`` for open-ended jobs;
    ``created`` for a finished job whose end is unknown (a point in time, not an open interval).
    """
    return data["ended"].where(~open_ended(data), data["observed_at"]).fillna(data["created"])


def overlapping(data: pd.DataFrame, start: pd.Timestamp | None, end: pd.Timestamp | None) -> pd.Series:
    """Jobs whose [created, finish] interval meets [start, end] (either bound may be open)."""
    mask = data["created"].notna()
    if end is not None:
        mask &= data["created"] <= end
    if start is not None:
        mask &= job_finish(data) >= start
    return mask


def instance_labels(data: pd.DataFrame) -> pd.Series:
    """``instance_name``, or ``name (id…)`` where a name is shared by several instances."""
    ids = data["instance_id"].astype("string").fillna("?")
    names = data["instance_name"].astype("string").fillna(ids)
    ids_per_name = ids.groupby(names).transform("nunique")
    return names.where(ids_per_name <= 1, names + " (" + ids.str.slice(0, 8) + "…)")


def pack(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, int]:
    """Sub-row of each interval so overlapping jobs in one lane never hide each other (greedy, by start)."""
    order = np.argsort(starts, kind="stable")
    rows = np.zeros(len(starts), dtype=int)
    free: list[tuple[float, int]] = []  # (end of the last job in the sub-row, sub-row)
    used = 0
    for index in order:
        if free and free[0][0] <= starts[index]:
            _end, row = heapq.heappop(free)
        else:
            row, used = used, used + 1
        rows[index] = row
        heapq.heappush(free, (ends[index], row))
    return rows, max(used, 1)
