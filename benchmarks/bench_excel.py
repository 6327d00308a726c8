"""Benchmark the Excel output: three ways to write the jobs sheet, and ``write_report(excel=True)``, each
beside ``DataFrame.to_csv`` of the same frame, side by side in one process (issue 16 §6).

Engines, on the jobs table (300k rows × 16 columns by default):
- openpyxl ``write_only`` (what the report used): a Python cell object per formatted cell, one ``append``
  per row;
- xlsxwriter ``constant_memory``: ``write_number``/``write_string`` per cell, rows flushed as they finish;
- ours (``_render/_xlsx.py``): each column's cells made at once by Arrow string kernels, rows joined the
  same way, each batch's bytes written straight to the zip stream.
Then the whole ``write_report(df, charts=False, excel=True)`` (CSV tables + workbook) against ``to_csv``.

Data sets (``--data``): ``fleet`` (the demo fleet, as ``bench_report``) and ``outside``
(``outside_data.py``: thousands of instances, bursts, distinct messages, odd offsets, long names).

Run: ``python benchmarks/bench_excel.py [--jobs 300000] [--data fleet outside] [--repeat 1]
[--engines]``. Reports wall and process CPU seconds and their ratios to ``to_csv``.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from bench_report import fleet_frame, side_by_side
from outside_data import write_outside

from ddsjobs_analytics._core._schema import JOBS
from ddsjobs_analytics._frame import jobs_frame
from ddsjobs_analytics._render._excel import write_excel
from ddsjobs_analytics._render._report import write_report


def outside_frame(jobs: int, folder: Path) -> pd.DataFrame:
    path = write_outside(folder / f"outside_{jobs}.jsonl", jobs)
    frame = jobs_frame(path)
    path.unlink()
    return frame


def _cells(df: pd.DataFrame) -> list[tuple[str, list[Any]]]:
    """Per column: kind and Python values (the per-cell engines need them; built outside the timing)."""
    out = []
    for name in df.columns:
        values = df[name]
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            local = values.dt.tz_localize(None)
            out.append(("t", [None if pd.isna(v) else v.to_pydatetime() for v in local]))
        elif pd.api.types.is_numeric_dtype(values.dtype):
            floats = values.to_numpy(dtype=np.float64, na_value=np.nan)
            out.append(("n", [None if np.isnan(v) else float(v) for v in floats]))
        else:
            out.append(("s", values.astype(object).where(values.notna(), None).tolist()))
    return out


def openpyxl_write_only(df: pd.DataFrame, path: Path) -> None:
    import openpyxl
    from openpyxl.cell import WriteOnlyCell

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("jobs")
    columns = _cells(df)
    sheet.append(list(df.columns))
    formats = {"t": "yyyy-mm-dd hh:mm:ss", "n": "#,##0.0"}
    for row in zip(*(values for _, values in columns), strict=True):
        cells: list[Any] = []
        for (kind, _), value in zip(columns, row, strict=True):
            if value is not None and kind in formats:
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = formats[kind]
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
    book.save(path)


def xlsxwriter_constant_memory(df: pd.DataFrame, path: Path) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("jobs")
    formats = {
        "t": book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
        "n": book.add_format({"num_format": "#,##0.0"}),
    }
    columns = _cells(df)
    sheet.write_row(0, 0, list(df.columns))
    number, text, moment = sheet.write_number, sheet.write_string, sheet.write_datetime
    for r, row in enumerate(zip(*(values for _, values in columns), strict=True), start=1):
        for c, ((kind, _), value) in enumerate(zip(columns, row, strict=True)):
            if value is None:
                continue
            if kind == "n":
                number(r, c, value, formats["n"])
            elif kind == "t":
                moment(r, c, value, formats["t"])
            else:
                text(r, c, value)
    book.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=300_000)
    parser.add_argument("--data", nargs="*", default=["fleet", "outside"], choices=["fleet", "outside"])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--engines", action="store_true", help="also openpyxl and xlsxwriter (slow)")
    args = parser.parse_args()
    out = Path(tempfile.mkdtemp(prefix="bench_excel_"))
    rows = []
    for data in args.data:
        df = fleet_frame(args.jobs) if data == "fleet" else outside_frame(args.jobs, out)
        label = f"{data} {args.jobs:,}"
        csv = lambda df=df: df.to_csv(out / "plain.csv", index=False)  # noqa: E731
        ours = lambda df=df: write_excel({"jobs": df}, out / "ours.xlsx", formats={"jobs": JOBS.formats})  # noqa: E731
        engines = [("ours (_xlsx, Arrow)", ours)]
        if args.engines:
            engines += [
                ("openpyxl write_only", lambda df=df: openpyxl_write_only(df, out / "o.xlsx")),
                ("xlsxwriter constant_memory", lambda df=df: xlsxwriter_constant_memory(df, out / "x.xlsx")),
            ]
        for name, run in engines:
            mine, base = side_by_side(args.repeat, run, csv)
            rows.append((f"jobs sheet: {name}, {label}", mine, base))
        report = lambda df=df: write_report(df, out / "report", charts=False, excel=True)  # noqa: E731
        mine, base = side_by_side(args.repeat, report, csv)
        rows.append((f"write_report(excel=True, charts=False), {label}", mine, base))
        del df
    print(f"python {platform.python_version()}, pandas {pd.__version__}, best of {args.repeat}; base: to_csv")
    print(f"{'measurement':<64} {'ours s':>13} {'to_csv s':>13} {'ratio':>11}")
    print(f"{'':<64} {'wall / cpu':>13} {'wall / cpu':>13} {'wall / cpu':>11}")
    for name, (wall, cpu), (base_wall, base_cpu) in rows:
        print(
            f"{name:<64} {wall:6.2f} {cpu:6.2f} {base_wall:6.2f} {base_cpu:6.2f}"
            f" {wall / base_wall:5.2f} {cpu / base_cpu:5.2f}"
        )
    shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
