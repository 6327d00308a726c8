"""The report's Fleet section (when the jobs were joined with an inventory): a chart and a table each for
failure rate and p95 duration by engine version, by mode and by availability zone, and the instances table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from matplotlib.axes import Axes

from .._analysis._analyse import Analysis
from .._analysis._fleet import FLEET_CAPTIONS, fleet_by
from .._analysis._fleet_support import SUPPORT_CAPTIONS, report_end
from ._html import Section
from ._plots import plot_failure_rates

__all__ = ["fleet_charts", "fleet_sections"]

_RATE_TABLES = ("fleet_by_version", "fleet_by_mode", "fleet_by_zone")


def fleet_charts(analysis: Analysis, png: Callable[..., bytes]) -> dict[str, bytes]:
    """One failure-rate chart per Fleet rate table (none without instance columns)."""
    charts = {}
    for name in _RATE_TABLES:
        table = analysis.fleet.get(name)
        if table is None or table.frame.empty:
            continue

        def draw(ax: Axes, frame: Any = table.frame, by: str = fleet_by(name)) -> Axes:
            plot_failure_rates(frame, ax=ax)
            ax.set_title(f"Failure rate by {by} (95% Wilson intervals)")
            return ax

        charts[name] = png(draw, 9, row_height=0.4)
    return charts


def fleet_sections(
    analysis: Analysis, chart: Callable[[str, str], str], table: Callable[..., str]
) -> list[Section]:
    """The Fleet section, or nothing when the jobs carry no instance columns."""
    if not analysis.fleet:
        return []
    parts: list[str] = []
    for name in _RATE_TABLES:
        if name in analysis.fleet:
            parts += [chart(name, FLEET_CAPTIONS[name]), table(name, FLEET_CAPTIONS[name])]
    end = report_end(analysis.data)
    as_of = "an unknown time" if end is None else f"{end:%Y-%m-%d %H:%M} UTC (when the jobs were read)"
    for name in ("fleet_instances", *SUPPORT_CAPTIONS, "scheduled_upcoming", "scheduled_recent"):
        if name in analysis.fleet:
            parts.append(table(name, FLEET_CAPTIONS[name].format(as_of=as_of)))
    return [Section("fleet", "Fleet", parts)]
