"""The one reading of user-supplied moments shared by the CLI, the archive and the charts."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from ddsjobs_analytics._time import parse_age, parse_moment

NOW = pd.Timestamp("2026-11-29T12:00:00Z")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30d", dt.timedelta(days=30)),
        ("12h", dt.timedelta(hours=12)),
        ("90m", dt.timedelta(minutes=90)),
        ("2w", dt.timedelta(weeks=2)),
        ("1.5d", dt.timedelta(hours=36)),
        (" 45S ", dt.timedelta(seconds=45)),
        (dt.timedelta(minutes=3), dt.timedelta(minutes=3)),
        ("2026-11-01", None),
        ("30 days", None),
        (30, None),
    ],
)
def test_parse_age(text: object, expected: dt.timedelta | None):
    assert parse_age(text) == expected


def test_ages_count_back_from_now():
    assert parse_moment("30d", now=NOW) == pd.Timestamp("2026-10-30T12:00:00Z")
    # a naive ``now`` is UTC
    assert parse_moment("1h", now=dt.datetime(2026, 11, 29, 12)) == pd.Timestamp("2026-11-29T11:00:00Z")


def test_times_convert_to_utc_and_naive_ones_use_naive_tz():
    assert parse_moment("2026-11-02T10:00:00+0545") == pd.Timestamp("2026-11-02T04:15:00Z")
    assert parse_moment("2026-11-02 10:00") == pd.Timestamp("2026-11-02T10:00:00Z")
    shanghai = dt.timezone(dt.timedelta(hours=8))
    assert parse_moment("2026-11-02 10:00", naive_tz=shanghai) == pd.Timestamp("2026-11-02T02:00:00Z")
    moment = parse_moment(dt.datetime(2026, 11, 2, tzinfo=dt.timezone.utc))
    assert moment == pd.Timestamp("2026-11-02T00:00:00Z")
    assert str(moment.tz) == "UTC" and moment.unit == "us"


def test_errors_name_the_argument():
    with pytest.raises(ValueError, match=r"plot_timeline: start='soon' is neither a time nor an age"):
        parse_moment("soon", what="plot_timeline: start")
    with pytest.raises(ValueError, match="is not a time"):
        parse_moment("NaT")


def test_now_and_today_follow_the_reference_clock_in_utc_not_local_wall_time():
    # pd.Timestamp("now") is the machine's *local* wall time, naive: read as UTC it is off by the machine's
    # offset, and it ignored ``now``. "now" is the reference instant; "today" its midnight in ``naive_tz``.
    assert parse_moment("now", now=NOW) == NOW
    assert parse_moment(" Today ", now=NOW) == pd.Timestamp("2026-11-29T00:00:00Z")
    shanghai = dt.timezone(dt.timedelta(hours=8))
    evening = pd.Timestamp("2026-11-29T20:00:00Z")  # already 2026-11-30 04:00 in Shanghai
    assert parse_moment("today", now=evening, naive_tz=shanghai) == pd.Timestamp("2026-11-29T16:00:00Z")
    assert parse_moment("now").unit == "us"
