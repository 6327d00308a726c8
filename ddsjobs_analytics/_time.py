"""One reading of user-supplied moments for every entry point: ``"30d"`` ages, ISO strings, datetimes.

The CLI's ``--since``, the archive's ``load(start=…)``/``sync(since=…)`` and the charts' ``start``/``end`` all
accept the same spellings, so a value that works in one place works everywhere.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

__all__ = ["Moment", "parse_age", "parse_moment", "utcnow"]

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
