from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.container import ErrorbarContainer
from matplotlib.figure import Figure
from report_scenario import OBSERVED_AT, frame, rows, utc
from report_scenario import records as records_of_scenario

from ddsjobs_analytics._frame import jobs_frame
from ddsjobs_analytics._render._plots import (
    STATUS_COLORS,
    DurationLocator,
    format_duration,
    plot_duration_trend,
    plot_durations,
    plot_fail_reasons,
    plot_failure_rates,
    plot_timeline,
)
from ddsjobs_analytics._stats._failures import failure_rates

PLOTS: list[Callable[..., Axes]] = [
    plot_durations,
    plot_duration_trend,
    plot_failure_rates,
    plot_fail_reasons,
    plot_timeline,
]


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    return frame()


def num(*times: str) -> np.ndarray:
    return np.asarray(mdates.date2num(pd.DatetimeIndex([utc(t) for t in times]).tz_localize(None).to_numpy()))


def tick_texts(axis: Any) -> list[str]:
    return [label.get_text() for label in axis.get_ticklabels()]


class Bar(NamedTuple):
    x: float
    end: float
    y: float  # bottom edge
    height: float


def collection(ax: Axes, label: str) -> PolyCollection:
    (found,) = [c for c in ax.collections if isinstance(c, PolyCollection) and c.get_label() == label]
    return found


def bars(ax: Axes, label: str) -> list[Bar]:
    """The timeline's bars of one status: one PolyCollection of rectangles, in drawing order."""
    out = []
    for path in collection(ax, label).get_paths():
        xs, ys = path.vertices[:4, 0], path.vertices[:4, 1]
        out.append(Bar(xs.min(), xs.max(), ys.min(), ys.max() - ys.min()))
    return out


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.5, "0.5s"),
        (42, "42s"),
        (60, "1m"),
        (125, "2m 05s"),
        (3600, "1h"),
        (3900, "1h 05m"),
        (93600, "1d 02h"),
    ],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_format_duration_of_nan_is_a_dash() -> None:
    assert format_duration(float("nan")) == "–"


def test_duration_ticks_are_human_units() -> None:
    assert list(DurationLocator(log=True).tick_values(5, 20000)) == [10, 60, 600, 3600]
    linear = DurationLocator(log=False).tick_values(0, 3000)
    assert list(linear) == [0, 600, 1200, 1800, 2400, 3000]


@pytest.mark.parametrize("plot", PLOTS)
def test_draws_on_the_given_axes_or_a_new_figure(
    plot: Callable[..., Axes], df: pd.DataFrame, ax: Axes
) -> None:
    assert plot(df, ax=ax) is ax
    first, second = plot(df), plot(df)
    assert isinstance(first, Axes) and first.figure is not second.figure


@pytest.mark.parametrize("plot", PLOTS)
def test_empty_data_gives_a_no_data_axes(plot: Callable[..., Axes], df: pd.DataFrame, ax: Axes) -> None:
    plot(df.iloc[:0], ax=ax)
    notes = [text for text in ax.texts if text.get_gid() == "no-data"]
    assert len(notes) == 1 and notes[0].get_text().startswith("No ")
    assert not ax.patches and not ax.collections


@pytest.mark.parametrize("plot", PLOTS)
def test_missing_columns_are_named(plot: Callable[..., Axes], df: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="status"):
        plot(df.drop(columns="status"))


def test_durations_one_box_per_type_with_the_median_marked(df: pd.DataFrame, ax: Axes) -> None:
    plot_durations(df, ax=ax)
    # Completed: RestartInstance 120, 240, 60, 600, 100 s → median 120; Resize 1200, 2400 s → 1800.
    # Top to bottom in duration_stats' order (most jobs first); tick labels read bottom-up.
    assert tick_texts(ax.yaxis) == ["ResizeMongoDBInstance  n=2, 1 running", "RestartInstance  n=5"]
    medians = next(c for c in ax.collections if c.get_label() == "median")
    np.testing.assert_allclose(medians.get_offsets(), [[1800, 1], [120, 2]])
    assert [t.get_text() for t in ax.texts] == ["30m", "2m"]
    assert ax.get_xscale() == "log"


def test_durations_top_and_linear_scale(df: pd.DataFrame, ax: Axes) -> None:
    plot_durations(df, top=1, log=False, ax=ax)
    assert tick_texts(ax.yaxis) == ["RestartInstance  n=5"]
    assert ax.get_xscale() == "linear"


@pytest.mark.parametrize("status", ["Failed", ["Failed"]])
def test_durations_of_failed_jobs(df: pd.DataFrame, ax: Axes, status: str | list[str]) -> None:
    plot_durations(df, status=status, ax=ax)
    medians = next(c for c in ax.collections if c.get_label() == "median")
    # Failed: RestartInstance 60 s, RestartNode 60 s, Resize 1800 s, CreateMongoDB 3600 s; slowest on top.
    assert sorted(medians.get_offsets()[:, 0]) == [60, 60, 1800, 3600]
    # duration_stats' order: all four have one job, so group order; its first row is drawn at the top.
    assert tick_texts(ax.yaxis)[-1] == "RestartInstance  n=1"
    assert ax.get_title() == "Duration of failed jobs by job_type"


def test_durations_of_all_finished_jobs(df: pd.DataFrame, ax: Axes) -> None:
    plot_durations(df, status=None, ax=ax)
    medians = next(c for c in ax.collections if c.get_label() == "median")
    # RestartInstance: completed 120, 240, 60, 600, 100 plus the failed 60 → 60 60 100 120 240 600 → 110.
    offsets = dict(zip(tick_texts(ax.yaxis), medians.get_offsets()[:, 0], strict=True))
    assert offsets["RestartInstance  n=6"] == pytest.approx(110)
    assert offsets["ResizeMongoDBInstance  n=3, 1 running"] == pytest.approx(1800)  # 1200, 1800, 2400


def test_duration_trend_median_and_p90_per_day(df: pd.DataFrame, ax: Axes) -> None:
    plot_duration_trend(df, hue=None, ax=ax)
    lines = {line.get_label(): line for line in ax.lines}
    # 2026-11-01: 120, 240, 60, 1200, 2400, 600 → median (240 + 600) / 2, p90 = 1200 + 0.5 · 1200.
    # 2026-11-02: 100.
    np.testing.assert_allclose(lines["median"].get_ydata(), [420, 100])
    np.testing.assert_allclose(lines["p90"].get_ydata(), [1800, 100])
    np.testing.assert_allclose(lines["median"].get_xdata(), num("2026-11-01", "2026-11-02"))
    overall = next(label for label in lines if label.startswith("overall median"))
    assert overall == "overall median 4m"  # median of all seven: 240 s


def test_duration_trend_of_one_type_in_local_days(df: pd.DataFrame, ax: Axes) -> None:
    plot_duration_trend(df, job_type="ResizeMongoDBInstance", tz="Asia/Shanghai", ax=ax)
    median = next(line for line in ax.lines if line.get_label() == "median")
    np.testing.assert_allclose(median.get_ydata(), [1800])  # 1200 and 2400, both on 1 Nov in Beijing
    np.testing.assert_allclose(median.get_xdata(), num("2026-10-31 16:00"))  # Beijing midnight
    assert "Asia/Shanghai" in ax.get_xlabel()


def test_failure_rate_whiskers_are_the_wilson_bounds(df: pd.DataFrame, ax: Axes) -> None:
    plot_failure_rates(df, ax=ax)
    expected = failure_rates(df)
    bars = next(c for c in ax.containers if isinstance(c, ErrorbarContainer))
    points = bars.lines[0].get_xydata()
    segments = bars.lines[2][0].get_segments()
    labels = [text.split()[0] for text in tick_texts(ax.yaxis)]
    assert sorted(labels) == sorted(expected.index.astype(str))
    for (rate, y), segment, label in zip(
        points, segments, [labels[int(p)] for p in points[:, 1]], strict=True
    ):
        row = expected.loc[label]
        assert rate == pytest.approx(row["failure_rate"])
        assert segment[0][0] == pytest.approx(row["ci_low"]) and segment[1][0] == pytest.approx(
            row["ci_high"]
        )
        assert segment[0][1] == segment[1][1] == y
    overall = next(line for line in ax.lines if str(line.get_label()).startswith("all jobs"))
    assert overall.get_xdata()[0] == pytest.approx(4 / 11)  # 4 failed of 11 finished


def test_failure_rates_min_total_and_top(df: pd.DataFrame, ax: Axes) -> None:
    plot_failure_rates(df, min_total=2, ax=ax)
    # RestartInstance 1/6 and Resize 1/3 have two or more finished jobs; the 1/1 types do not.
    assert tick_texts(ax.yaxis) == ["RestartInstance  1/6", "ResizeMongoDBInstance  1/3"]
    other = Figure().add_subplot()
    plot_failure_rates(df, top=1, ax=other)
    # The highest Wilson lower bound: one of the two types that failed once out of one try.
    assert tick_texts(other.yaxis) in (["CreateMongoDB  1/1"], ["RestartNode  1/1"])


def test_fail_reasons_bars_are_template_counts(df: pd.DataFrame, ax: Axes) -> None:
    plot_fail_reasons(df, width=24, ax=ax)
    bars = ax.patches
    assert [bar.get_width() for bar in bars] == [1, 1, 2]  # most frequent at the top
    labels = tick_texts(ax.yaxis)
    # Wrapped on two lines of at most 24 characters, the rest cut with an ellipsis.
    assert labels[-1] == "Node <INSTANCE_ID>\n(<IP:PORT>) is unreacha…"
    assert all(len(line) <= 24 for label in labels for line in label.split("\n"))
    assert any(label.startswith("<script>") for label in labels)  # drawn as text, never interpreted


def test_timeline_bars_span_created_to_ended(df: pd.DataFrame, ax: Axes) -> None:
    plot_timeline(df, instance="db-a", ax=ax)
    assert tick_texts(ax.yaxis) == ["RestartInstance", "ResizeMongoDBInstance"]  # one instance: lanes by type
    completed = bars(ax, "Completed")
    expected = num("2026-11-01 01:00", "2026-11-01 01:02", "2026-11-01 01:10", "2026-11-01 01:14")
    np.testing.assert_allclose([bar.x for bar in completed], expected[[0, 2]])
    np.testing.assert_allclose([bar.end for bar in completed], expected[[1, 3]])

    (failed,) = bars(ax, "Failed")
    np.testing.assert_allclose([failed.x, failed.end], num("2026-11-01 02:00", "2026-11-01 02:30"))
    failed_bars = collection(ax, "Failed")
    assert mcolors.to_hex(failed_bars.get_facecolor()[0]) == STATUS_COLORS["Failed"].lower()
    assert failed_bars.get_hatch() == "////"

    # Running: from created to when it was observed (ended_at from the API is ignored), open-ended.
    (running,) = bars(ax, "Running")
    observed = num(OBSERVED_AT.strftime("%Y-%m-%d %H:%M"))[0]
    assert running.x == pytest.approx(num("2026-11-02 10:00")[0])
    assert running.end == pytest.approx(observed)
    assert {text.get_text() for text in ax.get_legend().get_texts()} >= {
        "completed",
        "failed",
        "running (to last seen)",
    }


def test_timeline_lanes_per_instance_and_overlaps_stacked(df: pd.DataFrame, ax: Axes) -> None:
    plot_timeline(df, start="2026-11-01 02:00", end="2026-11-01 03:00", ax=ax)
    assert tick_texts(ax.yaxis) == ["db-a", "db-b", "db-c"]
    np.testing.assert_allclose(ax.get_xlim(), num("2026-11-01 02:00", "2026-11-01 03:00"))
    completed = bars(ax, "Completed")
    # In that hour db-b runs b4 (02:05–02:45) and b1 (02:10–02:11) at once: they must not share a row.
    starts = {round(bar.x, 9): bar.y for bar in completed}
    b4, b1 = num("2026-11-01 02:05", "2026-11-01 02:10")
    assert abs(starts[round(b4, 9)] - starts[round(b1, 9)]) >= completed[0].height
    shown = {round(bar.x, 9) for bar in completed + bars(ax, "Failed")}
    # b2 starts at 03:00 exactly and is drawn; c2 (06:00) and a2 (ends 01:14) are outside the window.
    expected = rows(df, "b4", "b1", "c1", "b2", "a3")["created"]
    assert shown == {round(x, 9) for x in num(*[str(t.tz_localize(None)) for t in expected])}
    # The legend names what is drawn: nothing runs in that hour, so no "running" entry.
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["completed", "failed", "failure (end)"]


def test_timeline_in_local_time(df: pd.DataFrame, ax: Axes) -> None:
    plot_timeline(
        df, instance="inst-a", tz="Asia/Shanghai", start="2026-11-01 10:00", end="2026-11-01 11:00", ax=ax
    )
    # Naive start/end are read in the display zone: 10:00 Beijing is 02:00 UTC.
    np.testing.assert_allclose(ax.get_xlim(), num("2026-11-01 02:00", "2026-11-01 03:00"))
    labels = ax.xaxis.get_major_formatter().format_ticks(list(num("2026-11-01 02:15", "2026-11-01 02:30")))
    assert labels == ["10:15", "10:30"]
    assert "Asia/Shanghai" in ax.get_xlabel()


def test_timeline_rejects_unknown_instance_and_bad_window(df: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="'db-zz'"):
        plot_timeline(df, instance="db-zz")
    with pytest.raises(ValueError, match="later than start"):
        plot_timeline(df, start="2026-11-02", end="2026-11-01")
    with pytest.raises(ValueError, match="unknown time zone"):
        plot_timeline(df, tz="Mars/Olympus")


def test_timeline_caps_the_number_of_lanes(df: pd.DataFrame, ax: Axes) -> None:
    plot_timeline(df, max_lanes=1, ax=ax)
    # db-b has the most failures (b3, b5).
    assert tick_texts(ax.yaxis) == ["db-b"]
    assert "1 of 3 lanes" in ax.get_ylabel()  # not in the title, which callers replace


def test_timeline_missing_end_and_unknown_status(df: pd.DataFrame, ax: Axes) -> None:
    records = [r for r in records_of_scenario() if r["id"] in ("a1", "a2")]
    records[0]["ended_at"] = ""  # Completed, but we do not know when: a point at created, not open-ended
    records[1]["status"] = "Canceling"  # no verdict, and the frame keeps no ended for it: open to observed_at
    records[1]["ended_at"] = ""
    odd = jobs_frame(records, observed_at=OBSERVED_AT, errors="ignore")
    plot_timeline(odd, ax=ax)
    (completed,) = bars(ax, "Completed")
    assert completed.x == pytest.approx(num("2026-11-01 01:00")[0]) and completed.end == completed.x
    (other,) = bars(ax, "Other")
    assert other.end == pytest.approx(num(OBSERVED_AT.strftime("%Y-%m-%d %H:%M"))[0])
    assert "other status" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_timeline_draws_one_collection_per_status(df: pd.DataFrame, ax: Axes) -> None:
    plot_timeline(df, ax=ax)
    polys = [c.get_label() for c in ax.collections if isinstance(c, PolyCollection)]
    assert polys == ["Completed", "Failed", "Running"] and not ax.patches
    assert len(bars(ax, "Completed")) == 7 and len(bars(ax, "Failed")) == 4


def test_timeline_past_max_bars_draws_merged_spans_with_a_note(df: pd.DataFrame, ax: Axes) -> None:
    plot_timeline(df, max_bars=6, ax=ax)
    # 12 jobs > 6: per lane and status, the union of overlapping jobs. On db-b, b1 (02:10-02:11) lies
    # inside b4 (02:05-02:45): one span. Every other completed job stands alone: 7 jobs, 6 spans.
    completed = bars(ax, "Completed")
    assert len(completed) == 6
    spans = sorted((round(bar.x, 9), round(bar.end, 9)) for bar in completed)
    b4_start, b4_end, b1_start = num("2026-11-01 02:05", "2026-11-01 02:45", "2026-11-01 02:10")
    assert (round(b4_start, 9), round(b4_end, 9)) in spans
    assert round(b1_start, 9) not in {start for start, _ in spans}
    assert len(bars(ax, "Failed")) == 4 and len(bars(ax, "Running")) == 1  # none of them overlap
    assert "12 jobs (over 6): merged spans" in ax.get_ylabel()
    with pytest.raises(ValueError, match="max_bars"):
        plot_timeline(df, max_bars=0)
