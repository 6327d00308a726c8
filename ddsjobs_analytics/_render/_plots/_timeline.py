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
LANE_INCHES = 0.45  # height of one lane: the figure's height depends on the lanes shown, never on the jobs
_LANE_RANKS = {"failures": ["failed", "jobs"], "jobs": ["jobs", "failed"]}


def merge_spans(
    left: np.ndarray, right: np.ndarray, key: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The union of the intervals ``[left, right]`` sharing a ``key``: one span per run of overlapping jobs.

    Vectorised (a sort, a grouped running maximum, ``reduceat``), so 100,000 jobs merge in milliseconds.
    """
    if not len(left):
        return left, right, key
    order = np.lexsort((left, key))
    lo, hi, k = left[order], right[order], key[order]
    reach = pd.Series(hi).groupby(k).cummax().to_numpy()  # the furthest end so far within each key
    new = np.ones(len(lo), dtype=bool)
    new[1:] = (k[1:] != k[:-1]) | (lo[1:] > reach[:-1])
    firsts = np.flatnonzero(new)
    return lo[firsts], np.maximum.reduceat(hi, firsts), k[firsts]


def _bars(
    status: str, left: np.ndarray, right: np.ndarray, y: np.ndarray, height: Any, **kwargs: Any
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
    lanes_by: str = "failures",
    **kwargs: Any,
) -> Axes:
    """Gantt chart of jobs over time: one lane per instance, or per job type when there is one instance.

    Failed jobs are red and hatched, completed ones blue, running ones drawn open-ended up to when they
    were observed, with an arrow. Times are shown in ``tz`` (any form :func:`resolve_tz` reads:
    ``"Asia/Shanghai"``, ``"UTC+8"``, ``"local"``; UTC by default), and naive ``start``/``end`` are read in
    that zone too, as in :func:`postmortem`. Lanes come in order of their first job, or only those listed
    in ``order`` (lane labels), in that order.

    The chart's size is bounded whatever the data: every lane has the same height, so a new figure is
    ``1.4 + 0.45 × lanes`` inches tall, never more for more jobs. With more than ``max_lanes`` (40) lanes,
    the ones with the most failures, then the most jobs, are kept (``lanes_by="jobs"``: the busiest
    first). Overlapping jobs in a lane share its height, stacked in thinner rows. With more than
    ``max_bars`` (5,000) jobs, each lane shows merged spans instead, the union of its overlapping jobs per
    status, with the failures still marked one by one. A note on the y axis says what was left out or
    merged. Bars are drawn as one ``PolyCollection`` per status; ``kwargs`` (``alpha``, ``linewidths``,
    ``edgecolors``…) go to each of them.
    """
    if max_lanes < 1 or max_bars < 1:
        raise ValueError(f"plot_timeline: max_lanes and max_bars must be >= 1, got {max_lanes}, {max_bars}")
    if lanes_by not in _LANE_RANKS:
        raise ValueError(f"plot_timeline: lanes_by={lanes_by!r}; use 'failures' or 'jobs'")
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
        ranks = _LANE_RANKS[lanes_by]
        kept = lane_rank.sort_values(ranks, ascending=False, kind="stable").index[:max_lanes]
        notes.append(f"{max_lanes} of {len(lane_rank)} lanes: most {ranks[0]}, then most {ranks[1]}")
        lane_rank = lane_rank.loc[kept]
        mask = lane_key.isin(kept)
        rows, lane_key = rows[mask], lane_key[mask]
    lanes = list(lane_rank.sort_values("first", kind="stable").index)
    if order is not None:
        lanes = [lane for lane in order if lane in set(lanes)]

    left = date_numbers(rows["created"])
    right = date_numbers(job_finish(rows))
    lane_of = pd.Categorical(lane_key, categories=lanes).codes
    ax = _axes(ax, (10, 1.4 + LANE_INCHES * len(lanes)))
    status = rows["status"].astype("string").fillna("unknown").to_numpy()
    running = open_ended(rows).to_numpy()
    other = ~np.isin(status, list(STATUS_COLORS))
    kinds = [*STATUS_COLORS, "Other"]
    kind_of = np.where(other, len(STATUS_COLORS), 0)
    for code, name in enumerate(STATUS_COLORS):
        kind_of[status == name] = code
    if len(rows) > max_bars:
        # Too many bars to read (or draw): per lane and status, the union of the overlapping jobs.
        lo, hi, key = merge_spans(left, right, lane_of.astype(np.int64) * len(kinds) + kind_of)
        span_lane, span_kind = key // len(kinds), key % len(kinds)
        notes.append(f"{len(rows):,} jobs (over {max_bars:,}): merged spans per lane and status")
        for code, name in enumerate(kinds):
            drawn = span_kind == code
            if drawn.any():
                y = span_lane[drawn].astype(float)
                ax.add_collection(_bars(name, lo[drawn], hi[drawn], y, 0.8, **kwargs))
        y = lane_of.astype(float)
    else:
        # Overlapping jobs in a lane share its height: as many thinner rows as the deepest overlap.
        sub_row = np.zeros(len(rows), dtype=int)
        depth = np.ones(len(lanes), dtype=int)
        for index in range(len(lanes)):
            members = np.flatnonzero(lane_of == index)
            sub_row[members], depth[index] = pack(left[members], right[members])
        height = 0.8 / depth[lane_of]
        y = lane_of - 0.4 + (sub_row + 0.5) * height
        for code, name in enumerate(kinds):
            drawn = kind_of == code
            if drawn.any():
                ax.add_collection(_bars(name, left[drawn], right[drawn], y[drawn], height[drawn], **kwargs))
    if (status == "Failed").any():
        # A marker at each failure's end keeps failures visible when the bar is too short to see at this zoom.
        done = status == "Failed"
        ax.scatter(
            right[done],
            lane_of[done] - 0.45,
            marker="v",
            s=22,
            color=STATUS_COLORS["Failed"],
            zorder=3,
            label="failure",
        )
    if running.any():
        # The arrow says "still going": the bar stops only because that is when the job was last seen.
        ax.scatter(right[running], y[running], marker=">", s=36, color=STATUS_COLORS["Running"], zorder=3)

    ax.set_yticks(np.arange(len(lanes)), lanes, parse_math=False)
    # On the y axis, not in the title: callers (post-mortem, report) replace the title.
    ax.set_ylabel("\n".join(notes), parse_math=False)
    ax.set_ylim(len(lanes) - 0.5, -0.65)  # first lane on top, with room for its failure markers
    for boundary in np.arange(1, len(lanes)) - 0.5:
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
