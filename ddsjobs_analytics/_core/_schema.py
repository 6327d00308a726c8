"""The column contract: every table the package produces, each column declared once with dtype and meaning.

The jobs frame (:func:`jobs_frame`), the archive table (:meth:`JobArchive.load`) and the derived tables
(``duration_stats``, ``failure_rates``, ``fail_reason_groups``, ``stuck_jobs``, the post-mortem tables) are
:class:`TableSpec`\\ s built from :class:`Column`\\ s. Tables that repeat a jobs-frame column reuse its
declaration. :func:`check_frame` compares a frame with a spec under pandas 2.2 and 3 alike, and
:func:`markdown_table` renders a spec for the README (a test keeps the two in step).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

__all__ = [
    "ARCHIVE",
    "DURATION_STATS",
    "FAILURE_RATES",
    "FAILURE_RATES_BY_PERIOD",
    "FAIL_REASON_GROUPS",
    "JOBS",
    "JOB_COLUMNS",
    "PERIOD",
    "POSTMORTEM_COMPARISON",
    "POSTMORTEM_CONCURRENT",
    "POSTMORTEM_FAILURES",
    "POSTMORTEM_JOBS",
    "STUCK_JOBS",
    "TABLES",
    "Column",
    "SchemaError",
    "TableSpec",
    "arrow_schema",
    "check_frame",
    "columns_document",
    "dtype_matches",
    "frame_mismatches",
    "markdown_table",
]

# The dtype of plain text (an Index of labels, a categorical's categories): str in pandas 3, object in 2.2.
_TEXT_DTYPE = pd.Index([], dtype=str).dtype


def _is_text(dtype: object) -> bool:
    return dtype == _TEXT_DTYPE


def _is_string(dtype: object) -> bool:
    return isinstance(dtype, pd.StringDtype) and dtype.na_value is pd.NA


def _is_arrow_string(dtype: object) -> bool:
    return _is_string(dtype) and getattr(dtype, "storage", None) == "pyarrow"


def _is_category(dtype: object) -> bool:
    return isinstance(dtype, pd.CategoricalDtype) and _is_text(dtype.categories.dtype)


def _is_utc_us(dtype: object) -> bool:
    return isinstance(dtype, pd.DatetimeTZDtype) and dtype.unit == "us" and str(dtype.tz) == "UTC"


@dataclass(frozen=True)
class _Kind:
    label: str  # as the README writes it
    matches: Callable[[object], bool]
    arrow: pa.DataType


_TIME = pa.timestamp("us", tz="UTC")
# The dtypes a column may declare. "category" means categories of the text dtype (str in pandas 3, object in
# 2.2); "string[pyarrow]" is pandas' Arrow-backed string with pd.NA; "string" allows either storage.
_KINDS: dict[str, _Kind] = {
    "string[pyarrow]": _Kind("string (arrow)", _is_arrow_string, pa.string()),
    "string": _Kind("string", _is_string, pa.string()),
    "str": _Kind("str (object in pandas 2.2)", _is_text, pa.string()),
    "category": _Kind("category", _is_category, pa.string()),
    "datetime64[us, UTC]": _Kind("datetime64[us, UTC]", _is_utc_us, _TIME),
    "Int16": _Kind("Int16", lambda dtype: dtype == pd.Int16Dtype(), pa.int16()),
    "int64": _Kind("int64", lambda dtype: dtype == "int64", pa.int64()),
    "float64": _Kind("float64", lambda dtype: dtype == "float64", pa.float64()),
    "list": _Kind("object (lists)", lambda dtype: dtype == np.dtype(object), pa.list_(pa.string())),
    "dict": _Kind(
        "object (dicts)", lambda dtype: dtype == np.dtype(object), pa.map_(pa.string(), pa.string())
    ),
    "boolean": _Kind("boolean", lambda dtype: dtype == pd.BooleanDtype(), pa.bool_()),
    "Int64": _Kind("Int64", lambda dtype: dtype == pd.Int64Dtype(), pa.int64()),
}


@dataclass(frozen=True)
class Column:
    """One column: its name, its dtype (a key of the kinds above) and what it means, in one line."""

    name: str
    dtype: str
    meaning: str

    def __post_init__(self) -> None:
        if self.dtype not in _KINDS:
            raise ValueError(f"column {self.name!r}: unknown dtype {self.dtype!r} (known: {sorted(_KINDS)})")


@dataclass(frozen=True)
class TableSpec:
    """A table: its columns in order, and the index levels it must have (by name), if any."""

    name: str
    producer: str
    columns: tuple[Column, ...]
    index: tuple[Column, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    def column(self, name: str) -> Column:
        for column in (*self.columns, *self.index):
            if column.name == name:
                return column
        raise KeyError(f"{self.name} has no column {name!r}")

    def pick(self, name: str, producer: str, names: Iterable[str]) -> TableSpec:
        """A table made of some of this one's columns, in the order given."""
        return TableSpec(name, producer, tuple(self.column(n) for n in names))

    def extend(self, name: str, producer: str, *columns: Column, index: Sequence[Column] = ()) -> TableSpec:
        """This table's columns followed by ``columns``."""
        return TableSpec(name, producer, (*self.columns, *columns), tuple(index))


class SchemaError(ValueError):
    """A frame does not match its table spec; ``.mismatches`` lists every difference."""

    def __init__(self, spec: TableSpec, mismatches: list[str]) -> None:
        self.mismatches = mismatches
        super().__init__(f"{spec.name} does not match its contract: " + "; ".join(mismatches))


def dtype_matches(dtype: object, kind: str) -> bool:
    """Whether a pandas dtype is the contract's ``kind`` (under the running pandas version)."""
    return _KINDS[kind].matches(dtype)


def _column_mismatch(name: str, values: pd.Series | pd.Index, column: Column) -> str | None:
    if not dtype_matches(values.dtype, column.dtype):
        return f"{name}: dtype {values.dtype!r}, expected {column.dtype}"
    if column.dtype in ("list", "dict"):
        kind = list if column.dtype == "list" else dict
        bad = [value for value in values if not isinstance(value, kind)]
        if bad:
            return f"{name}: {len(bad)} value(s) are not {column.dtype}s (first: {bad[0]!r})"
    return None


def frame_mismatches(df: pd.DataFrame, spec: TableSpec, *, leading: Sequence[str] = ()) -> list[str]:
    """Every difference between ``df`` and ``spec``: column names and order, dtypes, index levels.

    ``leading`` names columns expected before the spec's own (e.g. the ``by`` columns of
    ``fail_reason_groups``); their dtypes are not checked.
    """
    mismatches: list[str] = []
    expected = [*leading, *spec.names]
    actual = [str(name) for name in df.columns]
    if actual != expected:
        missing = [name for name in expected if name not in actual]
        extra = [name for name in actual if name not in expected]
        detail = f"missing {missing}, unexpected {extra}" if missing or extra else "order differs"
        mismatches.append(f"columns {actual} != {expected} ({detail})")
    for column in spec.columns:
        if column.name in df.columns:
            problem = _column_mismatch(column.name, df[column.name], column)
            if problem:
                mismatches.append(problem)
    for level in spec.index:
        if level.name not in df.index.names:
            mismatches.append(f"index level {level.name!r} missing (index names {list(df.index.names)})")
            continue
        problem = _column_mismatch(f"index {level.name}", df.index.get_level_values(level.name), level)
        if problem:
            mismatches.append(problem)
    return mismatches


def check_frame(df: pd.DataFrame, spec: TableSpec, *, leading: Sequence[str] = ()) -> pd.DataFrame:
    """``df`` unchanged if it matches ``spec``; else raise :class:`SchemaError` listing every difference."""
    mismatches = frame_mismatches(df, spec, leading=leading)
    if mismatches:
        raise SchemaError(spec, mismatches)
    return df


def arrow_schema(spec: TableSpec) -> pa.Schema:
    """The Arrow schema of a table as stored on disk (categories and strings as plain strings)."""
    return pa.schema([pa.field(column.name, _KINDS[column.dtype].arrow) for column in spec.columns])


def markdown_table(spec: TableSpec) -> str:
    """``| column | dtype | meaning |`` rows of a spec, as the README shows them."""
    rows = ["| column | dtype | meaning |", "|---|---|---|"]
    for column in (*spec.index, *spec.columns):
        rows.append(f"| `{column.name}` | {_KINDS[column.dtype].label} | {column.meaning} |")
    return "\n".join(rows)


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
        ),
        Column("age_s", "float64", "`observed_at − created` for Running jobs; NaN otherwise"),
        Column("progress", "float64", '`"37%"` → 0.37; `""`/missing → NaN'),
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
        Column("mean_s", "float64", "mean duration of the counted jobs"),
        Column("p50_s", "float64", "median duration (linear interpolation)"),
        Column("p90_s", "float64", "90th percentile duration (linear interpolation)"),
        Column("p95_s", "float64", "95th percentile duration (linear interpolation)"),
        Column("p99_s", "float64", "99th percentile duration (linear interpolation)"),
        Column("max_s", "float64", "longest duration"),
        Column(
            "km_p50_s",
            "float64",
            "Kaplan–Meier median, Running jobs censored at `age_s`; NaN if not estimable",
        ),
        Column("km_p95_s", "float64", "Kaplan–Meier 95th percentile, like `km_p50_s`"),
        Column(
            "km_p50_ci_low",
            "float64",
            "lower Brookmeyer–Crowley bound of `km_p50_s` (`confidence`, 95 %); NaN if not estimable",
        ),
        Column(
            "km_p50_ci_high", "float64", "upper Brookmeyer–Crowley bound of `km_p50_s`, like `km_p50_ci_low`"
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
        Column("failure_rate", "float64", "failed / total; NaN when total is 0"),
        Column("ci_low", "float64", "lower bound of the Wilson score interval"),
        Column("ci_high", "float64", "upper bound of the Wilson score interval"),
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
        Column("share", "float64", "count / jobs with a reason, within the `by` group"),
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

STUCK_JOBS = JOBS.pick(
    "stuck_jobs",
    "stuck_jobs() (keeps the jobs frame's index)",
    ("job_id", "job_type", "instance_id", "instance_name", "region", "created", "age_s"),
).extend(
    "stuck_jobs",
    "stuck_jobs() (keeps the jobs frame's index)",
    Column("baseline_p95_s", "float64", "P95 of the type's Completed durations; NaN without enough history"),
    Column("threshold_s", "float64", "k × baseline_p95_s, or fallback_s without enough history"),
    Column("history", "int64", "Completed jobs of the type with a valid duration"),
    Column("km_share_longer", "float64", "Kaplan–Meier S(age_s) of the type, the job itself left out"),
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
        Column("p50_s", "float64", "the subject's median duration"),
        Column("failure_rate", "float64", "the subject's failure rate"),
        Column("fleet_count", "int64", "the rest of the fleet's Completed jobs of the type"),
        Column("fleet_p50_s", "float64", "the fleet's median duration"),
        Column("fleet_failure_rate", "float64", "the fleet's failure rate"),
        Column("ratio", "float64", "p50_s / fleet_p50_s"),
    ),
    (Column("job_type", "str", "job type (text labels)"),),
)

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
)


def columns_document(tables: Sequence[TableSpec] = TABLES) -> str:
    """``docs/columns.md``: every table of the contract (regenerate: ``python docs/make_columns.py``)."""
    parts = [
        "# Column contract",
        "",
        "Generated from `ddsjobs_analytics/_schema.py` by `python docs/make_columns.py`;"
        " `tests/test_schema.py` checks every producer against it and this file against the module.",
    ]
    for spec in tables:
        parts += ["", f"## {spec.name}", "", f"Produced by {spec.producer}.", "", markdown_table(spec)]
    return "\n".join(parts) + "\n"
