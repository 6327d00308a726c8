"""Calendar periods in a time zone: one rule for every function that buckets jobs by day, week or month.

Frames hold UTC instants. A "day" is a calendar day *somewhere*: a Beijing operator's day runs 16:00–16:00
UTC. So the zone is an argument (``tz=``), read by :func:`resolve_tz`; bucketing happens on local wall time,
and the period labels are tz-aware starts in that zone (``2026-11-02 00:00+08:00``). With no ``tz`` it is UTC.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import zoneinfo
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.tseries import offsets
from pandas.tseries.frequencies import to_offset

__all__ = ["TzLike", "period_start", "resolve_tz", "tz_label"]

TzLike = str | dt.tzinfo | None

_FIXED_OFFSET = re.compile(r"^(?:UTC|GMT)?\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)
# Offset aliases that pandas 3 dropped or renamed; accepted so both versions read the same spelling.
_LEGACY_ALIASES = {"M": "MS", "Q": "QS", "Y": "YS", "A": "YS", "AS": "YS", "H": "h", "T": "min", "S": "s"}
_MONDAY_OFFSET = 3  # 1970-01-01, day 0, was a Thursday: (day + 3) % 7 is the days since Monday


def _local_zone() -> dt.tzinfo:
    """The machine's zone as an IANA zone when it can be named (so DST is right), else its current offset."""
    for key in (os.environ.get("TZ", "").lstrip(":"), _localtime_key()):
        if key:
            try:
                return zoneinfo.ZoneInfo(key)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                continue
    local = dt.datetime.now().astimezone().tzinfo
    return local if local is not None else dt.timezone.utc


def _localtime_key() -> str:
    try:
        target = str(Path("/etc/localtime").resolve())
    except OSError:
        return ""
    marker = "zoneinfo/"
    return target.split(marker, 1)[1] if marker in target else ""


def resolve_tz(tz: TzLike) -> dt.tzinfo:
    """A tzinfo from ``tz``: None (UTC), an IANA name (``"Asia/Shanghai"``), a fixed offset (``"+08:00"``,
    ``"UTC+8"``, ``"-0530"``), ``"UTC"``, ``"local"`` (this machine's zone) or a tzinfo object."""
    if tz is None:
        return dt.timezone.utc
    if isinstance(tz, dt.tzinfo):
        return tz
    if not isinstance(tz, str):
        kind = type(tz).__name__
        raise TypeError(f"tz must be a time zone name, an offset like '+08:00' or a tzinfo; got {kind}")
    text = tz.strip()
    if text.upper() in ("UTC", "Z", "GMT"):
        return dt.timezone.utc
    if text.lower() == "local":
        return _local_zone()
    match = _FIXED_OFFSET.match(text)
    if match:
        sign, hours, minutes = match[1], int(match[2]), int(match[3] or 0)
        if hours > 14 or minutes > 59:
            raise ValueError(f"tz={tz!r} is not a valid UTC offset (at most ±14:00)")
        delta = dt.timedelta(hours=hours, minutes=minutes) * (-1 if sign == "-" else 1)
        return dt.timezone(delta) if delta else dt.timezone.utc
    try:
        return zoneinfo.ZoneInfo(text)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {tz!r}: use an IANA name like 'Asia/Shanghai', an offset like '+08:00' "
            "or 'UTC+8', 'UTC', or 'local'"
        ) from None


def tz_label(tz: dt.tzinfo) -> str:
    """A short human name of a zone for axis labels and headers: ``Asia/Shanghai``, ``UTC+08:00``, ``UTC``."""
    key = getattr(tz, "key", None) or getattr(tz, "zone", None)
    if key:
        return str(key)
    name = tz.tzname(None)
    return "UTC" if name in (None, "UTC", "UTC+00:00") else str(name)


def _offset_of(freq: str) -> offsets.BaseOffset:
    text = freq.strip()
    try:
        return to_offset(_LEGACY_ALIASES.get(text, text))
    except (ValueError, TypeError):
        raise ValueError(
            f"freq={freq!r} is not a calendar frequency: use e.g. 'h', '15min', 'D', 'W' (Monday weeks), "
            "'W-SUN', 'MS', 'QS', 'YS' or a multiple of a fixed span like '6h'"
        ) from None


def _floor_local(wall: np.ndarray, offset: offsets.BaseOffset, freq: str) -> np.ndarray:
    """Start (local wall time, datetime64[us]) of the calendar period of each local wall time."""
    n = offset.n
    # pandas 3 made Day a calendar offset rather than a Tick; both are a fixed 24 h of local wall time here.
    if isinstance(offset, (offsets.Tick, offsets.Day)):
        step_us = (
            n * 86_400_000_000 if isinstance(offset, offsets.Day) else pd.Timedelta(offset).value // 1000
        )
        if step_us <= 0:
            raise ValueError(f"freq={freq!r} must be a positive span")
        # Fixed spans are counted from 1970-01-01 00:00 local wall time (so "D" is the local calendar day).
        return (wall.astype(np.int64) // step_us * step_us).astype("datetime64[us]")
    if n != 1:
        raise ValueError(f"freq={freq!r}: multiples are supported only for fixed spans (h, min, s, D)")
    days = wall.astype("datetime64[D]").astype(np.int64)
    months = wall.astype("datetime64[M]").astype(np.int64)  # months since 1970-01
    if isinstance(offset, offsets.Week):
        # W-SUN (pandas' "W") is a week *ending* on Sunday, so it starts on Monday; W-xxx the day after xxx.
        weekday = getattr(offset, "weekday", None)
        start_weekday = (6 if weekday is None else int(weekday)) + 1
        since_start = (days + _MONDAY_OFFSET - start_weekday % 7) % 7
        return (days - since_start).astype("datetime64[D]").astype("datetime64[us]")
    if isinstance(offset, (offsets.MonthBegin, offsets.MonthEnd)):
        return months.astype("datetime64[M]").astype("datetime64[us]")
    if isinstance(offset, (offsets.QuarterBegin, offsets.QuarterEnd, offsets.YearBegin, offsets.YearEnd)):
        span = 3 if isinstance(offset, (offsets.QuarterBegin, offsets.QuarterEnd)) else 12
        anchor = int(getattr(offset, "startingMonth" if span == 3 else "month"))
        # A *Begin anchor names the first month of a period; an *End anchor names the last.
        begins = isinstance(offset, (offsets.QuarterBegin, offsets.YearBegin))
        first_month = anchor if begins else anchor % 12 + 1
        since_start = (months - (first_month - 1)) % span
        return (months - since_start).astype("datetime64[M]").astype("datetime64[us]")
    raise ValueError(
        f"freq={freq!r} is not a calendar frequency: use e.g. 'h', 'D', 'W', 'W-SUN', 'MS', 'QS', 'YS', '6h'"
    )


def period_start(created: pd.Series, freq: str, tz: TzLike = None) -> pd.Series:
    """Start of the calendar period (in ``tz``) containing each ``created``, named ``period``.

    With ``tz=None`` the zone is that of ``created`` itself: UTC for a jobs frame, or the zone a user
    converted the column to (``df["created"].dt.tz_convert("Asia/Shanghai")`` then means Beijing days).
    The result is tz-aware in that zone (``datetime64[us, zone]``): e.g. ``freq="D", tz="Asia/Shanghai"``
    labels a job created at 2026-11-02 17:00 UTC with ``2026-11-03 00:00+08:00``. NaT stays NaT. A local
    start that a DST change skips moves forward to the first existing instant; an ambiguous one takes the
    first.
    """
    column_zone = getattr(created.dtype, "tz", None)
    zone = resolve_tz(column_zone if tz is None and column_zone is not None else tz)
    offset = _offset_of(freq)
    utc = pd.to_datetime(created, utc=True)
    wall = utc.dt.tz_convert(zone).dt.tz_localize(None).to_numpy(dtype="datetime64[us]")
    missing = np.isnat(wall)
    start = _floor_local(np.where(missing, np.datetime64(0, "us"), wall), offset, freq)
    first = np.ones(len(start), dtype=bool)  # an ambiguous local start takes its first (DST) occurrence
    local = pd.DatetimeIndex(start).tz_localize(zone, ambiguous=first, nonexistent="shift_forward")
    periods = pd.Series(local, index=created.index, name="period").astype(
        pd.DatetimeTZDtype(unit="us", tz=zone)
    )
    return periods.mask(missing)
