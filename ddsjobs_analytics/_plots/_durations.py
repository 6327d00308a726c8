"""Charts of job durations: a box plot per group, and the median/p90 trend over time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from .._analysis import Analysis
from .._durations import StatusSelection, duration_stats, selected_statuses
from .._format import format_duration
from .._frame import require_columns
from .._intervals import tzinfo_of
from ._axes import (
    _FREQ_WORDS,
    MEDIAN_COLOR,
    _axes,
    _date_axis,
    _duration_axis,
    _horizontal_boxplot,
    _no_data,
    _tz_label,
    date_numbers,
    jobs_of,
)


def plot_durations(
    data: pd.DataFrame | Analysis,
    *,
    by: str = "job_type",
    status: StatusSelection = "Completed",
    top: int = 12,
    log: bool = True,
    ax: Axes | None = None,
) -> Axes:
    """Box plot plus jittered points of job durations per ``by`` group, with each median marked and labelled.

    Groups are the ``top`` largest by count, ordered by median (slowest at the top). Only jobs of ``status``
    (a status, several, or None for Completed and Failed, as in :func:`duration_stats`)
    with a measured duration are drawn: running jobs have no duration yet (they are right-censored), so the
    tick labels say how many are still running rather than hide them silently. ``data`` is a jobs frame
    or an :class:`~ddsjobs_analytics.Analysis` (its duration statistics are reused when by/status match).
    """
    data, analysis = jobs_of(data)
    require_columns(data, [by, "status", "duration_s"], func="plot_durations")
    statuses = selected_statuses(status)
    kind = "finished" if status is None else " or ".join(s.lower() for s in statuses)
    title = f"Duration of {kind} jobs by {by}"
    if not len(data):
        stats = pd.DataFrame()
    elif analysis is not None:
        stats = analysis.duration_stats_for(by, status)
    else:
        stats = duration_stats(data, by=by, status=status)
    rows = data[data["status"].isin(statuses)]
    durations = rows["duration_s"]
    keep = durations.notna() & (durations > 0) if log else durations.notna()
    durations = durations[keep]
    if durations.empty or stats.empty:
        return _no_data(_axes(ax, (8, 3)), f"No {kind} jobs with a duration", title)

    grouped = {
        key: values.to_numpy(float) for key, values in durations.groupby(rows.loc[keep, by], observed=True)
    }
    counts = pd.Series({key: len(values) for key, values in grouped.items()}, dtype=int)
    chosen = counts.sort_values(ascending=False, kind="stable").index[:top]
    medians = stats.loc[chosen, "p50_s"].astype(float).sort_values(kind="stable")
    order = list(medians.index)
    positions = np.arange(1, len(order) + 1, dtype=float)
    ax = _axes(ax, (8, 1.2 + 0.45 * len(order)))

    arrays = [grouped[key] for key in order]
    _horizontal_boxplot(
        ax,
        arrays,
        positions,
        widths=0.6,
        showfliers=False,
        patch_artist=True,
        boxprops={"facecolor": "#DCE4F0", "edgecolor": "#4C72B0"},
        whiskerprops={"color": "#4C72B0"},
        capprops={"color": "#4C72B0"},
        medianprops={"visible": False},
    )
    # Jittered points show the sample size and the shape a box hides; capped so big groups stay legible.
    rng = np.random.default_rng(0)
    for pos, values in zip(positions, arrays, strict=True):
        shown = values if len(values) <= 400 else rng.choice(values, 400, replace=False)
        jitter = rng.uniform(-0.18, 0.18, len(shown))
        ax.scatter(shown, pos + jitter, s=5, color="#4C72B0", alpha=0.35, linewidths=0, zorder=2)
    ax.scatter(
        medians.to_numpy(),
        positions,
        marker="D",
        s=28,
        color="white",
        edgecolors=MEDIAN_COLOR,
        zorder=4,
        label="median",
    )
    for pos, median in zip(positions, medians.to_numpy(), strict=True):
        ax.annotate(
            format_duration(median),
            xy=(1.01, pos),
            xycoords=("axes fraction", "data"),
            va="center",
            fontsize="small",
            color=MEDIAN_COLOR,
        )
    running = stats.loc[order, "running"] if "running" in stats else pd.Series(0, index=order)
    labels = [
        f"{key}  n={len(grouped[key])}" + (f", {int(run)} running" if run else "")
        for key, run in zip(order, running.fillna(0).to_numpy(), strict=True)
    ]
    ax.set_yticks(positions, labels, parse_math=False)
    ax.set_ylim(0.4, len(order) + 0.6)
    if log:
        ax.set_xscale("log")
    _duration_axis(ax.xaxis, log=log)
    ax.set_xlabel("duration" + (" (log scale)" if log else ""))
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize="small", frameon=False)
    ax.grid(axis="x", alpha=0.3)
    return ax


def plot_duration_trend(
    data: pd.DataFrame | Analysis,
    *,
    job_type: str | Sequence[str] | None = None,
    freq: str = "D",
    ax: Axes | None = None,
    tz: str | dt.tzinfo | None = None,
) -> Axes:
    """Median and 90th-percentile duration of completed jobs per period of their start time.

    The band between the two lines is where the slowest half of the jobs lies; a dashed line marks the
    median over the whole range. Periods are cut in ``tz`` (UTC by default), so "D" means local days.
    ``data`` is a jobs frame or an :class:`~ddsjobs_analytics.Analysis`.
    """
    data, _ = jobs_of(data)
    require_columns(data, ["job_type", "status", "created", "duration_s"], func="plot_duration_trend")
    types = [job_type] if isinstance(job_type, str) else (list(job_type) if job_type is not None else None)
    title = "Duration trend of completed " + (", ".join(types) if types else "jobs (all types)")
    tzinfo = tzinfo_of(tz)
    rows = data[(data["status"] == "Completed") & data["duration_s"].notna() & data["created"].notna()]
    if types is not None:
        rows = rows[rows["job_type"].isin(types)]
    ax = _axes(ax, (8, 3.5))
    if rows.empty:
        return _no_data(ax, "No completed jobs with a duration", title)

    series = pd.Series(
        rows["duration_s"].to_numpy(float), index=pd.DatetimeIndex(rows["created"]).tz_convert(tzinfo)
    )
    periods = series.sort_index().resample(freq)
    summary = pd.DataFrame(
        {"median": periods.median(), "p90": periods.quantile(0.9), "count": periods.count()}
    )
    summary = summary[summary["count"] > 0]
    x = date_numbers(summary.index)
    ax.fill_between(x, summary["median"], summary["p90"], color="#4C72B0", alpha=0.15, linewidth=0)
    ax.plot(x, summary["p90"].to_numpy(), "o-", color="#8172B3", markersize=3, label="p90")
    ax.plot(x, summary["median"].to_numpy(), "o-", color="#4C72B0", markersize=3, label="median")
    overall = float(np.median(series.to_numpy()))
    ax.axhline(
        overall,
        color=MEDIAN_COLOR,
        linestyle="--",
        linewidth=1,
        label=f"overall median {format_duration(overall)}",
    )
    _date_axis(ax, tzinfo)
    _duration_axis(ax.yaxis, log=False)
    ax.set_ylim(bottom=0)
    ax.set_xlabel(f"job start, per {_FREQ_WORDS.get(freq, freq)} ({_tz_label(tzinfo)})")
    ax.set_ylabel("duration")
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize="small", frameon=False)
    ax.grid(alpha=0.3)
    return ax
