"""The one place times are read and written: user moments, the API's time strings, the API's format.

- :func:`parse_moment` reads what users pass (``"30d"`` ages, ``"now"``, ISO strings, datetimes): the
  CLI's ``--since``, the archive's ``load(start=…)``/``sync(since=…)``, the client's and the charts'
  ``start``/``end`` all accept the same spellings.
- :func:`parse_api_times` reads the task center's time strings, vectorised (``jobs_frame``, the simulator).
- :func:`format_api_time` writes the API's ``yyyy-mm-ddThh:mm:ss+hhmm`` (the client, the sample fleet).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import overload

import numpy as np
import pandas as pd
import pyarrow as pa

__all__ = [
    "FIRST_YEAR",
    "LAST_YEAR",
    "Moment",
    "ParsedTimes",
    "format_api_time",
    "parse_age",
    "parse_api_times",
    "parse_instant",
    "parse_moment",
    "plausible",
    "utcnow",
]

Moment = dt.datetime | pd.Timestamp | str | dt.timedelta

_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([wdhms])\s*$", re.IGNORECASE)
_UNITS = {
    "w": dt.timedelta(weeks=1),
    "d": dt.timedelta(days=1),
    "h": dt.timedelta(hours=1),
    "m": dt.timedelta(minutes=1),
    "s": dt.timedelta(seconds=1),
}


def utcnow() -> pd.Timestamp:
    return pd.Timestamp.now(tz="UTC").as_unit("us")


def parse_age(value: object) -> dt.timedelta | None:
    """An age: ``"30d"``, ``"12h"``, ``"90m"``, ``"2w"``, ``"1.5d"``, ``"45s"`` or a timedelta; else None."""
    if isinstance(value, dt.timedelta):
        return value
    if isinstance(value, str):
        match = _AGE.match(value)
        if match:
            return float(match[1]) * _UNITS[match[2].lower()]
    return None


def parse_moment(
    value: Moment,
    *,
    now: dt.datetime | pd.Timestamp | None = None,
    naive_tz: dt.tzinfo = dt.timezone.utc,
    what: str = "time",
) -> pd.Timestamp:
    """A UTC instant (µs) from an age before ``now``, ``"now"``, ``"today"`` or a time; naive times (and
    ``"today"``'s midnight) are read in ``naive_tz``.

    ``what`` names the argument in the error message (e.g. ``"plot_timeline: start"``).
    """
    age = parse_age(value)
    word = value.strip().lower() if isinstance(value, str) else None
    if age is not None or word in ("now", "today"):
        reference = utcnow() if now is None else pd.Timestamp(now)
        if reference.tzinfo is None:
            reference = reference.tz_localize("UTC")
        reference = reference.tz_convert("UTC")
        if word == "today":  # midnight of the reference's date in naive_tz (pd.Timestamp("today") is local)
            return reference.tz_convert(naive_tz).normalize().tz_convert("UTC").as_unit("us")
        return (reference - (age or dt.timedelta(0))).as_unit("us")
    try:
        moment = pd.Timestamp(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what}={value!r} is neither a time nor an age like '30d' or '12h'") from exc
    if moment is pd.NaT:
        raise ValueError(f"{what}={value!r} is not a time")
    moment = moment.tz_localize(naive_tz) if moment.tzinfo is None else moment
    return moment.tz_convert("UTC").as_unit("us")


# --------------------------------------------------------------------------------------------- API strings

# Times the analysis accepts: anything outside is a data problem (a typo'd year, a sentinel like 9999),
# not an instant to plot or to measure a duration against.
FIRST_YEAR, LAST_YEAR = 1970, 2100
_NAT = np.iinfo(np.int64).min  # datetime64's NaT as an int64
_STRING_TYPE = pa.large_string()


@dataclass
class ParsedTimes:
    """Result of :func:`parse_api_times`: UTC instants, offsets as written, which values were unusable."""

    utc: np.ndarray  # datetime64[us], NaT where missing or bad
    offset_minutes: np.ndarray  # int16 minutes east of UTC; 0 where utc is NaT
    missing: np.ndarray  # bool: value absent, None or ""
    bad: np.ndarray  # bool: value present but not an ISO time with a UTC offset


# Fast forms by length: 24 = documented "2026-11-02T10:00:00+0800", 25 = "+08:00", 20 = "Z".
_FAST_LENGTHS = (24, 25, 20)
_API_LENGTH = 24
_DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
_SLOW_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
    r"\s*(Z|z|[+-]\d{2}(?::?\d{2})?)"
)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_EPOCH_ORDINAL = _EPOCH.toordinal()


def _is_missing(value: object) -> bool:
    return value is None or value == "" or (isinstance(value, float) and value != value)


def parse_api_times(values: Sequence[object] | pa.Array, *, strict: bool = False) -> ParsedTimes:
    """Parse ISO-8601 times with a UTC offset to UTC microseconds, vectorised for the fixed-width forms.

    Times without an offset are rejected (``bad``): the task center always sends one, and guessing a zone
    would silently shift every duration computed against a correctly zoned time. ``strict`` accepts only
    the API's own ``yyyy-mm-ddThh:mm:ss+hhmm`` (what the simulator demands of a client).
    """
    n = len(values)
    utc = np.full(n, _NAT, dtype=np.int64)
    offsets = np.zeros(n, dtype=np.int16)
    bad = np.zeros(n, dtype=bool)
    if isinstance(values, pa.Array):
        strings = values.cast(_STRING_TYPE)
    else:
        bad[[row for row, v in enumerate(values) if not (isinstance(v, str) or _is_missing(v))]] = True
        strings = pa.array([v if isinstance(v, str) else None for v in values], type=_STRING_TYPE)
    ends = np.frombuffer(strings.buffers()[1], dtype=np.int64, count=n + 1, offset=strings.offset * 8)
    lengths = np.diff(ends)
    todo = lengths > 0  # null and "" have length 0
    missing = ~todo & ~bad
    data = strings.buffers()[2]
    for width in (_API_LENGTH,) if strict else _FAST_LENGTHS:
        rows = np.flatnonzero(lengths == width)
        if rows.size == 0:
            continue
        if rows.size == n:  # all one width: the data buffer is already an (n, width) matrix
            matrix = np.frombuffer(data, dtype=np.uint8, count=n * width, offset=int(ends[0])).reshape(
                n, width
            )
        else:
            taken = strings.take(pa.array(rows))
            start = int(
                np.frombuffer(taken.buffers()[1], dtype=np.int64, count=1, offset=taken.offset * 8)[0]
            )
            matrix = np.frombuffer(
                taken.buffers()[2], dtype=np.uint8, count=rows.size * width, offset=start
            ).reshape(rows.size, width)
        ok, micros, minutes = _parse_fixed_width(matrix)
        good = rows[ok]
        utc[good] = micros[ok]
        offsets[good] = minutes[ok]
        todo[good] = False
    for row in np.flatnonzero(todo).tolist():
        text = strings[row].as_py().strip()
        parsed = None if strict else _parse_one(text)
        if parsed is None:
            bad[row] = bool(text) or strict
            missing[row] = not bad[row]
        else:
            utc[row], offsets[row] = parsed
    return ParsedTimes(utc.view("datetime64[us]"), offsets, missing, bad)


def _fixed_width_layout(width: int) -> tuple[list[int], list[int], bytes]:
    """Digit columns, separator columns and separator bytes of one fixed-width form (``_FAST_LENGTHS``)."""
    digits = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]
    separators, expected = [4, 7, 10, 13, 16], b"--T::"
    if width == 24:  # +hhmm
        digits += [20, 21, 22, 23]
    elif width == 25:  # +hh:mm
        digits += [20, 21, 23, 24]
        separators, expected = [*separators, 22], expected + b":"
    else:  # Z
        separators, expected = [*separators, 19], expected + b"Z"
    return digits, separators, expected


_LAYOUTS = {width: _fixed_width_layout(width) for width in _FAST_LENGTHS}


def _parse_fixed_width(b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate and convert an (n, width) byte matrix of one fixed-width time form.

    Returns (ok, UTC microseconds, offset minutes). Checks every separator, digit and range the way
    ``datetime.strptime(s, "%Y-%m-%dT%H:%M:%S%z")`` does, so rejected rows can go to the slow path.
    """
    digit_columns, separator_columns, separators = _LAYOUTS[b.shape[1]]
    digits = b[:, digit_columns] - np.uint8(48)  # bytes below '0' wrap around to > 9
    ok = (digits <= 9).all(axis=1)
    ok &= (b[:, separator_columns] == np.frombuffer(separators, dtype=np.uint8)).all(axis=1)
    # Two-digit groups: century, year in century, month, day, hour, minute, second[, tz hours, tz minutes].
    pairs = digits[:, 0::2].astype(np.int32) * 10 + digits[:, 1::2]
    year = pairs[:, 0] * 100 + pairs[:, 1]
    month, day, hour, minute, second = (pairs[:, i] for i in range(2, 7))
    if pairs.shape[1] == 9:
        sign = b[:, 19]
        ok &= (sign == ord("+")) | (sign == ord("-"))
        ok &= (pairs[:, 7] <= 23) & (pairs[:, 8] <= 59)
        tz_minutes = np.where(sign == ord("-"), -1, 1) * (pairs[:, 7] * 60 + pairs[:, 8])
    else:
        tz_minutes = np.zeros(len(b), dtype=np.int32)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_days = _DAYS_IN_MONTH[np.clip(month, 1, 12) - 1] + (leap & (month == 2))
    ok &= (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= month_days)
    ok &= (hour <= 23) & (minute <= 59) & (second <= 59)
    seconds = _days_from_civil(year, month, day).astype(np.int64) * 86400
    seconds += hour * 3600 + minute * 60 + second - tz_minutes * 60
    return ok, seconds * 1_000_000, tz_minutes.astype(np.int16)


def _days_from_civil(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm), for years ≥ 1."""
    y = year - (month <= 2)
    era = y // 400
    year_of_era = y - era * 400
    day_of_year = (153 * (month + np.where(month > 2, -3, 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


def _parse_one(text: str) -> tuple[int, int] | None:
    """(UTC microseconds, offset minutes) of one ISO time with an offset, or None; the slow path."""
    match = _SLOW_TIME.fullmatch(text.strip())
    if match is None:
        return None
    year, month, day, hour, minute = (int(match[i]) for i in range(1, 6))
    second = int(match[6] or 0)
    micros = int((match[7] or "")[:6].ljust(6, "0"))
    zone = match[8]
    tz_minutes = 0
    if zone not in ("Z", "z"):
        tz_hours, tz_mins = int(zone[1:3]), int(zone[-2:]) if len(zone) > 3 else 0
        if tz_hours > 23 or tz_mins > 59:
            return None
        tz_minutes = (-1 if zone[0] == "-" else 1) * (tz_hours * 60 + tz_mins)
    if hour > 23 or minute > 59 or second > 59:
        return None
    try:
        days = dt.date(year, month, day).toordinal() - _EPOCH_ORDINAL
    except ValueError:
        return None
    seconds = days * 86400 + hour * 3600 + minute * 60 + second - tz_minutes * 60
    return seconds * 1_000_000 + micros, tz_minutes


def parse_instant(value: object) -> int | None:
    """One instant (ISO string with an offset, aware datetime/Timestamp) as UTC microseconds, else None."""
    if isinstance(value, str):
        parsed = _parse_one(value)
        return None if parsed is None else parsed[0]
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            return None
        delta = value - _EPOCH  # a timedelta, or a pandas Timedelta for a Timestamp: same attributes
        return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
    return None


def plausible(micros: np.ndarray) -> np.ndarray:
    """Which UTC microseconds fall in the years :data:`FIRST_YEAR`–:data:`LAST_YEAR` (NaT: False)."""
    low, high = (
        np.datetime64(f"{year}-01-01", "us").astype(np.int64) for year in (FIRST_YEAR, LAST_YEAR + 1)
    )
    return (micros >= low) & (micros < high)


# --------------------------------------------------------------------------------------------- formatting


@overload
def format_api_time(moment: dt.datetime, offset_min: int = 0) -> str: ...
@overload
def format_api_time(moment: np.ndarray | Sequence[int], offset_min: np.ndarray | int) -> list[str]: ...
def format_api_time(
    moment: dt.datetime | np.ndarray | Sequence[int], offset_min: np.ndarray | int = 0
) -> str | list[str]:
    """The API's ``yyyy-mm-ddThh:mm:ss+hhmm`` (reference §2): of one aware datetime (default in UTC,
    ``+0000``, as the client sends), or of an array of epoch seconds, each in its offset (minutes east)."""
    if isinstance(moment, dt.datetime):
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"format_api_time needs a timezone-aware datetime, got {moment!r}")
        epoch = (moment - _EPOCH) // dt.timedelta(seconds=1)
        return format_api_time(np.array([epoch]), np.array([int(offset_min)]))[0]
    epoch_s = np.asarray(moment, dtype=np.int64)
    offsets = np.broadcast_to(np.asarray(offset_min, dtype=np.int64), epoch_s.shape)
    local = np.datetime_as_string((epoch_s + offsets * 60).astype("datetime64[s]"), unit="s")
    suffixes = {m: f"{'+' if m >= 0 else '-'}{abs(m) // 60:02d}{abs(m) % 60:02d}" for m in np.unique(offsets)}
    return [f"{text}{suffixes[m]}" for text, m in zip(local.tolist(), offsets.tolist(), strict=True)]
