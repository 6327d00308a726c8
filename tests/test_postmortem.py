from __future__ import annotations

import math
from typing import Any

import matplotlib

matplotlib.use("Agg")

import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from report_scenario import HOSTILE_REASON, frame, utc

from ddsjobs_analytics._analysis._postmortem import PostMortem, postmortem
from ddsjobs_analytics._reasons import fail_reason_template


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    return frame()


def ids(table: pd.DataFrame) -> list[str]:
    return table["job_id"].astype(str).tolist()


def test_instance_window_jobs_failures_and_concurrent(df: pd.DataFrame) -> None:
    pm = postmortem(df, instance="db-a", start="2026-11-01 01:30", end="2026-11-01 03:00", context="30min")
    assert (pm.instance_id, pm.instance_name, pm.region) == ("inst-a", "db-a", "cn-north-4")
    assert (pm.start, pm.end) == (utc("2026-11-01 01:30"), utc("2026-11-01 03:00"))
    # Only a3 (02:00–02:30) overlaps the window: a2 ended at 01:14, a4 started the next day.
    assert ids(pm.jobs) == ["a3"]
    assert ids(pm.failures) == ["a3"]
    expected_template = fail_reason_template(pm.failures["fail_reason"]).iloc[0]
    assert pm.failures["template"].iloc[0] == expected_template
    assert "<INSTANCE_ID>" in expected_template
    # Window ± 30 min = 01:00–03:30: a1, a2 on db-a; b4, b1, b2 in the same region; db-c is elsewhere.
    assert ids(pm.concurrent) == ["a1", "a2", "b4", "b1", "b2"]
    assert pm.concurrent["scope"].tolist() == ["same instance"] * 2 + ["same region"] * 3


def test_default_window_is_the_instance_history(df: pd.DataFrame) -> None:
    pm = postmortem(df, instance="inst-a")
    # First job created 01:00 on 1 Nov; the running a4 lasts until it was observed.
    assert (pm.start, pm.end) == (utc("2026-11-01 01:00"), utc("2026-11-02 12:00"))
    assert ids(pm.jobs) == ["a1", "a2", "a3", "a4"]
    # Everything else in cn-north-4 overlaps that day and a half.
    assert ids(pm.concurrent) == ["b4", "b1", "b2", "b3", "b5"]


def test_comparison_against_the_rest_of_the_fleet(df: pd.DataFrame) -> None:
    pm = postmortem(df, instance="db-a")
    table = pm.comparison
    # RestartInstance: db-a completed 120 and 240 s (p50 180); the others 60, 600, 100 s (p50 100).
    restart = table.loc["RestartInstance"]
    assert (restart["count"], restart["p50_s"], restart["fleet_count"], restart["fleet_p50_s"]) == (
        2,
        180,
        3,
        100,
    )
    assert restart["ratio"] == pytest.approx(1.8)
    assert restart["failure_rate"] == 0 and restart["fleet_failure_rate"] == pytest.approx(1 / 4)
    # Resize: db-a has no completed one (a3 failed, a4 runs): no p50, no ratio; 1 failed of 1 finished.
    resize = table.loc["ResizeMongoDBInstance"]
    assert resize["count"] == 0 and math.isnan(resize["p50_s"]) and math.isnan(resize["ratio"])
    assert resize["failure_rate"] == 1 and resize["fleet_p50_s"] == 1800 and resize["fleet_failure_rate"] == 0
    assert list(table.index) == ["RestartInstance", "ResizeMongoDBInstance"]  # largest ratio first, NaN last


def test_region_narrows_the_fleet(df: pd.DataFrame) -> None:
    pm = postmortem(df, instance="db-a", region="cn-north-4")
    # In cn-north-4 the only other completed restart is b1 (60 s).
    assert pm.comparison.loc["RestartInstance", "fleet_p50_s"] == 60
    assert pm.comparison.loc["RestartInstance", "ratio"] == pytest.approx(3.0)


def test_region_postmortem_defaults_to_the_last_seven_days(df: pd.DataFrame) -> None:
    pm = postmortem(df, region="ap-southeast-1", context="0s")
    assert pm.instance_id is None and pm.region == "ap-southeast-1"
    assert (pm.start, pm.end) == (utc("2026-10-26 12:00"), utc("2026-11-02 12:00"))
    assert ids(pm.jobs) == ["c1", "c2", "c3"]
    assert ids(pm.failures) == ["c2"] and pm.concurrent.empty


def test_unknown_names_and_bad_arguments_are_reported(df: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="'db-nope'"):
        postmortem(df, instance="db-nope")
    with pytest.raises(ValueError, match=r"'eu-west-0'.*regions: ap-southeast-1, cn-north-4"):
        postmortem(df, region="eu-west-0")
    with pytest.raises(ValueError, match="no jobs in region"):
        postmortem(df, instance="db-a", region="ap-southeast-1")
    with pytest.raises(ValueError, match="later than start"):
        postmortem(df, instance="db-a", start="2026-11-02", end="2026-11-01")
    with pytest.raises(ValueError, match="context"):
        postmortem(df, instance="db-a", context="soon")
    with pytest.raises(ValueError, match="instance_name"):
        postmortem(df.drop(columns="instance_name"), instance="db-a")


def test_summary_text_and_html(df: pd.DataFrame) -> None:
    pm = postmortem(df, instance="db-c")
    text = str(pm)
    assert "db-c (inst-c)" in text
    assert "Jobs: 3 (2 completed, 1 failed)" in text
    assert "2026-11-01 02:20 – 2026-11-02 03:01 UTC" in text
    page = pm._repr_html_()
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert HOSTILE_REASON not in page


def test_plot_draws_the_window_with_failures(df: pd.DataFrame) -> None:
    pm = postmortem(df, instance="db-a", start="2026-11-01 00:00", end="2026-11-01 04:00")
    ax = Figure().add_subplot()
    assert pm.plot(ax=ax) is ax
    # One title, the post-mortem's, in place of the timeline's (not a second one on top of it).
    assert ax.get_title() == "Post-mortem: db-a (inst-a)"
    assert ax.get_title(loc="left") == ax.get_title(loc="right") == ""
    bars = {c.get_label(): len(c.get_paths()) for c in ax.collections if isinstance(c, PolyCollection)}
    assert bars == {"Completed": 2, "Failed": 1}
    wide = pm.plot(ax=Figure().add_subplot(), concurrent=True)
    assert isinstance(wide, Axes)
    assert [t.get_text() for t in wide.get_yticklabels()] == ["db-a", "db-b"]


def test_is_a_plain_dataclass(df: pd.DataFrame) -> None:
    pm = postmortem(df, instance="db-b", context=pd.Timedelta(minutes=5))
    assert isinstance(pm, PostMortem) and pm.context == pd.Timedelta(minutes=5)
    assert all(isinstance(t, pd.DataFrame) for t in (pm.jobs, pm.failures, pm.concurrent, pm.comparison))


def test_rows_without_region_or_instance_are_not_neighbours(df: pd.DataFrame) -> None:
    gappy = df.copy()
    b1 = gappy["job_id"] == "b1"
    gappy["region"] = gappy["region"].astype(object).where(~b1, None).astype("category")
    gappy["instance_id"] = gappy["instance_id"].astype(object).where(~b1, None).astype("category")
    pm = postmortem(gappy, instance="db-a", start="2026-11-01 01:30", end="2026-11-01 03:00", context="30min")
    assert ids(pm.concurrent) == ["a1", "a2", "b4", "b2"]  # b1 lost its region and instance
    in_region = postmortem(gappy, region="cn-north-4").jobs
    assert ids(in_region) == ["a1", "a2", "a3", "b4", "b2", "b3", "b5", "a4"]


def _restarts(instance: str, durations: list[int], first: int) -> list[dict[str, str]]:
    return [
        {
            "id": f"{instance}-{n}",
            "name": "RestartInstance",
            "instance_id": instance,
            "instance_name": instance,
            "status": "Completed",
            "progress": "",
            "fail_reason": None,
            "created_at": f"2026-11-01T{first + n:02d}:00:00+0000",
            "ended_at": f"2026-11-01T{first + n:02d}:{seconds // 60:02d}:{seconds % 60:02d}+0000",
        }
        for n, seconds in enumerate(durations)
    ]


@pytest.mark.parametrize(("slow_jobs", "headline"), [(2, False), (3, True)])
def test_slower_than_the_fleet_needs_a_few_jobs_on_both_sides(slow_jobs: int, headline: bool) -> None:
    from ddsjobs_analytics._frame import jobs_frame

    # The subject's restarts take 300 s, the fleet's 100 s: a ratio of 3, but only a headline with ≥ 3 jobs.
    records = _restarts("db-slow", [300] * slow_jobs, 0) + _restarts("db-fast", [100, 100, 100], 10)
    pm = postmortem(jobs_frame(records, observed_at="2026-11-02T00:00:00Z"), instance="db-slow")
    assert pm.comparison.loc["RestartInstance", "ratio"] == pytest.approx(3.0)
    assert ("Slower than the fleet" in str(pm)) is headline


def _hourly_jobs() -> pd.DataFrame:
    """One instance: 7 ten-minute jobs from 00:30 UTC every 30 min, then 10 from 08:05 UTC every 20 min."""
    from ddsjobs_analytics._frame import jobs_frame

    early = [pd.Timestamp("2026-11-01 00:30", tz="UTC") + pd.Timedelta(minutes=30 * n) for n in range(7)]
    late = [pd.Timestamp("2026-11-01 08:05", tz="UTC") + pd.Timedelta(minutes=20 * n) for n in range(10)]
    records = [
        {
            "id": f"j{n}",
            "name": "RestartInstance",
            "instance_id": "inst-x",
            "instance_name": "db-x",
            "status": "Completed",
            "progress": "",
            "fail_reason": None,
            "created_at": created.strftime("%Y-%m-%dT%H:%M:%S+0000"),
            "ended_at": (created + pd.Timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%S+0000"),
        }
        for n, created in enumerate(early + late)
    ]
    return jobs_frame(records, observed_at="2026-11-02T00:00:00Z")


def _drawn(ax: Axes) -> int:
    return sum(len(c.get_paths()) for c in ax.collections if isinstance(c, PolyCollection))


@pytest.mark.parametrize("tz", ["UTC+8", "+08:00", "Asia/Shanghai"])
def test_naive_window_means_the_same_in_postmortem_and_timeline(tz: str) -> None:
    from ddsjobs_analytics._render._plots import plot_timeline

    jobs = _hourly_jobs()
    start, end = "2026-11-01 08:00", "2026-11-01 12:00"  # naive: 00:00–04:00 UTC in a UTC+8 zone
    timeline = plot_timeline(jobs, start=start, end=end, tz=tz, ax=Figure().add_subplot())
    pm = postmortem(jobs, instance="db-x", start=start, end=end, tz=tz)
    # Issue #11: the timeline read local time (7 jobs) and the post-mortem UTC (10 jobs).
    assert (pm.start, pm.end) == (utc("2026-11-01 00:00"), utc("2026-11-01 04:00"))
    assert len(pm.jobs) == 7
    drawn = pm.plot(ax=Figure().add_subplot())
    assert _drawn(timeline) == _drawn(drawn) == 7
    assert drawn.get_xlim() == pytest.approx(timeline.get_xlim())
    assert drawn.get_xlabel() == timeline.get_xlabel()  # the post-mortem keeps its zone for the chart
    label = "Asia/Shanghai" if tz == "Asia/Shanghai" else "UTC+08:00"
    assert f"2026-11-01 08:00 – 2026-11-01 12:00 {label}" in str(pm)


def test_naive_window_without_tz_is_utc_in_both() -> None:
    from ddsjobs_analytics._render._plots import plot_timeline

    jobs = _hourly_jobs()
    start, end = "2026-11-01 08:00", "2026-11-01 12:00"
    pm = postmortem(jobs, instance="db-x", start=start, end=end)
    timeline = plot_timeline(jobs, start=start, end=end, ax=Figure().add_subplot())
    assert len(pm.jobs) == _drawn(timeline) == _drawn(pm.plot(ax=Figure().add_subplot())) == 10
    assert "2026-11-01 08:00 – 2026-11-01 12:00 UTC" in str(pm)
    # Another display zone on the chart moves the labels, not the window.
    local = pm.plot(ax=Figure().add_subplot(), tz="UTC+8")
    assert _drawn(local) == 10 and "UTC+08:00" in local.get_xlabel()
    with pytest.raises(ValueError, match="unknown time zone"):
        postmortem(jobs, instance="db-x", tz="Mars/Olympus")


INCIDENT = (pd.Timestamp("2026-11-30 10:00", tz="UTC"), pd.Timestamp("2026-11-30 12:00", tz="UTC"))


def _weekly_jobs() -> pd.DataFrame:
    """db-x: ten 1-minute jobs every 10 min from 10:00 UTC on 30 Nov (4 failed with a new reason) and in the
    same hours of the 4 weeks before (2 of those 40 failed, timeouts); db-y, same region: 10 failures now."""
    from ddsjobs_analytics._frame import jobs_frame

    def job(instance: str, created: pd.Timestamp, failed: bool, reason: str) -> dict[str, Any]:
        return {
            "id": f"{instance}-{created:%m%d%H%M}",
            "name": "RestartInstance",
            "instance_id": instance,
            "instance_name": instance,
            "region": "r1",
            "status": "Failed" if failed else "Completed",
            "progress": "",
            "fail_reason": reason if failed else None,
            "created_at": created.strftime("%Y-%m-%dT%H:%M:%S+0000"),
            "ended_at": (created + pd.Timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S+0000"),
        }

    records = []
    for week in range(5):  # week 0 is the incident
        for n in range(10):
            created = INCIDENT[0] - pd.Timedelta(weeks=week) + pd.Timedelta(minutes=10 * n)
            failed = n < 4 if week == 0 else (n == 0 and week in (1, 3))
            reason = "Disk full on node 10.0.0.1" if week == 0 else "Timed out after 300 s"
            records.append(job("db-x", created, failed, reason))
    records += [job("db-y", INCIDENT[0] + pd.Timedelta(minutes=n), True, "Boom") for n in range(10)]
    return jobs_frame(records, observed_at="2026-12-01T00:00:00Z")


def _fisher_two_sided(x1: int, n1: int, x0: int, n0: int) -> float:
    """Fisher's exact test from the hypergeometric probabilities, written out independently."""
    failures, total = x1 + x0, n1 + n0

    def prob(x: int) -> float:
        return math.comb(failures, x) * math.comb(total - failures, n1 - x) / math.comb(total, n1)

    observed = prob(x1)
    return sum(prob(x) for x in range(min(failures, n1) + 1) if prob(x) <= observed * (1 + 1e-7))


def test_postmortem_compares_the_window_with_the_same_hours_of_previous_weeks() -> None:
    jobs = _weekly_jobs()
    pm = postmortem(jobs, instance="db-x", start=INCIDENT[0], end=INCIDENT[1])
    found = pm.previous_weeks
    assert found is not None and found.current == INCIDENT
    assert found.baseline == [
        (INCIDENT[0] - pd.Timedelta(weeks=k), INCIDENT[1] - pd.Timedelta(weeks=k)) for k in (1, 2, 3, 4)
    ]
    rate = found.changes.set_index("metric").loc["failure_rate"]
    # db-x only (db-y's ten failures are another instance): 4 of 10 now, 2 of 40 in the previous weeks.
    assert (rate["n_current"], rate["n_baseline"]) == (10, 40)
    assert (rate["current"], rate["baseline"]) == pytest.approx((0.4, 0.05))
    assert rate["p_value"] == pytest.approx(_fisher_two_sided(4, 10, 2, 40))
    assert rate["verdict"] == "regressed"
    assert found.new_fail_reasons["count"].tolist() == [4]  # the disk-full template, never seen before
    # Durations: 6 completed now, fewer than min_jobs (10), so only the rate is tested and q = p (0.011).
    assert rate["q_value"] == pytest.approx(rate["p_value"]) == pytest.approx(0.010955, abs=1e-6)
    assert dict(pm.facts())["Previous weeks"] == (
        "failure rate 40% vs 5% in the same hours of the 4 previous weeks (q=0.011, regressed);"
        " 1 failure reason not seen in those weeks"
    )
    assert "Same hours of the previous weeks (4)" in pm._repr_html_()
    assert pm.previous_weeks is found  # computed once


def test_previous_weeks_options_zone_and_limits() -> None:
    jobs = _weekly_jobs()
    pm = postmortem(jobs, instance="db-x", start="2026-11-30 18:00", end="2026-11-30 20:00", tz="UTC+8")
    two = pm.compare_previous_weeks(weeks=2)
    assert two.current == INCIDENT  # naive times read in the post-mortem's zone, as for its jobs
    assert two.changes.set_index("metric").loc["failure_rate", "n_baseline"] == 20
    region = postmortem(jobs, region="r1", start=INCIDENT[0], end=INCIDENT[1]).previous_weeks
    assert region is not None
    assert region.changes.set_index("metric").loc["failure_rate", "n_current"] == 20  # db-x and db-y
    few = postmortem(
        jobs, instance="db-x", start=INCIDENT[0], end=INCIDENT[0] + pd.Timedelta(minutes=35), weeks=1
    )
    # 10:00–10:35: 4 jobs now, 4 a week before; incident_comparison needs 10 (min_jobs) on each side.
    assert dict(few.facts())["Previous weeks"].startswith(
        "too few jobs to compare with the same hours of the previous week (4 now, 4 then)"
    )
    whole = postmortem(jobs, instance="db-x")  # its whole history: four weeks and more
    assert whole.previous_weeks is None and "Previous weeks" not in dict(whole.facts())
    with pytest.raises(ValueError, match="longer than a week"):
        whole.compare_previous_weeks()
    assert "Previous weeks" not in dict(
        postmortem(jobs, instance="db-x", start=INCIDENT[0], end=INCIDENT[1], weeks=0).facts()
    )


def test_previous_weeks_names_a_duration_change() -> None:
    from ddsjobs_analytics._frame import jobs_frame

    records = [
        {
            "id": f"j{week}-{n}",
            "name": "Backup",
            "instance_id": "db-x",
            "instance_name": "db-x",
            "status": "Completed",
            "progress": "",
            "fail_reason": None,
            "created_at": (
                start := INCIDENT[0] - pd.Timedelta(weeks=week) + pd.Timedelta(minutes=5 * n)
            ).strftime("%Y-%m-%dT%H:%M:%S+0000"),
            # 10 min now, 1 min in each earlier week.
            "ended_at": (start + pd.Timedelta(minutes=10 if week == 0 else 1)).strftime(
                "%Y-%m-%dT%H:%M:%S+0000"
            ),
        }
        for week in range(3)
        for n in range(12)
    ]
    jobs = jobs_frame(records, observed_at="2026-12-01T00:00:00Z")
    pm = postmortem(jobs, instance="db-x", start=INCIDENT[0], end=INCIDENT[1], weeks=2)
    assert pm.previous_weeks is not None
    median = pm.previous_weeks.changes.set_index("metric").loc["duration_p50"]
    line = dict(pm.facts())["Previous weeks"]
    assert line.startswith("failure rate 0% vs 0% in the same hours of the 2 previous weeks")
    assert f"median duration 10m vs 1m (10.0×, q={median['q_value']:.2g}, regressed)" in line
