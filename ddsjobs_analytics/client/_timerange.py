"""Time arguments of ListTasks: parsing what users pass, the wire format, and the 30-day windows."""

from __future__ import annotations

import itertools
import math
from datetime import date, datetime, timedelta

import pandas as pd

from .._core._time import format_api_time, parse_moment

__all__ = ["API_TIME_FORMAT", "MAX_WINDOW", "format_api_time", "split_windows", "to_utc"]

# Numeric offset without a colon; always sent in UTC so "+0000" is the only offset on the wire.
API_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S+0000"
MAX_WINDOW = timedelta(days=30)

TimeLike = datetime | date | str | pd.Timestamp


def to_utc(value: TimeLike, name: str) -> datetime:
    """Aware UTC datetime from a datetime/Timestamp (naive = UTC), a date, an ISO string or an age ("7d")."""
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if not isinstance(value, (str, datetime)):  # pd.Timestamp is a datetime; a bare number is not a time here
        raise TypeError(f"{name} must be a datetime, date or string, got {type(value).__name__}")
    return parse_moment(value, what=name).to_pydatetime()


def _floor_second(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def _ceil_second(moment: datetime) -> datetime:
    return moment if moment.microsecond == 0 else moment.replace(microsecond=0) + timedelta(seconds=1)


def split_windows(
    start: datetime, end: datetime, max_span: timedelta = MAX_WINDOW
) -> list[tuple[datetime, datetime]]:
    """Consecutive windows of at most ``max_span`` covering ``[start, end]`` at whole-second resolution.

    The API's bounds are inclusive and it only knows whole seconds, so ``start`` is floored and ``end``
    ceiled; neighbouring windows share their boundary second, and the caller de-duplicates by job id the
    job created exactly then.
    """
    start, end = _floor_second(start), _ceil_second(end)
    if end <= start:
        raise ValueError(f"end ({format_api_time(end)}) must be later than start ({format_api_time(start)})")
    count = math.ceil((end - start) / max_span)
    bounds = [min(start + i * max_span, end) for i in range(count + 1)]
    return list(itertools.pairwise(bounds))
