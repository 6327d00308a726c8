"""A report directory: CSV tables safe to open in a spreadsheet (see ``_csv``), PNG charts, and optionally
one HTML page and one Excel workbook, all rendered from one :class:`~ddsjobs_analytics.Analysis`.

Times are UTC in every table; with ``tz`` the periods, the labels and the page follow that zone, and the CSV
and Excel files show local wall times with the zone in the header.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd

from .._analysis._analyse import (
    JOB_VIEW_COLUMNS,
    Analysis,
    Table,
    analyse,
    focus_window,
)
from .._analysis._postmortem import postmortem
from .._core._calendar import TzLike, tz_label
from .._core._memory import release_memory
from .._core._schema import POSTMORTEM_JOBS
from .._frame import require_columns
from .._stats._failures import wilson_interval
from ._csv import spreadsheet_safe, write_csv
from ._fleet_section import fleet_sections
from ._html import Section, definition_list, figure_html, render_page, table_html
from ._outdir import ReportFolder
from ._report_sections import reason_drilldown, what_changed_parts

__all__ = ["ReportPaths", "render", "spreadsheet_safe", "summary_text", "write_csv", "write_report"]

_DAY = "%Y-%m-%d"


@dataclass(frozen=True)
class ReportPaths:
    """Where :func:`write_report` wrote each file (``tables``/``charts`` by name, ``html``/``excel`` when
    asked).

    ``summary`` is the :func:`summary_text` of the same data, computed from the same tables. ``removed``:
    the files of the folder's previous run that this run did not write again, deleted.
    """

    out_dir: Path
    tables: dict[str, Path] = field(default_factory=dict)
    charts: dict[str, Path] = field(default_factory=dict)
    html: Path | None = None
    summary: str = ""
    excel: Path | None = None
    removed: tuple[str, ...] = ()

    def __iter__(self) -> Iterator[Path]:
        yield from self.tables.values()
        yield from self.charts.values()
        if self.html is not None:
            yield self.html
        if self.excel is not None:
            yield self.excel


# ----------------------------------------------------------------------------------------------- summary


def summary_text(
    data: pd.DataFrame | Analysis, *, stuck_kwargs: Mapping[str, Any] | None = None, tz: TzLike = None
) -> str:
    """Lines for a console: jobs, period (in ``tz``), regions, failure rate with CI, top type and reason,
    stuck count."""
    return _analysis_of(data, stuck_kwargs, tz, func="summary_text").summary


def _analysis_of(
    data: pd.DataFrame | Analysis,
    stuck_kwargs: Mapping[str, Any] | None,
    tz: TzLike,
    *,
    func: str,
    scheduled: pd.DataFrame | None = None,
) -> Analysis:
    if isinstance(data, Analysis):
        given = [
            name
            for name, value in (("stuck_kwargs", stuck_kwargs), ("tz", tz), ("scheduled", scheduled))
            if value is not None
        ]
        if given:
            raise ValueError(f"{func}: {' and '.join(given)} belong to analyse() when an Analysis is given")
        return data
    require_columns(data, JOB_VIEW_COLUMNS, func=func)
    return analyse(data, stuck_kwargs=stuck_kwargs, tz=tz, scheduled=scheduled)


# ------------------------------------------------------------------------------------------------ charts

_focus = focus_window  # the report's timeline window (kept under its old name for callers)


# -------------------------------------------------------------------------------------------------- HTML


def _notes(stuck_kwargs: Mapping[str, Any] | None, tz: dt.tzinfo) -> list[str]:
    low, high = wilson_interval(0, 3)
    k = (stuck_kwargs or {}).get("k", 3.0)
    return [
        "Duration = ended − created, for finished jobs. A running job has no duration yet: it is "
        "right-censored (we only know it will take at least its current age). p50…p99 use completed jobs "
        "only; km_p50_s and km_p95_s are Kaplan–Meier estimates that also count running jobs as censored "
        "at their age, so a backlog of long-running jobs shows there first.",
        "Failure rate = failed / (completed + failed); running jobs have no verdict yet and are left out. "
        f"ci_low–ci_high is the 95% Wilson score interval: unlike ±1.96·SE it stays within 0–100% and "
        f"stays honest for small groups (0 failures out of 3 gives {low:.0%}–{high:.0%}). "
        "Types are ranked by ci_low.",
        "Failure reasons are grouped by template: ids, addresses, numbers and quoted names are replaced by "
        "placeholders such as <IP> or <NUM>, so the same error on different instances counts once.",
        f"Stuck = running longer than {k:g} × the p95 duration of completed jobs of the same type (or 24 h "
        "when the type has too little history). km_share_longer is the estimated share of such jobs that "
        "ever ran that long.",
        f"Times are shown in {tz_label(tz)}, and days, weeks and months are cut there. The CSV files hold "
        "every row with times in UTC (ISO 8601)"
        + ("" if _is_utc(tz) else f", each followed by its {tz_label(tz)} wall time (<column>_local)")
        + "; text cells that a spreadsheet would run as a formula (starting with = + - @) are prefixed with "
        "an apostrophe.",
        "What changed: the last 7 days against the 28 days before, per job type. failure_rate: change = "
        "current − baseline with the Newcombe interval, Fisher's exact test; duration_p50/p95: change = the "
        "ratio of the Kaplan–Meier quantiles (running jobs censored), log-rank test. q is the "
        "Benjamini–Hochberg-adjusted p; a verdict needs q ≤ 0.05 and a change of at least 2 points or 1.2×.",
    ]


def _is_utc(tz: dt.tzinfo) -> bool:
    return tz_label(tz) == "UTC"


def _page(analysis: Analysis, charts: Mapping[str, bytes], title: str) -> str:
    def chart(name: str, alt: str) -> str:
        return figure_html(charts[name], alt) if name in charts else ""

    tz = analysis.tz

    def table(name: str, caption: str, drop: tuple[str, ...] = (), **options: Any) -> str:
        frame, formats = tables[name]
        shown = frame.drop(columns=list(drop), errors="ignore")
        return table_html(shown, formats=formats, caption=caption, tz=tz, **options)

    tables = analysis.tables()
    links, drilldown = reason_drilldown(analysis)
    sections = [
        Section("summary", "Summary", [definition_list(analysis.facts)]),
        Section(
            "what-changed", "What changed", what_changed_parts(analysis, chart("what_changed", _COMPARE_ALT))
        ),
        Section(
            "durations",
            "Durations",
            [
                chart("durations", "Box plot of job durations per job type, medians marked"),
                chart(
                    "duration_trend", f"Median and p90 duration of completed jobs per day ({tz_label(tz)})"
                ),
                table("duration_stats", "Duration statistics per job type (completed jobs)"),
            ],
        ),
        Section(
            "failure-rates",
            "Failure rates",
            [
                chart("failure_rates", "Failure rate per job type with 95% Wilson intervals"),
                table("failure_rates", "Failure rate per job type"),
            ],
        ),
        Section(
            "fail-reasons",
            "Failure reasons",
            [
                chart("fail_reasons", "Most frequent failure-reason templates"),
                table(
                    "fail_reasons",
                    "Templates (a template links to its jobs below)",
                    drop=("sample_job_ids",),
                    links={"template": links},
                ),
                drilldown,
            ],
        ),
        Section("stuck", "Stuck jobs", [table("stuck_jobs", "Stuck jobs")]),
        *fleet_sections(analysis, chart, table),
    ]
    focus = analysis.focus
    if focus is not None:
        window = postmortem(analysis, region=focus.region, start=focus.start, end=focus.end, context="0s")
        failures = window.failures[["created", "job_type", "instance_name", "fail_reason", "job_id"]]
        sections.append(
            Section(
                "timeline",
                "Timeline",
                [
                    f'<p class="note">{escape("Busiest failure day: " + focus.label)}</p>',
                    chart("timeline", "Gantt chart of the jobs per instance that day; failed jobs in red"),
                    table_html(
                        failures, formats=POSTMORTEM_JOBS.formats, caption="Failed jobs that day", tz=tz
                    ),
                ],
            )
        )
    now = dt.datetime.now(dt.timezone.utc).astimezone(tz)
    generated = f"{now:%Y-%m-%d %H:%M} {tz_label(tz)}"
    return render_page(title, sections, _notes(analysis.stuck_kwargs, tz), generated=generated)


_COMPARE_ALT = "Failure rate per job type, baseline → current, with the interval of the change"


def _default_title(df: pd.DataFrame, tz: dt.tzinfo = dt.timezone.utc) -> str:
    first, last = df["created"].min(), df["created"].max()
    if pd.isna(first):
        return "DDS jobs report"
    first, last = pd.Timestamp(first).tz_convert(tz), pd.Timestamp(last).tz_convert(tz)
    zone = "" if _is_utc(tz) else f" ({tz_label(tz)})"
    return f"DDS jobs report, {first:{_DAY}} – {last:{_DAY}}{zone}"


def _excel(analysis: Analysis, path: Path, shown: Path | None = None) -> Path:
    """One workbook, a sheet per report table; the jobs sheet only when it fits in a sheet. ``shown``: the
    path warnings name (the final one, when ``path`` is in a staging folder)."""
    from ._excel import EXCEL_MAX_ROWS, write_excel

    tables: dict[str, Table] = analysis.tables()
    jobs = tables["jobs"].frame
    if len(jobs) + 1 > EXCEL_MAX_ROWS:
        note = (
            f"{len(jobs):,} jobs do not fit in an Excel sheet ({EXCEL_MAX_ROWS - 1:,} rows at most): "
            "left out here; jobs.csv has them all"
        )
        warnings.warn(f"{shown or path}: {note}", stacklevel=3)
        tables["jobs"] = Table(pd.DataFrame({"note": [note]}), {})
    frames = {name: table.frame for name, table in tables.items()}
    return write_excel(frames, path, tz=analysis.tz, formats={name: t.formats for name, t in tables.items()})


def render(
    analysis: Analysis,
    out_dir: str | Path,
    *,
    html: bool = False,
    bom: bool = False,
    charts: bool = True,
    title: str | None = None,
    excel: bool = False,
) -> ReportPaths:
    """Write the tables of ``analysis`` as CSV, its charts as PNG, (``html=True``) ``report.html`` and
    (``excel=True``) ``report.xlsx``.

    Every file reads the same computed tables; see :func:`write_report` for what is written.
    """
    local = None if _is_utc(analysis.tz) else analysis.tz
    with ReportFolder(out_dir) as folder:
        # Everything is written into a fresh staging folder first: an error or Ctrl-C leaves the folder's
        # previous run as it was; the commit then moves the whole run in (see _outdir).
        stage = folder.staging
        for name, table in analysis.tables().items():
            write_csv(table.frame, stage / f"{name}.csv", bom=bom, formats=table.formats, tz=local)
        if charts:
            # matplotlib loads only when a chart is drawn: a --no-charts report stays ~30 MB smaller. What
            # the tables freed goes back first, so the charts' peak does not sit on top of it.
            release_memory()
            from ._report_charts import report_charts

            pngs = report_charts(analysis)
        else:
            pngs = {}
        for name, png in pngs.items():
            (stage / f"{name}.png").write_bytes(png)
        if html:
            text = _page(analysis, pngs, title or _default_title(analysis.data, analysis.tz))
            (stage / "report.html").write_text(text, encoding="utf-8")
        if excel:
            _excel(analysis, stage / "report.xlsx", folder.out / "report.xlsx")
        removed = folder.commit(path.name for path in stage.iterdir())
    out = folder.out
    return ReportPaths(
        out_dir=out,
        tables={name: out / f"{name}.csv" for name in analysis.tables()},
        charts={name: out / f"{name}.png" for name in pngs},
        html=out / "report.html" if html else None,
        summary=analysis.summary,
        excel=out / "report.xlsx" if excel else None,
        removed=tuple(removed),
    )


def write_report(
    data: pd.DataFrame | Analysis,
    out_dir: str | Path,
    *,
    html: bool = False,
    bom: bool = False,
    charts: bool = True,
    title: str | None = None,
    stuck_kwargs: Mapping[str, Any] | None = None,
    tz: TzLike = None,
    excel: bool = False,
    scheduled: pd.DataFrame | None = None,
) -> ReportPaths:
    """Write CSV tables, PNG charts, (``html=True``) a self-contained ``report.html`` and (``excel=True``)
    ``report.xlsx`` to ``out_dir``.

    ``analyse(data, tz=tz)`` + :func:`render`; ``data`` may also be an :class:`Analysis` already made (then
    ``stuck_kwargs`` and ``tz`` belong to :func:`analyse`). Tables: jobs, duration_stats, failure_rates,
    fail_reasons, stuck_jobs (``stuck_kwargs`` go to :func:`stuck_jobs`), and what_changed and
    new_fail_reasons when the data spans the last 7 days and the 28 before. Charts: durations,
    duration_trend, failure_rates, fail_reasons, what_changed (then), and a timeline of the (region, day)
    with the most failures. ``tz``: the zone of days, labels and shown times; tables stay UTC, and the CSV
    files gain a ``<column>_local (<zone>)`` column per time. Excel: a sheet per table, times as wall times
    of ``tz``, numbers in the format their column declares, lists joined; the jobs sheet is replaced by a
    note when it exceeds Excel's row limit.
    The directory is created if needed (``~`` expanded). It holds one run: files this tool wrote there
    before are replaced or removed; a file it did not write (or that was changed since) is never replaced:
    :class:`ReportFolderError` names it and nothing is written. An error or Ctrl-C while writing leaves the
    previous run as it was. With instance columns (``with_instances``) the Fleet section is added;
    ``scheduled`` (a ``scheduled_frame``) adds its scheduled changes.
    """
    analysis = _analysis_of(data, stuck_kwargs, tz, func="write_report", scheduled=scheduled)
    return render(analysis, out_dir, html=html, bom=bom, charts=charts, title=title, excel=excel)
