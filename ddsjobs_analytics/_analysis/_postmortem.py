"""Post-mortem of one instance (or region) over a time window: what ran, what failed, what else was going on.

``postmortem(df, instance="dds-prod-1", start=..., end=...)`` returns plain tables, so it works the same in a
script, a notebook (``_repr_html_``) or a report.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import pandas as pd

from .._compare._incident import IncidentComparison, incident_comparison
from .._core._calendar import TzLike, resolve_tz, tz_label
from .._core._format import format_duration
from .._core._schema import (
    POSTMORTEM_COMPARISON,
    POSTMORTEM_CONCURRENT,
    POSTMORTEM_FAILURES,
    WHAT_CHANGED,
)
from .._frame import require_columns
from .._reasons import fail_reason_template
from .._stats._durations import duration_stats
from .._stats._failures import failure_rates
from .._stats._intervals import equals, instance_labels, job_finish, overlapping, parse_time, select_instance
from ._analyse import JOB_VIEW_COLUMNS, Analysis
from ._fleet import instance_fact

if TYPE_CHECKING:  # matplotlib loads only when a chart is drawn
    from matplotlib.axes import Axes

__all__ = ["JOB_VIEW_COLUMNS", "PostMortem", "postmortem"]

DEFAULT_LOOKBACK = pd.Timedelta(days=7)
SLOWER_RATIO = 1.5  # the summary calls a job type slower when its p50 is at least this × the fleet's
MIN_JOBS_TO_COMPARE = 3  # … and both sides have at least this many completed jobs of that type
_TIME_FORMAT = "%Y-%m-%d %H:%M"
_WEEK = pd.Timedelta(weeks=1)


@dataclass(frozen=True)
class PostMortem:
    """Tables about one instance (or region) in ``[start, end]``.

    ``jobs``: the subject's jobs overlapping the window. ``failures``: the failed ones, with ``template``.
    ``concurrent``: other jobs on the same instance or in the same region overlapping the window widened by
    ``context`` on each side (``scope`` says which). ``comparison``: per job type, the subject's median
    duration and failure rate next to the rest of the ``fleet``'s (``ratio`` = p50_s / fleet_p50_s),
    computed when first read. ``tz`` is the zone the window was read in: :meth:`plot` and :meth:`facts`
    show times in it (the tables keep UTC instants). ``previous_weeks``: the window against the same hours
    of the ``weeks`` previous weeks (see :meth:`compare_previous_weeks`), computed when first read.
    """

    instance_id: str | None
    instance_name: str | None
    region: str | None
    start: pd.Timestamp
    end: pd.Timestamp
    context: pd.Timedelta
    jobs: pd.DataFrame
    failures: pd.DataFrame
    concurrent: pd.DataFrame
    fleet: pd.DataFrame = field(repr=False)
    tz: dt.tzinfo = dt.timezone.utc
    data: pd.DataFrame | None = field(default=None, repr=False)  # the frame it came from
    weeks: int = 4

    @cached_property
    def comparison(self) -> pd.DataFrame:
        return _comparison(self.jobs, self.fleet)

    def compare_previous_weeks(self, weeks: int | None = None, **options: Any) -> IncidentComparison:
        """:func:`incident_comparison` of this window with the same hours of the ``weeks`` (default
        :attr:`weeks`) previous weeks, on the same instance or region: failure rate and KM duration quantiles
        with intervals, q-values and verdicts (``changes``), and the failure reasons new in the window.

        Jobs count by ``created`` in [start, end) there, whereas :attr:`jobs` also holds jobs that started
        before the window and were still running in it. ``options`` go to :func:`incident_comparison`
        (``min_jobs`` (10), ``by``, ``fdr``…). A window longer than a week cannot be compared this way.
        """
        if self.data is None:
            raise ValueError("compare_previous_weeks: this PostMortem was built without its frame")
        subject = {"instance": self.instance_id} if self.instance_id is not None else {"region": self.region}
        return incident_comparison(
            self.data, start=self.start, end=self.end, weeks=self.weeks if weeks is None else weeks,
            **subject, **options,
        )  # fmt: skip

    @cached_property
    def previous_weeks(self) -> IncidentComparison | None:
        """:meth:`compare_previous_weeks` with the defaults, or None when the window is longer than a week
        (or the frame is unknown)."""
        if self.data is None or self.weeks < 1 or self.end - self.start > _WEEK:
            return None
        return self.compare_previous_weeks()

    @property
    def subject(self) -> str:
        if self.instance_id is not None:
            return f"{self.instance_name} ({self.instance_id})" if self.instance_name else self.instance_id
        return f"region {self.region}" if self.region else "all instances"

    def plot(
        self, ax: Axes | None = None, *, tz: TzLike = None, concurrent: bool = False, **kwargs: Any
    ) -> Axes:
        """Timeline of the window, failures highlighted; ``concurrent=True`` adds other instances' lanes.

        Times are shown in ``tz``, by default the post-mortem's own zone; ``kwargs`` go to
        :func:`plot_timeline` (``order``, ``max_lanes``, the bars' style…).
        """
        from .._render._plots import date_numbers, plot_timeline  # charts load only when one is drawn

        rows = pd.concat([self.jobs, self.concurrent.drop(columns="scope")]) if concurrent else self.jobs
        margin = self.context if concurrent else pd.Timedelta(0)
        zone = self.tz if tz is None else resolve_tz(tz)
        ax = plot_timeline(rows, start=self.start - margin, end=self.end + margin, ax=ax, tz=zone, **kwargs)
        if concurrent and margin > pd.Timedelta(0):
            # Shade the context margins so the window itself stands out.
            bounds = date_numbers(
                pd.DatetimeIndex([self.start - margin, self.start, self.end, self.end + margin])
            )
            ax.axvspan(bounds[0], bounds[1], color="0.5", alpha=0.08, zorder=0)
            ax.axvspan(bounds[2], bounds[3], color="0.5", alpha=0.08, zorder=0)
        ax.set_title(f"Post-mortem: {self.subject}")  # replaces the timeline's own title
        return ax

    def summary(self) -> str:
        """A few lines for a console or a ticket."""
        return "\n".join(f"{label}: {value}" for label, value in self.facts())

    def facts(self) -> list[tuple[str, str]]:
        start, end = self.start.tz_convert(self.tz), self.end.tz_convert(self.tz)
        window = (
            f"{start.strftime(_TIME_FORMAT)} – {end.strftime(_TIME_FORMAT)} {tz_label(self.tz)}"
            f" (context ±{format_duration(self.context.total_seconds())})"
        )
        statuses = self.jobs["status"].astype("string").value_counts()
        counts = ", ".join(f"{int(n)} {str(s).lower()}" for s, n in statuses.items())
        facts = [
            ("Subject", self.subject),
            *self._instance_facts(),
            ("Window", window),
            ("Jobs", f"{len(self.jobs)}" + (f" ({counts})" if counts else "")),
        ]
        if not self.failures.empty:
            top = self.failures["template"].astype("string").value_counts().head(3)
            facts.append(("Failures", "; ".join(f"{template!r} ×{int(n)}" for template, n in top.items())))
        if not self.concurrent.empty:
            others = self.concurrent
            failed = int((others["status"] == "Failed").sum())
            facts.append(
                (
                    "Concurrent",
                    f"{len(others)} other jobs on {others['instance_id'].nunique()} instance(s),"
                    f" {failed} failed",
                )
            )
        if self.previous_weeks is not None:
            facts.append(("Previous weeks", _previous_weeks_fact(self.previous_weeks)))
        table = self.comparison
        # A headline needs a few jobs on both sides: one slow job is an anecdote, not "slower than the fleet".
        enough = (table["count"] >= MIN_JOBS_TO_COMPARE) & (table["fleet_count"] >= MIN_JOBS_TO_COMPARE)
        slow = table[enough & (table["ratio"] >= SLOWER_RATIO)].head(3)
        if not slow.empty:
            facts.append(
                (
                    "Slower than the fleet",
                    "; ".join(
                        f"{job_type} p50 {format_duration(row.p50_s)} vs fleet"
                        f" {format_duration(row.fleet_p50_s)} ({row.ratio:.1f}×)"
                        for job_type, row in slow.iterrows()
                    ),
                )
            )
        return facts

    def _instance_facts(self) -> list[tuple[str, str]]:
        """What the instance was at the incident (mode, version, spec, AZs), when the jobs carry it."""
        fact = instance_fact(self.data, self.instance_id, self.start, self.end)
        return [("Instance", fact)] if fact else []

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        from .._render._html import definition_list, table_html

        parts = [f"<h3>Post-mortem: {html.escape(self.subject)}</h3>", definition_list(self.facts())]
        for caption, table, formats in (
            ("Failures", self.failures, POSTMORTEM_FAILURES.formats),
            ("Duration vs fleet", self.comparison, POSTMORTEM_COMPARISON.formats),
            ("Concurrent jobs", self.concurrent, POSTMORTEM_CONCURRENT.formats),
        ):
            parts.append(f"<h4>{caption}</h4>" + table_html(table, formats=formats, max_rows=50))
        if self.previous_weeks is not None:
            changes = self.previous_weeks.changes
            parts.append(
                f"<h4>Same hours of the previous weeks ({len(self.previous_weeks.baseline)})</h4>"
                + table_html(changes, formats=WHAT_CHANGED.formats, max_rows=20)
            )
        return "".join(parts)


def _previous_weeks_fact(found: IncidentComparison) -> str:
    """One line: the failure rate now vs the same hours of the previous weeks, with q and the verdict;
    a duration quantile too when it changed; the count of failure reasons new in the window."""
    weeks = len(found.baseline)
    span = "the previous week" if weeks == 1 else f"the {weeks} previous weeks"
    rows: dict[str, dict[Any, Any]] = {str(r["metric"]): r for r in found.changes.to_dict("records")}
    parts = []
    if "failure_rate" in rows:
        row = rows["failure_rate"]
        if row["verdict"] == "insufficient":
            parts.append(
                f"too few jobs to compare with the same hours of {span}"
                f" ({int(row['n_current'])} now, {int(row['n_baseline'])} then)"
            )
        else:
            parts.append(
                f"failure rate {row['current']:.0%} vs {row['baseline']:.0%} in the same hours of {span}"
                f" (q={row['q_value']:.2g}, {row['verdict']})"
            )
    for metric, name in (("duration_p50", "median duration"), ("duration_p95", "p95 duration")):
        row = rows.get(metric, {})
        if row.get("verdict") in ("regressed", "improved"):
            parts.append(
                f"{name} {format_duration(row['current'])} vs {format_duration(row['baseline'])}"
                f" ({row['change']:.1f}×, q={row['q_value']:.2g}, {row['verdict']})"
            )
    if len(found.new_fail_reasons):
        count = len(found.new_fail_reasons)
        parts.append(f"{count} failure reason{'s' if count > 1 else ''} not seen in those weeks")
    return "; ".join(parts)


def _comparison(subject: pd.DataFrame, fleet: pd.DataFrame) -> pd.DataFrame:
    """Per job type of the subject: its p50 and failure rate next to the fleet's."""
    columns = ["count", "p50_s", "failure_rate", "fleet_count", "fleet_p50_s", "fleet_failure_rate", "ratio"]
    if subject.empty:
        empty = {c: pd.Series([], dtype="int64" if c.endswith("count") else "float64") for c in columns}
        return pd.DataFrame(empty, index=pd.Index([], dtype=str, name="job_type"))
    types = subject["job_type"].astype("string").unique()
    mine = duration_stats(subject, by="job_type")[["count", "p50_s"]]
    theirs = duration_stats(fleet, by="job_type")[["count", "p50_s"]] if len(fleet) else mine.iloc[:0]
    mine_rates = failure_rates(subject, by="job_type")["failure_rate"]
    fleet_rates = failure_rates(fleet, by="job_type")["failure_rate"] if len(fleet) else mine_rates.iloc[:0]
    index = pd.Index(sorted(str(t) for t in types if t is not pd.NA), name="job_type")
    table = pd.DataFrame(
        {
            "count": _reindexed(mine["count"], index).fillna(0).astype("int64"),
            "p50_s": _reindexed(mine["p50_s"], index),
            "failure_rate": _reindexed(mine_rates, index),
            "fleet_count": _reindexed(theirs["count"], index).fillna(0).astype("int64"),
            "fleet_p50_s": _reindexed(theirs["p50_s"], index),
            "fleet_failure_rate": _reindexed(fleet_rates, index),
        },
        index=index,
    )
    table["ratio"] = table["p50_s"] / table["fleet_p50_s"]
    return table.sort_values("ratio", ascending=False, na_position="last", kind="stable")


def _reindexed(values: pd.Series, index: pd.Index) -> pd.Series:
    values = values.copy()
    values.index = values.index.astype(str)
    return values.reindex(index).astype("float64")


def _concurrent(
    df: pd.DataFrame,
    jobs: pd.DataFrame,
    start: pd.Timestamp,
    end: pd.Timestamp,
    instance_id: str | None,
    region: str | None,
) -> pd.DataFrame:
    """Other jobs overlapping [start, end] on the same instance or in the same region, with ``scope``."""
    neighbourhood = df[overlapping(df, start, end)]
    if instance_id is not None:
        same_instance = equals(neighbourhood["instance_id"], instance_id)
    else:
        same_instance = pd.Series(False, index=neighbourhood.index)
    if region is not None:
        same_region = equals(neighbourhood["region"], region)
    else:  # no region to compare: an instance post-mortem keeps to the instance, a fleet one takes everything
        same_region = pd.Series(instance_id is None, index=neighbourhood.index)
    near = (same_instance | same_region) & ~neighbourhood.index.isin(jobs.index)
    scope = "same region" if region is not None else "fleet"
    labels = same_instance[near].map({True: "same instance", False: scope}).astype("string")
    return (
        neighbourhood[near][list(JOB_VIEW_COLUMNS)].assign(scope=labels).sort_values("created", kind="stable")
    )


def postmortem(
    data: pd.DataFrame | Analysis,
    *,
    instance: str | None = None,
    start: Any = None,
    end: Any = None,
    region: str | None = None,
    context: str | pd.Timedelta | dt.timedelta = "1h",
    tz: TzLike = None,
    weeks: int = 4,
) -> PostMortem:
    """What happened on ``instance`` (id or name), in ``region``, or in the whole frame, in ``[start, end]``.

    Window defaults: with an instance, its whole history; otherwise the 7 days up to the latest observation.
    Naive ``start``/``end`` are read in ``tz`` (an IANA name, ``"+08:00"``, ``"UTC+8"``, ``"local"``), UTC
    when none is given, the same rule as :func:`plot_timeline`; the result keeps ``tz`` for its chart and
    facts. ``weeks``: how many previous weeks :attr:`PostMortem.previous_weeks` (and the facts) compare the
    window with, when it is at most a week long; 0 leaves the comparison out. ``context`` widens the window
    for ``concurrent`` only. The comparison's "fleet" is every other job in the frame (in ``region`` when
    given). ``data`` may be an :class:`Analysis`: its failure-reason templates are reused instead of
    recomputed.
    """
    analysis = data if isinstance(data, Analysis) else None
    df = analysis.data if analysis is not None else data
    assert isinstance(df, pd.DataFrame)
    require_columns(df, JOB_VIEW_COLUMNS, func="postmortem")
    try:
        margin = pd.Timedelta(context)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"postmortem: context={context!r} is not a duration (e.g. '1h', '30min')") from exc
    if margin < pd.Timedelta(0):
        raise ValueError(f"postmortem: context must not be negative, got {context!r}")
    zone = resolve_tz(tz if tz is not None else getattr(analysis, "tz", None))
    start_ts = parse_time(start, zone, name="start", func="postmortem")
    end_ts = parse_time(end, zone, name="end", func="postmortem")

    scope = df
    if region is not None:
        in_region = equals(df["region"], region)
        if not in_region.any():
            known = ", ".join(sorted(df["region"].dropna().astype(str).unique())) or "none"
            raise ValueError(f"postmortem: region {region!r} is not in the data (regions: {known})")
        scope = df[in_region]

    instance_id = instance_name = None
    if instance is not None:
        subject_all = select_instance(df, instance, func="postmortem")
        if region is not None and not equals(subject_all["region"], region).any():
            raise ValueError(f"postmortem: instance {instance!r} has no jobs in region {region!r}")
        instance_id = str(subject_all["instance_id"].iloc[0])
        instance_name = str(instance_labels(subject_all).iloc[0])
        regions = subject_all["region"].dropna().astype(str).unique()
        region = region if region is not None else (regions[0] if len(regions) == 1 else None)
        default_start, default_end = subject_all["created"].min(), job_finish(subject_all).max()
    else:
        subject_all = scope
        if scope.empty:
            raise ValueError("postmortem: the frame has no jobs")
        default_end = max(job_finish(scope).max(), scope["observed_at"].max())
        default_start = default_end - DEFAULT_LOOKBACK
    start_ts = start_ts if start_ts is not None else default_start
    end_ts = end_ts if end_ts is not None else default_end
    if not end_ts > start_ts:
        raise ValueError(f"postmortem: end ({end_ts}) must be later than start ({start_ts})")

    columns = list(JOB_VIEW_COLUMNS)
    jobs = subject_all[overlapping(subject_all, start_ts, end_ts)][columns].sort_values(
        "created", kind="stable"
    )
    failures = jobs[jobs["status"] == "Failed"]
    if analysis is not None and df.index.is_unique:
        # Already templated for the whole frame: look the window's rows up instead of templating again.
        templates = analysis.fail_reason_templates.loc[failures.index].cat.remove_unused_categories()
    else:  # only the window's failures: a handful of messages, not the fleet's
        templates = fail_reason_template(failures["fail_reason"])
    failures = failures.assign(template=templates)

    concurrent = _concurrent(df, jobs, start_ts - margin, end_ts + margin, instance_id, region)
    fleet = scope[~scope.index.isin(jobs.index)]
    return PostMortem(
        instance_id=instance_id,
        instance_name=instance_name,
        region=region,
        start=start_ts,
        end=end_ts,
        context=margin,
        jobs=jobs,
        failures=failures,
        concurrent=concurrent,
        fleet=fleet,
        tz=zone,
        data=df,
        weeks=weeks,
    )
