"""Times without a UTC offset: which forms are read, and in which zone. One rule for every input format.

A naive time (``2026/11/30 21:17``, what Excel writes when it re-saves a CSV) is placed by, in order:

1. the ``utc_offset`` on its own row (minutes east of UTC, the jobs frame's unit: ``480`` is UTC+8;
   ``+0800``/``+08:00`` are read too);
2. else the zone the caller names: ``assume_tz=`` (``jobs_frame``, ``load_jobs``) or ``--assume-tz`` (CLI);
3. else the input is refused: :class:`NaiveTimeError`, one line naming the option. A zone is never guessed.

Forms read (besides the ISO forms with an offset that ``parse_api_times`` reads):
``yyyy-mm-dd[T ]hh:mm[:ss[.f]]``, ``yyyy/m/d h:mm[:ss]``, and ``d/m/yyyy`` or ``m/d/yyyy h:mm[:ss]``
(optionally ``AM``/``PM``). Day/month order is decided per input from its own values: a first number above
12 proves day-first, a second number above 12 month-first. An input where no value decides it, or where
values prove both, is refused (:class:`AmbiguousDateError`): ``05/11/2026`` could be 5 November or 11 May.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa

from ._codes import dictionary

__all__ = [
    "AmbiguousDateError",
    "NaiveTimeError",
    "Zone",
    "localize",
    "offset_minutes",
    "slash_order",
    "wall_times",
]

NAT = np.iinfo(np.int64).min
Order = Literal["dmy", "mdy"]
_TIME = r"(?:[Tt ]\s*(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:\s*([AaPp][Mm]))?)?"
_YMD = re.compile(r"(\d{4})([-/])(\d{1,2})\2(\d{1,2})" + _TIME)
_SLASH = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})" + _TIME)
_OFFSET_TEXT = re.compile(r"([+-])(\d{2}):?(\d{2})")
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


class NaiveTimeError(ValueError):
    """Times without a UTC offset, and neither a ``utc_offset`` on their row nor ``assume_tz`` to place
    them."""


class AmbiguousDateError(ValueError):
    """Slash dates whose day/month order the input's own values do not decide (or decide both ways)."""


@dataclass(frozen=True)
class Zone:
    """How naive times of one call are placed: per-row offsets (``known`` says where), else ``tz``."""

    minutes: np.ndarray  # int64 minutes east of UTC, per row
    known: np.ndarray  # bool: the row carries a usable utc_offset
    tz: dt.tzinfo | None


def offset_minutes(strings: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``utc_offset`` texts → (minutes, known, bad): integers (``480``, ``480.0``) or ``±hhmm``/``±hh:mm``; a
    value that is not a real offset (not a whole quarter hour, or outside −12:00…+14:00) is ``bad``."""
    minutes = np.zeros(len(strings), dtype=np.int64)
    known = np.zeros(len(strings), dtype=bool)
    bad = np.zeros(len(strings), dtype=bool)
    if strings.null_count == len(strings):  # API records carry no utc_offset: nothing to read
        return minutes, known, bad
    codes, uniques = dictionary(strings)  # a few distinct offsets: each parsed once
    parsed = [None if not text.strip() else _offset(text.strip()) for text in uniques]
    table = np.array([0 if p is None else p for p in parsed] + [0], dtype=np.int64)  # last: code −1
    is_known = np.array([p is not None for p in parsed] + [False])
    is_bad = np.array([p is None and bool(t.strip()) for p, t in zip(parsed, uniques, strict=True)] + [False])
    return table[codes], is_known[codes], is_bad[codes]


def _offset(text: str) -> int | None:
    match = _OFFSET_TEXT.fullmatch(text)
    if match:
        value = (int(match[2]) * 60 + int(match[3])) * (-1 if match[1] == "-" else 1)
    else:
        try:
            number = float(text)
        except ValueError:
            return None
        if number != number or number != int(number):
            return None
        value = int(number)
    return value if -720 <= value <= 840 and value % 15 == 0 else None


def slash_order(texts: Iterable[str | None], *, what: str) -> Order | None:
    """The day/month order the ``d/m/yyyy`` or ``m/d/yyyy`` values prove; None when there are none."""
    day_first = month_first = None
    seen = None
    for text in texts:
        match = _SLASH.fullmatch(text.strip()) if text else None
        if match is None:
            continue
        first, second = int(match[1]), int(match[2])
        seen = seen or text
        if first > 12 and second <= 12:
            day_first = day_first or text
        elif second > 12 and first <= 12:
            month_first = month_first or text
    if seen is None:
        return None
    if day_first and month_first:
        raise AmbiguousDateError(
            f"{what}: dates in both day/month orders ({day_first!r} and {month_first!r}); "
            "re-save the file with ISO times (yyyy-mm-dd hh:mm:ss)"
        )
    if not (day_first or month_first):
        raise AmbiguousDateError(
            f"{what}: the day/month order of {seen!r} is ambiguous and no value decides it; "
            "re-save the file with ISO times (yyyy-mm-dd hh:mm:ss)"
        )
    return "dmy" if day_first else "mdy"


def wall_times(texts: Sequence[str | None], order: Order | None) -> np.ndarray:
    """Wall-clock microseconds (as if UTC) of the naive forms above; NAT where a text is not one of them."""
    out = np.full(len(texts), NAT, dtype=np.int64)
    for row, text in enumerate(texts):
        if text:
            parsed = _wall(text.strip(), order)
            if parsed is not None:
                out[row] = parsed
    return out


def _wall(text: str, order: Order | None) -> int | None:
    match = _YMD.fullmatch(text)
    if match:
        year, month, day = int(match[1]), int(match[3]), int(match[4])
        clock = match.groups()[4:]
    else:
        match = _SLASH.fullmatch(text)
        if match is None or order is None:
            return None
        first, second, year = int(match[1]), int(match[2]), int(match[3])
        day, month = (first, second) if order == "dmy" else (second, first)
        clock = match.groups()[3:]
    hour, minute = int(clock[0] or 0), int(clock[1] or 0)
    second_, fraction, half = int(clock[2] or 0), clock[3] or "", clock[4]
    if half is not None:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half.lower() == "pm" else 0)
    if hour > 23 or minute > 59 or second_ > 59:
        return None
    try:
        days = dt.date(year, month, day).toordinal() - _EPOCH_ORDINAL
    except ValueError:
        return None
    micros = int(fraction[:6].ljust(6, "0")) if fraction else 0
    return (days * 86400 + hour * 3600 + minute * 60 + second_) * 1_000_000 + micros


def localize(wall: np.ndarray, tz: dt.tzinfo) -> tuple[np.ndarray, np.ndarray]:
    """(UTC µs, offset minutes) of wall-clock µs in ``tz``; NAT where the wall time does not exist or occurs
    twice there (a daylight-saving change)."""
    index = pd.DatetimeIndex(wall.view("datetime64[us]")).as_unit("us")
    placed = index.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
    utc = np.asarray(placed.tz_convert("UTC").tz_localize(None).as_unit("us").asi8, dtype=np.int64)
    utc = np.where(placed.isna(), NAT, utc)
    minutes = np.where(utc == NAT, 0, (wall - utc) // 60_000_000)
    return utc, minutes
