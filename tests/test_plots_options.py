"""The charts' shared options: by= lists, order=, **kwargs, hue=, periods in a zone, and layout."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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
from report_scenario import frame, utc

from ddsjobs_analytics._render._plots import (
    plot_duration_trend,
    plot_durations,
    plot_fail_reasons,
    plot_failure_rates,
    plot_timeline,
)
from ddsjobs_analytics._stats._failures import failure_rates
from ddsjobs_analytics.simulator._sample import load_sample


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    return frame()


def top_down(ax: Axes) -> list[str]:
    """Tick labels of the y axis from the top of the chart down."""
    ticks = sorted(zip(ax.get_yticks(), ax.get_yticklabels(), strict=True), key=lambda t: -t[0])
    return [label.get_text() for _, label in ticks]


def lines(ax: Axes) -> dict[str, Any]:
    return {str(line.get_label()): line for line in ax.lines}


def num(*times: str) -> np.ndarray:
    return np.asarray(mdates.date2num(pd.DatetimeIndex([utc(t) for t in times]).tz_localize(None).to_numpy()))


# ---------------------------------------------------------------------------------------------------- by=


def test_durations_by_a_list_labels_groups_by_joined_values(df: pd.DataFrame, ax: Axes) -> None:
    plot_durations(df, by=["job_type", "region"], ax=ax)  # issue #11: TypeError: unhashable type: 'list'
    # Completed RestartInstance: cn-north-4 a1 120, a2 240, b1 60 (3); ap-southeast-1 c1 600, c3 100 (2).
    assert top_down(ax) == [
        "RestartInstance · cn-north-4  n=3",
        "RestartInstance · ap-southeast-1  n=2",
        "ResizeMongoDBInstance · cn-north-4  n=2, 1 running",
    ]
    medians = next(c for c in ax.collections if c.get_label() == "median")
    assert sorted(medians.get_offsets()[:, 0]) == [120, 350, 1800]
    assert ax.get_title() == "Duration of completed jobs by job_type, region"


@pytest.mark.parametrize(
    ("plot", "option"),
    [
        (plot_durations, "by"),
        (plot_failure_rates, "by"),
        (plot_duration_trend, "hue"),
    ],
)
def test_a_series_as_by_is_a_short_type_error(
    plot: Callable[..., Axes], option: str, df: pd.DataFrame
) -> None:
    with pytest.raises(TypeError, match="takes a column name or a list of column names") as error:
        plot(df, **{option: df["job_type"]})  # issue #11: a 56,331-character error
    assert len(str(error.value)) < 150 and plot.__name__ in str(error.value)


# ------------------------------------------------------------------------------------------------- order


def test_failure_rate_chart_lists_groups_in_the_tables_order(df: pd.DataFrame, ax: Axes) -> None:
    plot_failure_rates(df, ax=ax)
    table = failure_rates(df)
    assert [label.split()[0] for label in top_down(ax)] == list(table.index.astype(str))


def test_failure_rates_per_local_day_in_time_order(df: pd.DataFrame, ax: Axes) -> None:
    plot_failure_rates(df, by=None, freq="D", tz="UTC+8", ax=ax)
    # In Beijing, 1 Nov holds the ten jobs created 01:00–08:00 UTC (4 failed: a3, b3, b5, c2);
    # 2 Nov holds c3 (completed 03:00 UTC) and a4 (running, not counted).
    assert top_down(ax) == ["2026-11-01  4/10", "2026-11-02  0/1"]
    assert ax.get_ylabel() == "day starting (UTC+08:00)"
    assert ax.get_title() == "Failure rate per day"


def test_failure_rates_by_a_list_and_a_multi_level_table(df: pd.DataFrame, ax: Axes) -> None:
    table = failure_rates(df, by=["region", "job_type"])
    plot_failure_rates(table, ax=ax)
    assert top_down(ax)[0].startswith(" · ".join(map(str, table.index[0])))
    assert ax.get_title() == "Failure rate by region, job_type"


def test_order_picks_and_orders_the_groups(df: pd.DataFrame) -> None:
    durations = plot_durations(
        df, order=["ResizeMongoDBInstance", "RestartInstance"], ax=Figure().add_subplot()
    )
    assert [t.split()[0] for t in top_down(durations)] == ["ResizeMongoDBInstance", "RestartInstance"]
    rates = plot_failure_rates(df, order=["RestartNode", "RestartInstance"], ax=Figure().add_subplot())
    assert top_down(rates) == ["RestartNode  1/1", "RestartInstance  1/6"]
    timeline = plot_timeline(df, order=["db-c", "db-a"], ax=Figure().add_subplot())
    assert top_down(timeline)[::-1] == ["db-c", "db-a"]  # the timeline's first lane is on top (y inverted)
    trend = plot_duration_trend(
        df, order=["ResizeMongoDBInstance", "RestartInstance"], ax=Figure().add_subplot()
    )
    assert [label.split(" (")[0] for label in lines(trend)] == ["ResizeMongoDBInstance", "RestartInstance"]


def test_fail_reasons_order_names_templates(df: pd.DataFrame, ax: Axes) -> None:
    plot_fail_reasons(df, ax=ax)
    templates = [text.replace("\n", " ") for text in top_down(ax)]
    other = Figure().add_subplot()
    plot_fail_reasons(df, order=[str(df.ddsjobs.fail_reason_groups()["template"].iloc[-1])], ax=other)
    assert len(other.patches) == 1 and top_down(other)[0].replace("\n", " ") == templates[-1]


@pytest.mark.parametrize("plot", [plot_durations, plot_failure_rates, plot_timeline, plot_duration_trend])
def test_an_unknown_group_in_order_is_named(plot: Callable[..., Axes], df: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="order= names no group \\['nope'\\]"):
        plot(df, order=["nope"])


# ------------------------------------------------------------------------------------------------ kwargs


def test_kwargs_reach_the_main_artist(df: pd.DataFrame) -> None:
    boxes = plot_durations(df, whis=(0, 100), ax=Figure().add_subplot())
    # Whiskers at min and max: RestartInstance 60 … 600 s.
    whisker_ends = sorted({float(x) for line in boxes.lines for x in line.get_xdata()})
    assert whisker_ends[0] == 60 and 600 in whisker_ends
    rates = plot_failure_rates(df, color="green", ax=Figure().add_subplot())
    (bars,) = [c for c in rates.containers if isinstance(c, ErrorbarContainer)]
    assert mcolors.to_hex(bars.lines[0].get_color()) == "#008000"
    reasons = plot_fail_reasons(df, color="black", ax=Figure().add_subplot())
    assert {mcolors.to_hex(p.get_facecolor()) for p in reasons.patches} == {"#000000"}
    timeline = plot_timeline(df, alpha=0.3, ax=Figure().add_subplot())
    assert {c.get_alpha() for c in timeline.collections if isinstance(c, PolyCollection)} == {0.3}
    trend = plot_duration_trend(df, linewidth=3, ax=Figure().add_subplot())
    assert {line.get_linewidth() for line in trend.lines} == {3}


# ---------------------------------------------------------------------------------------------------- hue


def test_trend_draws_one_line_per_type_by_default(df: pd.DataFrame, ax: Axes) -> None:
    plot_duration_trend(df, ax=ax)
    drawn = lines(ax)
    assert list(drawn) == ["RestartInstance (n=5)", "ResizeMongoDBInstance (n=2)"]  # most jobs first
    # RestartInstance on 1 Nov: 120, 240, 60, 600 s → median 180; on 2 Nov c3, 100 s.
    np.testing.assert_allclose(drawn["RestartInstance (n=5)"].get_ydata(), [180, 100])
    np.testing.assert_allclose(drawn["RestartInstance (n=5)"].get_xdata(), num("2026-11-01", "2026-11-02"))
    np.testing.assert_allclose(drawn["ResizeMongoDBInstance (n=2)"].get_ydata(), [1800])  # 1200, 2400
    assert ax.get_title() == "Median duration of completed jobs by job_type"


def test_trend_percentile_top_and_list_hue(df: pd.DataFrame) -> None:
    p90 = plot_duration_trend(df, stat="p90", ax=Figure().add_subplot())
    # 60 120 240 600: position 0.9 × 3 = 2.7 → 240 + 0.7 × 360 = 492.
    np.testing.assert_allclose(lines(p90)["RestartInstance (n=5)"].get_ydata(), [492, 100])
    one = plot_duration_trend(df, top=1, ax=Figure().add_subplot())
    # One group left: its median and p90 with the band, as for a single job type.
    assert {"median", "p90"} <= set(lines(one)) and one.get_title().endswith("RestartInstance")
    mixed = plot_duration_trend(df, hue=["job_type", "region"], top=2, ax=Figure().add_subplot())
    assert list(lines(mixed)) == [
        "RestartInstance · cn-north-4 (n=3)",
        "ResizeMongoDBInstance · cn-north-4 (n=2)",
    ]
    assert mixed.get_title().endswith("(top 2 of 3 by jobs)")
    with pytest.raises(ValueError, match="stat="):
        plot_duration_trend(df, stat="p900")


def test_trend_palette(df: pd.DataFrame, ax: Axes) -> None:
    plot_duration_trend(df, palette={"ResizeMongoDBInstance": "black"}, ax=ax)
    assert mcolors.to_hex(lines(ax)["ResizeMongoDBInstance (n=2)"].get_color()) == "#000000"


# ------------------------------------------------------------------------------------------------ layout


def _extents(figure: Figure, artists: list[Any]) -> list[Any]:
    figure.draw_without_rendering()
    renderer = figure._get_renderer()  # type: ignore[attr-defined]
    return [artist.get_window_extent(renderer) for artist in artists]


def _inside(box: Any, outer: Any, slack: float = 0.5) -> bool:
    return (
        box.x0 >= outer.x0 - slack
        and box.x1 <= outer.x1 + slack
        and box.y0 >= outer.y0 - slack
        and box.y1 <= outer.y1 + slack
    )


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return load_sample()


@pytest.mark.parametrize("new_figure", [True, False])
def test_fail_reason_labels_stay_inside_the_figure(sample: pd.DataFrame, new_figure: bool) -> None:
    if new_figure:
        ax = plot_fail_reasons(sample)
    else:  # as the report draws it: a bare constrained Figure sized to the rows
        figure = Figure(figsize=(10, 3.6), layout="constrained")
        ax = plot_fail_reasons(sample, ax=figure.add_subplot())
        figure.set_size_inches(10, 1.6 + 0.4 * abs(np.diff(ax.get_ylim())[0]))
    figure = ax.get_figure()
    assert isinstance(figure, Figure)
    labels = [label for label in ax.get_yticklabels() if label.get_text()]
    assert len(labels) == 10
    for label, box in zip(labels, _extents(figure, labels + ax.texts), strict=False):
        assert _inside(box, figure.bbox), label.get_text()
    # Templates of up to two lines' worth are shown whole.
    whole = [label.get_text() for label in labels if not label.get_text().endswith("…")]
    assert any("\n" in text for text in whole)


@pytest.mark.parametrize("hue", ["job_type", None])
def test_trend_legend_is_outside_the_data(sample: pd.DataFrame, hue: str | None) -> None:
    for ax in (
        plot_duration_trend(sample, hue=hue),
        plot_duration_trend(sample, hue=hue, ax=Figure(figsize=(9, 3.6), layout="constrained").add_subplot()),
    ):
        figure = ax.get_figure()
        assert isinstance(figure, Figure)
        legend = ax.get_legend()
        legend_box, axes_box = _extents(figure, [legend, ax])
        # Not over the plotting area (where the lines are), and not cut off by the figure.
        assert legend_box.x0 >= axes_box.x1 or not legend_box.overlaps(axes_box)
        assert _inside(legend_box, figure.bbox)
