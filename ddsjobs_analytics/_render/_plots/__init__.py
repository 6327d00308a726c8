"""Charts of job durations, failure rates, failure reasons, per-instance timelines and period comparisons.

Every function takes the data first and everything else by keyword, draws on ``ax`` when given (otherwise
on a new figure) and returns the Axes, like seaborn. The data is a jobs frame, or what was already computed
from one (an :class:`~ddsjobs_analytics.Analysis`, or the table the chart shows), as lifelines plots a fitted
estimator. Empty input does not raise: the Axes says "No data" instead, so a report on a quiet week still
renders every section.
"""

from __future__ import annotations

from ..._core._format import format_duration
from ._axes import STATUS_COLORS, DurationLocator, date_numbers
from ._compare import plot_compare
from ._durations import plot_duration_trend, plot_durations
from ._failures import plot_fail_reasons, plot_failure_rates
from ._timeline import plot_timeline

__all__ = [
    "STATUS_COLORS",
    "DurationLocator",
    "date_numbers",
    "format_duration",
    "plot_compare",
    "plot_duration_trend",
    "plot_durations",
    "plot_fail_reasons",
    "plot_failure_rates",
    "plot_timeline",
]
