"""Charts of job durations: a box plot per group, and the duration trend over time (per type by default)."""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from ..._analysis._analyse import Analysis
from ..._core._calendar import TzLike, period_start, tz_label
from ..._core._format import format_duration
from ..._frame import require_columns
from ..._stats._durations import GroupKeys, StatusSelection, duration_stats, group_keys, selected_statuses
from ._axes import (
    _FREQ_WORDS,
    MEDIAN_COLOR,
    _axes,
    _date_axis,
    _duration_axis,
    _horizontal_boxplot,
    _no_data,
    cut_note,
    date_numbers,
    group_label,
    group_noun,
    jobs_of,
    order_keys,
    zone_in_effect,
)

_BOX_STYLE: dict[str, Any] = {
    "widths": 0.6,
    "showfliers": False,
    "patch_artist": True,
    "boxprops": {"facecolor": "#DCE4F0", "edgecolor": "#4C72B0"},
    "whiskerprops": {"color": "#4C72B0"},
    "capprops": {"color": "#4C72B0"},
    "medianprops": {"visible": False},
}


def group_series(rows: pd.DataFrame, keys: Sequence[str]) -> pd.Series | list[pd.Series]:
    """What to ``groupby`` for ``keys``: one column as itself (scalar group keys), several as a list."""
    if not keys:
        return pd.Series("all", index=rows.index)
    return rows[keys[0]] if len(keys) == 1 else [rows[key] for key in keys]


def plot_durations(
    data: pd.DataFrame | Analysis,
    *,
    by: GroupKeys = "job_type",
    status: StatusSelection = "Completed",
    top: int = 12,
    order: Sequence[str] | None = None,
    log: bool = True,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Box plot plus jittered points of job durations per ``by`` group, with each median marked and labelled.

    ``by`` is a column or a list of columns (labels join the values with " · "). Groups come top to bottom
    in the order of :func:`duration_stats` (most jobs first), the first ``top`` of them, or only those
    listed in ``order`` (labels), in that order. Only jobs of ``status`` (a status, several, or None for
    Completed and Failed) with a measured duration are drawn: running jobs have no duration yet (they are
    right-censored), so the tick labels say how many are still running rather than hide them silently.
    ``kwargs`` go to ``Axes.boxplot`` (``whis``, ``widths``, ``boxprops``…). ``data`` is a jobs frame or an
    :class:`~ddsjobs_analytics.Analysis` (its duration statistics are reused when by/status match).
    """
    data, analysis = jobs_of(data)
    keys = group_keys(by, func="plot_durations")
    require_columns(data, [*keys, "status", "duration_s"], func="plot_durations")
    statuses = selected_statuses(status)
    kind = "finished" if status is None else " or ".join(s.lower() for s in statuses)
    title = f"Duration of {kind} jobs" + (f" by {', '.join(keys)}" if keys else "")
    if not len(data):
        stats = pd.DataFrame()
    elif analysis is not None and isinstance(by, str):
        stats = analysis.duration_stats_for(by, status)
    else:
        stats = duration_stats(data, by=keys or None, status=status)
    rows = data[data["status"].isin(statuses)]
    durations = rows["duration_s"]
    keep = durations.notna() & (durations > 0) if log else durations.notna()
    durations = durations[keep]
    if durations.empty or stats.empty:
        return _no_data(_axes(ax, (8, 3)), f"No {kind} jobs with a duration", title)

    grouped: dict[Hashable, np.ndarray] = {
        key: values.to_numpy(float)
        for key, values in durations.groupby(group_series(rows.loc[keep], keys), observed=True)
    }
    if order is None:
        chosen = [key for key in stats.index if key in grouped][:top]  # the table's order
    else:
        chosen = order_keys(list(grouped), order, func="plot_durations")
    medians = dict(zip(stats.index, stats["p50_s"].astype(float), strict=True))
    running = dict(zip(stats.index, stats["running"], strict=True)) if "running" in stats else {}
    title += cut_note(len(chosen), len(grouped), group_noun(keys))
    chosen = chosen[::-1]  # drawn bottom-up, so the first group is at the top
    positions = np.arange(1, len(chosen) + 1, dtype=float)
    ax = _axes(ax, (8, 1.2 + 0.45 * len(chosen)))

    arrays = [grouped[key] for key in chosen]
    _horizontal_boxplot(ax, arrays, positions, **{**_BOX_STYLE, **kwargs})
    # Jittered points show the sample size and the shape a box hides; capped so big groups stay legible.
    rng = np.random.default_rng(0)
    for pos, values in zip(positions, arrays, strict=True):
        shown = values if len(values) <= 400 else rng.choice(values, 400, replace=False)
        jitter = rng.uniform(-0.18, 0.18, len(shown))
        ax.scatter(shown, pos + jitter, s=5, color="#4C72B0", alpha=0.35, linewidths=0, zorder=2)
    median_values = np.array([medians[key] for key in chosen], dtype=float)
    ax.scatter(
        median_values,
        positions,
        marker="D",
        s=28,
        color="white",
        edgecolors=MEDIAN_COLOR,
        zorder=4,
        label="median",
    )
    for pos, median in zip(positions, median_values, strict=True):
        ax.annotate(
            format_duration(median),
            xy=(1.01, pos),
            xycoords=("axes fraction", "data"),
            va="center",
            fontsize="small",
            color=MEDIAN_COLOR,
        )
    labels = []
    for key in chosen:
        run = running.get(key, 0)
        run = 0 if pd.isna(run) else int(run)
        labels.append(f"{group_label(key)}  n={len(grouped[key])}" + (f", {run} running" if run else ""))
    ax.set_yticks(positions, labels, parse_math=False)
    ax.set_ylim(0.4, len(chosen) + 0.6)
    if log:
        ax.set_xscale("log")
    _duration_axis(ax.xaxis, log=log)
    ax.set_xlabel("duration" + (" (log scale)" if log else ""))
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize="small", frameon=False)
    ax.grid(axis="x", alpha=0.3)
    return ax


def _quantile_of(stat: str) -> float:
    """0.5 for "median", 0.9 for "p90"; anything else is an error naming the choices."""
    match = re.fullmatch(r"p(\d{1,2}(?:\.\d+)?)", stat)
    if stat == "median":
        return 0.5
    if match and 0 < float(match[1]) < 100:
        return float(match[1]) / 100
    raise ValueError(f"plot_duration_trend: stat={stat!r}; use 'median' or a percentile like 'p90'")


def plot_duration_trend(
    data: pd.DataFrame | Analysis,
    *,
    hue: GroupKeys = "job_type",
    job_type: str | Sequence[str] | None = None,
    top: int = 5,
    order: Sequence[str] | None = None,
    stat: str = "median",
    freq: str = "D",
    tz: TzLike = None,
    log: bool = False,
    palette: Sequence[str] | Mapping[str, str] | None = None,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Duration of completed jobs per calendar period of their start, one line per ``hue`` group.

    By default one line per job type: the ``stat`` (``"median"`` or a percentile like ``"p90"``) of each of
    the ``top`` types with the most jobs (or the groups listed in ``order``), since a single line over all
    types moves with the mix of types rather than with their speed. ``hue`` is a column or a list of them;
    ``hue=None``, or a single group (``job_type="Resize…"``), draws the median and p90 of all selected jobs
    with the band between them and a dashed overall median. Periods (``freq``: ``"D"``, ``"W"``, ``"6h"``…)
    are cut in ``tz`` (UTC by default), so "D" means local days; the axis label names the zone.
    ``kwargs`` go to each group's line (``Axes.plot``); ``palette`` is a list of colours or a mapping from
    group label to colour. The legend sits outside the axes, right of the data.
    """
    data, analysis = jobs_of(data)
    keys = group_keys(hue, func="plot_duration_trend")
    require_columns(data, ["job_type", "status", "created", "duration_s", *keys], func="plot_duration_trend")
    quantile = _quantile_of(stat)
    types = [job_type] if isinstance(job_type, str) else (list(job_type) if job_type is not None else None)
    tzinfo = zone_in_effect(tz, analysis)
    rows = data[(data["status"] == "Completed") & data["duration_s"].notna() & data["created"].notna()]
    if types is not None:
        rows = rows[rows["job_type"].isin(types)]
    ax = _axes(ax, (9, 3.5))
    title = "Duration trend of completed " + (", ".join(types) if types else "jobs (all types)")
    if rows.empty:
        return _no_data(ax, "No completed jobs with a duration", title)

    periods = period_start(rows["created"], freq, tzinfo)
    durations = pd.Series(rows["duration_s"].to_numpy(float), index=rows.index)
    groups = None
    if keys:
        labels = pd.Series(
            [group_label(key) for key in rows[keys].itertuples(index=False, name=None)]
            if len(keys) > 1
            else rows[keys[0]].astype("string").fillna("<NA>").to_numpy(),
            index=rows.index,
        )
        counts = labels.groupby(labels).size().sort_values(ascending=False, kind="stable")
        if order is not None:
            groups = order_keys(list(counts.index), order, func="plot_duration_trend")
        elif len(counts) > 1:
            groups = list(counts.index[:top])
        if groups is not None and len(groups) == 1:
            title = f"Duration trend of completed {groups[0]}"
            keep = (labels == groups[0]).to_numpy()
            rows, periods, durations, groups = rows[keep], periods[keep], durations[keep], None
    if groups is None:
        _band_trend(ax, durations, periods, **kwargs)
    else:
        shown = labels.isin(groups).to_numpy()
        _hue_trend(ax, durations[shown], periods[shown], labels[shown], groups, quantile, palette, **kwargs)
        title = f"{'Median' if stat == 'median' else stat} duration of completed jobs by {', '.join(keys)}"
        if order is None and len(counts) > len(groups):
            title += f" (top {len(groups)} of {len(counts)} by jobs)"
    _date_axis(ax, tzinfo)
    if log:
        ax.set_yscale("log")
    _duration_axis(ax.yaxis, log=log)
    if not log:
        ax.set_ylim(bottom=0)
    ax.set_xlabel(f"job start, per {_FREQ_WORDS.get(freq, freq)} ({tz_label(tzinfo)})")
    ax.set_ylabel("duration" + (" (log scale)" if log else ""))
    ax.set_title(title)
    # Outside the axes, right of the data: a legend inside would cover the latest periods' points.
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)
    ax.grid(alpha=0.3)
    return ax


def _band_trend(ax: Axes, durations: pd.Series, periods: pd.Series, **kwargs: Any) -> None:
    """Median and p90 per period with the band between them, and the overall median dashed."""
    per = durations.groupby(periods, sort=True)
    summary = pd.DataFrame({"median": per.median(), "p90": per.quantile(0.9)})
    x = date_numbers(summary.index)
    ax.fill_between(x, summary["median"], summary["p90"], color="#4C72B0", alpha=0.15, linewidth=0)
    ax.plot(x, summary["p90"].to_numpy(), "o-", color="#8172B3", markersize=3, label="p90")
    ax.plot(
        x,
        summary["median"].to_numpy(),
        "o-",
        **{"color": "#4C72B0", "markersize": 3, "label": "median", **kwargs},
    )
    overall = float(np.median(durations.to_numpy()))
    ax.axhline(
        overall,
        color=MEDIAN_COLOR,
        linestyle="--",
        linewidth=1,
        label=f"overall median {format_duration(overall)}",
    )


def _hue_trend(
    ax: Axes,
    durations: pd.Series,
    periods: pd.Series,
    labels: pd.Series,
    groups: list[Any],
    quantile: float,
    palette: Sequence[str] | Mapping[str, str] | None,
    **kwargs: Any,
) -> None:
    """One line per group: the ``quantile`` of its durations per period (periods without jobs skipped)."""
    table = durations.groupby([periods, labels], sort=True).quantile(quantile).unstack()
    counts = labels.value_counts()
    cycle = [c["color"] for c in mpl.rcParams["axes.prop_cycle"]]
    for i, group in enumerate(groups):
        values = table[group].dropna()
        if isinstance(palette, Mapping):
            color = palette.get(group, cycle[i % len(cycle)])
        else:
            colors = list(palette) if palette is not None else cycle
            color = colors[i % len(colors)]
        style = {
            "color": color,
            "markersize": 3,
            "linewidth": 1.4,
            "label": f"{group} (n={int(counts[group])})",
        }
        ax.plot(date_numbers(values.index), values.to_numpy(float), "o-", **{**style, **kwargs})
