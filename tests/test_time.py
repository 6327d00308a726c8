"""The one time module: user moments (CLI, archive, client, charts), the API's strings and its format."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from ddsjobs_analytics._core._time import (
    format_api_time,
    parse_age,
    parse_api_times,
    parse_instant,
    parse_moment,
    plausible,
)

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


# ------------------------------------------------------------------------------------- the API's strings


def test_format_api_time_of_one_moment_is_utc_by_default():
    moment = dt.datetime(2026, 11, 2, 10, 0, 5, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert format_api_time(moment) == "2026-11-02T02:00:05+0000"
    assert format_api_time(moment, 480) == "2026-11-02T10:00:05+0800"
    assert format_api_time(pd.Timestamp("2026-11-02T02:00:05.9Z")) == "2026-11-02T02:00:05+0000"
    with pytest.raises(ValueError, match="timezone-aware"):
        format_api_time(dt.datetime(2026, 11, 2))


def test_format_api_time_of_epochs_in_their_offsets():
    epochs = np.array([0, 1_793_584_800, 1_793_584_800])  # 1970-01-01, 2026-11-02T02:00:00Z twice
    assert format_api_time(epochs, np.array([0, 480, -210])) == [
        "1970-01-01T00:00:00+0000",
        "2026-11-02T10:00:00+0800",
        "2026-11-01T22:30:00-0330",
    ]
    assert format_api_time([0], 345) == ["1970-01-01T05:45:00+0545"]


def test_format_and_parse_round_trip():
    rng = np.random.default_rng(3)
    epochs = rng.integers(0, 4_102_444_800, 500)
    offsets = rng.choice([-720, -210, 0, 330, 345, 480, 840], 500)
    times = parse_api_times(format_api_time(epochs, offsets), strict=True)
    assert (times.utc.astype("datetime64[s]").astype(np.int64) == epochs).all()
    assert (times.offset_minutes == offsets).all() and not times.bad.any()


def test_strict_accepts_only_the_documented_form():
    texts = ["2026-11-02T10:00:00+0800", "2026-11-02T10:00:00Z", "2026-11-02T10:00:00+08:00", "x", ""]
    times = parse_api_times(texts, strict=True)
    assert times.bad.tolist() == [False, True, True, True, False]
    assert times.missing.tolist() == [False, False, False, False, True]
    assert not parse_api_times(texts[:3]).bad.any()  # the lenient reading takes all three


def test_parse_instant_and_plausible_years():
    assert parse_instant("1970-01-01T00:00:01Z") == 1_000_000
    assert parse_instant(dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)) == 0
    assert parse_instant(dt.datetime(1970, 1, 1)) is None and parse_instant(3) is None
    micros = np.array(
        [parse_instant(t) for t in ["1969-12-31T23:59:59Z", "1970-01-01T00:00:00Z", "2100-12-31T23:59:59Z"]]
        + [parse_instant("2101-01-01T00:00:00Z"), np.iinfo(np.int64).min]
    )
    assert plausible(micros).tolist() == [False, True, True, False, False]
