"""Time arguments: parsing, the wire format, and 30-day windows."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta, timezone

import pandas as pd
import pytest

from ddsjobs_analytics.client._timerange import format_api_time, split_windows, to_utc

UTC = timezone.utc


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 11, 2, 2, 0),  # naive = UTC
        datetime(2026, 11, 2, 10, 0, tzinfo=timezone(timedelta(hours=8))),
        "2026-11-02T10:00:00+0800",
        "2026-11-02T10:00:00+08:00",
        "2026-11-02T02:00:00Z",
        "2026-11-02 02:00",
        pd.Timestamp("2026-11-02T02:00", tz="UTC"),
    ],
)
def test_to_utc(value):
    assert to_utc(value, "start") == datetime(2026, 11, 2, 2, 0, tzinfo=UTC)


def test_to_utc_dates_and_errors():
    assert to_utc(date(2026, 11, 2), "start") == datetime(2026, 11, 2, tzinfo=UTC)
    with pytest.raises(ValueError, match="start='yesterday'"):
        to_utc("yesterday", "start")
    with pytest.raises(TypeError, match="end must be"):
        to_utc(12, "end")


def test_wire_format_is_utc_with_plus0000():
    moment = datetime(2026, 11, 2, 10, 0, 5, tzinfo=timezone(timedelta(hours=8)))
    assert format_api_time(moment) == "2026-11-02T02:00:05+0000"


def test_45_days_make_two_windows_sharing_their_boundary():
    start = datetime(2026, 9, 1, tzinfo=UTC)
    windows = split_windows(start, start + timedelta(days=45))
    assert windows == [
        (start, start + timedelta(days=30)),
        (start + timedelta(days=30), start + timedelta(days=45)),
    ]


def test_windows_cover_whole_seconds_and_never_exceed_30_days():
    start = datetime(2026, 1, 1, 0, 0, 0, 700000, tzinfo=UTC)
    end = datetime(2026, 4, 1, 12, 0, 0, 200000, tzinfo=UTC)
    windows = split_windows(start, end)
    assert windows[0][0] == datetime(2026, 1, 1, tzinfo=UTC)  # floored
    assert windows[-1][1] == datetime(2026, 4, 1, 12, 0, 1, tzinfo=UTC)  # ceiled
    assert all(hi - lo <= timedelta(days=30) for lo, hi in windows)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(windows))
    assert len(windows) == 4  # 90.5 days


def test_exactly_30_days_is_one_window_and_empty_ranges_are_errors():
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert split_windows(start, start + timedelta(days=30)) == [(start, start + timedelta(days=30))]
    with pytest.raises(ValueError, match="must be later"):
        split_windows(start, start)


def test_to_utc_reads_ages_like_every_other_entry_point():
    before = datetime.now(UTC)
    moment = to_utc("7d", "start")
    after = datetime.now(UTC)
    assert before - timedelta(days=7) <= moment <= after - timedelta(days=7)
