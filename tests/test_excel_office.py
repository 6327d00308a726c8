"""The hand-written XLSX writer, read by a real spreadsheet program: LibreOffice Calc (headless).

openpyxl and pandas read our workbooks back in the other Excel tests, but they are lenient readers that share
our assumptions. Here LibreOffice opens the file, renders every cell with the number format the column
declares, and exports each sheet as CSV: values, formats, text that looks like a formula, CJK and
characters an XML file cannot hold are all checked against what was written.

On a developer's machine without ``soffice`` this file is skipped; CI installs ``libreoffice-calc-nogui`` and
sets ``DDSJOBS_REQUIRE_OFFICE=1``, so there a missing program is a failure.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

import ddsjobs_analytics as dj
from ddsjobs_analytics._render._excel import write_excel

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
if SOFFICE is None:
    if os.environ.get("DDSJOBS_REQUIRE_OFFICE") == "1":
        raise RuntimeError(
            "soffice is missing and DDSJOBS_REQUIRE_OFFICE=1 (apt-get install libreoffice-calc-nogui)"
        )
    pytest.skip("LibreOffice (soffice) is not installed", allow_module_level=True)

pytestmark = pytest.mark.slow

# CSV export options: comma, double quote, UTF-8, from line 1, default cell format, language 0, then
# quote text: no, detect numbers: yes, save cells AS SHOWN: yes, formulas: no, trim: no, every sheet: -1.
_CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,UTF8,1,,0,false,true,true,false,false,-1"


def _sheets_as_shown(workbook: Path, tmp_path: Path) -> dict[str, list[list[str]]]:
    out = tmp_path / "office"
    profile = tmp_path / "profile"  # a private profile: parallel workers never share LibreOffice's lock
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", _CSV_FILTER,
         "--outdir", str(out), str(workbook)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    stem = workbook.stem
    sheets = {}
    for path in sorted(out.glob(f"{stem}-*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            sheets[path.stem.removeprefix(f"{stem}-")] = list(csv.reader(handle))
    return sheets


def test_declared_formats_are_rendered_by_a_spreadsheet(tmp_path: Path) -> None:
    table = pd.DataFrame(
        {
            "job_type": ["RestartInstance", "Resize"],
            "count": [1131, 7],
            "mean_s": [1214.2857, 0.04],
            "failure_rate": [0.25, 0.14285714],
            "created": pd.to_datetime(["2026-10-31T23:34:58Z", "2026-11-01T00:00:00Z"], utc=True),
        }
    )
    formats = {"t": {"count": "count", "mean_s": "duration", "failure_rate": "percent", "created": "time"}}
    path = write_excel({"t": table}, tmp_path / "book.xlsx", tz="Asia/Shanghai", formats=formats)
    rows = _sheets_as_shown(path, tmp_path)["t"]
    assert rows[0] == ["job_type", "count", "mean_s", "failure_rate", "created (Asia/Shanghai)"]
    # Hand-rendered: thousands separators, one decimal for seconds, two for percentages, Shanghai wall time.
    assert rows[1] == ["RestartInstance", "1,131", "1,214.3", "25.00%", "2026-11-01 07:34:58"]
    assert rows[2] == ["Resize", "7", "0.0", "14.29%", "2026-11-01 08:00:00"]


def test_hostile_text_stays_text_in_a_spreadsheet(tmp_path: Path) -> None:
    texts = [
        "=SUM(A1)",  # a formula to a careless writer: must stay text
        "+1-1",
        "@cmd",
        "实例会员库-prod-02的规格变更失败",
        "tab\tand\nnewline",
        "bell\x07 and nul\x00",  # not allowed in XML: replaced, and counted in a warning
        "x" * 40_000,  # over a cell's 32,767 characters: cut
    ]
    table = pd.DataFrame({"fail_reason": texts, "tags": [["a", "b"]] * len(texts)})
    with pytest.warns(UserWarning, match="replaced|cut"):
        path = write_excel({"reasons": table}, tmp_path / "book.xlsx")
    rows = _sheets_as_shown(path, tmp_path)["reasons"]
    shown = [row[0] for row in rows[1:]]
    assert shown[:5] == texts[:5]
    assert shown[5] == "bell\ufffd and nul\ufffd"
    assert 32_000 < len(shown[6]) <= 32_767 and shown[6].startswith("xxx")
    assert {row[1] for row in rows[1:]} == {"a, b"}  # lists are joined, never a Python literal


def test_a_report_workbook_opens_with_every_sheet_and_count(tmp_path: Path) -> None:
    df = dj.load_sample().head(3000)
    paths = dj.write_report(df, tmp_path / "report", excel=True, charts=False)
    assert paths.excel is not None
    sheets = _sheets_as_shown(paths.excel, tmp_path)
    for name, csv_path in paths.tables.items():
        expected = pd.read_csv(csv_path)
        assert name in sheets, f"sheet {name} missing"
        assert len(sheets[name]) - 1 == len(expected), name
    jobs = sheets["jobs"]
    ids = [row[0] for row in jobs[1:]]
    assert sorted(ids) == sorted(pd.read_csv(paths.tables["jobs"])["job_id"])
