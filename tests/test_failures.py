from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pytest

from ddsjobs_analytics._frame import DataQualityWarning, jobs_frame
from ddsjobs_analytics._stats._failures import failure_rates, wilson_interval

# Published normal quantiles (two-sided 95 % and 90 %), independent of the NormalDist the module uses.
Z_95 = 1.959963984540054
Z_90 = 1.6448536269514722


def score_test_bounds(successes: int, n: int, z: float) -> tuple[float, float]:
    """Wilson's interval as the inverted score test: the π with (p - π)² = z² π (1 - π) / n.

    Expanding gives (1 + z²/n) π² - (2p + z²/n) π + p² = 0; its two roots are the bounds.
    """
    p = successes / n
    roots = np.roots([1 + z * z / n, -(2 * p + z * z / n), p * p])
    low, high = sorted(float(np.real(r)) for r in roots)
    return max(low, 0.0), min(high, 1.0)


def jobs(rows: Sequence[tuple[str | None, str | None, str]]) -> pd.DataFrame:
    """A jobs frame (via jobs_frame) from ``(job_type, status, created_at)`` rows, alternating two regions."""
    records = [
        {
            "id": f"job-{i}",
            "name": job_type,
            "instance_id": "inst-1",
            "instance_name": "db-1",
            "status": status,
            "progress": "",
            "fail_reason": "",
            "created_at": created,
            "ended_at": created,
            "region": "cn-north-4" if i % 2 else "ap-southeast-1",
        }
        for i, (job_type, status, created) in enumerate(rows)
    ]
    return jobs_frame(records, observed_at="2026-12-01T00:00:00Z")


# --- wilson_interval ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [
        (0, 10, 0.0, 0.2775),
        (5, 10, 0.2366, 0.7634),
        # Newcombe (1998), Stat. Med. 17:857, Table I, method 3 (score interval, no continuity correction).
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_matches_published_values(successes: int, n: int, low: float, high: float) -> None:
    got_low, got_high = wilson_interval(successes, n)
    assert got_low == pytest.approx(low, abs=5e-5)
    assert got_high == pytest.approx(high, abs=5e-5)


def test_wilson_by_hand_81_of_263() -> None:
    # p = 81/263 = 0.307985, z = 1.959964, z² = 3.841459, z²/n = 0.014606
    # center = (p + z²/2n) / (1 + z²/n) = (0.307985 + 0.007303) / 1.014606 = 0.310749
    # half   = z / (1 + z²/n) · sqrt(p(1-p)/n + z²/4n²)
    #        = 1.931748 · sqrt(0.00081039 + 0.00001388) = 1.931748 · 0.028710 = 0.055461
    # -> (0.255288, 0.366210)
    low, high = wilson_interval(81, 263)
    assert low == pytest.approx(0.255288, abs=2e-6)
    assert high == pytest.approx(0.366210, abs=2e-6)


@pytest.mark.parametrize(("confidence", "z"), [(0.95, Z_95), (0.90, Z_90)])
def test_wilson_equals_inverted_score_test(confidence: float, z: float) -> None:
    successes = np.array([0, 1, 3, 17, 50, 99, 100])
    n = np.array([1, 7, 3, 40, 100, 100, 100])
    low, high = wilson_interval(successes, n, confidence)
    expected = np.array([score_test_bounds(int(s), int(t), z) for s, t in zip(successes, n, strict=True)])
    np.testing.assert_allclose(low, expected[:, 0], atol=1e-12)
    np.testing.assert_allclose(high, expected[:, 1], atol=1e-12)


def test_wilson_vectorised_shapes_and_empty_groups() -> None:
    low, high = wilson_interval(np.array([0, 2, 0]), np.array([0, 4, 5]))
    assert isinstance(low, np.ndarray)
    assert np.isnan(low[0]) and np.isnan(high[0])
    assert low[2] == 0.0 and 0.0 < high[2] < 1.0
    scalar_low, scalar_high = wilson_interval(2, 4)
    assert isinstance(scalar_low, float)
    assert (scalar_low, scalar_high) == (low[1], high[1])
    assert math.isnan(wilson_interval(0, 0)[0])


@pytest.mark.parametrize(
    ("successes", "n", "confidence"), [(3, 2, 0.95), (-1, 2, 0.95), (1, -2, 0.95), (1, 2, 1.0)]
)
def test_wilson_rejects_impossible_counts(successes: int, n: int, confidence: float) -> None:
    with pytest.raises(ValueError):
        wilson_interval(successes, n, confidence)


# --- failure_rates ------------------------------------------------------------------------------------------

DAY = "2026-11-02T10:00:00+0800"


def test_running_and_unknown_statuses_stay_out_of_the_denominator() -> None:
    rows = [("CreateMongoDB", "Completed", DAY)] * 3 + [("CreateMongoDB", "Failed", DAY)]
    rows += [("CreateMongoDB", "Running", DAY)] * 2 + [("CreateMongoDB", "Pending", DAY)]
    rows += [("CreateMongoDB", None, DAY)]
    with pytest.warns(DataQualityWarning, match="lacks status"):
        frame = jobs(rows)
    rates = failure_rates(frame)
    row = rates.loc["CreateMongoDB"]
    assert row[["completed", "failed", "running", "other", "total"]].tolist() == [3, 1, 2, 2, 4]
    assert row["failure_rate"] == 0.25
    expected_low, expected_high = score_test_bounds(1, 4, Z_95)
    assert row["ci_low"] == pytest.approx(expected_low)
    assert row["ci_high"] == pytest.approx(expected_high)


def test_groups_without_a_verdict_have_no_rate_and_sort_last() -> None:
    rows = [("RestartNode", "Running", DAY), ("RestartNode", "Pending", DAY)]
    rows += [("ModifyPort", "Completed", DAY)] * 9 + [("ModifyPort", "Failed", DAY)]
    rows += [("AzMigrate", "Failed", DAY)] * 3 + [("AzMigrate", "Completed", DAY)] * 2
    rows += [("SwitchPrimary", "Completed", DAY)] * 50
    rates = failure_rates(jobs(rows))
    # Worst first by the lower Wilson bound: AzMigrate 3/5, ModifyPort 1/10, SwitchPrimary 0/50 (ci_low 0).
    assert rates.index.tolist() == ["AzMigrate", "ModifyPort", "SwitchPrimary", "RestartNode"]
    assert rates["ci_low"].iloc[:3].is_monotonic_decreasing
    assert rates.loc["RestartNode", "total"] == 0
    assert rates.loc["RestartNode", ["failure_rate", "ci_low", "ci_high"]].isna().all()


def test_daily_periods_follow_utc_midnight_not_local_midnight() -> None:
    rows = [
        ("CreateMongoDB", "Failed", "2026-11-02T07:59:59+0800"),  # 2026-11-01 23:59:59 UTC
        ("CreateMongoDB", "Completed", "2026-11-02T08:00:00+0800"),  # 2026-11-02 00:00:00 UTC
        ("CreateMongoDB", "Completed", "2026-11-02T23:30:00+0800"),  # 2026-11-02 15:30:00 UTC
        ("RestartNode", "Failed", "2026-11-02T09:00:00+08:00"),
        ("RestartNode", "Completed", "2026-11-01T16:00:00Z"),
    ]
    rates = failure_rates(jobs(rows), freq="D")
    assert rates.index.names == ["period", "job_type"]
    nov_1, nov_2 = pd.Timestamp("2026-11-01", tz="UTC"), pd.Timestamp("2026-11-02", tz="UTC")
    assert rates.index.tolist() == [
        (nov_1, "CreateMongoDB"),  # 1/1 failed: worst on Nov 1
        (nov_1, "RestartNode"),
        (nov_2, "RestartNode"),  # 1/1 failed
        (nov_2, "CreateMongoDB"),  # 0/2 failed
    ]
    assert rates.loc[(nov_2, "CreateMongoDB"), "completed"] == 2
    assert str(rates.index.get_level_values("period").tz) == "UTC"


@pytest.mark.parametrize(
    ("freq", "created", "periods"),
    [
        # 2026-11-02 is a Monday; weeks run Monday–Sunday and are labelled by their Monday.
        (
            "W",
            ["2026-11-01T23:59:59Z", "2026-11-08T23:59:59Z", "2026-11-09T07:00:00+0800"],
            ["2026-10-26", "2026-11-02", "2026-11-02"],
        ),
        (
            "MS",
            ["2026-11-01T07:59:59+0800", "2026-11-01T08:00:00+0800", "2026-11-30T23:59:59Z"],
            ["2026-10-01", "2026-11-01", "2026-11-01"],
        ),
    ],
)
def test_weekly_and_monthly_periods(freq: str, created: list[str], periods: list[str]) -> None:
    rates = failure_rates(jobs([("CreateMongoDB", "Completed", c) for c in created]), by=None, freq=freq)
    assert rates.index.name == "period"
    expected = pd.Series(1, index=pd.DatetimeIndex(periods).tz_localize("UTC")).groupby(level=0).sum()
    assert rates.index.tolist() == expected.index.tolist()
    assert rates["completed"].tolist() == expected.tolist()


def test_overall_row_and_multiple_keys() -> None:
    rows = [
        ("CreateMongoDB", "Failed", DAY),
        ("CreateMongoDB", "Completed", DAY),
        ("ModifyPort", "Failed", DAY),
    ]
    overall = failure_rates(jobs(rows), by=None)
    assert overall.index.tolist() == ["all"]
    assert overall.loc["all", ["failed", "total"]].tolist() == [2, 3]
    by_two = failure_rates(jobs(rows), by=["job_type", "region"])
    assert by_two.index.names == ["job_type", "region"]
    assert by_two["total"].sum() == 3


def test_only_observed_categories_and_empty_frame() -> None:
    frame = jobs([("ModifyPort", "Failed", DAY)])
    frame["job_type"] = frame["job_type"].cat.add_categories(["NeverSeen"])
    assert failure_rates(frame).index.tolist() == ["ModifyPort"]
    empty = failure_rates(frame.iloc[:0], freq="D")
    assert empty.empty
    assert "ci_high" in empty.columns


def test_jobs_without_a_type_form_their_own_group() -> None:
    rows: list[tuple[str | None, str, str]] = [(None, "Failed", DAY), ("ModifyPort", "Completed", DAY)]
    with pytest.warns(DataQualityWarning, match="name"):
        frame = jobs(rows)
    rates = failure_rates(frame)
    assert rates["total"].sum() == 2  # nothing silently dropped
    assert rates.index.isna().tolist() == [True, False]  # 1/1 failed sorts first


def test_bad_freq_and_missing_columns_are_named() -> None:
    frame = jobs([("ModifyPort", "Failed", DAY)])
    with pytest.raises(ValueError, match="not a calendar frequency"):
        failure_rates(frame, freq="fortnight")
    with pytest.raises(ValueError, match=r"failure_rates.*created"):
        failure_rates(frame.drop(columns="created"), freq="D")


@pytest.mark.parametrize("freq", ["h", "D", "W", "MS", "QS", "YS"])
def test_periods_are_microsecond_utc_and_cover_any_parsed_year(freq: str) -> None:
    # jobs_frame accepts years 1–9999 (datetime64[us]); the period level must not go through nanoseconds
    # (pandas 2.2's Period.start_time), which raised OutOfBoundsDatetime and gave a different dtype.
    rows = [
        ("CreateMongoDB", "Failed", "2026-11-04T10:30:00+0000"),
        ("CreateMongoDB", "Completed", "2026-11-04T10:30:00+0000"),
        ("CreateMongoDB", "Completed", "2026-11-04T10:30:00+0000"),
        ("CreateMongoDB", "Completed", ""),  # no created: its own NaT period, last
    ]
    with pytest.warns(DataQualityWarning):
        frame = jobs(rows)
    # jobs_frame makes years outside 1970–2100 NaT; a frame built another way may still hold them.
    created = np.array(["0001-01-01T00:30", "2026-11-04T10:30", "9999-12-31T23:30", "NaT"], "datetime64[us]")
    frame["created"] = pd.DatetimeIndex(created).tz_localize("UTC")
    rates = failure_rates(frame, by=None, freq=freq)
    assert rates.index.dtype == "datetime64[us, UTC]"
    expected = {
        "h": ["0001-01-01T00:00", "2026-11-04T10:00", "9999-12-31T23:00"],
        "D": ["0001-01-01", "2026-11-04", "9999-12-31"],
        "W": ["0001-01-01", "2026-11-02", "9999-12-27"],  # 0001-01-01 was a Monday (proleptic Gregorian)
        "MS": ["0001-01-01", "2026-11-01", "9999-12-01"],
        "QS": ["0001-01-01", "2026-10-01", "9999-10-01"],
        "YS": ["0001-01-01", "2026-01-01", "9999-01-01"],
    }[freq]
    assert rates.index[:3].tolist() == [pd.Timestamp(e, tz="UTC") for e in expected]
    assert rates.index[3] is pd.NaT
    assert rates["total"].tolist() == [1, 1, 1, 1]
