"""The frame's time columns: API strings → UTC instants, with unusable and implausible times counted.

Parsing itself is :func:`~ddsjobs_analytics._core._time.parse_api_times`; this module applies the frame's
rules.
A time outside 1970–2100 (a sentinel like 9999, a typo'd year) is a counted data problem and NaT for
analysis: no duration, no chart axis stretched to year 1 or 9999. The archive keeps the record's raw text.
"""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pyarrow as pa

from .._core._time import FIRST_YEAR, LAST_YEAR, ParsedTimes, parse_api_times, parse_instant, plausible
from ._extract import dictionary, null_blanks
from ._quality import Problems

__all__ = ["NAT", "YEARS", "observed_at_argument", "observed_at_column", "time_column"]

NAT = np.iinfo(np.int64).min  # datetime64's NaT as an int64
YEARS = f"{FIRST_YEAR}–{LAST_YEAR}"


def time_column(strings: pa.Array, field: str, problems: Problems) -> ParsedTimes:
    """``created``/``ended`` strings parsed; unparseable and out-of-range values are NaT and counted."""
    times = parse_api_times(strings)
    problems.add("unparseable", field, np.flatnonzero(times.bad), strings)
    micros = times.utc.view(np.int64)  # a view: writing NaT here writes it in ``times.utc``
    outside = (micros != NAT) & ~plausible(micros)
    if outside.any():
        rows = np.flatnonzero(outside)
        problems.add("out of range", field, rows, strings)
        micros[rows] = NAT
        times.offset_minutes[rows] = 0
    return times


def observed_at_argument(observed_at: object) -> int:
    """The call's ``observed_at`` (default: now) as UTC microseconds; naive, unparseable or implausible:
    an error."""
    if observed_at is None:
        observed_at = datetime.now(timezone.utc)
    micros = parse_instant(observed_at)
    if micros is None:
        raise ValueError(
            "observed_at must be a timezone-aware datetime or an ISO time with a UTC offset, "
            f"got {observed_at!r}"
        )
    if not plausible(np.array([micros]))[0]:
        raise ValueError(f"observed_at must fall in {YEARS}, got {observed_at!r}")
    return micros


def observed_at_column(strings: pa.Array, default_us: int, problems: Problems) -> np.ndarray:
    """Per-record ``observed_at`` (few distinct values, parsed once each), else the call's value."""
    if strings.null_count == len(strings):
        return np.full(len(strings), default_us, dtype=np.int64)
    codes, uniques = dictionary(null_blanks(strings, strip=True))
    table = np.full(len(uniques) + 1, default_us, dtype=np.int64)  # last slot: code −1 (no value)
    junk, outside = [], []
    for i, unique in enumerate(uniques):
        micros = parse_instant(unique)
        table[i] = NAT if micros is None else micros
        if micros is None:
            junk.append(i)
        elif not plausible(np.array([micros]))[0]:
            table[i] = NAT
            outside.append(i)
    if junk:
        problems.add("unparseable", "observed_at", np.flatnonzero(np.isin(codes, junk)), strings)
    if outside:
        problems.add("out of range", "observed_at", np.flatnonzero(np.isin(codes, outside)), strings)
    return table[codes]
