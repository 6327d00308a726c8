"""A report in local time (``tz=``) and as an Excel workbook; the frames and the CSV's ISO columns stay UTC.

The scenario's twelve jobs plus ``d1``, a failure at 2026-11-01 17:30 UTC: still 1 November in UTC, but
already 2 November 01:30 in Shanghai (UTC+8), so the busiest failure day differs by one failure.
"""

from __future__ import annotations

import datetime as dt
import sys
import zoneinfo
from collections import Counter
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pandas as pd
import pytest
from report_scenario import OBSERVED_AT, api_time, records

import ddsjobs_analytics as dj
from ddsjobs_analytics._cli import _main as cli
from ddsjobs_analytics._frame import jobs_frame
from ddsjobs_analytics._render import _excel
from ddsjobs_analytics._render._report import write_report

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
LOCAL = "created_local (Asia/Shanghai)"


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    late = {
        **records()[7],  # b4: inst-b in cn-north-4
        "id": "d1",
        "status": "Failed",
        "created_at": api_time("2026-11-01 17:30:00"),
        "ended_at": api_time("2026-11-01 17:40:00"),
        "fail_reason": "Node maintenance window overlapped the job",
    }
    return jobs_frame([*records(), late], observed_at=OBSERVED_AT, errors="raise")


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def test_days_and_labels_follow_tz_and_the_frame_stays_utc(df: pd.DataFrame) -> None:
    utc, local = dj.analyse(df), dj.analyse(df, tz="Asia/Shanghai")
    # cn-north-4 failures: a3 02:00, b3 05:00, b5 08:00, d1 17:30 UTC. UTC day 1 Nov holds all four; the
    # Shanghai day 1 Nov (16:00 UTC 31 Oct – 16:00 UTC 1 Nov) holds three, and 8 of the region's jobs.
    assert utc.focus is not None and utc.focus.label == "cn-north-4, 2026-11-01 UTC: 9 jobs, 4 failed"
    assert local.focus is not None
    assert local.focus.label == "cn-north-4, 2026-11-01 Asia/Shanghai: 8 jobs, 3 failed"
    assert local.focus.start == pd.Timestamp("2026-10-31 16:00", tz="UTC")
    assert local.focus.end == pd.Timestamp("2026-11-01 16:00", tz="UTC")
    # First job a1 at 01:00 UTC, last a4 at 10:00 UTC on 2 Nov: 09:00 and 18:00 in Shanghai.
    assert "2026-11-01 09:00 – 2026-11-02 18:00 Asia/Shanghai" in local.summary
    assert str(local.data["created"].dt.tz) == "UTC"
    assert "tz='Asia/Shanghai'" in repr(local)


def test_daily_failure_rates_count_shanghai_days(df: pd.DataFrame) -> None:
    periods = dj.analyse(df, tz="Asia/Shanghai").failure_rates_by_period
    # Independently: each finished job's Shanghai calendar date, counted with the standard library.
    finished = df[df["status"].isin(["Completed", "Failed"])]
    days = Counter(t.to_pydatetime().astimezone(SHANGHAI).date() for t in finished["created"])
    failed = Counter(
        t.to_pydatetime().astimezone(SHANGHAI).date()
        for t in finished.loc[finished["status"] == "Failed", "created"]
    )
    got = {stamp.date(): (int(row["total"]), int(row["failed"])) for stamp, row in periods.iterrows()}
    assert got == {day: (days[day], failed[day]) for day in days}
    assert got == {dt.date(2026, 11, 1): (10, 4), dt.date(2026, 11, 2): (2, 1)}


def test_local_report_page_and_csv(df: pd.DataFrame, tmp_path: Path) -> None:
    paths = write_report(df, tmp_path, html=True, charts=False, tz="Asia/Shanghai")
    assert paths.html is not None
    page = paths.html.read_text(encoding="utf-8")
    assert "Busiest failure day: cn-north-4, 2026-11-01 Asia/Shanghai: 8 jobs, 3 failed" in page
    assert '<button type="button">created (Asia/Shanghai)</button>' in page
    assert '<td class="time" data-sort="2026-11-01T02:00:00.000000">2026-11-01 10:00:00</td>' in page  # a3
    assert "Times are shown in Asia/Shanghai" in page and "(Asia/Shanghai)</title>" in page
    jobs = read(paths.tables["jobs"]).set_index("job_id")
    columns = list(jobs.columns)
    for name in ("created", "ended", "observed_at"):
        assert columns[columns.index(name) + 1] == f"{name}_local (Asia/Shanghai)"
    assert jobs.loc["a3", "created"] == "2026-11-01T02:00:00+00:00"
    assert jobs.loc["a3", LOCAL] == "2026-11-01 10:00:00"
    assert jobs.loc["d1", LOCAL] == "2026-11-02 01:30:00"
    assert jobs.loc["a4", "ended_local (Asia/Shanghai)"] == ""  # running: no end, no local end
    reasons = read(paths.tables["fail_reasons"])
    assert {"first_seen_local (Asia/Shanghai)", "last_seen_local (Asia/Shanghai)"} <= set(reasons.columns)


def test_without_tz_the_csv_has_no_local_columns(df: pd.DataFrame, tmp_path: Path) -> None:
    for tz in (None, "UTC"):
        paths = write_report(df, tmp_path / str(tz), charts=False, tz=tz)
        assert not [c for c in read(paths.tables["jobs"]).columns if "_local" in c]


def test_tz_belongs_to_the_analysis_when_one_is_given(df: pd.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="tz belong to analyse"):
        write_report(dj.analyse(df), tmp_path, tz="Asia/Shanghai")
    with pytest.raises(ValueError, match="unknown time zone"):
        write_report(df, tmp_path, tz="Mars/Olympus")


# ------------------------------------------------------------------------------------------------- Excel

try:
    import openpyxl
except ImportError:  # the excel extra is optional: its tests are skipped without it
    openpyxl = None
needs_openpyxl = pytest.mark.skipif(openpyxl is None, reason="openpyxl is not installed (the excel extra)")


@needs_openpyxl
def test_excel_workbook_has_a_sheet_per_table_with_local_times_and_percentages(
    df: pd.DataFrame, tmp_path: Path
) -> None:
    paths = write_report(df, tmp_path, charts=False, excel=True, tz="Asia/Shanghai")
    assert paths.excel == tmp_path / "report.xlsx" and paths.excel in list(paths)
    book = openpyxl.load_workbook(paths.excel)
    assert book.sheetnames == list(paths.tables)
    jobs = book["jobs"]
    header = [cell.value for cell in jobs[1]]
    assert "created (Asia/Shanghai)" in header and "created" not in header
    assert jobs.freeze_panes == "A2"
    row = {
        h: c
        for h, c in zip(header, next(r for r in jobs.iter_rows(min_row=2) if r[0].value == "a3"), strict=True)
    }
    assert row["created (Asia/Shanghai)"].value == dt.datetime(2026, 11, 1, 10, 0)  # naive local wall time
    assert row["created (Asia/Shanghai)"].is_date
    assert row["duration_s"].data_type == "n" and row["duration_s"].value == 1800  # a number, not text
    rates = book["failure_rates"]
    rate_header = [cell.value for cell in rates[1]]
    # Declared "percent" columns in the column contract: shown as percentages, stored as shares.
    for name in ("failure_rate", "ci_low", "ci_high"):
        cell = rates.cell(row=2, column=rate_header.index(name) + 1)
        assert cell.number_format == "0.00%" and 0.0 <= cell.value <= 1.0
    assert rates.cell(row=2, column=rate_header.index("failed") + 1).number_format == "#,##0"  # a count
    reasons = book["fail_reasons"]
    share = [cell.value for cell in reasons[1]].index("share") + 1
    assert reasons.cell(row=2, column=share).number_format == "0.00%"
    assert reasons.column_dimensions["A"].width > 0


@needs_openpyxl
def test_too_many_jobs_for_a_sheet_leave_a_note(
    df: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_excel, "EXCEL_MAX_ROWS", 10)  # 13 jobs do not fit; every other table does
    with pytest.warns(UserWarning, match="13 jobs do not fit in an Excel sheet"):
        paths = write_report(df, tmp_path, charts=False, excel=True)
    assert paths.excel is not None
    sheet = openpyxl.load_workbook(paths.excel)["jobs"]
    assert sheet["A1"].value == "note" and "jobs.csv has them all" in sheet["A2"].value
    assert len(read(paths.tables["jobs"])) == 13


def test_excel_needs_no_optional_dependency(
    df: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The workbook is written by _xlsx; openpyxl only reads it back in the other tests.
    monkeypatch.setitem(sys.modules, "openpyxl", None)
    paths = write_report(df, tmp_path / "r", charts=False, excel=True)
    assert paths.excel is not None and paths.excel.stat().st_size > 0


@needs_openpyxl
def test_cli_excel_and_tz_and_a_later_run_without_excel(df: pd.DataFrame, tmp_path: Path) -> None:
    source = tmp_path / "jobs.parquet"
    df.to_parquet(source)
    out = tmp_path / "r"
    # A naive --since is read in --tz: 10:00 Shanghai is 02:00 UTC, so a1 (01:00) and a2 (01:10) are out.
    args = ["report", str(source), "--out", str(out), "--no-charts", "--since", "2026-11-01 10:00"]
    assert cli.main([*args, "--tz", "Asia/Shanghai", "--excel"]) == 0
    assert (out / "report.xlsx").is_file()
    jobs = read(out / "jobs.csv")
    assert sorted(jobs["job_id"]) == sorted(set(df["job_id"]) - {"a1", "a2"})
    assert LOCAL in jobs.columns
    # Without --tz the same text is 10:00 UTC: only a4 (2 Nov 10:00), c3 (2 Nov 03:00) and d1 remain.
    assert cli.main(args) == 0
    assert not (out / "report.xlsx").exists()  # owned by the earlier run, not written again: removed
    assert sorted(read(out / "jobs.csv")["job_id"]) == ["a4", "c3", "d1"]


def test_cli_rejects_an_unknown_zone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["report", "--tz", "Mars/Olympus", "--out", str(tmp_path)])
    assert exited.value.code == 2 and "unknown time zone" in capsys.readouterr().err
