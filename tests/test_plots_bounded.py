"""Charts stay a bounded size whatever the data: lanes and rows are capped, and the cut is said on the chart.

Issue 16: a day with many instances and bursts of jobs drew a 1000 x 112,904 px timeline.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from PIL import Image

from ddsjobs_analytics import analyse, jobs_frame, write_report
from ddsjobs_analytics._render._plots import (
    plot_durations,
    plot_fail_reasons,
    plot_failure_rates,
    plot_timeline,
)
from ddsjobs_analytics._render._plots._timeline import merge_spans

VERBS = ("resize", "restart", "back up", "upgrade")
NOUNS = ("shard", "replica set", "config server", "mongos", "disk")  # with VERBS: 20 phrasings
OBSERVED = pd.Timestamp("2026-11-02 12:00", tz="UTC")


def busy_day(jobs: int = 20_000, instances: int = 3_000, types: int = 40, seed: int = 7) -> pd.DataFrame:
    """``jobs`` jobs on one day over ``instances`` instances: most instances have a few jobs, 20 have bursts
    of hundreds; ``types`` job types; a fifth of the jobs fail, mostly with distinct messages."""
    rng = np.random.default_rng(seed)
    burst = rng.integers(0, 20, jobs // 2)  # half the jobs on 20 bursting instances
    rest = rng.integers(20, instances, jobs - len(burst))
    instance = np.concatenate([burst, rest])
    instance[: instances - 20] = np.arange(20, instances)  # every instance has at least one job
    created = pd.Timestamp("2026-11-01", tz="UTC") + pd.to_timedelta(rng.uniform(0, 86_000, jobs), unit="s")
    length = pd.to_timedelta(rng.exponential(600, jobs), unit="s")
    failed = rng.random(jobs) < 0.2
    records = [
        {
            "id": f"job-{i}",
            "name": f"Type{rng.integers(types) if i >= types else i}",
            "instance_id": f"inst-{instance[i]}",
            "instance_name": f"db-{instance[i]}",
            "status": "Failed" if failed[i] else "Completed",
            "fail_reason": f"Cannot {VERBS[i % 4]} the {NOUNS[i % 5]}: error {i}" if failed[i] else None,
            "created_at": created[i].strftime("%Y-%m-%dT%H:%M:%S+0000"),
            "ended_at": (created[i] + length[i]).strftime("%Y-%m-%dT%H:%M:%S+0000"),
            "region": "cn-north-4",
            "project_id": "p",
        }
        for i in range(jobs)
    ]
    return jobs_frame(records, observed_at=OBSERVED)


@pytest.fixture(scope="module")
def day() -> pd.DataFrame:
    return busy_day()


def test_merge_spans_unions_overlaps_per_key() -> None:
    left = np.array([0.0, 1.0, 2.0, 10.0, 11.0, 0.5, 3.0])
    right = np.array([3.0, 2.0, 4.0, 12.0, 11.5, 1.0, 3.5])
    key = np.array([0, 0, 0, 0, 0, 1, 1])
    # Key 0: [0,3] holds [1,2], touches [2,4] -> [0,4]; [10,12] holds [11,11.5]. Key 1 never merges with 0.
    lo, hi, k = merge_spans(left, right, key)
    assert list(zip(lo, hi, k, strict=True)) == [(0.0, 4.0, 0), (10.0, 12.0, 0), (0.5, 1.0, 1), (3.0, 3.5, 1)]


def test_timeline_height_depends_on_lanes_not_jobs(day: pd.DataFrame) -> None:
    sizes = []
    for rows in (day.iloc[:2_000], day):
        ax = plot_timeline(rows)
        sizes.append(tuple(ax.figure.get_size_inches()))
        matplotlib.pyplot.close(ax.figure)
    # 40 lanes each time (the default max_lanes): the same figure for 2,000 and for 20,000 jobs.
    assert sizes[0] == sizes[1] == (10.0, pytest.approx(1.4 + 0.45 * 40))


def test_timeline_keeps_max_lanes_and_says_so(day: pd.DataFrame) -> None:
    ax = plot_timeline(day, lanes_by="jobs", ax=Figure().add_subplot())
    labels = [t.get_text() for t in ax.get_yticklabels()]
    counts = day["instance_name"].value_counts()
    # lanes_by="jobs": the busiest instances (ties at the 40th broken by failures): the 20 bursting ones
    # and then only instances with at least as many jobs as the 40th busiest.
    assert len(labels) == 40 and {f"db-{i}" for i in range(20)} <= set(labels)
    assert counts[labels].min() == counts.iloc[39]
    assert "40 of 3000 lanes: most jobs" in ax.get_ylabel()
    assert "merged spans" in ax.get_ylabel()  # the 40 busiest hold more than 5,000 jobs
    with pytest.raises(ValueError, match="lanes_by"):
        plot_timeline(day, lanes_by="size")


def test_charts_say_how_many_rows_they_show(day: pd.DataFrame) -> None:
    analysis = analyse(day)
    assert "(15 of 40 types shown)" in plot_failure_rates(analysis, ax=Figure().add_subplot()).get_title()
    assert "(12 of 40 types shown)" in plot_durations(analysis, ax=Figure().add_subplot()).get_title()
    reasons = len(analysis.fail_reason_groups)  # the templater merges some of the 20 phrasings
    assert reasons > 10
    title = plot_fail_reasons(analysis, ax=Figure().add_subplot()).get_title()
    assert f"(10 of {reasons} reasons shown)" in title
    few = plot_failure_rates(analysis, top=100, ax=Figure().add_subplot()).get_title()
    assert "shown" not in few  # nothing cut, nothing said


def test_no_report_png_above_4000_px(day: pd.DataFrame, tmp_path: Path) -> None:
    paths = write_report(day, tmp_path / "report")
    assert "timeline" in paths.charts and "failure_rates" in paths.charts
    for name, path in paths.charts.items():
        with Image.open(path) as image:
            assert max(image.size) <= 4_000, (name, image.size)
