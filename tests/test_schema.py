"""The column contract (`_schema`): every producer matches its declared table, and the docs match it."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import ddsjobs_analytics as dj
from ddsjobs_analytics._core import _schema
from ddsjobs_analytics._core._schema import (
    ARCHIVE,
    DURATION_STATS,
    FAIL_REASON_GROUPS,
    FAILURE_RATES,
    FAILURE_RATES_BY_PERIOD,
    JOBS,
    POSTMORTEM_COMPARISON,
    POSTMORTEM_CONCURRENT,
    POSTMORTEM_FAILURES,
    POSTMORTEM_JOBS,
    STUCK_JOBS,
    Column,
    SchemaError,
    TableSpec,
    arrow_schema,
    check_frame,
    frame_mismatches,
    markdown_table,
)
from ddsjobs_analytics._core._schema_inventory import ALL_TABLES
from ddsjobs_analytics.archive import JobArchive
from ddsjobs_analytics.simulator._fleet import generate_fleet

ROOT = Path(__file__).resolve().parents[1]
PANDAS_3 = int(pd.__version__.split(".")[0]) >= 3
AT = datetime(2026, 11, 1, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return dj.load_sample()


# --- check_frame itself ---------------------------------------------------------------------------

TINY = TableSpec(
    "tiny",
    "a test",
    (Column("name", "category", "a label"), Column("n", "int64", "a count")),
    (Column("day", "datetime64[us, UTC]", "a day"),),
)


def _tiny(**changes: object) -> pd.DataFrame:
    frame = pd.DataFrame(
        {"name": pd.Categorical(["a", "b"]), "n": np.array([1, 2], dtype=np.int64)},
        index=pd.DatetimeIndex(["2026-11-01", "2026-11-02"], tz="UTC", name="day").as_unit("us"),
    )
    return frame.assign(**changes)


def test_a_matching_frame_passes_and_is_returned() -> None:
    frame = _tiny()
    assert check_frame(frame, TINY) is frame
    assert frame_mismatches(frame, TINY) == []


def test_every_mismatch_is_reported() -> None:
    frame = _tiny(n=[1.0, 2.0], extra=1).reset_index(drop=True)
    with pytest.raises(SchemaError) as caught:
        check_frame(frame, TINY)
    problems = caught.value.mismatches
    assert len(problems) == 3, problems
    assert "unexpected ['extra']" in problems[0]
    assert problems[1].startswith("n: dtype dtype('float64'), expected int64")
    assert problems[2].startswith("index level 'day' missing")
    assert str(caught.value).startswith("tiny does not match its contract: ")


def test_column_order_and_leading_columns() -> None:
    swapped = _tiny()[["n", "name"]]
    assert frame_mismatches(swapped, TINY) == ["columns ['n', 'name'] != ['name', 'n'] (order differs)"]
    with_by = _tiny().assign(region="x")[["region", "name", "n"]]
    assert frame_mismatches(with_by, TINY, leading=["region"]) == []
    assert frame_mismatches(with_by, TINY) != []


@pytest.mark.parametrize(
    ("values", "kind", "ok"),
    [
        (pd.array(["a", None], dtype="string[pyarrow]"), "string[pyarrow]", True),
        (pd.array(["a", None], dtype="string[python]"), "string[pyarrow]", False),
        (pd.array(["a", None], dtype="string[python]"), "string", True),
        (np.array(["a", None], dtype=object), "string", False),
        (pd.Categorical(["a"]), "category", True),
        (pd.Categorical([1, 2]), "category", False),  # integer categories are not text
        (pd.array([1, None], dtype="Int16"), "Int16", True),
        (pd.array([1, None], dtype="Int64"), "Int16", False),
        (
            pd.array(np.array(["2026-11-01"], dtype="datetime64[us]")).tz_localize("UTC"),
            "datetime64[us, UTC]",
            True,
        ),
        (
            pd.array(np.array(["2026-11-01"], dtype="datetime64[ns]")).tz_localize("UTC"),
            "datetime64[us, UTC]",
            False,
        ),
        (np.array([1.5]), "float64", True),
        (np.array([1], dtype=np.int32), "int64", False),
    ],
)
def test_dtype_kinds(values: object, kind: str, ok: bool) -> None:
    assert _schema.dtype_matches(pd.Series(values).dtype, kind) is ok


def test_category_kind_follows_the_pandas_text_dtype() -> None:
    # pandas 3 infers ``str`` categories, pandas 2.2 object; either is "category" under its own version.
    assert _schema.dtype_matches(pd.Series(["x"], dtype="category").dtype, "category")
    object_categories = pd.CategoricalDtype(pd.Index(["x"], dtype=object))
    assert _schema.dtype_matches(object_categories, "category") is (not PANDAS_3)


def test_list_columns_must_hold_lists() -> None:
    spec = TableSpec("ids", "a test", (Column("ids", "list", "job ids"),))
    assert frame_mismatches(pd.DataFrame({"ids": [["a"], []]}), spec) == []
    assert frame_mismatches(pd.DataFrame({"ids": [["a"], "b"]}), spec) == [
        "ids: 1 value(s) are not lists (first: 'b')"
    ]


def test_unknown_dtypes_are_refused_when_declared() -> None:
    with pytest.raises(ValueError, match="column 'x': unknown dtype 'int'"):
        Column("x", "int", "oops")


def test_each_table_declares_each_column_once() -> None:
    for spec in _schema.TABLES:
        assert len(set(spec.names)) == len(spec.names), spec.name
    # Tables that repeat a jobs-frame column reuse its declaration instead of redeclaring it.
    for spec in (ARCHIVE, STUCK_JOBS, POSTMORTEM_JOBS, POSTMORTEM_FAILURES, POSTMORTEM_CONCURRENT):
        for column in spec.columns:
            if column.name in JOBS.names:
                assert column is JOBS.column(column.name), (spec.name, column.name)


# --- every producer against the contract ----------------------------------------------------------


@pytest.mark.parametrize("shape", ["v3", "v3.1"])
def test_jobs_frame_of_both_api_shapes(shape: str) -> None:
    fleet = generate_fleet(jobs=300, instances=8, days=10, end=AT, seed=3)
    records = fleet.records(shape=shape)  # type: ignore[arg-type]
    frame = dj.jobs_frame(records, observed_at=AT, region="cn-north-4", project_id="p", errors="raise")
    assert len(frame) == 300
    check_frame(frame, JOBS)


def test_jobs_frame_with_bad_values_keeps_the_contract() -> None:
    records = [
        {"id": "a", "name": "CreateMongoDB", "status": "Failed", "created": "not a time", "progress": "x"},
        {"id": "b", "name": "RestartNode", "status": "Running", "created": "2026-11-01T08:00:00+0800"},
    ]
    with pytest.warns(dj.DataQualityWarning):
        frame = dj.jobs_frame(records, observed_at=AT)
    check_frame(frame, JOBS)


def test_empty_jobs_frame_and_sample(sample: pd.DataFrame) -> None:
    check_frame(dj.empty_jobs_frame(), JOBS)
    check_frame(sample, JOBS)
    assert JOBS.names == dj.JOB_COLUMNS


def test_archive_load(tmp_path: Path) -> None:
    archive = JobArchive(tmp_path / "archive")
    archive.upsert_records(dj.sample_records()[:200])
    loaded = archive.load()
    check_frame(
        loaded, ARCHIVE.pick("archive without raw", "load()", [n for n in ARCHIVE.names if n != "raw"])
    )
    check_frame(archive.load(columns=list(ARCHIVE.names)), ARCHIVE)
    check_frame(archive.load("2030-01-01", "2030-02-01"), ARCHIVE.pick("empty", "load()", loaded.columns))


def test_archive_files_store_the_contract() -> None:
    from ddsjobs_analytics.archive import _schema as on_disk

    stored = on_disk.ARCHIVE_SCHEMA
    assert stored.names == list(ARCHIVE.names)
    assert [field.type for field in stored] == [field.type for field in arrow_schema(ARCHIVE)]
    assert set(on_disk.CATEGORY_COLUMNS) == {c.name for c in JOBS.columns if c.dtype == "category"}


@pytest.mark.parametrize("status", ["Completed", None])
@pytest.mark.parametrize("by", ["job_type", ["region", "job_type"], None])
def test_duration_stats(sample: pd.DataFrame, by: object, status: str | None) -> None:
    stats = dj.duration_stats(sample, by=by, status=status)  # type: ignore[arg-type]
    check_frame(stats, DURATION_STATS)
    check_frame(dj.duration_stats(sample.iloc[:0], by=by), DURATION_STATS)  # type: ignore[arg-type]


@pytest.mark.parametrize("by", ["job_type", ["region", "status"], None])
def test_failure_rates_without_freq(sample: pd.DataFrame, by: object) -> None:
    check_frame(dj.failure_rates(sample, by=by), FAILURE_RATES)  # type: ignore[arg-type]
    check_frame(dj.failure_rates(sample.iloc[:0], by=by), FAILURE_RATES)  # type: ignore[arg-type]


@pytest.mark.parametrize("freq", ["D", "W", "MS"])
def test_failure_rates_with_freq(sample: pd.DataFrame, freq: str) -> None:
    rates = dj.failure_rates(sample, by="job_type", freq=freq)
    check_frame(rates, FAILURE_RATES_BY_PERIOD)
    assert rates.index.names == ["period", "job_type"]


@pytest.mark.parametrize("by", [None, "job_type", ["region", "job_type"]])
def test_fail_reason_groups(sample: pd.DataFrame, by: str | list[str] | None) -> None:
    leading = [] if by is None else [by] if isinstance(by, str) else by
    groups = dj.fail_reason_groups(sample, by=by)
    assert len(groups) > 0
    check_frame(groups, FAIL_REASON_GROUPS, leading=leading)
    check_frame(dj.fail_reason_groups(sample.iloc[:0], by=by), FAIL_REASON_GROUPS, leading=leading)


def test_stuck_jobs(sample: pd.DataFrame) -> None:
    stuck = dj.stuck_jobs(sample)
    assert len(stuck) > 0
    check_frame(stuck, STUCK_JOBS)
    check_frame(dj.stuck_jobs(sample.iloc[:0]), STUCK_JOBS)


def _incident(sample: pd.DataFrame) -> dj.PostMortem:
    return dj.postmortem(sample, instance="dds-prod-search-53", start="2026-10-03", end="2026-10-04")


def test_postmortem_tables(sample: pd.DataFrame) -> None:
    pm = _incident(sample)
    assert len(pm.jobs) and len(pm.concurrent) and len(pm.comparison)
    check_frame(pm.jobs, POSTMORTEM_JOBS)
    check_frame(pm.concurrent, POSTMORTEM_CONCURRENT)
    check_frame(pm.comparison, POSTMORTEM_COMPARISON)


def test_postmortem_failure_templates(sample: pd.DataFrame) -> None:
    pm = _incident(sample)
    assert len(pm.failures)
    check_frame(pm.failures, POSTMORTEM_FAILURES)


def test_postmortem_with_no_jobs_in_the_window(sample: pd.DataFrame) -> None:
    pm = dj.postmortem(sample, instance="dds-prod-search-53", start="2020-01-01", end="2020-01-02")
    assert pm.jobs.empty
    check_frame(pm.jobs, POSTMORTEM_JOBS)
    check_frame(pm.comparison, POSTMORTEM_COMPARISON)


def test_modules_name_the_same_columns_as_the_contract() -> None:
    from ddsjobs_analytics._analysis import _postmortem
    from ddsjobs_analytics._reasons import _groups
    from ddsjobs_analytics._stats import _durations

    assert POSTMORTEM_JOBS.names == _postmortem.JOB_VIEW_COLUMNS
    assert STUCK_JOBS.names[: len(_durations.STUCK_IDENTITY_COLUMNS)] == _durations.STUCK_IDENTITY_COLUMNS
    assert FAIL_REASON_GROUPS.names == _groups._GROUP_COLUMNS
    assert tuple(_durations.QUANTILES) == DURATION_STATS.names[3:7]


# --- the docs are generated from the module -------------------------------------------------------


def _readme_section(title: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", text, flags=re.S | re.M)
    assert match, f"README has no section {title!r}"
    return match.group(1)


def test_readme_jobs_table_is_the_contract() -> None:
    section = _readme_section("The jobs frame: column contract")
    table = "\n".join(line for line in section.splitlines() if line.startswith("|"))
    assert table == markdown_table(JOBS), "stale: python docs/make_columns.py"


def test_docs_columns_is_generated_from_the_module() -> None:
    written = (ROOT / "docs" / "columns.md").read_text(encoding="utf-8")
    assert written == _schema.columns_document(ALL_TABLES), (
        "docs/columns.md is stale: python docs/make_columns.py"
    )
