"""The report's PNG charts, drawn from an :class:`Analysis` with a bare matplotlib ``Figure``.

Kept apart from ``_report`` so that matplotlib (about 30 MB) is imported only when a report draws charts.
"""

from __future__ import annotations

from collections.abc import Callable
from io import BytesIO
from typing import Any

from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .._analysis._analyse import Analysis, Focus
from .._analysis._fleet import fleet_by
from .._stats._intervals import equals
from ._fleet_section import RATE_TABLES
from ._plots import (
    plot_compare,
    plot_duration_trend,
    plot_durations,
    plot_fail_reasons,
    plot_failure_rates,
    plot_timeline,
)

__all__ = ["MAX_PNG_INCHES", "report_charts"]


MAX_PNG_INCHES = 39.0  # at 100 dpi: no chart is more than 3,900 px on a side, whatever the data


def _png(draw: Callable[[Axes], Axes], width: float, *, row_height: float | None = None) -> bytes:
    """The chart ``draw`` makes, as PNG bytes. With ``row_height`` (inches per unit of the y axis: the charts
    with a row per group or lane), the height follows what was drawn; otherwise it is 3.6 inches. Either
    way a side is at most ``MAX_PNG_INCHES`` (every chart caps its rows; this is the backstop).
    """
    # A bare Figure (no pyplot): nothing is registered globally, nothing leaks between report runs.
    # Names come from the data: with math text off, "Restart$\\x$" is drawn as written, never parsed as TeX.
    with rc_context({"text.parse_math": False, "text.usetex": False}):
        figure = Figure(figsize=(width, 3.6), layout="constrained")
        ax = draw(figure.add_subplot())
        if row_height is not None:
            low, high = ax.get_ylim()
            figure.set_size_inches(
                min(width, MAX_PNG_INCHES), min(1.6 + row_height * abs(high - low), MAX_PNG_INCHES)
            )
        buffer = BytesIO()
        figure.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


def fleet_charts(analysis: Analysis, png: Callable[..., bytes]) -> dict[str, bytes]:
    """One failure-rate chart per Fleet rate table (none without instance columns)."""
    charts = {}
    for name in RATE_TABLES:
        table = analysis.fleet.get(name)
        if table is None or table.frame.empty:
            continue

        def draw(ax: Axes, frame: Any = table.frame, by: str = fleet_by(name)) -> Axes:
            plot_failure_rates(frame, ax=ax)
            ax.set_title(f"Failure rate by {by} (95% Wilson intervals)")
            return ax

        charts[name] = png(draw, 9, row_height=0.4)
    return charts


def report_charts(analysis: Analysis) -> dict[str, bytes]:
    """The report's charts, drawn from the analysis' tables (nothing is recomputed)."""
    df, focus, tz = analysis.data, analysis.focus, analysis.tz
    charts = {
        "durations": _png(lambda ax: plot_durations(analysis, ax=ax), 9, row_height=0.42),
        "duration_trend": _png(lambda ax: plot_duration_trend(analysis, tz=tz, ax=ax), 9),
        "failure_rates": _png(lambda ax: plot_failure_rates(analysis, ax=ax), 9, row_height=0.4),
        "fail_reasons": _png(lambda ax: plot_fail_reasons(analysis, ax=ax), 10, row_height=0.4),
    }
    charts.update(fleet_charts(analysis, _png))
    comparison = analysis.what_changed.comparison
    if comparison is not None:
        charts["what_changed"] = _png(lambda ax: plot_compare(comparison, ax=ax), 9, row_height=0.32)
    if focus is not None:
        rows = df if focus.region is None else df[equals(df["region"], focus.region)]
        charts["timeline"] = _png(
            # The busiest instances of that day: the lanes with the most jobs, then the most failures.
            lambda ax: _titled(
                plot_timeline(rows, start=focus.start, end=focus.end, tz=tz, lanes_by="jobs", ax=ax), focus
            ),
            10,
            row_height=0.4,
        )
    return charts


def _titled(ax: Axes, focus: Focus) -> Axes:
    ax.set_title(f"Busiest failure day: {focus.label}")
    return ax
