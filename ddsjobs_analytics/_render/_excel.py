"""Excel output: one workbook, a sheet per table, readable as it opens.

Excel has no time zones, so moments are written as local wall times of ``tz`` with the zone in the header
(``created (Asia/Shanghai)``); rates are real numbers shown as percentages; the header row is frozen and
columns are sized to their content. Text is always stored as text — a message starting with ``=`` is never
a formula — and characters that the file format cannot hold are replaced by U+FFFD (counted, not dropped).
openpyxl is an optional dependency (``pip install 'ddsjobs_analytics[excel]'``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._core._calendar import TzLike, resolve_tz, tz_label

__all__ = ["EXCEL_MAX_ROWS", "write_excel"]

EXCEL_MAX_ROWS = 1_048_576  # including the header row
_MAX_WIDTH = 60
_WIDTH_SAMPLE = 2_000
# XML 1.0 cannot hold C0 controls other than tab/newline/CR, nor lone surrogates.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
TIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
PERCENT_FORMAT = "0.00%"


def _openpyxl() -> Any:
    try:
        import openpyxl
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError(
            "Excel output needs openpyxl: pip install 'ddsjobs_analytics[excel]' (or openpyxl)"
        ) from exc
    return openpyxl


def _sheet_name(name: str, taken: set[str]) -> str:
    base = _BAD_SHEET_CHARS.sub("_", name).strip("'")[:31] or "Sheet"
    candidate, n = base, 2
    while candidate.lower() in taken:
        suffix = f" ({n})"
        candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(candidate.lower())
    return candidate


def _flat(table: pd.DataFrame) -> pd.DataFrame:
    """Index levels become ordinary leading columns (a sheet has no index)."""
    named = isinstance(table.index, pd.MultiIndex) or table.index.name is not None
    return table.reset_index() if named else table.reset_index(drop=True)


class _Column:
    """One table column prepared for the sheet: header, Python values, number format and width."""

    def __init__(self, name: str, values: pd.Series, zone: Any, percent: bool) -> None:
        self.header = str(name)
        self.number_format: str | None = None
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            local = values.dt.tz_convert(zone).dt.tz_localize(None)
            self.header = f"{name} ({tz_label(zone)})"
            self.number_format = TIME_FORMAT
            self.values: list[Any] = [None if pd.isna(v) else v.to_pydatetime() for v in local]
        elif pd.api.types.is_bool_dtype(values.dtype):
            self.values = [None if pd.isna(v) else bool(v) for v in values.astype(object)]
        elif pd.api.types.is_numeric_dtype(values.dtype):
            floats = values.to_numpy(dtype=np.float64, na_value=np.nan)
            integral = pd.api.types.is_integer_dtype(values.dtype)
            self.values = [None if np.isnan(v) else (int(v) if integral else float(v)) for v in floats]
            if percent:
                self.number_format = PERCENT_FORMAT
        else:
            self.values = [
                None if v is None or v is pd.NA or v is pd.NaT or v != v else str(v) for v in values
            ]
        self.width = self._width()

    def _width(self) -> float:
        sample = [v for v in self.values[:_WIDTH_SAMPLE] if v is not None]
        longest = max((19 if self.number_format == TIME_FORMAT else len(str(v)) for v in sample), default=0)
        return float(min(max(len(self.header), longest) + 2, _MAX_WIDTH))


def write_excel(
    tables: Mapping[str, pd.DataFrame],
    path: str | Path,
    *,
    tz: TzLike = None,
    percent_columns: Mapping[str, Iterable[str]] | None = None,
) -> Path:
    """Write each table to its own sheet of one ``.xlsx`` file and return its path.

    ``tables`` maps sheet names to frames (index levels with names become columns). Tz-aware columns are
    written as wall times in ``tz`` (UTC when None) with the zone in the header. ``percent_columns`` maps a
    sheet name to the columns holding shares (0–1) shown as percentages; the producer of a table declares
    them, nothing is guessed from names. A table longer than Excel's row limit raises ``ValueError``.
    """
    openpyxl = _openpyxl()
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter

    zone = resolve_tz(tz)
    percents = {name: set(columns) for name, columns in (percent_columns or {}).items()}
    workbook = openpyxl.Workbook(write_only=True)
    taken: set[str] = set()
    replaced = 0
    for name, table in tables.items():
        flat = _flat(table)
        if len(flat) + 1 > EXCEL_MAX_ROWS:
            limit = EXCEL_MAX_ROWS - 1
            raise ValueError(f"table {name!r} has {len(flat):,} rows; an Excel sheet holds {limit:,}")
        sheet = workbook.create_sheet(_sheet_name(name, taken))
        columns = [_Column(c, flat[c], zone, c in percents.get(name, set())) for c in flat.columns]
        sheet.freeze_panes = "A2"
        for i, column in enumerate(columns, start=1):
            sheet.column_dimensions[get_column_letter(i)].width = column.width
        sheet.append([column.header for column in columns])
        formatted = [column.number_format == PERCENT_FORMAT for column in columns]
        for row in zip(*(column.values for column in columns), strict=True):
            cells: list[Any] = list(row)
            for i, value in enumerate(cells):
                if isinstance(value, str):
                    if _ILLEGAL.search(value):
                        value, n = _ILLEGAL.subn("\ufffd", value)
                        replaced += n
                        cells[i] = value
                    if value.startswith("="):  # text stays text: '=cmd|…' is not a formula here
                        cell = WriteOnlyCell(sheet, value=value)
                        cell.data_type = "s"
                        cells[i] = cell
                elif formatted[i] and value is not None:
                    cell = WriteOnlyCell(sheet, value=value)
                    cell.number_format = PERCENT_FORMAT
                    cells[i] = cell
            sheet.append(cells)
    if not tables:
        workbook.create_sheet("empty")
    target = Path(path)
    workbook.save(target)
    if replaced:
        import warnings

        warnings.warn(
            f"{target}: {replaced} character(s) that Excel files cannot hold were replaced by U+FFFD",
            stacklevel=2,
        )
    return target
