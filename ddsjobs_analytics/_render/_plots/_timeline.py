"""The timeline: a Gantt chart of jobs per instance (or per job type on one instance)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..._analysis._analyse import Analysis
from ..._core._calendar import TzLike, tz_label
from ..._frame import require_columns
from ..._stats._intervals import (
    instance_labels,
    job_finish,
    open_ended,
    overlapping,
    pack,
    parse_time,
    select_instance,
)
from ._axes import (
    FAILED_HATCH,
    OTHER_STATUS_COLOR,
    STATUS_COLORS,
    _axes,
    _date_axis,
    _no_data,
    date_numbers,
    jobs_of,
    order_keys,
    zone_in_effect,
)

MAX_LANES = 40
MAX_BARS = 5000


def _most_telling(rows: pd.DataFrame, lane_key: pd.Series, keep: int) -> tuple[pd.DataFrame, pd.Series]:
    """The ``keep`` jobs a reader most needs: failed, then open-ended, then the longest (stable)."""
    rank = np.where(rows["status"].eq("Failed").fillna(False).to_numpy(dtype=bool), 0, 2)
    rank = np.where(open_ended(rows).to_numpy() & (rank == 2), 1, rank)
    length = (job_finish(rows) - rows["created"]).dt.total_seconds().fillna(0).to_numpy()
    chosen = np.sort(np.lexsort((-length, rank))[:keep])
    return rows.iloc[chosen], lane_key.iloc[chosen]


def _bars(
    status: str, left: np.ndarray, right: np.ndarray, y: np.ndarray, height: float, **kwargs: Any
) -> PolyCollection:
    """One collection of horizontal bars (hatched once for the whole collection when Failed)."""
    low, high = y - height / 2, y + height / 2
    corners = np.stack([left, low, left, high, right, high, right, low], axis=1).reshape(-1, 4, 2)
    color = STATUS_COLORS.get(status, OTHER_STATUS_COLOR)
    style: dict[str, Any] = {
        "facecolors": color,
        "edgecolors": "#7A1F22" if status == "Failed" else color,
        "linewidths": 0.6,
        "linestyles": "--" if status == "Running" else "-",
        "alpha": 0.55 if status == "Running" else 0.9,
        "hatch": FAILED_HATCH if status == "Failed" else None,
    }
    return PolyCollection(list(corners), **{**style, **kwargs, "label": status})


def plot_timeline(
    data: pd.DataFrame | Analysis,
    *,
    instance: str | None = None,
    start: Any = None,
    end: Any = None,
    ax: Axes | None = None,
    tz: TzLike = None,
    order: Sequence[str] | None = None,
    max_lanes: int = MAX_LANES,
    max_bars: int = MAX_BARS,
    **kwargs: Any,
) -> Axes:
    """Gantt chart of jobs over time: one lane per instance, or per job type when there is one instance.

    Failed jobs are red and hatched, completed ones blue, running ones drawn open-ended up to when they
    were observed, with an arrow. Overlapping jobs in a lane are stacked. Times are shown in ``tz`` (any
    form :func:`resolve_tz` reads: ``"Asia/Shanghai"``, ``"UTC+8"``, ``"local"``; UTC by default), and naive
    ``start``/``end`` are read in that zone too, as in :func:`postmortem`. Lanes come in order of their first
    job, or only those listed in ``order`` (lane labels), in that order. With more than ``max_lanes`` (40)
    lanes, the ones with the most failures, then the most jobs, are kept; with more than ``max_bars``
    (5,000) jobs, the failed and running ones, then the longest. A note on the y axis says what was left
    out. Bars are drawn as one ``PolyCollection`` per status, so thousands of jobs draw quickly; ``kwargs``
    (``alpha``, ``linewidths``, ``edgecolors``…) go to each of them.
    """
    if max_lanes < 1 or max_bars < 1:
        raise ValueError(f"plot_timeline: max_lanes and max_bars must be >= 1, got {max_lanes}, {max_bars}")
    data, analysis = jobs_of(data)
    require_columns(
        data,
        ["job_id", "job_type", "status", "created", "ended", "instance_id", "instance_name", "observed_at"],
        func="plot_timeline",
    )
    tzinfo = zone_in_effect(tz, analysis)
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
    if order is not None:
        # Only the listed lanes, in that order (an unknown label is an error, as in every chart).
        listed = order_keys(list(lane_key.dropna().unique()), order, func="plot_timeline")
        listed_rows = lane_key.isin(listed).fillna(False).to_numpy(dtype=bool)
        rows, lane_key = rows[listed_rows], lane_key[listed_rows]
    failed = rows["status"] == "Failed"
    lane_rank = (
        pd.DataFrame({"lane": lane_key, "failed": failed, "created": rows["created"]})
        .groupby("lane")
        .agg(failed=("failed", "sum"), jobs=("failed", "size"), first=("created", "min"))
    )
    notes = []
    if len(lane_rank) > max_lanes:
        kept = lane_rank.sort_values(["failed", "jobs"], ascending=False, kind="stable").index[:max_lanes]
        notes.append(f"{max_lanes} of {len(lane_rank)} lanes: most failures, then most jobs")
        lane_rank = lane_rank.loc[kept]
        mask = lane_key.isin(kept)
        rows, lane_key = rows[mask], lane_key[mask]
    lanes = list(lane_rank.sort_values("first", kind="stable").index)
    if order is not None:
        lanes = [lane for lane in order if lane in set(lanes)]
    if len(rows) > max_bars:
        total = len(rows)
        rows, lane_key = _most_telling(rows, lane_key, max_bars)
        notes.append(f"{max_bars:,} of {total:,} jobs: failed and running first, then the longest")

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
        sub_row[members], depth = pack(left[members], right[members])
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
            ax.add_collection(_bars(name, left[drawn], right[drawn], y[drawn], bar_height, **kwargs))
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
    # On the y axis, not in the title: callers (post-mortem, report) replace the title.
    ax.set_ylabel("\n".join(notes), parse_math=False)
    ax.set_ylim(offset - 0.9, -1.1)  # first lane on top, with room for its failure markers
    for boundary in lane_base[1:] - 0.8:
        ax.axhline(boundary, color="0.85", linewidth=0.6)
    lo = date_numbers(pd.DatetimeIndex([start_ts]))[0] if start_ts is not None else left.min()
    hi = date_numbers(pd.DatetimeIndex([end_ts]))[0] if end_ts is not None else right.max()
    margin = 0 if (start_ts is not None and end_ts is not None) else (hi - lo) * 0.02 or 1 / 1440
    ax.set_xlim(lo - (0 if start_ts is not None else margin), hi + (0 if end_ts is not None else margin))
    _date_axis(ax, tzinfo)
    ax.set_xlabel(f"time ({tz_label(tzinfo)})")
    ax.set_title(title, parse_math=False)  # names the instance or region: data, not math
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
