"""The report's Fleet section: tables, charts, Excel sheets, only with instance columns; numbers checked."""

from __future__ import annotations

from collections import Counter

import matplotlib

matplotlib.use("Agg")

import pandas as pd
import pytest
from fleet_world import joined_fleet

import ddsjobs_analytics as dj
from ddsjobs_analytics._analysis._fleet import UNKNOWN

FLEET_TABLES = {"fleet_by_version", "fleet_by_mode", "fleet_by_zone", "fleet_instances"}


@pytest.fixture(scope="module")
def world():
    return joined_fleet()


def test_fleet_tables_equal_an_independent_count(world) -> None:
    records, instances, joined = world
    tables = dj.analyse(joined).tables()
    assert set(tables) >= FLEET_TABLES
    by_version = tables["fleet_by_version"].frame
    version = {r["id"]: r["datastore"]["version"] for r in instances}
    counts: Counter[tuple[str, str]] = Counter(
        (version.get(r["instance_id"], UNKNOWN), r["status"]) for r in records
    )
    for label in by_version.index:
        assert by_version.loc[label, "failed"] == counts[(label, "Failed")]
        assert by_version.loc[label, "completed"] == counts[(label, "Completed")]
    assert UNKNOWN in by_version.index  # the deleted instances' jobs, their own row
    completed = joined[(joined["status"] == "Completed") & joined["duration_s"].notna()]
    for label in ("4.0", "4.4"):
        durations = completed.loc[completed["engine_version"] == label, "duration_s"]
        assert by_version.loc[label, "p95_s"] == pytest.approx(durations.quantile(0.95))
    zones = tables["fleet_by_zone"].frame
    assert zones[["completed", "failed", "running", "other"]].to_numpy().sum() > len(joined)  # multi-AZ
    inventory = tables["fleet_instances"].frame
    assert inventory["instances"].sum() == joined.loc[joined["instance_known"], "instance_id"].nunique()


def test_the_report_writes_the_fleet_files_and_sheets(world, tmp_path) -> None:
    _, _, joined = world
    paths = dj.write_report(joined, tmp_path, html=True, excel=True)
    assert set(paths.tables) >= FLEET_TABLES
    assert {"fleet_by_version", "fleet_by_mode", "fleet_by_zone"} <= set(paths.charts)
    page = paths.html.read_text(encoding="utf-8")
    assert 'id="fleet"' in page and "counts toward each of its AZs" in page and UNKNOWN in page
    sheets = pd.ExcelFile(paths.excel).sheet_names
    assert set(sheets) >= FLEET_TABLES


def test_no_fleet_section_without_instance_columns(tmp_path) -> None:
    paths = dj.write_report(dj.load_sample(), tmp_path, html=True, charts=False)
    assert not FLEET_TABLES & set(paths.tables)
    assert 'id="fleet"' not in paths.html.read_text(encoding="utf-8")


def test_scheduled_changes_upcoming_and_matched_to_their_jobs(world, tmp_path) -> None:
    from fleet_world import END, fleet_schedules

    records, _, joined = world
    schedules = fleet_schedules()
    scheduled = dj.scheduled_frame(schedules)
    tables = dj.analyse(joined, scheduled=scheduled).tables()
    upcoming = tables["scheduled_upcoming"].frame
    now = pd.Timestamp(END)
    expected = sorted(
        (s for s in schedules if s["job_status"] == "Pending"),
        key=lambda s: pd.Timestamp(s["start_time"]),
    )
    expected = [s for s in expected if now <= pd.Timestamp(s["start_time"]) < now + pd.Timedelta(days=7)]
    assert upcoming["job_id"].astype(str).tolist() == [s["job_id"] for s in expected] and expected
    recent = tables["scheduled_recent"].frame
    by_id = {r["id"]: r for r in records}
    ran = [s for s in schedules if s["job_status"] in ("Completed", "Failed")]
    assert len(recent) == len(ran) > 0
    for row in recent.itertuples():
        job = by_id[row.job_id]  # the simulator's past scheduled jobs are real resize jobs
        assert row.job_status == job["status"] == row.status and row.job_type == "ResizeMongoDBInstance"
        assert row.duration_s == pytest.approx((row.end - row.start).total_seconds())
    paths = dj.write_report(
        joined, tmp_path, html=True, charts=False, scheduled=scheduled, tz="Asia/Shanghai"
    )
    assert {"scheduled_upcoming", "scheduled_recent"} <= set(paths.tables)
    page = paths.html.read_text(encoding="utf-8")
    assert "Scheduled changes: Pending jobs starting in the 7 days" in page
