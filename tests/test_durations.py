from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest

from ddsjobs_analytics._frame import jobs_frame
from ddsjobs_analytics._stats._durations import (
    duration_stats,
    kaplan_meier,
    km_quantile,
    km_survival_at,
    stuck_jobs,
)

OBSERVED_AT = datetime(2026, 11, 20, tzinfo=timezone.utc)
BEIJING = timezone(timedelta(hours=8))


def api_time(moment: datetime) -> str:
    return moment.astimezone(BEIJING).strftime("%Y-%m-%dT%H:%M:%S.%f%z")


def jobs(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    """A jobs frame from ``(job_type, status, seconds)``: a finished job's duration, a Running one's age.

    Goes through jobs_frame with ListTasks-shaped records read at OBSERVED_AT; job ids are ``job-<row>``.
    """
    records = []
    for i, (job_type, status, seconds) in enumerate(rows):
        running = status == "Running"
        created = OBSERVED_AT - timedelta(seconds=seconds if running else 2 * seconds + 60)
        # The API fills ended_at even while a job runs (here: 10 s after creation); it must not be used.
        ended = created + timedelta(seconds=10 if running else seconds)
        records.append(
            {
                "id": f"job-{i}",
                "name": job_type,
                "instance_id": f"inst-{i % 3}",
                "instance_name": f"db-{i % 3}",
                "status": status,
                "progress": "50%" if running else "",
                "fail_reason": "",
                "created_at": api_time(created),
                "ended_at": api_time(ended),
            }
        )
    return jobs_frame(records, observed_at=OBSERVED_AT, region="cn-north-4", errors="raise")


def brute_force_km(durations: np.ndarray, observed: np.ndarray) -> list[tuple[float, int, int, float]]:
    """Textbook product limit, one distinct time at a time: (time, at risk, events, survival)."""
    survival = 1.0
    table = []
    for t in sorted(set(durations.tolist())):
        at_risk = int(np.sum(durations >= t))
        events = int(np.sum((durations == t) & observed))
        survival *= 1.0 - events / at_risk
        table.append((t, at_risk, events, survival))
    return table


# --- Kaplan–Meier -------------------------------------------------------------------------------------------


def test_censored_median_differs_from_naive_median_of_finished_jobs() -> None:
    # Finished after 10, 20, 30 s; still running at 25, 40, 50 s. The naive median of finished jobs is 20 s.
    # Product limit, by hand:
    #   t=10: at risk 6 (all), 1 event  -> S = 5/6         = 0.8333
    #   t=20: at risk 5,       1 event  -> S = 5/6 · 4/5   = 0.6667
    #   t=25: at risk 4,       censored -> S unchanged      = 0.6667
    #   t=30: at risk 3,       1 event  -> S = 4/6 · 2/3   = 0.4444  <= 0.5: the KM median is 30 s
    #   t=40, 50: censored, S stays 0.4444, never <= 0.05: the KM P95 is not estimable.
    durations = [10, 20, 30, 25, 40, 50]
    observed = [True, True, True, False, False, False]
    table = kaplan_meier(durations, observed)
    assert table["time"].tolist() == [10, 20, 25, 30, 40, 50]
    assert table["at_risk"].tolist() == [6, 5, 4, 3, 2, 1]
    assert table["events"].tolist() == [1, 1, 0, 1, 0, 0]
    assert table["censored"].tolist() == [0, 0, 1, 0, 1, 1]
    np.testing.assert_allclose(table["survival"], [5 / 6, 4 / 6, 4 / 6, 4 / 9, 4 / 9, 4 / 9])
    assert np.median([10, 20, 30]) == 20
    assert km_quantile(durations, observed, 0.5) == 30
    assert math.isnan(km_quantile(durations, observed, 0.95))


def test_all_censored_gives_no_quantile_and_full_survival() -> None:
    durations, observed = [5.0, 7.0, 9.0], [False, False, False]
    assert math.isnan(km_quantile(durations, observed, 0.5))
    assert kaplan_meier(durations, observed)["survival"].tolist() == [1.0, 1.0, 1.0]
    assert km_survival_at(durations, observed, 100.0) == 1.0


def test_events_come_before_censorings_at_the_same_time() -> None:
    # At t=5: two jobs end and one is censored. Events first: the censored job is still at risk, so
    # S(5) = 1 - 2/4 = 0.5 (censoring first would give 1 - 2/3). At t=8 the last job ends: S = 0.
    durations, observed = [5, 5, 5, 8], [True, True, False, True]
    table = kaplan_meier(durations, observed)
    assert table.to_dict("list") == {
        "time": [5.0, 8.0],
        "at_risk": [4, 1],
        "events": [2, 1],
        "censored": [1, 0],
        "survival": [0.5, 0.0],
    }
    assert km_quantile(durations, observed, 0.5) == 5  # S(5) = 0.5 <= 0.5
    assert km_quantile(durations, observed, 0.95) == 8


@pytest.mark.parametrize("q", [0.25, 0.5, 0.75, 1.0])
def test_without_censoring_km_quantile_is_an_order_statistic(q: float) -> None:
    # Without censoring S(t) is the share of jobs longer than t, so S(t) <= 1 - q first holds at the
    # ceil(q·n)-th smallest duration (q chosen exact in binary).
    rng = np.random.default_rng(7)
    durations = rng.integers(1, 30, size=40).astype(float)  # many ties
    observed = np.ones(40, dtype=bool)
    expected = np.sort(durations)[math.ceil(q * 40) - 1]
    assert km_quantile(durations, observed, q) == expected
    # Eight distinct jobs: the survival 7/8 · 6/7 · 5/6 · 4/5 must count as reaching 0.5 at the 4th.
    assert km_quantile(np.arange(1.0, 9.0), np.ones(8, dtype=bool), 0.5) == 4.0


def test_kaplan_meier_matches_brute_force_with_ties_and_censoring() -> None:
    rng = np.random.default_rng(11)
    durations = rng.integers(0, 25, size=120).astype(float)
    observed = rng.random(120) < 0.6
    table = kaplan_meier(durations, observed)
    expected = brute_force_km(durations, observed)
    assert table["time"].tolist() == [row[0] for row in expected]
    assert table["at_risk"].tolist() == [row[1] for row in expected]
    assert table["events"].tolist() == [row[2] for row in expected]
    np.testing.assert_allclose(table["survival"], [row[3] for row in expected], rtol=1e-12)
    assert (table["events"] + table["censored"]).sum() == 120


def test_km_survival_at_is_a_right_continuous_step_function() -> None:
    durations, observed = [10, 20, 30, 25, 40, 50], [True, True, True, False, False, False]
    assert km_survival_at(durations, observed, 9.99) == 1.0
    assert km_survival_at(durations, observed, 10.0) == pytest.approx(5 / 6)  # the drop at 10 is included
    assert km_survival_at(durations, observed, 29.0) == pytest.approx(4 / 6)
    assert km_survival_at(durations, observed, 1e9) == pytest.approx(4 / 9)  # stays at the last value
    values = km_survival_at(durations, observed, np.array([[0.0, 20.0], [30.0, np.nan]]))
    assert values.shape == (2, 2)
    np.testing.assert_allclose(values, [[1.0, 4 / 6], [4 / 9, np.nan]])


def test_empty_sample() -> None:
    assert kaplan_meier([], []).empty
    assert math.isnan(km_quantile([], [], 0.5))
    assert km_survival_at([], [], 3.0) == 1.0


@pytest.mark.parametrize(
    ("durations", "observed", "message"),
    [
        ([1.0, np.nan], [True, True], r"durations\[1\]"),
        ([1.0, -2.0], [True, True], r"durations\[1\] = -2.0"),
        ([1.0, 2.0], [True], "equal length"),
        ([1.0, 2.0], [1, 2], r"observed\[1\] = 2"),
    ],
)
def test_invalid_samples_are_rejected(durations: list[float], observed: list[object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        kaplan_meier(durations, observed)


def test_km_quantile_rejects_q_outside_unit_interval() -> None:
    with pytest.raises(ValueError, match="q must be"):
        km_quantile([1.0], [True], 0.0)


# --- duration_stats -----------------------------------------------------------------------------------------


@pytest.fixture
def fleet() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    rows: list[tuple[str, str, float]] = []
    rows += [("CreateMongoDB", "Completed", float(s)) for s in rng.integers(300, 900, size=25)]
    rows += [("CreateMongoDB", "Failed", float(s)) for s in rng.integers(10, 60, size=4)]
    rows += [("CreateMongoDB", "Running", float(s)) for s in (100.0, 1000.0, 5000.0)]
    rows += [("RestartInstance", "Completed", float(s)) for s in (30.0, 40.0, 50.0, 600.0)]
    rows += [("RestartInstance", "Running", 45.0), ("RestartInstance", "Pending", 9999.0)]
    rows += [("SwitchPrimary", "Failed", 12.0)]
    return jobs(rows)


def test_duration_stats_quantiles_match_numpy(fleet: pd.DataFrame) -> None:
    stats = duration_stats(fleet)
    for job_type, row in stats.iterrows():
        mine = fleet[(fleet["job_type"] == job_type) & (fleet["status"] == "Completed")][
            "duration_s"
        ].to_numpy()
        assert row["count"] == len(mine)
        if len(mine) == 0:
            assert np.isnan(row[["mean_s", "p50_s", "p95_s", "max_s"]].to_numpy(dtype=float)).all()
            continue
        expected = np.percentile(mine, [50, 90, 95, 99], method="linear")
        np.testing.assert_allclose(row[["p50_s", "p90_s", "p95_s", "p99_s"]].to_numpy(dtype=float), expected)
        assert row["mean_s"] == pytest.approx(mine.mean())
        assert row["max_s"] == mine.max()


def test_duration_stats_counts_groups_and_order(fleet: pd.DataFrame) -> None:
    stats = duration_stats(fleet)
    # SwitchPrimary has only a Failed job: it is a group of the frame, with no Completed duration.
    assert stats.index.tolist() == ["CreateMongoDB", "RestartInstance", "SwitchPrimary"]
    assert stats["count"].tolist() == [25, 4, 0]
    assert stats["running"].tolist() == [3, 1, 0]
    assert stats.loc["RestartInstance", "p50_s"] == 45.0  # (40 + 50) / 2, the Pending job left out


def test_duration_stats_km_uses_running_jobs_as_censored(fleet: pd.DataFrame) -> None:
    stats = duration_stats(fleet)
    for job_type in ["CreateMongoDB", "RestartInstance"]:
        of_type = fleet[fleet["job_type"] == job_type]
        completed = of_type[of_type["status"] == "Completed"]["duration_s"].to_numpy()
        running = of_type[of_type["status"] == "Running"]["age_s"].to_numpy()
        sample = np.concatenate([completed, running])
        observed = np.r_[np.ones(len(completed), bool), np.zeros(len(running), bool)]
        assert stats.loc[job_type, "km_p50_s"] == km_quantile(sample, observed, 0.5)
        expected_p95 = km_quantile(sample, observed, 0.95)
        assert stats.loc[job_type, "km_p95_s"] == expected_p95 or (
            math.isnan(expected_p95) and math.isnan(stats.loc[job_type, "km_p95_s"])
        )
    # RestartInstance by hand: 30, 40, 45+, 50, 600 -> S: 4/5, 3/5, (45 censored), 3/5·1/2 = 0.3 at 50.
    assert stats.loc["RestartInstance", "km_p50_s"] == 50.0
    assert stats.loc["RestartInstance", "km_p95_s"] == 600.0  # the last job ends: S = 0
    # CreateMongoDB's longest job is still running (5000 s): S never reaches 0.05.
    assert math.isnan(stats.loc["CreateMongoDB", "km_p95_s"])


def test_duration_stats_status_selection(fleet: pd.DataFrame) -> None:
    both = duration_stats(fleet, status=None)
    listed = duration_stats(fleet, status=["Completed", "Failed"])
    pd.testing.assert_frame_equal(both, listed)
    assert both.loc["CreateMongoDB", "count"] == 29
    assert both.loc["SwitchPrimary", "max_s"] == 12.0
    failed = duration_stats(fleet, status="Failed")
    assert failed.loc["RestartInstance", "count"] == 0


def test_duration_stats_overall_and_multiple_keys(fleet: pd.DataFrame) -> None:
    overall = duration_stats(fleet, by=None)
    assert overall.index.tolist() == ["all"]
    completed = fleet.loc[fleet["status"] == "Completed", "duration_s"]
    assert overall.loc["all", "count"] == len(completed)
    assert overall.loc["all", "p90_s"] == pytest.approx(np.percentile(completed, 90))
    by_two = duration_stats(fleet, by=["job_type", "instance_id"])
    assert by_two.index.names == ["job_type", "instance_id"]
    assert by_two["count"].sum() == len(completed)
    assert by_two["count"].is_monotonic_decreasing


def test_duration_stats_only_observed_categories(fleet: pd.DataFrame) -> None:
    fleet["job_type"] = fleet["job_type"].cat.add_categories(["NeverSeen"])
    assert "NeverSeen" not in duration_stats(fleet).index


def test_duration_stats_empty_frame(fleet: pd.DataFrame) -> None:
    stats = duration_stats(fleet.iloc[:0])
    assert stats.empty
    assert "km_p95_s" in stats.columns


def test_duration_stats_names_missing_columns(fleet: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match=r"duration_stats.*age_s"):
        duration_stats(fleet.drop(columns="age_s"))


# --- stuck_jobs ---------------------------------------------------------------------------------------------


def test_stuck_jobs_short_history_uses_the_fallback() -> None:
    rows = [("RestartNode", "Completed", s) for s in (60.0, 70.0, 80.0, 90.0, 100.0)]
    rows += [("RestartNode", "Running", 90_000.0), ("RestartNode", "Running", 80_000.0)]
    frame = jobs(rows)
    stuck = stuck_jobs(frame)
    assert stuck.index.tolist() == [5]  # only the job above 24 h; the input's index is kept
    row = stuck.iloc[0]
    assert math.isnan(row["baseline_p95_s"])
    assert row["threshold_s"] == 86400.0
    assert row["history"] == 5
    assert row["job_id"] == "job-5"
    # Without the job itself: 60, 70, 80, 90, 100 end with the other Running job (80 000 s) still at risk,
    # S = 5/6 · 4/5 · 3/4 · 2/3 · 1/2 = 1/6, and stays there past 80 000 s.
    assert row["km_share_longer"] == pytest.approx(1 / 6)
    # Enough history now: the threshold is 3 · P95 = 3 · 98 s, and both Running jobs exceed it.
    assert stuck_jobs(frame, min_history=5)["threshold_s"].tolist() == [pytest.approx(294.0)] * 2


def test_stuck_jobs_long_history_uses_k_times_p95() -> None:
    completed = np.arange(1, 41) * 60.0
    p95 = np.percentile(completed, 95)
    rows = [("CreateMongoDB", "Completed", s) for s in completed]
    rows += [
        ("CreateMongoDB", "Running", 3 * p95 - 1),  # just under the threshold
        ("CreateMongoDB", "Running", 3 * p95 + 1),
        ("CreateMongoDB", "Running", 2000.0),  # inside the history: S(age) well above 0
        ("ResizeMongoDBInstance", "Running", 86_401.0),  # no history: fallback
    ]
    frame = jobs(rows)
    stuck = stuck_jobs(frame, k=3.0)
    assert stuck["job_id"].tolist() == [f"job-{41}", f"job-{43}"]  # (3·p95+1)/(3·p95) > 86401/86400
    assert stuck.loc[41, "baseline_p95_s"] == pytest.approx(p95)
    assert stuck.loc[41, "threshold_s"] == pytest.approx(3 * p95)
    assert stuck.loc[41, "history"] == 40
    assert list(stuck.columns) == [
        "job_id",
        "job_type",
        "instance_id",
        "instance_name",
        "region",
        "created",
        "age_s",
        "baseline_p95_s",
        "threshold_s",
        "history",
        "km_share_longer",
    ]
    lenient = stuck_jobs(frame, k=0.5)
    assert 42 in lenient.index
    # km_share_longer of a job = S(age) of its type's Completed jobs and the *other* Running jobs.
    for label in lenient.index:
        others = frame.drop(index=label)
        of_type = others[others["job_type"] == frame.loc[label, "job_type"]]
        sample = of_type["duration_s"].fillna(of_type["age_s"]).to_numpy()
        observed = (of_type["status"] == "Completed").to_numpy()
        expected = km_survival_at(sample, observed, float(frame.loc[label, "age_s"]))
        assert lenient.loc[label, "km_share_longer"] == pytest.approx(expected)
    assert 0.0 < lenient.loc[42, "km_share_longer"] < 1.0


def test_stuck_jobs_ignores_failed_and_other_statuses() -> None:
    rows = [("ModifyPort", "Failed", 200_000.0), ("ModifyPort", "Pending", 200_000.0)]
    assert stuck_jobs(jobs(rows)).empty


def test_stuck_jobs_rejects_bad_parameters() -> None:
    with pytest.raises(ValueError, match="k > 0"):
        stuck_jobs(jobs([("ModifyPort", "Running", 1.0)]), k=0)
