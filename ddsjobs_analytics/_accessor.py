"""``df.ddsjobs``: the analyses as methods of a jobs frame (registered on ``import ddsjobs_analytics``).

Each method is the module-level function with the frame bound: ``df.ddsjobs.failure_rates(by="region")``
is ``failure_rates(df, by="region")``, with the same signature, defaults and docstring.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

import pandas as pd

from ._analysis._analyse import analyse
from ._analysis._postmortem import postmortem
from ._compare._incident import incident_comparison
from ._compare._periods import compare_periods
from ._compare._reasons import new_fail_reasons
from ._frame import with_instances
from ._reasons import fail_reason_groups, with_templates
from ._render._plots import (
    plot_duration_trend,
    plot_durations,
    plot_fail_reasons,
    plot_failure_rates,
    plot_timeline,
)
from ._render._report import summary_text, write_report
from ._stats._durations import duration_stats, stuck_jobs
from ._stats._failures import failure_rates

__all__ = ["JobsAccessor"]

# The columns every analysis needs; a frame without them is not a jobs frame.
CORE_COLUMNS = ("job_id", "job_type", "status", "created", "instance_id")

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _bound(function: Callable[Concatenate[pd.DataFrame, _P], _R]) -> Callable[Concatenate[Any, _P], _R]:
    """A method calling ``function(self._frame, …)``, showing its signature and docstring."""

    @functools.wraps(function)
    def method(self: JobsAccessor, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        return function(self._frame, *args, **kwargs)

    return method


class JobsAccessor:
    """Analyses of a jobs frame (see :func:`ddsjobs_analytics.jobs_frame`) as ``df.ddsjobs.<name>(...)``."""

    def __init__(self, frame: pd.DataFrame) -> None:
        missing = [column for column in CORE_COLUMNS if column not in frame.columns]
        if missing:
            # pandas turns an AttributeError here into "df has no attribute 'ddsjobs'" with this message.
            raise AttributeError(
                f"df.ddsjobs needs a jobs frame; missing column{'s' if len(missing) > 1 else ''} "
                f"{', '.join(map(repr, missing))} (build it with ddsjobs_analytics.jobs_frame(records))"
            )
        self._frame = frame

    # tables
    analyse = _bound(analyse)
    duration_stats = _bound(duration_stats)
    failure_rates = _bound(failure_rates)
    fail_reason_groups = _bound(fail_reason_groups)
    stuck_jobs = _bound(stuck_jobs)
    compare_periods = _bound(compare_periods)
    new_fail_reasons = _bound(new_fail_reasons)
    incident_comparison = _bound(incident_comparison)
    with_templates = _bound(with_templates)
    with_instances = _bound(with_instances)
    postmortem = _bound(postmortem)
    summary_text = _bound(summary_text)
    # charts
    plot_durations = _bound(plot_durations)
    plot_duration_trend = _bound(plot_duration_trend)
    plot_failure_rates = _bound(plot_failure_rates)
    plot_fail_reasons = _bound(plot_fail_reasons)
    plot_timeline = _bound(plot_timeline)
    # files
    write_report = _bound(write_report)
