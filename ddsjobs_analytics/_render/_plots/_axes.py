"""Shared pieces of the charts: colours, human duration and date axes, "No data" panels, new-figure rule."""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Hashable, Sequence
from typing import Any

import matplotlib as mpl
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib import ticker
from matplotlib.axes import Axes

from ..._analysis._analyse import Analysis
from ..._core._calendar import TzLike, resolve_tz
from ..._core._format import format_duration

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


def cut_note(shown: int, total: int, noun: str) -> str:
    """ " (15 of 37 types shown)" when a chart draws only some of its rows, else "" (nothing is hidden)."""
    return f" ({shown} of {total} {noun} shown)" if shown < total else ""


def group_noun(keys: Sequence[str]) -> str:
    """What a chart's rows are, for :func:`cut_note`: "types" for job types, else "groups"."""
    return {"job_type": "types", "instance_name": "instances", "region": "regions"}.get(
        keys[0] if len(keys) == 1 else "", "groups"
    )


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
    ax.text(
        0.5,
        0.5,
        message,
        transform=ax.transAxes,
        ha="center",
        va="center",
        color="0.4",
        gid="no-data",
        parse_math=False,
    )
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, parse_math=False)
    return ax


def _label_bar_ends(ax: Axes, ends: np.ndarray, positions: np.ndarray, texts: list[str]) -> None:
    """Small labels just right of each horizontal bar or whisker end."""
    for end, pos, text in zip(ends, positions, texts, strict=True):
        ax.annotate(
            text,
            xy=(end, pos),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize="small",
            parse_math=False,
        )


def _shorten(text: str, width: int) -> str:
    """One line of at most ``width`` characters, ending in an ellipsis when cut."""
    line = " ".join(str(text).split())
    return line if len(line) <= width else line[: width - 1].rstrip() + "…"


def wrap_label(text: str, width: int, lines: int = 2) -> str:
    """``text`` on at most ``lines`` lines of at most ``width`` characters; the last ends in "…" when cut."""
    wrapped = textwrap.wrap(" ".join(str(text).split()), width, break_long_words=True) or [""]
    if len(wrapped) > lines:
        rest = " ".join(wrapped[lines - 1 :])
        wrapped = [*wrapped[: lines - 1], _shorten(rest, width)]
    return "\n".join(wrapped)


def group_label(key: Hashable) -> str:
    """The label of a group key: its value, or the values of a multi-column key joined by " · ".

    Period starts read as dates (``2026-11-02``), or with the time when they do not start at midnight.
    """
    if isinstance(key, tuple):
        return " · ".join(group_label(value) for value in key)
    if isinstance(key, pd.Timestamp):
        return key.strftime("%Y-%m-%d" if key == key.normalize() else "%Y-%m-%d %H:%M")
    return str(key)


def order_keys(keys: Sequence[Hashable], order: Sequence[str] | None, *, func: str = "order") -> list[Any]:
    """``keys`` as they are, or only those whose label is in ``order``, in that order (seaborn's rule).

    A label in ``order`` that names no group is an error, so a typo does not silently empty a chart.
    """
    if order is None:
        return list(keys)
    if isinstance(order, str):
        raise TypeError(f"{func}: order= takes a list of group labels, not a string")
    by_label = {group_label(key): key for key in keys}
    unknown = [label for label in order if str(label) not in by_label]
    if unknown:
        known = ", ".join(repr(label) for label in list(by_label)[:10])
        raise ValueError(f"{func}: order= names no group {unknown!r} (groups: {known or 'none'})")
    return [by_label[str(label)] for label in order]


def zone_in_effect(tz: TzLike, analysis: Analysis | None = None) -> dt.tzinfo:
    """The chart's zone: ``tz``, else the analysis' own ``tz`` when it has one, else UTC."""
    return resolve_tz(tz if tz is not None else getattr(analysis, "tz", None))


def date_numbers(times: pd.Series | pd.Index) -> np.ndarray:
    """Matplotlib date numbers of tz-aware timestamps (absolute instants; the tz only affects labels)."""
    values = pd.DatetimeIndex(times).tz_convert("UTC").tz_localize(None).to_numpy()
    return np.asarray(mdates.date2num(values), dtype=float)


def _date_axis(ax: Axes, tz: dt.tzinfo) -> None:
    locator = mdates.AutoDateLocator(tz=tz)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, tz=tz))


def _horizontal_boxplot(ax: Axes, arrays: list[np.ndarray], positions: np.ndarray, **kwargs: Any) -> Any:
    # ``vert`` is deprecated since matplotlib 3.10 in favour of ``orientation``; support both.
    major, minor = (int(part) for part in mpl.__version__.split(".")[:2])
    orientation: dict[str, Any] = (
        {"orientation": "horizontal"} if (major, minor) >= (3, 10) else {"vert": False}
    )
    return ax.boxplot(arrays, positions=positions, **orientation, **kwargs)


def jobs_of(data: pd.DataFrame | Analysis) -> tuple[pd.DataFrame, Analysis | None]:
    """The jobs frame behind ``data``, and the analysis when ``data`` is one (to reuse its tables)."""
    if isinstance(data, Analysis):
        return data.data, data
    return data, None


def is_table(data: object, columns: Sequence[str]) -> bool:
    """Whether ``data`` is an already computed table (it has ``columns``), not a jobs frame."""
    return (
        isinstance(data, pd.DataFrame) and set(columns) <= set(data.columns) and "status" not in data.columns
    )
