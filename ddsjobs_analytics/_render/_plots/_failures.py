"""Charts of failures: rates with Wilson intervals per group, and the most frequent reason templates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import ticker
from matplotlib.axes import Axes

from ..._analysis._analyse import Analysis
from ..._core._calendar import TzLike, tz_label
from ..._frame import require_columns
from ..._reasons import fail_reason_groups
from ..._stats._durations import GroupKeys, group_keys, time_levels
from ..._stats._failures import failure_rates
from ._axes import (
    _FREQ_WORDS,
    MEDIAN_COLOR,
    STATUS_COLORS,
    _axes,
    _label_bar_ends,
    _no_data,
    cut_note,
    group_label,
    group_noun,
    is_table,
    jobs_of,
    order_keys,
    wrap_label,
    zone_in_effect,
)

RATE_COLUMNS = ("completed", "failed", "failure_rate", "ci_low", "ci_high")
REASON_COLUMNS = ("template", "count", "share")


def plot_failure_rates(
    data: pd.DataFrame | Analysis,
    *,
    by: GroupKeys = "job_type",
    freq: str | None = None,
    tz: TzLike = None,
    top: int = 15,
    min_total: int = 1,
    order: Sequence[str] | None = None,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Failure rate per group as a point with its Wilson confidence interval as whiskers.

    Rates are failed / (completed + failed); groups with fewer than ``min_total`` finished jobs are left
    out. Rows come top to bottom in the order of :func:`failure_rates`: worst first by the interval's lower
    bound (then the rate), so a single failure out of one try does not outrank 30 failures out of 200; the
    first ``top`` of them, or only the groups listed in ``order`` (labels), in that order. ``by`` is a column
    or a list (labels join the values with " · "). ``freq`` (with ``tz``, as in :func:`failure_rates`) adds
    calendar periods: rows in time order, the latest ``top`` kept, the axis label naming the zone. A vertical
    line marks the overall rate. ``kwargs`` go to ``Axes.errorbar``. ``data`` is a jobs frame, an
    :class:`~ddsjobs_analytics.Analysis` (its rates are reused when ``by`` matches) or a
    :func:`failure_rates` table (then ``by`` is its index).
    """
    if is_table(data, RATE_COLUMNS):
        assert isinstance(data, pd.DataFrame)
        rates = data
        keys = [str(name) for name in data.index.names if name is not None] or group_keys(by)
    else:
        frame, analysis = jobs_of(data)
        keys = group_keys(by, func="plot_failure_rates")
        needed = [*keys, "status", *(["created"] if freq is not None else [])]
        require_columns(frame, needed, func="plot_failure_rates")
        if not len(frame):
            rates = pd.DataFrame()
        elif analysis is not None and isinstance(by, str) and freq is None:
            rates = analysis.failure_rates_for(by)
        else:
            zone = zone_in_effect(tz, analysis)
            rates = failure_rates(frame, by=keys or None, freq=freq, tz=zone)
    grouping = ", ".join(key for key in keys if key != "period")
    title = "Failure rate" + (f" per {_FREQ_WORDS.get(freq, freq)}" if freq else "")
    title += f" by {grouping}" if grouping else ""
    if rates.empty:
        return _no_data(_axes(ax, (8, 3)), "No finished jobs", title)
    finished = rates["completed"] + rates["failed"]
    shown = rates[(finished >= max(min_total, 1)) & rates["failure_rate"].notna()]
    if shown.empty:
        return _no_data(_axes(ax, (8, 3)), f"No group with at least {min_total} finished jobs", title)
    periods = time_levels(shown.index)
    available = len(shown)
    if order is not None:
        shown = shown.loc[order_keys(list(shown.index), order, func="plot_failure_rates")]
    else:  # the table's order; in time order, the latest periods
        shown = shown.tail(top) if periods else shown.head(top)
    shown = shown.iloc[::-1]  # drawn bottom-up, so the table's first row is at the top
    noun = "periods" if periods else group_noun(keys)
    title += cut_note(len(shown), available, noun)
    ax = _axes(ax, (8, 1.2 + 0.4 * len(shown)))

    positions = np.arange(len(shown), dtype=float)
    rate = shown["failure_rate"].to_numpy(float)
    low = shown["ci_low"].to_numpy(float)
    high = shown["ci_high"].to_numpy(float)
    style: dict[str, Any] = {
        "fmt": "o",
        "color": STATUS_COLORS["Failed"],
        "ecolor": "#999999",
        "capsize": 3,
        "label": "failure rate, 95% Wilson CI",
    }
    ax.errorbar(rate, positions, xerr=np.vstack([rate - low, high - rate]), **{**style, **kwargs})
    overall = float(rates["failed"].sum() / finished.sum())
    ax.axvline(overall, color=MEDIAN_COLOR, linestyle="--", linewidth=1, label=f"all jobs {overall:.1%}")
    _label_bar_ends(ax, high, positions, [f"{value:.1%}" for value in rate])
    shown_finished = (shown["completed"] + shown["failed"]).astype(int)
    labels = [
        f"{group_label(key)}  {int(failed)}/{int(total)}"
        for key, failed, total in zip(shown.index, shown["failed"], shown_finished, strict=True)
    ]
    ax.set_yticks(positions, labels, parse_math=False)
    ax.set_ylim(-0.6, len(shown) - 0.4)
    if periods:
        zone = getattr(shown.index.get_level_values(periods[0]), "tz", None) or dt.timezone.utc
        ax.set_ylabel(f"{_FREQ_WORDS.get(freq or '', 'period')} starting ({tz_label(zone)})")
    ax.xaxis.set_major_formatter(ticker.PercentFormatter(1.0))
    ax.set_xlim(0, min(1.0, float(np.nanmax(high)) * 1.15 + 0.02))
    ax.set_xlabel("failed / finished jobs")
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize="small", frameon=False)
    ax.grid(axis="x", alpha=0.3)
    return ax


def plot_fail_reasons(
    data: pd.DataFrame | Analysis,
    *,
    top: int = 10,
    width: int = 48,
    order: Sequence[str] | None = None,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Horizontal bars of the most frequent failure-reason templates (ids and numbers masked).

    Templates are wrapped on two lines of at most ``width`` characters, the rest cut with an ellipsis (the
    report's table has them whole); the axes make room for them. Most frequent at the top, or only the
    templates listed in ``order``, in that order. ``kwargs`` go to ``Axes.barh``. ``data`` is a jobs
    frame, an :class:`~ddsjobs_analytics.Analysis` or a :func:`fail_reason_groups` table.
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
    ranked = groups.sort_values("count", ascending=False, kind="stable")
    if order is None:
        shown = ranked.head(top)
    else:
        by_template = ranked.set_index(ranked["template"].astype(str), drop=False)
        shown = by_template.loc[order_keys(list(by_template.index), order, func="plot_fail_reasons")]
    shown = shown.iloc[::-1]
    title += cut_note(len(shown), len(ranked), "reasons")
    ax = _axes(ax, (9, 1.2 + 0.45 * len(shown)))
    positions = np.arange(len(shown), dtype=float)
    counts = shown["count"].to_numpy(float)
    style: dict[str, Any] = {"color": STATUS_COLORS["Failed"], "alpha": 0.85, "height": 0.6}
    ax.barh(positions, counts, **{**style, **kwargs})
    shares = shown["share"].to_numpy(float)
    _label_bar_ends(
        ax, counts, positions, [f"{int(n)} ({s:.0%})" for n, s in zip(counts, shares, strict=True)]
    )
    labels = [wrap_label(text, width) for text in shown["template"].astype(str)]
    ax.set_yticks(positions, labels, parse_math=False, fontsize="small", linespacing=1.1)
    ax.set_ylim(-0.6, len(shown) - 0.4)
    ax.set_xlim(0, counts.max() * 1.18)
    ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
    ax.set_xlabel("failed jobs")
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
    return ax
