"""Analyse once, render many: one object holding every statistic a report, a chart or a post-mortem reads.

``dj.analyse(df)`` returns an :class:`Analysis`. Each result (duration statistics with the Kaplan–Meier
estimates, failure rates, reason groups, stuck jobs, the focus window, the summary facts) is computed on first
use and then kept, so the CSV tables, the charts and the HTML page of one report show the same numbers from
one computation, as lifelines' plots read a fitted estimator.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from .._compare._what_changed import WhatChanged, what_changed
from .._core._calendar import TzLike, period_start, resolve_tz, tz_label
from .._core._format import Formats
from .._core._schema import (
    DURATION_STATS,
    FAIL_REASON_GROUPS,
    FAILURE_RATES,
    JOBS,
    NEW_FAIL_REASONS,
    POSTMORTEM_JOBS,
    STUCK_JOBS,
    WHAT_CHANGED,
)
from .._frame import jobs_frame, require_columns
from .._reasons import fail_reason_groups, fail_reason_template
from .._stats._durations import (
    DurationFit,
    StatusSelection,
    duration_stats,
    duration_stats_fit,
    kaplan_meier,
    selected_statuses,
    stuck_jobs,
)
from .._stats._failures import failure_rates, wilson_interval
from .._stats._intervals import equals
from ._fleet import fleet_tables

__all__ = ["JOB_VIEW_COLUMNS", "Analysis", "Focus", "Table", "WhatChanged", "analyse"]

# The frame columns post-mortems and reports read (and show, in this order).
JOB_VIEW_COLUMNS = POSTMORTEM_JOBS.names  # declared once, in the column contract
_DAY = "%Y-%m-%d"


class Table(NamedTuple):
    """A derived table with the display format of its columns, as the column contract declares them."""

    frame: pd.DataFrame
    formats: Formats


class Focus(NamedTuple):
    """The timeline's window: the (region, calendar day in ``tz``) with the most failures (most jobs if none
    failed). ``start``/``end`` are instants in ``tz``."""

    region: str | None
    start: pd.Timestamp
    end: pd.Timestamp
    failures: int
    jobs: int
    tz: dt.tzinfo = dt.timezone.utc

    @property
    def label(self) -> str:
        where = self.region or "all regions"
        return (
            f"{where}, {self.start:{_DAY}} {tz_label(self.tz)}: {self.jobs:,} jobs, {self.failures:,} failed"
        )


def focus_window(df: pd.DataFrame, tz: TzLike = None) -> Focus | None:
    """The (region, calendar day in ``tz``; UTC when None) with the most failed jobs, or with the most jobs
    when none failed."""
    zone = resolve_tz(tz)
    known = df[df["created"].notna()]
    if known.empty:
        return None
    failed = known[known["status"] == "Failed"]
    pool = failed if not failed.empty else known
    keys = pd.DataFrame(
        {
            "region": pool["region"].astype("string").fillna(""),
            "day": period_start(pool["created"], "D", zone),
        }
    )
    region, day = keys.value_counts(sort=True).index[0]
    start = pd.Timestamp(day)
    # The next local midnight (a DST day is 23 or 25 hours long).
    following = (start.tz_localize(None) + pd.Timedelta(days=1)).tz_localize(
        zone, ambiguous=True, nonexistent="shift_forward"
    )
    end = pd.Timestamp(following)
    in_day = (known["created"] >= start) & (known["created"] < end)
    in_region = equals(known["region"], region) if region else known["region"].isna()
    rows = known[in_day & in_region]
    return Focus(region or None, start, end, int((rows["status"] == "Failed").sum()), len(rows), zone)


@dataclass(frozen=True, eq=False)
class Analysis:
    """The statistics of one jobs frame, each computed at most once (on first use) and then kept.

    ``by`` groups the duration statistics and failure rates; ``status`` selects the jobs whose durations
    are summarised (see :func:`duration_stats`); ``freq`` is the period of :attr:`failure_rates_by_period`;
    ``stuck_kwargs`` go to :func:`stuck_jobs`; ``tz`` is the zone of calendar periods and shown times (the
    frame stays UTC). The tables are shared by every reader: treat them as read-only.
    """

    data: pd.DataFrame = field(repr=False)
    by: str = "job_type"
    status: StatusSelection = "Completed"
    freq: str = "D"
    stuck_kwargs: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    tz: dt.tzinfo = dt.timezone.utc
    scheduled: pd.DataFrame | None = field(default=None, repr=False)  # a scheduled_frame, for the Fleet

    @cached_property
    def duration_stats(self) -> pd.DataFrame:
        """:func:`duration_stats` per ``by`` group: quantiles of finished jobs and KM estimates."""
        return self._duration_fit[0]

    @cached_property
    def _duration_fit(self) -> tuple[pd.DataFrame, DurationFit]:
        return duration_stats_fit(self.data, by=self.by, status=self.status)

    @cached_property
    def km_curves(self) -> dict[Any, pd.DataFrame]:
        """The Kaplan–Meier fit (a :func:`kaplan_meier` table) of each ``by`` group: the jobs of ``status``
        with a duration as events, Running jobs censored at their age, as in :attr:`duration_stats`."""
        df = self.data
        duration = df["duration_s"].to_numpy(dtype=np.float64, na_value=np.nan)
        age = df["age_s"].to_numpy(dtype=np.float64, na_value=np.nan)
        event = df["status"].isin(selected_statuses(self.status)).to_numpy(dtype=bool) & np.isfinite(duration)
        censored = df["status"].isin(["Running"]).to_numpy(dtype=bool) & np.isfinite(age)
        keep = event | censored
        time = np.where(event, duration, age)[keep]
        groups = df[self.by][keep]
        positions = groups.groupby(groups, observed=True, sort=True).indices
        return {key: kaplan_meier(time[at], event[keep][at]) for key, at in positions.items()}

    @cached_property
    def failure_rates(self) -> pd.DataFrame:
        """:func:`failure_rates` per ``by`` group, worst first by the Wilson lower bound."""
        return failure_rates(self.data, by=self.by)

    @cached_property
    def failure_rates_by_period(self) -> pd.DataFrame:
        """:func:`failure_rates` of all jobs per ``freq`` period of ``tz``, in time order."""
        return failure_rates(self.data, by=None, freq=self.freq, tz=self.tz)

    @cached_property
    def fail_reason_groups(self) -> pd.DataFrame:
        """:func:`fail_reason_groups`: one row per reason template, most frequent first."""
        return fail_reason_groups(self.data, templates=self.fail_reason_templates)

    @cached_property
    def fail_reason_templates(self) -> pd.Series:
        """The template of each job's ``fail_reason`` (NA without one), aligned with :attr:`data`."""
        return fail_reason_template(self.data["fail_reason"])

    @cached_property
    def stuck_jobs(self) -> pd.DataFrame:
        """:func:`stuck_jobs` with ``stuck_kwargs``, reusing the Kaplan–Meier fit and P95s of
        :attr:`duration_stats` when that is per job type of Completed jobs (the same fit stuck_jobs makes)."""
        same = self.by == "job_type" and _same_statuses("Completed", self.status)
        fit = self._duration_fit[1] if same else None
        return stuck_jobs(self.data, **{"fit": fit, **self.stuck_kwargs})

    @cached_property
    def focus(self) -> Focus | None:
        """The (region, day in ``tz``) with the most failures: the window the report's timeline shows."""
        return focus_window(self.data, self.tz)

    @cached_property
    def what_changed(self) -> WhatChanged:
        """The last 7 days against the 28 before (:func:`compare_periods` per ``by``, new failure reasons),
        when the data spans both periods; otherwise only the reason why not."""
        return what_changed(self.data, by=self.by, tz=self.tz, templates=self.fail_reason_templates)

    @cached_property
    def facts(self) -> list[tuple[str, str]]:
        """(label, value) lines: jobs, period, regions, failure rate with CI, top type and reason, stuck."""
        return _summary_facts(self)

    @property
    def summary(self) -> str:
        """:attr:`facts` aligned for a console."""
        width = max(len(label) for label, _ in self.facts)
        return "\n".join(f"{label + ':':<{width + 1}} {value}" for label, value in self.facts)

    def tables(self) -> dict[str, Table]:
        """The report's tables by file name, each with its declared column formats; ``what_changed`` and
        ``new_fail_reasons`` only when :attr:`what_changed` compared the periods."""
        tables = {
            "jobs": Table(self.data, JOBS.formats),
            "duration_stats": Table(self.duration_stats, DURATION_STATS.formats),
            "failure_rates": Table(self.failure_rates, FAILURE_RATES.formats),
            "fail_reasons": Table(self.fail_reason_groups, FAIL_REASON_GROUPS.formats),
            "stuck_jobs": Table(self.stuck_jobs, STUCK_JOBS.formats),
        }
        changed = self.what_changed
        if changed.comparison is not None and changed.new_reasons is not None:
            tables["what_changed"] = Table(changed.comparison, WHAT_CHANGED.formats)
            tables["new_fail_reasons"] = Table(changed.new_reasons, NEW_FAIL_REASONS.formats)
        tables.update({name: Table(*table) for name, table in self.fleet.items()})
        return tables

    @cached_property
    def fleet(self) -> dict[str, Any]:
        """The Fleet tables (``_fleet.fleet_tables``) when the jobs were joined with an inventory."""
        return dict(fleet_tables(self.data, self.scheduled))

    def duration_stats_for(self, by: str, status: StatusSelection) -> pd.DataFrame:
        """The kept :attr:`duration_stats` when ``by``/``status`` match this analysis, else a fresh one."""
        if by == self.by and _same_statuses(status, self.status):
            return self.duration_stats
        return duration_stats(self.data, by=by, status=status)

    def failure_rates_for(self, by: str) -> pd.DataFrame:
        """The kept :attr:`failure_rates` when ``by`` matches this analysis, else a fresh one."""
        return self.failure_rates if by == self.by else failure_rates(self.data, by=by)

    def __repr__(self) -> str:
        computed = [name for name in _RESULTS if name in self.__dict__]
        return (
            f"Analysis({len(self.data):,} jobs, by={self.by!r}, status={self.status!r}, "
            f"tz={tz_label(self.tz)!r}, computed={computed})"
        )


_RESULTS = (
    "duration_stats",
    "km_curves",
    "failure_rates",
    "failure_rates_by_period",
    "fail_reason_groups",
    "fail_reason_templates",
    "stuck_jobs",
    "focus",
    "what_changed",
)


def _same_statuses(a: StatusSelection, b: StatusSelection) -> bool:
    def norm(s: StatusSelection) -> tuple[str, ...] | None:
        return None if s is None else (s,) if isinstance(s, str) else tuple(s)

    return norm(a) == norm(b)


def analyse(
    df: pd.DataFrame,
    *,
    by: str = "job_type",
    status: StatusSelection = "Completed",
    freq: str = "D",
    stuck_kwargs: Mapping[str, Any] | None = None,
    tz: TzLike = None,
    scheduled: pd.DataFrame | None = None,
) -> Analysis:
    """An :class:`Analysis` of the jobs frame ``df``; every statistic is computed once, when first read.

    ``tz`` (an IANA name, ``"+08:00"``, ``"UTC+8"``, ``"local"``; UTC when None) is where calendar periods
    are cut and times are shown; the frame and its tables stay in UTC. The frame is kept as a shallow copy:
    columns added to ``df`` later do not reach the analysis. ``scheduled`` (a ``scheduled_frame``) adds the
    Fleet section's scheduled changes.
    """
    zone = resolve_tz(tz)
    if not isinstance(by, str):
        raise TypeError(f"analyse: by= takes a column name (e.g. 'job_type'), not a {type(by).__name__}")
    if isinstance(df, pd.DataFrame) and not _typed(df):
        df = jobs_frame(df)  # a saved jobs.csv, or a plain frame of records: re-typed, derived columns redone
    require_columns(df, JOB_VIEW_COLUMNS, func="analyse")
    require_columns(df, [by], func="analyse")
    return Analysis(
        df.copy(deep=False),
        by=by,
        status=status,
        freq=freq,
        stuck_kwargs=MappingProxyType(dict(stuck_kwargs or {})),
        tz=zone,
        scheduled=scheduled,
    )


def _typed(df: pd.DataFrame) -> bool:
    """A jobs frame already (typed times), not text read back from a CSV or a frame of raw records."""
    return "created" in df.columns and isinstance(df["created"].dtype, pd.DatetimeTZDtype)


# "Top failing type" in the summary: the highest Wilson lower bound among the groups with at least this many
# finished jobs, so one failure in two jobs does not outrank 5 % of 2,000 (check --min-jobs uses 20 too).
TOP_FAILING_MIN_FINISHED = 20


def _counts(values: pd.Series) -> pd.Series:
    """Rows per value, most first; values without rows (unused categories) left out."""
    counts = values.value_counts(sort=False)
    counts = counts[counts > 0]
    order = np.lexsort((counts.index.astype(str), -counts.to_numpy()))
    return counts.iloc[order]


def _summary_facts(analysis: Analysis) -> list[tuple[str, str]]:
    df = analysis.data
    if df.empty:
        return [("Jobs", "none")]
    statuses = _counts(df["status"])
    by_status = ", ".join(f"{int(n):,} {str(s).lower()}" for s, n in statuses.items())
    facts = [("Jobs", f"{len(df):,} ({by_status}) on {df['instance_id'].nunique():,} instances")]
    first, last = df["created"].min(), df["created"].max()
    if pd.notna(first):
        days = (last - first).total_seconds() / 86400
        first, last = pd.Timestamp(first).tz_convert(analysis.tz), pd.Timestamp(last).tz_convert(analysis.tz)
        span = f"{first:%Y-%m-%d %H:%M} – {last:%Y-%m-%d %H:%M} {tz_label(analysis.tz)}"
        facts.append(("Period", f"{span} ({days:,.1f} days, by start)"))
    regions = _counts(df["region"])
    if not regions.empty:
        facts.append(("Regions", ", ".join(f"{r} ({int(n):,})" for r, n in regions.items())))
    rates = analysis.failure_rates
    failed = int(rates["failed"].sum())
    finished = int(rates["total"].sum())
    if finished:
        low, high = wilson_interval(failed, finished)
        facts.append(
            (
                "Failure rate",
                f"{failed / finished:.1%} (95% CI {low:.1%}–{high:.1%}) of {finished:,} finished jobs",
            )
        )
    failing = rates[(rates["failed"] > 0) & (rates["total"] >= TOP_FAILING_MIN_FINISHED)]
    label = "Top failing type" if analysis.by == "job_type" else f"Top failing {analysis.by}"
    if not failing.empty:
        worst = failing.iloc[0]  # rates are sorted by ci_low, worst first
        facts.append(
            (
                label,
                f"{failing.index[0]} {worst['failure_rate']:.1%}"
                f" ({int(worst['failed'])}/{int(worst['total'])}; ranked by the CI's lower bound, "
                f"≥ {TOP_FAILING_MIN_FINISHED} finished)",
            )
        )
    elif failed:
        facts.append((label, f"none with {TOP_FAILING_MIN_FINISHED} finished jobs or more"))
    reasons = analysis.fail_reason_groups
    if not reasons.empty:
        top = reasons.iloc[0]
        facts.append(
            ("Top failure reason", f"{top['template']} ({int(top['count'])} jobs, {top['share']:.0%})")
        )
    facts.append(
        ("Stuck jobs", f"{len(analysis.stuck_jobs)} running far longer than their type usually takes")
    )
    return facts
