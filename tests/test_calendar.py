from __future__ import annotations

import collections
import datetime as dt
import zoneinfo

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ddsjobs_analytics._core._calendar import period_start, resolve_tz, tz_label
from ddsjobs_analytics._frame import jobs_frame
from ddsjobs_analytics._stats._durations import duration_stats
from ddsjobs_analytics._stats._failures import failure_rates, wilson_interval

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def utc_series(moments: list[str]) -> pd.Series:
    return pd.Series(pd.to_datetime(moments, utc=True)).astype("datetime64[us, UTC]")


# --- resolve_tz ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spelling", "offset_hours"),
    [
        ("+08:00", 8),
        ("UTC+8", 8),
        ("utc+08", 8),
        ("GMT-3", -3),
        ("-0530", -5.5),
        ("+05:45", 5.75),
        ("UTC", 0),
    ],
)
def test_fixed_offsets_are_read_with_their_sign(spelling: str, offset_hours: float) -> None:
    zone = resolve_tz(spelling)
    assert zone.utcoffset(dt.datetime(2026, 1, 1)) == dt.timedelta(hours=offset_hours)


def test_iana_names_none_and_tzinfo_objects() -> None:
    assert resolve_tz("Asia/Shanghai") == SHANGHAI
    assert resolve_tz(None) is dt.timezone.utc
    assert resolve_tz(NEW_YORK) is NEW_YORK
    assert tz_label(resolve_tz("Asia/Shanghai")) == "Asia/Shanghai"
    assert tz_label(resolve_tz("UTC+8")) == "UTC+08:00"
    assert tz_label(resolve_tz(None)) == "UTC"


def test_local_follows_the_tz_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    assert resolve_tz("local") == zoneinfo.ZoneInfo("Asia/Kolkata")


@pytest.mark.parametrize("bad", ["Mars/Olympus", "UTC+25", "+08:75", ""])
def test_unknown_zones_are_named_in_the_error(bad: str) -> None:
    with pytest.raises(ValueError, match=r"time zone|UTC offset"):
        resolve_tz(bad)


def test_non_string_zones_are_a_type_error() -> None:
    with pytest.raises(TypeError, match="tz must be"):
        resolve_tz(8)  # type: ignore[arg-type]


# --- period_start -------------------------------------------------------------------------------------------


def test_a_beijing_day_runs_from_16_to_16_utc() -> None:
    created = utc_series(["2026-11-02T15:59:59Z", "2026-11-02T16:00:00Z", "2026-11-03T15:59:59Z"])
    periods = period_start(created, "D", "Asia/Shanghai")
    assert str(periods.dtype) == "datetime64[us, Asia/Shanghai]"
    assert list(periods) == [
        pd.Timestamp("2026-11-02", tz=SHANGHAI),
        pd.Timestamp("2026-11-03", tz=SHANGHAI),
        pd.Timestamp("2026-11-03", tz=SHANGHAI),
    ]


def test_a_column_converted_to_a_zone_is_bucketed_in_that_zone() -> None:
    # Reproduction (#11): converting `created` to Asia/Shanghai used to change nothing, silently.
    frame = small_frame()
    local = frame.assign(created=frame["created"].dt.tz_convert("Asia/Shanghai"))
    converted = failure_rates(local, by=None, freq="D")
    explicit = failure_rates(frame, by=None, freq="D", tz="Asia/Shanghai")
    assert list(converted.index) == list(explicit.index)
    assert converted["total"].tolist() == explicit["total"].tolist() == [1, 1, 4]
    assert failure_rates(frame, by=None, freq="D")["total"].tolist() == [2, 4]  # UTC days differ
    # An explicit tz still wins over the column's zone.
    utc_days = failure_rates(local, by=None, freq="D", tz="UTC")
    assert utc_days["total"].tolist() == [2, 4]


def test_without_tz_periods_stay_utc() -> None:
    periods = period_start(utc_series(["2026-11-02T23:30:00Z"]), "D")
    assert str(periods.dtype) == "datetime64[us, UTC]"
    assert periods.iloc[0] == pd.Timestamp("2026-11-02", tz="UTC")


def test_dst_days_are_local_calendar_days() -> None:
    # New York left DST on 2026-11-01 at 02:00 EDT (06:00 UTC): that local day lasts 25 h.
    created = utc_series(["2026-11-01T04:30:00Z", "2026-11-02T04:30:00Z", "2026-11-02T05:30:00Z"])
    periods = period_start(created, "D", "America/New_York")
    assert [p.isoformat() for p in periods] == [
        "2026-11-01T00:00:00-04:00",
        "2026-11-01T00:00:00-04:00",  # 23:30 EST on Nov 1
        "2026-11-02T00:00:00-05:00",
    ]


@pytest.mark.parametrize(
    ("freq", "expected"),
    [
        ("W", "2026-11-02"),  # Monday-start weeks (weeks ending Sunday)
        ("W-SUN", "2026-11-02"),
        ("W-SAT", "2026-11-01"),  # weeks ending Saturday start on Sunday
        ("MS", "2026-11-01"),
        ("ME", "2026-11-01"),
        ("QS", "2026-10-01"),
        ("QE-DEC", "2026-10-01"),
        ("QS-FEB", "2026-11-01"),
        ("YS", "2026-01-01"),
        ("YS-APR", "2026-04-01"),
        ("6h", "2026-11-04T12:00"),
        ("15min", "2026-11-04T13:45"),
    ],
)
def test_calendar_aliases(freq: str, expected: str) -> None:
    created = utc_series(["2026-11-04T05:50:00Z"])  # Wednesday 13:50 in Beijing
    assert period_start(created, freq, "+08:00").iloc[0] == pd.Timestamp(expected, tz=resolve_tz("+08:00"))


def test_nat_stays_nat_and_multiples_of_calendar_spans_are_refused() -> None:
    created = pd.Series(pd.array([pd.NaT, pd.Timestamp("2026-11-04", tz="UTC")], dtype="datetime64[us, UTC]"))
    periods = period_start(created, "D", "Asia/Shanghai")
    assert periods.isna().tolist() == [True, False]
    with pytest.raises(ValueError, match="multiples"):
        period_start(created, "2MS")
    with pytest.raises(ValueError, match="not a calendar frequency"):
        period_start(created, "B")


ZONES = ["UTC", "Asia/Shanghai", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu", "Europe/London"]


def independent_day_start(moment: pd.Timestamp, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """The local calendar day's start, from the standard library alone."""
    local = moment.to_pydatetime().astimezone(zone)
    return dt.datetime(local.year, local.month, local.day, tzinfo=zone)


@settings(max_examples=60, deadline=None)
@given(
    seconds=st.lists(st.integers(0, 4_102_444_799), min_size=1, max_size=40),
    zone_name=st.sampled_from(ZONES),
)
def test_daily_buckets_match_the_standard_library(seconds: list[int], zone_name: str) -> None:
    zone = zoneinfo.ZoneInfo(zone_name)
    created = pd.Series(pd.to_datetime(seconds, unit="s", utc=True)).astype("datetime64[us, UTC]")
    got = period_start(created, "D", zone_name)
    for moment, label in zip(created, got, strict=True):
        expected = independent_day_start(moment, zone)
        assert label == pd.Timestamp(expected)  # same instant
        assert label.tz_convert(zone).date() == expected.date()


def test_asia_shanghai_daily_counts_match_an_independent_count() -> None:
    rng = np.random.default_rng(7)
    seconds = rng.integers(1_790_000_000, 1_795_000_000, size=3000)
    statuses = rng.choice(["Completed", "Failed", "Running"], size=len(seconds), p=[0.8, 0.15, 0.05])
    stamp = [
        dt.datetime.fromtimestamp(int(s), dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+0000") for s in seconds
    ]
    records = [
        {"id": f"j{i}", "name": "CreateMongoDB", "status": status, "created_at": created, "ended_at": created}
        for i, (status, created) in enumerate(zip(statuses, stamp, strict=True))
    ]
    frame = jobs_frame(records, observed_at="2026-12-01T00:00:00Z")
    rates = failure_rates(frame, by=None, freq="D", tz="Asia/Shanghai")

    expected: collections.Counter[tuple[dt.date, str]] = collections.Counter()
    for s, status in zip(seconds, statuses, strict=True):
        day = dt.datetime.fromtimestamp(int(s), SHANGHAI).date()  # the stdlib's reading of a Beijing day
        expected[day, status] += 1
    got = {
        (period.date(), status): int(row[column])
        for period, row in rates.iterrows()
        for status, column in (("Completed", "completed"), ("Failed", "failed"), ("Running", "running"))
    }
    assert {key: n for key, n in got.items() if n} == dict(expected)
    assert all(period.tz == SHANGHAI and period.hour == 0 for period in rates.index)


# --- statistics with freq/tz, ordering, by= checks ----------------------------------------------------------


def small_frame() -> pd.DataFrame:
    rows = [
        ("CreateMongoDB", "Completed", "2026-11-02T15:00:00+0000", "2026-11-02T15:10:00+0000"),
        ("CreateMongoDB", "Completed", "2026-11-02T17:00:00+0000", "2026-11-02T17:20:00+0000"),
        ("CreateMongoDB", "Failed", "2026-11-03T17:00:00+0000", "2026-11-03T17:30:00+0000"),
        ("RestartInstance", "Completed", "2026-11-03T17:00:00+0000", "2026-11-03T17:01:00+0000"),
        ("RestartInstance", "Completed", "2026-11-03T18:00:00+0000", "2026-11-03T18:02:00+0000"),
        ("RestartInstance", "Completed", "2026-11-03T19:00:00+0000", "2026-11-03T19:03:00+0000"),
    ]
    records = [
        {"id": f"j{i}", "name": name, "status": status, "created_at": created, "ended_at": ended}
        for i, (name, status, created, ended) in enumerate(rows)
    ]
    return jobs_frame(records, observed_at="2026-12-01T00:00:00Z")


def test_duration_stats_by_period_in_beijing_days_sorted_by_time() -> None:
    stats = duration_stats(small_frame(), by="job_type", freq="D", tz="Asia/Shanghai", status=None)
    periods = [period.date().isoformat() for period, _ in stats.index]
    assert periods == ["2026-11-02", "2026-11-03", "2026-11-04", "2026-11-04"]
    # Within 2026-11-04 (Beijing), the bigger group first: RestartInstance has 3 jobs, CreateMongoDB 1.
    assert [job_type for _, job_type in stats.index][2:] == ["RestartInstance", "CreateMongoDB"]
    assert stats["p50_s"].iloc[0] == 600.0  # the 15:00 UTC job is still 2026-11-02 in Beijing (23:00)
    assert stats["count"].tolist() == [1, 1, 3, 1]


def test_datetime_by_columns_sort_by_time_not_count() -> None:
    frame = small_frame()
    frame["week"] = frame["created"].dt.floor("D")
    stats = duration_stats(frame, by="week", status=None)
    assert list(stats.index) == sorted(stats.index)
    rates = failure_rates(frame, by="week")
    assert list(rates.index) == sorted(rates.index)


def test_duration_stats_accepts_a_list_and_rejects_a_series_briefly() -> None:
    frame = small_frame()
    assert duration_stats(frame, by=["job_type"]).index.names == ["job_type"]
    with pytest.raises(TypeError) as caught:
        duration_stats(frame, by=frame["job_type"])  # type: ignore[arg-type]
    assert "by= takes a column name or a list of column names" in str(caught.value)
    assert len(str(caught.value)) < 200
    with pytest.raises(TypeError, match="failure_rates: by="):
        failure_rates(frame, by=frame["job_type"])  # type: ignore[arg-type]


def test_wilson_bounds_are_exact_at_zero_and_n() -> None:
    low, high = wilson_interval(0, 10)
    assert low == 0.0 and repr(low) == "0.0"
    low, high = wilson_interval(10, 10)
    assert high == 1.0
    lows, highs = wilson_interval(np.array([0, 3, 7, 0]), np.array([5, 7, 7, 0]))
    assert lows[0] == 0.0 and highs[2] == 1.0
    assert np.isnan(lows[3]) and np.isnan(highs[3])
    rates = failure_rates(small_frame(), by="job_type")
    assert rates.loc["RestartInstance", "ci_low"] == 0.0
