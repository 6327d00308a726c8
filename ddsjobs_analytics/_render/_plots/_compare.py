"""The "what changed" chart: a dumbbell of baseline → current per group, with the interval of the change."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import ticker
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from ..._compare._periods import METRICS, RESULT_COLUMNS
from ..._core._format import format_duration
from ._axes import cut_note

__all__ = ["VERDICT_COLORS", "plot_compare"]

VERDICT_COLORS: dict[str, str] = {
    "regressed": "#C44E52",
    "improved": "#55A868",
    "unchanged": "#4C72B0",
    "insufficient": "#BBBBBB",
}
# Log-axis ticks a person reads without arithmetic: 10 s … 1 day.
_ROUND_SECONDS = (1, 10, 30, 60, 120, 300, 600, 1800, 3600, 2 * 3600, 6 * 3600, 12 * 3600, 86400, 3 * 86400)
_TITLES = {
    "failure_rate": "Failure rate, baseline → current",
    "duration_p50": "Median duration (Kaplan–Meier), baseline → current",
    "duration_p95": "P95 duration (Kaplan–Meier), baseline → current",
}


def _labels(rows: pd.DataFrame) -> list[str]:
    keys = [column for column in rows.columns if column not in RESULT_COLUMNS]
    if not keys:
        return ["all"] * len(rows)
    return [" · ".join(str(value) for value in values) for values in rows[keys].itertuples(index=False)]


def _current_interval(rows: pd.DataFrame, is_rate: bool) -> tuple[np.ndarray, np.ndarray]:
    """The change's interval on the value axis: baseline + [low, high] (rates), baseline × [low, high]."""
    base = rows["baseline"].to_numpy(dtype=np.float64)
    low = rows["ci_low"].to_numpy(dtype=np.float64)
    high = rows["ci_high"].to_numpy(dtype=np.float64)
    if is_rate:
        return np.clip(base + low, 0, 1), np.clip(base + high, 0, 1)
    return base * low, base * high


def plot_compare(
    result: pd.DataFrame,
    *,
    metric: str | None = None,
    top: int = 20,
    order: Sequence[str] | None = None,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Dumbbell chart of a :func:`compare_periods` result for one ``metric`` (default: ``failure_rate`` if
    present): per group a hollow dot at the baseline value, a filled dot at the current one, and a bar for
    the change's interval placed at the current value. Regressions are red, improvements green, unchanged
    blue, insufficient rows grey. Rows keep the result's order (regressions first), ``top`` of them, or the
    group labels in ``order``. ``kwargs`` go to the current-value markers (``Axes.scatter``).
    """
    missing = [column for column in RESULT_COLUMNS if column not in result.columns]
    if missing:
        raise ValueError(f"plot_compare() needs a compare_periods result; missing columns {missing}")
    present = [m for m in METRICS if m in set(result["metric"])]
    metric = metric or ("failure_rate" if "failure_rate" in present else (present[0] if present else None))
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(9, 0.9 + 0.32 * min(top, max(len(result), 1))), layout="constrained")
    if metric is None or metric not in present:
        ax.text(
            0.5, 0.5, "No data", ha="center", va="center", transform=ax.transAxes, color="0.4", gid="no-data"
        )
        ax.set_xticks([])
        ax.set_yticks([])
        return ax
    rows = result.loc[result["metric"] == metric]
    labels = _labels(rows)
    available = len(rows)
    if order is not None:
        position = {label: i for i, label in enumerate(order)}
        keep = [i for i, label in enumerate(labels) if label in position]
        keep.sort(key=lambda i: position[labels[i]])
        rows, labels = rows.iloc[keep], [labels[i] for i in keep]
    else:
        rows, labels = rows.iloc[:top], labels[:top]

    is_rate = metric == "failure_rate"
    y = np.arange(len(rows))[::-1]
    base = rows["baseline"].to_numpy(dtype=np.float64)
    cur = rows["current"].to_numpy(dtype=np.float64)
    low, high = _current_interval(rows, is_rate)
    colors = [VERDICT_COLORS.get(v, "#BBBBBB") for v in rows["verdict"]]
    ax.hlines(y, base, cur, colors=colors, linewidth=1.5, alpha=0.8, zorder=2)
    ax.hlines(y, low, high, colors=colors, linewidth=6, alpha=0.25, zorder=1)
    ax.scatter(base, y, s=36, facecolors="white", edgecolors=colors, linewidths=1.5, zorder=3)
    ax.scatter(cur, y, **{"s": 40, "c": colors, "zorder": 4, **kwargs})
    for yi, verdict, q in zip(y, rows["verdict"], rows["q_value"], strict=True):
        if verdict in ("regressed", "improved"):
            ax.annotate(
                f"q={q:.2g}", (1.0, yi), xycoords=("axes fraction", "data"), xytext=(4, 0),
                textcoords="offset points", va="center", fontsize=8, color=VERDICT_COLORS[verdict],
            )  # fmt: skip
    ax.set_yticks(y, labels, parse_math=False)  # job types are data: "$" is a dollar sign
    for tick, verdict in zip(ax.get_yticklabels(), rows["verdict"], strict=True):
        if verdict == "insufficient":
            tick.set_color("#999999")
    ax.set_ylim(-0.7, len(rows) - 0.3)
    if is_rate:
        ax.xaxis.set_major_formatter(ticker.PercentFormatter(xmax=1.0))
        ax.set_xlabel("failure rate (bar: interval of the change, placed at the current rate)", fontsize=9)
    else:
        ax.set_xscale("log")
        low_x, high_x = ax.get_xlim()
        ax.set_xticks([t for t in _ROUND_SECONDS if low_x <= t <= high_x])
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: format_duration(v)))
        ax.xaxis.set_minor_formatter(ticker.NullFormatter())
        ax.set_xlabel(
            "duration, log scale (bar: interval of the ratio, placed at the current value)", fontsize=9
        )
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(_TITLES.get(metric, metric) + cut_note(len(rows), available, "groups"), loc="left")
    handles = [
        Line2D(
            [],
            [],
            marker="o",
            linestyle="",
            markerfacecolor="white",
            markeredgecolor="#555555",
            label="baseline",
        ),
        Line2D([], [], marker="o", linestyle="", color="#555555", label="current"),
        *(
            Line2D([], [], marker="s", linestyle="", color=color, label=verdict)
            for verdict, color in VERDICT_COLORS.items()
            if verdict in set(rows["verdict"])
        ),
    ]
    ax.legend(
        handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=len(handles), frameon=False,
        fontsize=8,
    )  # fmt: skip
    return ax
