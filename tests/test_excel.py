from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from ddsjobs_analytics._core._schema import FAIL_REASON_GROUPS, FAILURE_RATES, JOBS
from ddsjobs_analytics._frame import jobs_frame
from ddsjobs_analytics._render._excel import write_excel
from ddsjobs_analytics._stats._failures import failure_rates

openpyxl = pytest.importorskip("openpyxl")


def frame() -> pd.DataFrame:
    records = [
        {
            "id": "job-1",
            "name": "CreateMongoDB",
            "status": "Failed",
            "created_at": "2026-11-02T17:30:00+0000",
            "ended_at": "2026-11-02T18:00:00+0000",
            "fail_reason": "=cmd|' /C calc'!A0 \x07bell",
            "instance_id": "i-1",
            "instance_name": "db-1",
        },
        {
            "id": "job-2",
            "name": "CreateMongoDB",
            "status": "Completed",
            "created_at": "2026-11-03T01:00:00+0800",
            "ended_at": "2026-11-03T01:05:00+0800",
            "instance_id": "i-1",
            "instance_name": "db-1",
        },
    ]
    return jobs_frame(records, observed_at="2026-12-01T00:00:00Z")


def test_sheets_headers_local_times_percentages_and_frozen_header(tmp_path: Path) -> None:
    jobs = frame()
    rates = failure_rates(jobs, by="job_type")
    with pytest.warns(UserWarning, match="1 character"):
        path = write_excel(
            {"failure rates": rates, "jobs": jobs[["job_id", "created", "fail_reason", "duration_s"]]},
            tmp_path / "report.xlsx",
            tz="Asia/Shanghai",
            formats={"failure rates": FAILURE_RATES.formats, "jobs": JOBS.formats},
        )
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["failure rates", "jobs"]

    sheet = book["jobs"]
    assert sheet.freeze_panes == "A2"
    headers = [cell.value for cell in sheet[1]]
    assert headers == ["job_id", "created (Asia/Shanghai)", "fail_reason", "duration_s"]
    created = sheet["B2"].value
    assert isinstance(created, dt.datetime) and created.tzinfo is None
    assert created == dt.datetime(2026, 11, 3, 1, 30)  # 17:30 UTC is 01:30 the next day in Beijing
    assert sheet["B3"].value == dt.datetime(2026, 11, 3, 1, 0)
    reason = sheet["C2"]
    assert reason.data_type == "s" and reason.value.startswith("=cmd")  # text, not a formula
    assert "\ufffd" in reason.value and "\x07" not in reason.value
    assert sheet["D2"].value == 1800.0
    assert sheet["D2"].number_format == "#,##0.0"  # a duration: seconds, formatted by the contract
    assert sheet["C3"].value is None  # NA stays an empty cell
    assert sheet.column_dimensions["C"].width > 20

    rates_sheet = book["failure rates"]
    header = [cell.value for cell in rates_sheet[1]]
    assert header[0] == "job_type"
    rate_cell = rates_sheet.cell(row=2, column=header.index("failure_rate") + 1)
    assert rate_cell.value == pytest.approx(0.5)
    assert rate_cell.number_format == "0.00%"
    total_cell = rates_sheet.cell(row=2, column=header.index("total") + 1)
    assert total_cell.value == 2 and isinstance(total_cell.value, int)
    assert total_cell.number_format == "#,##0"


def test_lists_are_joined_and_odd_text_survives(tmp_path: Path) -> None:
    groups = pd.DataFrame(
        {
            "template": ['<x> & "y"', "  padded  ", "x" * 40_000, None],
            "count": [3, 2, 1, 0],
            "share": [0.5, 0.25, 0.125, 0.0],
            "sample_job_ids": [["j1", "j2"], ["j3"], [], ["j4"]],
        }
    )
    with pytest.warns(UserWarning, match="1 cell"):
        path = write_excel(
            {"reasons": groups}, tmp_path / "r.xlsx", formats={"reasons": FAIL_REASON_GROUPS.formats}
        )
    sheet = openpyxl.load_workbook(path)["reasons"]
    assert [c.value for c in sheet["A"]][1:3] == ['<x> & "y"', "  padded  "]  # escaped, spaces kept
    assert len(sheet["A4"].value) == 32_767 and sheet["A4"].value.endswith("…")  # Excel's cell limit
    assert sheet["A5"].value is None
    assert [c.value for c in sheet["D"]][1:] == ["j1, j2", "j3", None, "j4"]  # never "['j1', 'j2']"
    assert sheet["C2"].number_format == "0.00%" and sheet["B2"].number_format == "#,##0"
    # pandas reads the same numbers back.
    back = pd.read_excel(path, sheet_name="reasons")
    assert back["share"].tolist() == [0.5, 0.25, 0.125, 0.0] and back["count"].tolist() == [3, 2, 1, 0]


def test_an_empty_workbook_and_an_empty_table(tmp_path: Path) -> None:
    assert openpyxl.load_workbook(write_excel({}, tmp_path / "e.xlsx")).sheetnames == ["empty"]
    book = openpyxl.load_workbook(write_excel({"none": pd.DataFrame({"a": []})}, tmp_path / "n.xlsx"))
    assert [c.value for c in book["none"][1]] == ["a"] and book["none"].max_row == 1


def test_sheet_names_are_made_valid_and_unique(tmp_path: Path) -> None:
    table = pd.DataFrame({"a": [1]})
    path = write_excel({"a/b": table, "a\\b": table, "x" * 40: table}, tmp_path / "t.xlsx")
    names = openpyxl.load_workbook(path).sheetnames
    assert names[0] == "a_b" and names[1] == "a_b (2)" and len(names[2]) == 31


def test_too_many_rows_is_an_error_naming_the_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("ddsjobs_analytics._render._excel.EXCEL_MAX_ROWS", 3)
    with pytest.raises(ValueError, match="'big' has 3 rows"):
        write_excel({"big": pd.DataFrame({"a": [1, 2, 3]})}, tmp_path / "t.xlsx")
