"""Charts of job durations, failure rates, failure reasons and per-instance timelines.

Every function takes the jobs frame first and everything else by keyword, draws on ``ax`` when given
(otherwise on a new figure) and returns the Axes, like seaborn. Empty input does not raise: the Axes
says "No data" instead, so a report on a quiet week still renders every section.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Sequence
from typing import Any

import matplotlib as mpl
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib import ticker
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ._durations import StatusSelection, duration_stats, selected_statuses
from ._failures import failure_rates
from ._frame import require_columns
from ._names import TERMINAL_STATUSES
from ._reasons import fail_reason_groups
from ._time import parse_moment

__all__ = [
    "STATUS_COLORS",
    "format_duration",
    "plot_duration_trend",
    "plot_durations",
    "plot_fail_reasons",
    "plot_failure_rates",
    "plot_timeline",
]

STATUS_COLORS: dict[str, str] = {
    "Completed": "#4C72B0",
    "Failed": "#C44E52",
    "Running": "#DD8452",
}
OTHER_STATUS_COLOR = "#8C8C8C"
FAILED_HATCH = "////"
MEDIAN_COLOR = "#222222"

# Tick candidates a person reads without arithmetic: 1 s … 1 year.
_NICE_SECONDS: tuple[float, ...] = (
    *(1, 2, 5, 10, 15, 30),
    *(60 * m for m in (1, 2, 5, 10, 15, 30)),
    *(3600 * h for h in (1, 2, 3, 6, 12)),
    *(86400 * d for d in (1, 2, 7, 14, 30, 60, 90, 180, 365)),
)
# On a log axis, the decade-like landmarks: 1 s, 10 s, 1 min, 10 min, 1 h, 6 h, 1 d, 1 w, 30 d.
_LOG_LANDMARKS: tuple[float, ...] = (1, 10, 60, 600, 3600, 6 * 3600, 86400, 7 * 86400, 30 * 86400)


_FREQ_WORDS = {"h": "hour", "D": "day", "W": "week", "MS": "month", "ME": "month", "M": "month"}


def format_duration(seconds: float) -> str:
    """``59`` → ``59s``, ``3900`` → ``1h 05m``, ``190000`` → ``2d 04h``; NaN → ``–``."""
    if seconds is None or not np.isfinite(seconds):
        return "–"
    sign = "-" if seconds < 0 else ""
    seconds = abs(float(seconds))
    if seconds < 59.5:
        return f"{sign}{seconds:.3g}s"
    whole = round(seconds)
    if whole < 3600:
        minutes, secs = divmod(whole, 60)
        return f"{sign}{minutes}m {secs:02d}s" if secs else f"{sign}{minutes}m"
    if whole < 86400:
        hours, rest = divmod(whole, 3600)
        minutes = rest // 60
        return f"{sign}{hours}h {minutes:02d}m" if minutes else f"{sign}{hours}h"
    days, rest = divmod(whole, 86400)
    hours = rest // 3600
    return f"{sign}{days}d {hours:02d}h" if hours else f"{sign}{days}d"


class DurationLocator(ticker.Locator):
    """Ticks at human durations (30 s, 5 min, 1 h …) instead of powers of ten or multiples of 1000 s."""

    def __init__(self, *, log: bool, max_ticks: int = 7) -> None:
        self.log = log
        self.max_ticks = max_ticks

    def __call__(self) -> Sequence[float]:
        assert self.axis is not None
        vmin, vmax = self.axis.get_view_interval()
        return self.tick_values(vmin, vmax)

    def tick_values(self, vmin: float, vmax: float) -> Sequence[float]:
        vmin, vmax = sorted((float(vmin), float(vmax)))
        if self.log:
            ticks = [t for t in _LOG_LANDMARKS if vmin <= t <= vmax]
            if len(ticks) < 3:
                ticks = [t for t in _NICE_SECONDS if vmin <= t <= vmax]
                ticks = ticks[:: -(-len(ticks) // self.max_ticks)] if ticks else ticks
            if len(ticks) < 2:
                return list(ticker.LogLocator().tick_values(max(vmin, 1e-3), max(vmax, 1e-3)))
            return ticks
        span = vmax - vmin
        if span < self.max_ticks:
            return list(ticker.MaxNLocator(self.max_ticks).tick_values(vmin, vmax))
        step = next((s for s in _NICE_SECONDS if span / s <= self.max_ticks), None)
        if step is None:  # more than a few years: fall back to plain numbers of days
            step = 86400 * float(ticker.MaxNLocator(self.max_ticks).tick_values(0, span / 86400)[1])
        first = np.ceil(vmin / step) * step
        return list(np.arange(first, vmax + step * 1e-9, step))


def _duration_axis(axis: Any, *, log: bool) -> None:
    """Human duration ticks and labels ("1h 05m") on a seconds axis."""
    axis.set_major_locator(DurationLocator(log=log))
    axis.set_major_formatter(ticker.FuncFormatter(lambda value, _pos: format_duration(value)))
    if log:
        axis.set_minor_locator(ticker.LogLocator(subs="auto"))
        axis.set_minor_formatter(ticker.NullFormatter())


def _axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    """``ax`` itself, or the Axes of a new figure (pyplot's, so notebooks show it; never ``plt.gca()``)."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _fig, new_ax = plt.subplots(figsize=size, layout="constrained")
    return new_ax


def _no_data(ax: Axes, message: str, title: str) -> Axes:
    ax.text(0.5, 0.5, message, transform=ax.transAxes, ha="center", va="center", color="0.4", gid="no-data")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title)
    return ax


def _label_bar_ends(ax: Axes, ends: np.ndarray, positions: np.ndarray, texts: list[str]) -> None:
    """Small labels just right of each horizontal bar or whisker end."""
    for end, pos, text in zip(ends, positions, texts, strict=True):
        ax.annotate(
            text, xy=(end, pos), xytext=(4, 0), textcoords="offset points", va="center", fontsize="small"
        )


def _shorten(text: str, width: int) -> str:
    """One line of at most ``width`` characters, ending in an ellipsis when cut."""
    line = " ".join(str(text).split())
    return line if len(line) <= width else line[: width - 1].rstrip() + "…"


def date_numbers(times: pd.Series | pd.Index) -> np.ndarray:
    """Matplotlib date numbers of tz-aware timestamps (absolute instants; the tz only affects labels)."""
    values = pd.DatetimeIndex(times).tz_convert("UTC").tz_localize(None).to_numpy()
    return np.asarray(mdates.date2num(values), dtype=float)


def _tzinfo(tz: str | dt.tzinfo | None) -> dt.tzinfo:
    if tz is None:
        return dt.timezone.utc
    try:
        info = pd.Timestamp("2000-01-01", tz=tz).tzinfo
    except Exception as exc:
        raise ValueError(f"unknown time zone {tz!r}") from exc
    assert info is not None
    return info


def parse_time(value: Any, tz: dt.tzinfo, *, name: str, func: str) -> pd.Timestamp | None:
    """A UTC Timestamp from str/datetime/Timestamp/age (None stays None); naive values are read in ``tz``."""
    return None if value is None else parse_moment(value, naive_tz=tz, what=f"{func}: {name}")


def _date_axis(ax: Axes, tz: dt.tzinfo) -> None:
    locator = mdates.AutoDateLocator(tz=tz)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, tz=tz))


def _tz_label(tz: dt.tzinfo) -> str:
    return str(getattr(tz, "key", None) or getattr(tz, "zone", None) or tz.tzname(None) or tz)


def _horizontal_boxplot(ax: Axes, arrays: list[np.ndarray], positions: np.ndarray, **kwargs: Any) -> Any:
    # ``vert`` is deprecated since matplotlib 3.10 in favour of ``orientation``; support both.
    major, minor = (int(part) for part in mpl.__version__.split(".")[:2])
    orientation: dict[str, Any] = (
        {"orientation": "horizontal"} if (major, minor) >= (3, 10) else {"vert": False}
    )
    return ax.boxplot(arrays, positions=positions, **orientation, **kwargs)


def plot_durations(
    data: pd.DataFrame,
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
    tick labels say how many are still running rather than hide them silently.
    """
    require_columns(data, [by, "status", "duration_s"], func="plot_durations")
    statuses = selected_statuses(status)
    kind = "finished" if status is None else " or ".join(s.lower() for s in statuses)
    title = f"Duration of {kind} jobs by {by}"
    stats = duration_stats(data, by=by, status=status) if len(data) else pd.DataFrame()
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
    data: pd.DataFrame,
    *,
    job_type: str | Sequence[str] | None = None,
    freq: str = "D",
    ax: Axes | None = None,
    tz: str | dt.tzinfo | None = None,
) -> Axes:
    """Median and 90th-percentile duration of completed jobs per period of their start time.

    The band between the two lines is where the slowest half of the jobs lies; a dashed line marks the
    median over the whole range. Periods are cut in ``tz`` (UTC by default), so "D" means local days.
    """
    require_columns(data, ["job_type", "status", "created", "duration_s"], func="plot_duration_trend")
    types = [job_type] if isinstance(job_type, str) else (list(job_type) if job_type is not None else None)
    title = "Duration trend of completed " + (", ".join(types) if types else "jobs (all types)")
    tzinfo = _tzinfo(tz)
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


def plot_failure_rates(
    data: pd.DataFrame,
    *,
    by: str = "job_type",
    top: int = 15,
    min_total: int = 1,
    ax: Axes | None = None,
) -> Axes:
    """Failure rate per group as a point with its Wilson confidence interval as whiskers.

    Rates are failed / (completed + failed); groups with fewer than ``min_total`` finished jobs are left
    out. The ``top`` groups are chosen by the interval's lower bound (then the rate), so a single failure
    out of one try does not outrank 30 failures out of 200. A vertical line marks the overall rate.
    """
    require_columns(data, [by, "status"], func="plot_failure_rates")
    title = f"Failure rate by {by}"
    rates = failure_rates(data, by=by) if len(data) else pd.DataFrame()
    if rates.empty:
        return _no_data(_axes(ax, (8, 3)), "No finished jobs", title)
    finished = rates["completed"] + rates["failed"]
    shown = rates[(finished >= max(min_total, 1)) & rates["failure_rate"].notna()]
    if shown.empty:
        return _no_data(_axes(ax, (8, 3)), f"No group with at least {min_total} finished jobs", title)
    shown = shown.sort_values(["ci_low", "failure_rate"], ascending=False, kind="stable").head(top)
    shown = shown.sort_values("failure_rate", kind="stable")  # highest at the top of a horizontal chart
    ax = _axes(ax, (8, 1.2 + 0.4 * len(shown)))

    positions = np.arange(len(shown), dtype=float)
    rate = shown["failure_rate"].to_numpy(float)
    low = shown["ci_low"].to_numpy(float)
    high = shown["ci_high"].to_numpy(float)
    ax.errorbar(
        rate,
        positions,
        xerr=np.vstack([rate - low, high - rate]),
        fmt="o",
        color=STATUS_COLORS["Failed"],
        ecolor="#999999",
        capsize=3,
        label="failure rate, 95% Wilson CI",
    )
    overall = float(rates["failed"].sum() / finished.sum())
    ax.axvline(overall, color=MEDIAN_COLOR, linestyle="--", linewidth=1, label=f"all jobs {overall:.1%}")
    _label_bar_ends(ax, high, positions, [f"{value:.1%}" for value in rate])
    shown_finished = (shown["completed"] + shown["failed"]).astype(int)
    labels = [
        f"{key}  {int(failed)}/{int(total)}"
        for key, failed, total in zip(shown.index, shown["failed"], shown_finished, strict=True)
    ]
    ax.set_yticks(positions, labels, parse_math=False)
    ax.set_ylim(-0.6, len(shown) - 0.4)
    ax.xaxis.set_major_formatter(ticker.PercentFormatter(1.0))
    ax.set_xlim(0, min(1.0, float(np.nanmax(high)) * 1.15 + 0.02))
    ax.set_xlabel("failed / finished jobs")
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize="small", frameon=False)
    ax.grid(axis="x", alpha=0.3)
    return ax


def plot_fail_reasons(data: pd.DataFrame, *, top: int = 10, width: int = 60, ax: Axes | None = None) -> Axes:
    """Horizontal bars of the most frequent failure-reason templates (ids and numbers masked).

    Templates longer than ``width`` characters are cut with an ellipsis (the report's table has them whole).
    """
    require_columns(data, ["status", "fail_reason"], func="plot_fail_reasons")
    title = "Most frequent failure reasons"
    groups = fail_reason_groups(data) if len(data) else pd.DataFrame()
    if groups.empty:
        return _no_data(_axes(ax, (8, 3)), "No failed jobs with a reason", title)
    shown = groups.sort_values("count", ascending=False, kind="stable").head(top).iloc[::-1]
    ax = _axes(ax, (9, 1.2 + 0.4 * len(shown)))
    positions = np.arange(len(shown), dtype=float)
    counts = shown["count"].to_numpy(float)
    ax.barh(positions, counts, color=STATUS_COLORS["Failed"], alpha=0.85, height=0.6)
    shares = shown["share"].to_numpy(float)
    _label_bar_ends(
        ax, counts, positions, [f"{int(n)} ({s:.0%})" for n, s in zip(counts, shares, strict=True)]
    )
    labels = [_shorten(text, width) for text in shown["template"].astype(str)]
    ax.set_yticks(positions, labels, parse_math=False, fontsize="small")
    ax.set_xlim(0, counts.max() * 1.18)
    ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
    ax.set_xlabel("failed jobs")
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
    return ax


# --------------------------------------------------------------------------------------------- timeline


def select_instance(data: pd.DataFrame, instance: str, *, func: str) -> pd.DataFrame:
    """The rows of one instance, given by id or by name; unknown → ValueError naming it."""
    by_id = data["instance_id"].astype("string") == instance
    rows = data[by_id] if by_id.any() else data[data["instance_name"].astype("string") == instance]
    if rows.empty:
        raise ValueError(
            f"{func}: instance {instance!r} is not in the data (neither an instance_id nor an instance_name)"
        )
    if not by_id.any() and rows["instance_id"].nunique() > 1:
        ids = ", ".join(sorted(rows["instance_id"].astype(str).unique()))
        raise ValueError(f"{func}: instance name {instance!r} is ambiguous ({ids}); pass the instance_id")
    return rows


def open_ended(data: pd.DataFrame) -> pd.Series:
    """Jobs without a verdict yet: Running, or an unknown status without ``ended``.

    A Completed/Failed job with a missing ``ended`` is not open: it did end, we just do not know when.
    """
    verdict = data["status"].isin(list(TERMINAL_STATUSES))
    return ((data["status"] == "Running") | (data["ended"].isna() & ~verdict)).fillna(False).astype(bool)


def job_finish(data: pd.DataFrame) -> pd.Series:
    """When each job stopped occupying its instance: ``ended``; ``observed_at`` for open-ended jobs;
    ``created`` for a finished job whose end is unknown (a point in time, not an open interval).
    """
    return data["ended"].where(~open_ended(data), data["observed_at"]).fillna(data["created"])


def overlapping(data: pd.DataFrame, start: pd.Timestamp | None, end: pd.Timestamp | None) -> pd.Series:
    """Jobs whose [created, finish] interval meets [start, end] (either bound may be open)."""
    mask = data["created"].notna()
    if end is not None:
        mask &= data["created"] <= end
    if start is not None:
        mask &= job_finish(data) >= start
    return mask


def instance_labels(data: pd.DataFrame) -> pd.Series:
    """``instance_name``, or ``name (id…)`` where a name is shared by several instances."""
    ids = data["instance_id"].astype("string").fillna("?")
    names = data["instance_name"].astype("string").fillna(ids)
    ids_per_name = ids.groupby(names).transform("nunique")
    return names.where(ids_per_name <= 1, names + " (" + ids.str.slice(0, 8) + "…)")


def _pack(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, int]:
    """Sub-row of each interval so overlapping jobs in one lane never hide each other (greedy, by start)."""
    order = np.argsort(starts, kind="stable")
    rows = np.zeros(len(starts), dtype=int)
    free: list[tuple[float, int]] = []  # (end of the last job in the sub-row, sub-row)
    used = 0
    for index in order:
        if free and free[0][0] <= starts[index]:
            _end, row = heapq.heappop(free)
        else:
            row, used = used, used + 1
        rows[index] = row
        heapq.heappush(free, (ends[index], row))
    return rows, max(used, 1)


def plot_timeline(
    data: pd.DataFrame,
    *,
    instance: str | None = None,
    start: Any = None,
    end: Any = None,
    ax: Axes | None = None,
    tz: str | dt.tzinfo | None = None,
    max_lanes: int = 40,
) -> Axes:
    """Gantt chart of jobs over time: one lane per instance, or per job type when there is one instance.

    Failed jobs are red and hatched, completed ones blue, running ones drawn open-ended up to when they
    were observed, with an arrow. Overlapping jobs in a lane are stacked. Times are shown in ``tz`` (UTC
    by default); naive ``start``/``end`` are read in that zone too. With more than ``max_lanes`` instances,
    the ones with the most failures, then the most jobs, are kept.
    """
    require_columns(
        data,
        ["job_id", "job_type", "status", "created", "ended", "instance_id", "instance_name", "observed_at"],
        func="plot_timeline",
    )
    tzinfo = _tzinfo(tz)
    start_ts = parse_time(start, tzinfo, name="start", func="plot_timeline")
    end_ts = parse_time(end, tzinfo, name="end", func="plot_timeline")
    if start_ts is not None and end_ts is not None and end_ts <= start_ts:
        raise ValueError(f"plot_timeline: end ({end_ts}) must be later than start ({start_ts})")
    rows = data if instance is None else select_instance(data, instance, func="plot_timeline")
    rows = rows[overlapping(rows, start_ts, end_ts)]
    title = "Jobs per instance"
    if rows.empty:
        return _no_data(_axes(ax, (9, 3)), "No jobs in this time range", title)

    one_instance = rows["instance_id"].nunique(dropna=False) == 1
    lane_key = rows["job_type"].astype("string") if one_instance else instance_labels(rows)
    if one_instance:
        title = f"Jobs on {instance_labels(rows).iloc[0]} ({rows['instance_id'].iloc[0]})"
    failed = rows["status"] == "Failed"
    lane_rank = (
        pd.DataFrame({"lane": lane_key, "failed": failed, "created": rows["created"]})
        .groupby("lane")
        .agg(failed=("failed", "sum"), jobs=("failed", "size"), first=("created", "min"))
    )
    note = ""
    if len(lane_rank) > max_lanes:
        kept = lane_rank.sort_values(["failed", "jobs"], ascending=False, kind="stable").index[:max_lanes]
        # On the y axis, not in the title: callers (post-mortem, report) replace the title.
        note = f"{max_lanes} of {len(lane_rank)} lanes: most failures, then most jobs"
        lane_rank = lane_rank.loc[kept]
        mask = lane_key.isin(kept)
        rows, lane_key = rows[mask], lane_key[mask]
    lanes = list(lane_rank.sort_values("first", kind="stable").index)

    left = date_numbers(rows["created"])
    right = date_numbers(job_finish(rows))
    lane_of = pd.Categorical(lane_key, categories=lanes).codes
    # Stack overlapping jobs inside each lane; each lane gets as many sub-rows as it needs.
    sub_row = np.zeros(len(rows), dtype=int)
    lane_base = np.zeros(len(lanes))
    lane_height = np.ones(len(lanes))
    offset = 0.0
    for index in range(len(lanes)):
        members = np.flatnonzero(lane_of == index)
        sub_row[members], depth = _pack(left[members], right[members])
        lane_base[index], lane_height[index] = offset, depth
        offset += depth + 0.6
    bar_height = 0.8
    y = lane_base[lane_of] + sub_row
    ax = _axes(ax, (10, 1.4 + 0.32 * offset))

    status = rows["status"].astype("string").fillna("unknown").to_numpy()
    running = open_ended(rows).to_numpy()
    other = ~np.isin(status, list(STATUS_COLORS))
    for name in (*STATUS_COLORS, "Other"):
        drawn = other if name == "Other" else status == name
        if drawn.any():
            color = STATUS_COLORS.get(name, OTHER_STATUS_COLOR)
            ax.barh(
                y[drawn],
                right[drawn] - left[drawn],
                left=left[drawn],
                height=bar_height,
                color=color,
                alpha=0.55 if name == "Running" else 0.9,
                hatch=FAILED_HATCH if name == "Failed" else None,
                edgecolor="#7A1F22" if name == "Failed" else color,
                linewidth=0.6,
                linestyle="--" if name == "Running" else "-",
                label=name,
            )
    if (status == "Failed").any():
        # A marker at each failure's end keeps failures visible when the bar is too short to see at this zoom.
        done = status == "Failed"
        ax.scatter(
            right[done],
            y[done] - 0.45,
            marker="v",
            s=22,
            color=STATUS_COLORS["Failed"],
            zorder=3,
            label="failure",
        )
    if running.any():
        # The arrow says "still going": the bar stops only because that is when the job was last seen.
        ax.scatter(right[running], y[running], marker=">", s=36, color=STATUS_COLORS["Running"], zorder=3)

    centers = lane_base + (lane_height - 1) / 2
    ax.set_yticks(centers, lanes, parse_math=False)
    ax.set_ylabel(note)
    ax.set_ylim(offset - 0.9, -1.1)  # first lane on top, with room for its failure markers
    for boundary in lane_base[1:] - 0.8:
        ax.axhline(boundary, color="0.85", linewidth=0.6)
    lo = date_numbers(pd.DatetimeIndex([start_ts]))[0] if start_ts is not None else left.min()
    hi = date_numbers(pd.DatetimeIndex([end_ts]))[0] if end_ts is not None else right.max()
    margin = 0 if (start_ts is not None and end_ts is not None) else (hi - lo) * 0.02 or 1 / 1440
    ax.set_xlim(lo - (0 if start_ts is not None else margin), hi + (0 if end_ts is not None else margin))
    _date_axis(ax, tzinfo)
    ax.set_xlabel(f"time ({_tz_label(tzinfo)})")
    ax.set_title(title)
    # A legend entry for each kind of mark drawn, and only those.
    handles: list[Any] = []
    if (status == "Completed").any():
        handles.append(Patch(facecolor=STATUS_COLORS["Completed"], label="completed"))
    if (status == "Failed").any():
        handles += [
            Patch(facecolor=STATUS_COLORS["Failed"], hatch=FAILED_HATCH, edgecolor="#7A1F22", label="failed"),
            Line2D(
                [], [], color=STATUS_COLORS["Failed"], marker="v", linestyle="none", label="failure (end)"
            ),
        ]
    if running.any():
        handles.append(
            Line2D(
                [],
                [],
                color=STATUS_COLORS["Running"],
                marker=">",
                linestyle="--",
                label="running (to last seen)",
            )
        )
    if other.any():
        handles.append(Patch(facecolor=OTHER_STATUS_COLOR, label="other status"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small", frameon=False)
    ax.grid(axis="x", alpha=0.3)
    return ax
