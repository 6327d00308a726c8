"""The column contract: every table the package produces, each column declared once with dtype and meaning.

The jobs frame (:func:`jobs_frame`), the archive table (:meth:`JobArchive.load`) and the derived tables
(``duration_stats``, ``failure_rates``, ``fail_reason_groups``, ``stuck_jobs``, the post-mortem tables,
what changed) are :class:`TableSpec`\\ s built from :class:`Column`\\ s (``_columns``). Tables that repeat
a jobs-frame column reuse its declaration. Each column also declares its display format, which every
renderer (CSV rounding, HTML, Excel number formats) reads from here: ``spec.formats``.
:func:`check_frame` compares a frame with a spec under pandas 2.2 and 3 alike, and
:func:`markdown_table` renders a spec for the README (a test keeps the two in step).
"""

from __future__ import annotations

from collections.abc import Sequence

from ._columns import (
    Column,
    SchemaError,
    TableSpec,
    arrow_schema,
    check_frame,
    dtype_matches,
    frame_mismatches,
    markdown_table,
)
from ._format import ColumnFormat

__all__ = [
    "ARCHIVE",
    "DURATION_STATS",
    "FAILURE_RATES",
    "FAILURE_RATES_BY_PERIOD",
    "FAIL_REASON_GROUPS",
    "JOBS",
    "JOB_COLUMNS",
    "NEW_FAIL_REASONS",
    "PERIOD",
    "POSTMORTEM_COMPARISON",
    "POSTMORTEM_CONCURRENT",
    "POSTMORTEM_FAILURES",
    "POSTMORTEM_JOBS",
    "STUCK_JOBS",
    "TABLES",
    "WHAT_CHANGED",
    "WHAT_CHANGED_BY_METRIC",
    "Column",
    "SchemaError",
    "TableSpec",
    "arrow_schema",
    "check_frame",
    "columns_document",
    "dtype_matches",
    "formats_document",
    "frame_mismatches",
    "markdown_table",
]

# --- the jobs frame -------------------------------------------------------------------------------

JOBS = TableSpec(
    "jobs frame",
    "jobs_frame(), empty_jobs_frame(), load_sample()",
    (
        Column("job_id", "string[pyarrow]", "job id"),
        Column("job_name", "category", "name as returned (`Create_MongoDB` on v3, `CreateMongoDB` on v3.1)"),
        Column(
            "job_type",
            "category",
            "the documented ListTasks spelling, matched case- and underscore-insensitively;"
            " unknown names kept",
        ),
        Column("status", "category", "as returned (`Running`, `Completed`, `Failed`); unknown statuses kept"),
        Column(
            "created",
            "datetime64[us, UTC]",
            "parsed from `yyyy-mm-ddThh:mm:ss+hhmm` (also `Z`, `+hh:mm`, fractions)",
        ),
        Column(
            "ended",
            "datetime64[us, UTC]",
            "parsed like `created`; NaT for Running jobs (the API fills it even while a job runs)",
        ),
        Column(
            "utc_offset", "Int16", "minutes east of UTC of the `created` string as received (`+0545` → 345)"
        ),
        Column(
            "duration_s",
            "float64",
            "`ended − created` for Completed/Failed; NaN for Running, missing times, and `ended < created`",
            format="duration",
        ),
        Column(
            "age_s", "float64", "`observed_at − created` for Running jobs; NaN otherwise", format="duration"
        ),
        Column("progress", "float64", '`"37%"` → 0.37; `""`/missing → NaN', format="percent"),
        Column("fail_reason", "string[pyarrow]", '`null` and `""` → NA'),
        Column("instance_id", "category", "nested `instance.id` (v3) or flat `instance_id` (v3.1)"),
        Column("instance_name", "category", "nested `instance.name` (v3) or flat `instance_name` (v3.1)"),
        Column(
            "region", "category", "the record's own key (added by the fetcher and archive) or the argument"
        ),
        Column("project_id", "category", "the record's own key or the argument, like `region`"),
        Column("observed_at", "datetime64[us, UTC]", "when the record was read (default: now)"),
    ),
)
JOB_COLUMNS: tuple[str, ...] = JOBS.names

ARCHIVE = JOBS.extend(
    "archive table",
    "JobArchive.load() (raw only when asked for in columns)",
    Column("raw", "string[pyarrow]", "the record's JSON exactly as received"),
    Column("first_seen", "datetime64[us, UTC]", "when the job was first observed"),
    Column("last_seen", "datetime64[us, UTC]", "when the job was last observed"),
)

# --- derived tables -------------------------------------------------------------------------------

DURATION_STATS = TableSpec(
    "duration_stats",
    "duration_stats() (index: the `by` columns)",
    (
        Column("count", "int64", "jobs of the selected statuses with a valid `duration_s`"),
        Column("running", "int64", "Running jobs of the group"),
        Column("mean_s", "float64", "mean duration of the counted jobs", format="duration"),
        Column("p50_s", "float64", "median duration (linear interpolation)", format="duration"),
        Column("p90_s", "float64", "90th percentile duration (linear interpolation)", format="duration"),
        Column("p95_s", "float64", "95th percentile duration (linear interpolation)", format="duration"),
        Column("p99_s", "float64", "99th percentile duration (linear interpolation)", format="duration"),
        Column("max_s", "float64", "longest duration", format="duration"),
        Column(
            "km_p50_s",
            "float64",
            "Kaplan–Meier median, Running jobs censored at `age_s`; NaN if not estimable",
            format="duration",
        ),
        Column("km_p95_s", "float64", "Kaplan–Meier 95th percentile, like `km_p50_s`", format="duration"),
        Column(
            "km_p50_ci_low",
            "float64",
            "lower Brookmeyer–Crowley bound of `km_p50_s` (`confidence`, 95 %); NaN if not estimable",
            format="duration",
        ),
        Column(
            "km_p50_ci_high",
            "float64",
            "upper Brookmeyer–Crowley bound of `km_p50_s`, like `km_p50_ci_low`",
            format="duration",
        ),
    ),
)

PERIOD = Column(
    "period",
    "datetime64[us, UTC]",
    "start of the calendar period of `created` (with `freq`), in `tz` (UTC when none)",
)
FAILURE_RATES = TableSpec(
    "failure_rates",
    "failure_rates() (index: the `by` columns)",
    (
        Column("completed", "int64", "Completed jobs"),
        Column("failed", "int64", "Failed jobs"),
        Column("running", "int64", "Running jobs (no verdict yet)"),
        Column("other", "int64", "jobs with any other status"),
        Column("total", "int64", "completed + failed"),
        Column("failure_rate", "float64", "failed / total; NaN when total is 0", format="percent"),
        Column("ci_low", "float64", "lower bound of the Wilson score interval", format="percent"),
        Column("ci_high", "float64", "upper bound of the Wilson score interval", format="percent"),
    ),
)
FAILURE_RATES_BY_PERIOD = TableSpec(
    "failure_rates by period",
    "failure_rates(freq=…) (index: `period`, then the `by` columns)",
    FAILURE_RATES.columns,
    (PERIOD,),
)

FAIL_REASON_GROUPS = TableSpec(
    "fail_reason_groups",
    "fail_reason_groups() (the `by` columns come first)",
    (
        Column("template", "string[pyarrow]", "the failure message with its variable parts replaced"),
        Column("count", "int64", "jobs with this template"),
        Column("share", "float64", "count / jobs with a reason, within the `by` group", format="percent"),
        Column("job_types", "string[pyarrow]", 'the distinct `job_type`s, sorted, joined with ", "'),
        Column("instances", "int64", "distinct `instance_id`s"),
        Column("first_seen", "datetime64[us, UTC]", "earliest `created`"),
        Column("last_seen", "datetime64[us, UTC]", "latest `created`"),
        Column("example", "string[pyarrow]", "the message of the newest job"),
        Column("sample_job_ids", "list", "up to 5 job ids, newest first"),
        Column(
            "template_id",
            "string[pyarrow]",
            "a short stable id of the template: `jobs_in_group(df, template_id)` returns its jobs",
        ),
    ),
)

NEW_FAIL_REASONS = FAIL_REASON_GROUPS.extend(
    "new_fail_reasons",
    "new_fail_reasons(); Analysis.what_changed.new_reasons",
    Column("instance_ids", "list", "up to 10 distinct instance ids, most affected first"),
)

STUCK_JOBS = JOBS.pick(
    "stuck_jobs",
    "stuck_jobs() (keeps the jobs frame's index)",
    ("job_id", "job_type", "instance_id", "instance_name", "region", "created", "age_s"),
).extend(
    "stuck_jobs",
    "stuck_jobs() (keeps the jobs frame's index)",
    Column(
        "baseline_p95_s",
        "float64",
        "P95 of the type's Completed durations; NaN without enough history",
        format="duration",
    ),
    Column(
        "threshold_s",
        "float64",
        "k × baseline_p95_s, or fallback_s without enough history",
        format="duration",
    ),
    Column("history", "int64", "Completed jobs of the type with a valid duration"),
    Column(
        "km_share_longer",
        "float64",
        "Kaplan–Meier S(age_s) of the type, the job itself left out",
        format="percent",
    ),
)

POSTMORTEM_JOBS = JOBS.pick(
    "post-mortem jobs",
    "PostMortem.jobs",
    (
        "job_id",
        "job_type",
        "status",
        "created",
        "ended",
        "duration_s",
        "age_s",
        "fail_reason",
        "instance_id",
        "instance_name",
        "region",
        "observed_at",
    ),
)
POSTMORTEM_FAILURES = POSTMORTEM_JOBS.extend(
    "post-mortem failures",
    "PostMortem.failures",
    Column("template", "category", "template of `fail_reason` (categories: the templates)"),
)
POSTMORTEM_CONCURRENT = POSTMORTEM_JOBS.extend(
    "post-mortem concurrent jobs",
    "PostMortem.concurrent",
    Column("scope", "string", '"same instance", "same region" or "fleet"'),
)
POSTMORTEM_COMPARISON = TableSpec(
    "post-mortem comparison",
    "PostMortem.comparison (index: `job_type`)",
    (
        Column("count", "int64", "the subject's Completed jobs of the type with a duration"),
        Column("p50_s", "float64", "the subject's median duration", format="duration"),
        Column("failure_rate", "float64", "the subject's failure rate", format="percent"),
        Column("fleet_count", "int64", "the rest of the fleet's Completed jobs of the type"),
        Column("fleet_p50_s", "float64", "the fleet's median duration", format="duration"),
        Column("fleet_failure_rate", "float64", "the fleet's failure rate", format="percent"),
        Column("ratio", "float64", "p50_s / fleet_p50_s", format="ratio"),
    ),
    (Column("job_type", "str", "job type (text labels)"),),
)

WHAT_CHANGED = TableSpec(
    "what_changed",
    "Analysis.what_changed.comparison: compare_periods() of the last 7 days against the 28 before"
    " (the `by` columns come first)",
    (
        Column("metric", "str", "`failure_rate`, `duration_p50` or `duration_p95`"),
        Column("baseline", "float64", "the baseline period's value: a share, or seconds"),
        Column("current", "float64", "the current period's value, like `baseline`"),
        Column(
            "change", "float64", "current − baseline for rates (points); current / baseline for durations"
        ),
        Column("ci_low", "float64", "lower bound of the change's interval (Newcombe, or of the ratio)"),
        Column("ci_high", "float64", "upper bound of the change's interval"),
        Column("p_value", "float64", "Fisher's exact test (rates) or the log-rank test (durations)"),
        Column("q_value", "float64", "Benjamini–Hochberg-adjusted p over the table"),
        Column("n_baseline", "int64", "jobs behind the baseline value"),
        Column("n_current", "int64", "jobs behind the current value"),
        Column("verdict", "str", "`regressed`, `improved`, `unchanged` or `insufficient`"),
    ),
)
# The comparison mixes units per row (shares and seconds), so its value columns are shown per metric.
_CHANGE_VALUES = ("baseline", "current", "change", "ci_low", "ci_high")
_PERCENT: ColumnFormat = "percent"
_RATIO: ColumnFormat = "ratio"
WHAT_CHANGED_BY_METRIC: dict[str, TableSpec] = {
    "failure_rate": WHAT_CHANGED.with_formats(
        "what_changed: failure rates", **dict.fromkeys(_CHANGE_VALUES, _PERCENT)
    ),
    "duration": WHAT_CHANGED.with_formats(
        "what_changed: durations",
        baseline="duration",
        current="duration",
        **dict.fromkeys(("change", "ci_low", "ci_high"), _RATIO),
    ),
}

TABLES: tuple[TableSpec, ...] = (
    JOBS,
    ARCHIVE,
    DURATION_STATS,
    FAILURE_RATES,
    FAILURE_RATES_BY_PERIOD,
    FAIL_REASON_GROUPS,
    STUCK_JOBS,
    POSTMORTEM_JOBS,
    POSTMORTEM_FAILURES,
    POSTMORTEM_CONCURRENT,
    POSTMORTEM_COMPARISON,
    WHAT_CHANGED,
    NEW_FAIL_REASONS,
)


def formats_document(spec: TableSpec) -> str:
    """``column: format`` for the columns a renderer formats (all but plain text), one line."""
    return ", ".join(f"`{name}` {fmt}" for name, fmt in spec.formats.items() if fmt != "text")


def columns_document(tables: Sequence[TableSpec] = TABLES) -> str:
    """``docs/columns.md``: every table of the contract (regenerate: ``python docs/make_columns.py``)."""
    parts = [
        "# Column contract",
        "",
        "Generated from `ddsjobs_analytics/_schema.py` by `python docs/make_columns.py`;"
        " `tests/test_schema.py` checks every producer against it and this file against the module.",
    ]
    for spec in tables:
        shown = f"Shown as: {formats_document(spec)}."
        parts += [
            "",
            f"## {spec.name}",
            "",
            f"Produced by {spec.producer}.",
            "",
            shown,
            "",
            markdown_table(spec),
        ]
    return "\n".join(parts) + "\n"
