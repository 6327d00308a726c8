"""``df.ddsjobs``: the analyses as methods of a jobs frame (registered on ``import ddsjobs_analytics``).

Each method is a thin wrapper: ``df.ddsjobs.failure_rates(by="region")`` is
``failure_rates(df, by="region")``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.axes import Axes

from ._durations import GroupKeys, StatusSelection, duration_stats, stuck_jobs
from ._failures import failure_rates
from ._plots import plot_duration_trend, plot_durations, plot_fail_reasons, plot_failure_rates, plot_timeline
from ._postmortem import PostMortem, postmortem
from ._reasons import fail_reason_groups
from ._report import ReportPaths, summary_text, write_report

__all__ = ["JobsAccessor"]

# The columns every analysis needs; a frame without them is not a jobs frame.
CORE_COLUMNS = ("job_id", "job_type", "status", "created", "instance_id")


@pd.api.extensions.register_dataframe_accessor("ddsjobs")
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

    # --- tables

    def duration_stats(
        self, by: GroupKeys = "job_type", *, status: StatusSelection = "Completed"
    ) -> pd.DataFrame:
        return duration_stats(self._frame, by, status=status)

    def failure_rates(
        self, by: GroupKeys = "job_type", *, freq: str | None = None, confidence: float = 0.95
    ) -> pd.DataFrame:
        return failure_rates(self._frame, by, freq=freq, confidence=confidence)

    def fail_reason_groups(self, *, by: GroupKeys = None, top: int | None = None) -> pd.DataFrame:
        return fail_reason_groups(self._frame, by=by, top=top)

    def stuck_jobs(
        self, *, k: float = 3.0, min_history: int = 20, fallback_s: float = 86400.0
    ) -> pd.DataFrame:
        return stuck_jobs(self._frame, k=k, min_history=min_history, fallback_s=fallback_s)

    def postmortem(
        self,
        *,
        instance: str | None = None,
        start: Any = None,
        end: Any = None,
        region: str | None = None,
        context: str | pd.Timedelta | dt.timedelta = "1h",
    ) -> PostMortem:
        return postmortem(
            self._frame, instance=instance, start=start, end=end, region=region, context=context
        )

    def summary_text(self, *, stuck_kwargs: Mapping[str, Any] | None = None) -> str:
        return summary_text(self._frame, stuck_kwargs=stuck_kwargs)

    # --- charts

    def plot_durations(
        self,
        *,
        by: str = "job_type",
        status: StatusSelection = "Completed",
        top: int = 12,
        log: bool = True,
        ax: Axes | None = None,
    ) -> Axes:
        return plot_durations(self._frame, by=by, status=status, top=top, log=log, ax=ax)

    def plot_duration_trend(
        self,
        *,
        job_type: str | Sequence[str] | None = None,
        freq: str = "D",
        ax: Axes | None = None,
        tz: str | dt.tzinfo | None = None,
    ) -> Axes:
        return plot_duration_trend(self._frame, job_type=job_type, freq=freq, ax=ax, tz=tz)

    def plot_failure_rates(
        self, *, by: str = "job_type", top: int = 15, min_total: int = 1, ax: Axes | None = None
    ) -> Axes:
        return plot_failure_rates(self._frame, by=by, top=top, min_total=min_total, ax=ax)

    def plot_fail_reasons(self, *, top: int = 10, width: int = 60, ax: Axes | None = None) -> Axes:
        return plot_fail_reasons(self._frame, top=top, width=width, ax=ax)

    def plot_timeline(
        self,
        *,
        instance: str | None = None,
        start: Any = None,
        end: Any = None,
        ax: Axes | None = None,
        tz: str | dt.tzinfo | None = None,
        max_lanes: int = 40,
    ) -> Axes:
        return plot_timeline(
            self._frame, instance=instance, start=start, end=end, ax=ax, tz=tz, max_lanes=max_lanes
        )

    # --- files

    def write_report(
        self,
        out_dir: str | Path,
        *,
        html: bool = False,
        bom: bool = False,
        charts: bool = True,
        title: str | None = None,
        stuck_kwargs: Mapping[str, Any] | None = None,
    ) -> ReportPaths:
        return write_report(
            self._frame, out_dir, html=html, bom=bom, charts=charts, title=title, stuck_kwargs=stuck_kwargs
        )
