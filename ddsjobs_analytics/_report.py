"""A report directory: CSV tables safe to open in a spreadsheet, PNG charts, and optionally one HTML page.

CSV cells are UTF-8 (``bom=True`` adds the byte-order mark Excel needs to detect UTF-8), times are ISO 8601
in UTC with an explicit offset, and text cells that a spreadsheet would run as a formula are neutralised.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from html import escape
from io import BytesIO
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ._durations import duration_stats, stuck_jobs
from ._failures import failure_rates, wilson_interval
from ._frame import require_columns
from ._html import Section, definition_list, figure_html, render_page, table_html, with_index_columns
from ._plots import (
    plot_duration_trend,
    plot_durations,
    plot_fail_reasons,
    plot_failure_rates,
    plot_timeline,
)
from ._postmortem import JOB_VIEW_COLUMNS, postmortem
from ._reasons import fail_reason_groups

__all__ = ["ReportPaths", "spreadsheet_safe", "summary_text", "write_csv", "write_report"]

# A cell starting with one of these is run as a formula by Excel/LibreOffice/Sheets (OWASP "CSV injection").
FORMULA_TRIGGERS = r"^[=+\-@\t\r]"
_ISO_UTC = "%Y-%m-%dT%H:%M:%S+00:00"
_ISO_UTC_MICROS = "%Y-%m-%dT%H:%M:%S.%f+00:00"
_DAY = "%Y-%m-%d"


@dataclass(frozen=True)
class ReportPaths:
    """Where :func:`write_report` wrote each file (``tables``/``charts`` by name, ``html`` when asked).

    ``summary`` is the :func:`summary_text` of the same data, computed from the same tables.
    """

    out_dir: Path
    tables: dict[str, Path] = field(default_factory=dict)
    charts: dict[str, Path] = field(default_factory=dict)
    html: Path | None = None
    summary: str = ""

    def __iter__(self) -> Iterator[Path]:
        yield from self.tables.values()
        yield from self.charts.values()
        if self.html is not None:
            yield self.html


# --------------------------------------------------------------------------------------------------- CSV


def _iso_utc(times: pd.Series) -> pd.Series:
    utc = pd.to_datetime(times, utc=True)
    has_micros = bool((utc.dt.microsecond.fillna(0) != 0).any())
    return utc.dt.strftime(_ISO_UTC_MICROS if has_micros else _ISO_UTC).astype("string")


def _text(values: pd.Series) -> pd.Series:
    if not isinstance(values.dtype, (pd.CategoricalDtype, pd.StringDtype)):
        # Lists (e.g. sample_job_ids, object or Arrow list dtype) become "a; b; c".
        values = values.astype(object).map(
            lambda v: "; ".join(map(str, v)) if isinstance(v, (list, tuple, np.ndarray)) else v
        )
    text = values.astype("string")
    risky = text.str.match(FORMULA_TRIGGERS).fillna(False).astype(bool)
    return text.mask(risky, "'" + text)


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy fit for CSV: named index levels as columns, ISO 8601 UTC times, formula-like text defused.

    Text that a spreadsheet would run as a formula gets a leading ``'``. Only text columns are touched;
    numbers (a negative duration, a ratio) stay numbers.
    """
    out = with_index_columns(frame)
    columns = {}
    for name in out.columns:
        values = out[name]
        if pd.api.types.is_datetime64_any_dtype(values.dtype):
            columns[name] = _iso_utc(values)
        elif pd.api.types.is_timedelta64_dtype(values.dtype):
            columns[name] = values.dt.total_seconds()
        elif pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
            columns[name] = values
        else:
            columns[name] = _text(values)
    return pd.DataFrame(columns, index=out.index).rename(columns=str)


def write_csv(frame: pd.DataFrame, path: Path, *, bom: bool = False) -> Path:
    """Write :func:`spreadsheet_safe` ``frame`` as UTF-8 CSV (with BOM when ``bom``).

    Rows end in CRLF (RFC 4180): the csv writer quotes a cell holding any line-terminator character, so a
    bare CR inside a fail_reason cannot start a new spreadsheet row (whose first cell could be a formula).
    """
    spreadsheet_safe(frame).to_csv(
        path, index=False, encoding="utf-8-sig" if bom else "utf-8", lineterminator="\r\n"
    )
    return path


# ----------------------------------------------------------------------------------------------- summary


class _Tables(NamedTuple):
    durations: pd.DataFrame
    rates: pd.DataFrame
    reasons: pd.DataFrame
    stuck: pd.DataFrame


def _tables(df: pd.DataFrame, stuck_kwargs: Mapping[str, Any] | None) -> _Tables:
    return _Tables(
        durations=duration_stats(df),
        rates=failure_rates(df),
        reasons=fail_reason_groups(df),
        stuck=stuck_jobs(df, **(stuck_kwargs or {})),
    )


def _summary_facts(df: pd.DataFrame, tables: _Tables) -> list[tuple[str, str]]:
    if df.empty:
        return [("Jobs", "none")]
    statuses = df["status"].astype("string").value_counts()
    by_status = ", ".join(f"{int(n):,} {str(s).lower()}" for s, n in statuses.items())
    facts = [("Jobs", f"{len(df):,} ({by_status}) on {df['instance_id'].nunique():,} instances")]
    first, last = df["created"].min(), df["created"].max()
    if pd.notna(first):
        days = (last - first).total_seconds() / 86400
        facts.append(
            ("Period", f"{first:%Y-%m-%d %H:%M} – {last:%Y-%m-%d %H:%M} UTC ({days:,.1f} days, by start)")
        )
    regions = df["region"].astype("string").value_counts()
    if not regions.empty:
        facts.append(("Regions", ", ".join(f"{r} ({int(n):,})" for r, n in regions.items())))
    failed = int(tables.rates["failed"].sum())
    finished = int(tables.rates["total"].sum())
    if finished:
        low, high = wilson_interval(failed, finished)
        facts.append(
            (
                "Failure rate",
                f"{failed / finished:.1%} (95% CI {low:.1%}–{high:.1%}) of {finished:,} finished jobs",
            )
        )
    failing = tables.rates[tables.rates["failed"] > 0]
    if not failing.empty:
        worst = failing.iloc[0]
        facts.append(
            (
                "Top failing type",
                f"{failing.index[0]} {worst['failure_rate']:.1%}"
                f" ({int(worst['failed'])}/{int(worst['total'])}; ranked by the CI's lower bound)",
            )
        )
    if not tables.reasons.empty:
        top = tables.reasons.iloc[0]
        facts.append(
            ("Top failure reason", f"{top['template']} ({int(top['count'])} jobs, {top['share']:.0%})")
        )
    facts.append(("Stuck jobs", f"{len(tables.stuck)} running far longer than their type usually takes"))
    return facts


def summary_text(df: pd.DataFrame, *, stuck_kwargs: Mapping[str, Any] | None = None) -> str:
    """Lines for a console: jobs, period, regions, failure rate with CI, top type and reason, stuck count."""
    require_columns(df, JOB_VIEW_COLUMNS, func="summary_text")
    return _aligned(_summary_facts(df, _tables(df, stuck_kwargs)))


def _aligned(facts: list[tuple[str, str]]) -> str:
    width = max(len(label) for label, _ in facts)
    return "\n".join(f"{label + ':':<{width + 1}} {value}" for label, value in facts)


# ------------------------------------------------------------------------------------------------ charts


class _Focus(NamedTuple):
    """The timeline's window: the (region, UTC day) with the most failures (most jobs if none failed)."""

    region: str | None
    start: pd.Timestamp
    end: pd.Timestamp
    failures: int
    jobs: int

    @property
    def label(self) -> str:
        where = self.region or "all regions"
        return f"{where}, {self.start:{_DAY}} UTC: {self.jobs:,} jobs, {self.failures:,} failed"


def _focus(df: pd.DataFrame) -> _Focus | None:
    known = df[df["created"].notna()]
    if known.empty:
        return None
    failed = known[known["status"] == "Failed"]
    pool = failed if not failed.empty else known
    keys = pd.DataFrame(
        {"region": pool["region"].astype("string").fillna(""), "day": pool["created"].dt.floor("D")}
    )
    region, day = keys.value_counts(sort=True).index[0]
    start, end = pd.Timestamp(day), pd.Timestamp(day) + pd.Timedelta(days=1)
    in_day = (known["created"] >= start) & (known["created"] < end)
    in_region = known["region"].astype("string").fillna("") == region
    rows = known[in_day & in_region]
    return _Focus(region or None, start, end, int((rows["status"] == "Failed").sum()), len(rows))


def _png(draw: Callable[[Axes], Axes], width: float, *, row_height: float | None = None) -> bytes:
    """The chart ``draw`` makes, as PNG bytes. With ``row_height`` (inches per unit of the y axis: the charts
    with a row per group or lane), the height follows what was drawn; otherwise it is 3.6 inches.
    """
    # A bare Figure (no pyplot): nothing is registered globally, nothing leaks between report runs.
    figure = Figure(figsize=(width, 3.6), layout="constrained")
    ax = draw(figure.add_subplot())
    if row_height is not None:
        low, high = ax.get_ylim()
        figure.set_size_inches(width, 1.6 + row_height * abs(high - low))
    buffer = BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


def _charts(df: pd.DataFrame, focus: _Focus | None) -> dict[str, bytes]:
    charts = {
        "durations": _png(lambda ax: plot_durations(df, ax=ax), 9, row_height=0.42),
        "duration_trend": _png(lambda ax: plot_duration_trend(df, ax=ax), 9),
        "failure_rates": _png(lambda ax: plot_failure_rates(df, ax=ax), 9, row_height=0.4),
        "fail_reasons": _png(lambda ax: plot_fail_reasons(df, ax=ax), 10, row_height=0.4),
    }
    if focus is not None:
        rows = df if focus.region is None else df[df["region"].astype("string") == focus.region]
        charts["timeline"] = _png(
            lambda ax: _titled(plot_timeline(rows, start=focus.start, end=focus.end, ax=ax), focus),
            10,
            row_height=0.28,
        )
    return charts


def _titled(ax: Axes, focus: _Focus) -> Axes:
    ax.set_title(f"Busiest failure day: {focus.label}")
    return ax


# -------------------------------------------------------------------------------------------------- HTML


def _notes(stuck_kwargs: Mapping[str, Any] | None) -> list[str]:
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
        "Times are UTC. The CSV files hold every row; text cells that a spreadsheet would run as a formula "
        "(starting with = + - @) are prefixed with an apostrophe.",
    ]


def _page(
    df: pd.DataFrame,
    tables: _Tables,
    facts: list[tuple[str, str]],
    charts: Mapping[str, bytes],
    focus: _Focus | None,
    title: str,
    stuck_kwargs: Mapping[str, Any] | None,
) -> str:
    def chart(name: str, alt: str) -> str:
        return figure_html(charts[name], alt) if name in charts else ""

    reasons = tables.reasons.drop(columns=["sample_job_ids"], errors="ignore")
    sections = [
        Section("summary", "Summary", [definition_list(facts)]),
        Section(
            "durations",
            "Durations",
            [
                chart("durations", "Box plot of job durations per job type, medians marked"),
                chart("duration_trend", "Median and p90 duration of completed jobs per day"),
                table_html(tables.durations, caption="Duration statistics per job type (completed jobs)"),
            ],
        ),
        Section(
            "failure-rates",
            "Failure rates",
            [
                chart("failure_rates", "Failure rate per job type with 95% Wilson intervals"),
                table_html(tables.rates, caption="Failure rate per job type"),
            ],
        ),
        Section(
            "fail-reasons",
            "Failure reasons",
            [
                chart("fail_reasons", "Most frequent failure-reason templates"),
                table_html(reasons, caption="Templates"),
            ],
        ),
        Section("stuck", "Stuck jobs", [table_html(tables.stuck, caption="Stuck jobs")]),
    ]
    if focus is not None:
        window = postmortem(df, region=focus.region, start=focus.start, end=focus.end, context="0s")
        failures = window.failures[["created", "job_type", "instance_name", "fail_reason", "job_id"]]
        sections.append(
            Section(
                "timeline",
                "Timeline",
                [
                    f'<p class="note">{escape("Busiest failure day: " + focus.label)}</p>',
                    chart("timeline", "Gantt chart of the jobs per instance that day; failed jobs in red"),
                    table_html(failures, caption="Failed jobs that day"),
                ],
            )
        )
    generated = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return render_page(title, sections, _notes(stuck_kwargs), generated=generated)


def _default_title(df: pd.DataFrame) -> str:
    first, last = df["created"].min(), df["created"].max()
    if pd.isna(first):
        return "DDS jobs report"
    return f"DDS jobs report, {first:{_DAY}} – {last:{_DAY}}"


def write_report(
    df: pd.DataFrame,
    out_dir: str | Path,
    *,
    html: bool = False,
    bom: bool = False,
    charts: bool = True,
    title: str | None = None,
    stuck_kwargs: Mapping[str, Any] | None = None,
) -> ReportPaths:
    """Write CSV tables, PNG charts and (``html=True``) a self-contained ``report.html`` to ``out_dir``.

    Tables: jobs, duration_stats, failure_rates, fail_reasons, stuck_jobs (``stuck_kwargs`` go to
    :func:`stuck_jobs`). Charts: durations, duration_trend, failure_rates, fail_reasons, and a timeline of the
    (region, day) with the most failures. The directory is created if needed; existing files are replaced.
    """
    require_columns(df, JOB_VIEW_COLUMNS, func="write_report")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tables = _tables(df, stuck_kwargs)
    csv_tables = {
        "jobs": df,
        "duration_stats": tables.durations,
        "failure_rates": tables.rates,
        "fail_reasons": tables.reasons,
        "stuck_jobs": tables.stuck,
    }
    written = {name: write_csv(frame, out / f"{name}.csv", bom=bom) for name, frame in csv_tables.items()}
    focus = _focus(df)
    pngs = _charts(df, focus) if charts else {}
    chart_paths = {}
    for name, png in pngs.items():
        path = out / f"{name}.png"
        path.write_bytes(png)
        chart_paths[name] = path
    facts = _summary_facts(df, tables)
    page = None
    if html:
        page = out / "report.html"
        text = _page(df, tables, facts, pngs, focus, title or _default_title(df), stuck_kwargs)
        page.write_text(text, encoding="utf-8")
    return ReportPaths(out_dir=out, tables=written, charts=chart_paths, html=page, summary=_aligned(facts))
