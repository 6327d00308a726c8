"""Charts of failures: rates with Wilson intervals per group, and the most frequent reason templates."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib import ticker
from matplotlib.axes import Axes

from .._analysis import Analysis
from .._failures import failure_rates
from .._frame import require_columns
from .._reasons import fail_reason_groups
from ._axes import MEDIAN_COLOR, STATUS_COLORS, _axes, _label_bar_ends, _no_data, _shorten, is_table, jobs_of

RATE_COLUMNS = ("completed", "failed", "failure_rate", "ci_low", "ci_high")
REASON_COLUMNS = ("template", "count", "share")


def plot_failure_rates(
    data: pd.DataFrame | Analysis,
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
    ``data`` is a jobs frame, an :class:`~ddsjobs_analytics.Analysis` (its rates are reused when ``by``
    matches) or a :func:`failure_rates` table (then ``by`` is its index).
    """
    if is_table(data, RATE_COLUMNS):
        assert isinstance(data, pd.DataFrame)
        rates, by = data, str(data.index.name or by)
    else:
        frame, analysis = jobs_of(data)
        require_columns(frame, [by, "status"], func="plot_failure_rates")
        if not len(frame):
            rates = pd.DataFrame()
        else:
            rates = analysis.failure_rates_for(by) if analysis is not None else failure_rates(frame, by=by)
    title = f"Failure rate by {by}"
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


def plot_fail_reasons(
    data: pd.DataFrame | Analysis, *, top: int = 10, width: int = 60, ax: Axes | None = None
) -> Axes:
    """Horizontal bars of the most frequent failure-reason templates (ids and numbers masked).

    Templates longer than ``width`` characters are cut with an ellipsis (the report's table has them whole).
    ``data`` is a jobs frame, an :class:`~ddsjobs_analytics.Analysis` or a :func:`fail_reason_groups` table.
    """
    title = "Most frequent failure reasons"
    if is_table(data, REASON_COLUMNS):
        assert isinstance(data, pd.DataFrame)
        groups = data
    else:
        frame, analysis = jobs_of(data)
        require_columns(frame, ["status", "fail_reason"], func="plot_fail_reasons")
        if not len(frame):
            groups = pd.DataFrame()
        else:
            groups = analysis.fail_reason_groups if analysis is not None else fail_reason_groups(frame)
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
