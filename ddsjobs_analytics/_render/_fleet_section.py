"""The report's Fleet section (when the jobs were joined with an inventory): a chart and a table each for
failure rate and p95 duration by engine version, by mode and by availability zone, and the instances table.
Its charts are drawn in ``_report_charts``.
"""

from __future__ import annotations

from collections.abc import Callable

from .._analysis._analyse import Analysis
from .._analysis._fleet import FLEET_CAPTIONS
from .._analysis._fleet_support import SUPPORT_CAPTIONS, report_end
from ._html import Section

__all__ = ["RATE_TABLES", "fleet_sections"]

RATE_TABLES = ("fleet_by_version", "fleet_by_mode", "fleet_by_zone")


def fleet_sections(
    analysis: Analysis, chart: Callable[[str, str], str], table: Callable[..., str]
) -> list[Section]:
    """The Fleet section, or nothing when the jobs carry no instance columns."""
    if not analysis.fleet:
        return []
    parts: list[str] = []
    for name in RATE_TABLES:
        if name in analysis.fleet:
            parts += [chart(name, FLEET_CAPTIONS[name]), table(name, FLEET_CAPTIONS[name])]
    end = report_end(analysis.data)
    as_of = "an unknown time" if end is None else f"{end:%Y-%m-%d %H:%M} UTC (when the jobs were read)"
    for name in ("fleet_instances", *SUPPORT_CAPTIONS, "scheduled_upcoming", "scheduled_recent"):
        if name in analysis.fleet:
            parts.append(table(name, FLEET_CAPTIONS[name].format(as_of=as_of)))
    return [Section("fleet", "Fleet", parts)]
