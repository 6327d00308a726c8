"""Excel output: one workbook, a sheet per table, readable as it opens.

Excel has no time zones, so moments are written as local wall times of ``tz`` with the zone in the header
(``created (Asia/Shanghai)``); rates are real numbers shown as percentages; the header row is frozen and
columns are sized to their content. Text is always stored as text — a message starting with ``=`` is never
a formula — and characters that the file format cannot hold are replaced by U+FFFD (counted, not dropped).
The file is written by ``_xlsx`` column at a time (no optional dependency); numbers carry the number
format their column declares in the column contract.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .._core._calendar import TzLike, resolve_tz, tz_label
from .._core._format import Formats
from ._xlsx import NUMBER_FORMATS, XlsxColumn, XlsxSheet, text_cells, write_xlsx

__all__ = ["EXCEL_MAX_ROWS", "EXCEL_MAX_TEXT", "write_excel"]

EXCEL_MAX_ROWS = 1_048_576  # including the header row
EXCEL_MAX_TEXT = 32_767  # characters in one cell
_MAX_WIDTH = 60
_WIDTH_SAMPLE = 2_000
# XML 1.0 cannot hold C0 controls other than tab/newline/CR, nor U+FFFE/U+FFFF (RE2 syntax, for Arrow).
_ILLEGAL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x{FFFE}\x{FFFF}]"
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_EXCEL_EPOCH_US = -2_209_161_600_000_000  # 1899-12-30 in µs since 1970: Excel's day 0
_DAY_US = 86_400_000_000


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


@dataclass
class _Counts:
    """Characters replaced and cells cut, over one workbook (said in one warning at the end)."""

    replaced: int = 0
    cut: int = 0


def _plain_text(values: pd.Series, counts: _Counts) -> pa.Array:
    """Text as an Arrow string array: lists joined with ", " (never a Python literal), other objects str()."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        # Each category once, then the codes: a million rows of twenty types cost twenty conversions.
        categories = pa.array([str(c) for c in values.cat.categories], type=pa.string())
        codes = pa.array(values.cat.codes.to_numpy(), mask=values.cat.codes.to_numpy() < 0)
        return categories.take(codes)
    if values.dtype == object:
        values = values.map(
            lambda v: (", ".join(map(str, v)) or None) if isinstance(v, list | tuple | np.ndarray) else v,
            na_action="ignore",
        )
        values = values.map(str, na_action="ignore")
    try:
        return pa.array(values.astype(object).where(values.notna(), None), type=pa.string())
    except UnicodeEncodeError:  # lone surrogates: not UTF-8, replaced like the other illegal characters
        fixed = values.map(
            lambda v: v.encode("utf-8", "surrogatepass").decode("utf-8", "replace"), na_action="ignore"
        )
        counts.replaced += int((fixed != values).sum())
        return pa.array(fixed.astype(object).where(fixed.notna(), None), type=pa.string())


def _text(values: pd.Series, counts: _Counts) -> pa.Array:
    text = _plain_text(values, counts)
    illegal = pc.sum(pc.count_substring_regex(text, _ILLEGAL)).as_py() or 0
    if illegal:
        counts.replaced += illegal
        text = pc.replace_substring_regex(text, _ILLEGAL, "\ufffd")
    long = pc.greater(pc.utf8_length(text), EXCEL_MAX_TEXT)
    if pc.any(long).as_py():
        counts.cut += pc.sum(long).as_py()
        text = pc.if_else(
            long,
            pc.binary_join_element_wise(pc.utf8_slice_codeunits(text, 0, EXCEL_MAX_TEXT - 1), "…", ""),
            text,
        )
    return text


def _numbers(values: pd.Series) -> pa.Array:
    if pd.api.types.is_integer_dtype(values.dtype):
        return pa.array(values, from_pandas=True).cast(pa.string())
    floats = values.to_numpy(dtype=np.float64, na_value=np.nan)
    return pa.array(floats, mask=~np.isfinite(floats)).cast(pa.string())


def _column(name: str, values: pd.Series, zone: Any, fmt: str | None, counts: _Counts) -> XlsxColumn:
    header = str(name)
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        # Excel has no zones: the wall time in ``zone``, as days since 1899-12-30, the zone in the header.
        local = values.dt.tz_convert(zone).dt.tz_localize(None).astype("datetime64[us]")
        micros = local.to_numpy().view(np.int64)
        days = (micros - _EXCEL_EPOCH_US) / _DAY_US
        cells = pa.array(days, mask=local.isna().to_numpy()).cast(pa.string())
        header = f"{name} ({tz_label(zone)})"
        return XlsxColumn(header, cells, "n", "time", float(max(len(header), 19) + 2))
    if pd.api.types.is_bool_dtype(values.dtype):
        flags = pa.array(values.astype(object).where(values.notna(), None), type=pa.bool_())
        cells = pc.if_else(flags, "1", "0")
        return XlsxColumn(header, cells, "b", None, float(max(len(header), 5) + 2))
    if pd.api.types.is_numeric_dtype(values.dtype):
        cells = _numbers(values)
        shown = fmt if fmt in NUMBER_FORMATS else None
        return XlsxColumn(header, cells, "n", shown, _width(header, cells))
    text = _text(values, counts)
    return XlsxColumn(header, text_cells(text), "s", None, _width(header, text))


def _width(header: str, cells: pa.Array) -> float:
    sample = cells[:_WIDTH_SAMPLE]
    longest = pc.max(pc.utf8_length(sample)).as_py() if len(sample) else 0
    return float(min(max(len(header), longest or 0) + 2, _MAX_WIDTH))


def write_excel(
    tables: Mapping[str, pd.DataFrame],
    path: str | Path,
    *,
    tz: TzLike = None,
    formats: Mapping[str, Formats] | None = None,
) -> Path:
    """Write each table to its own sheet of one ``.xlsx`` file and return its path.

    ``tables`` maps sheet names to frames (index levels with names become columns). Tz-aware columns are
    written as wall times in ``tz`` (UTC when None) with the zone in the header. ``formats`` maps a sheet
    name to its columns' declared formats (the column contract's ``TableSpec.formats``): shares are shown
    as percentages, durations as seconds with one decimal, counts with thousands separators; nothing is
    guessed from names. List cells are joined with ", ". A table longer than Excel's row limit raises
    ``ValueError``; text longer than a cell holds is cut with "…", and characters a file cannot hold become
    U+FFFD (each counted in one warning).
    """
    zone = resolve_tz(tz)
    counts = _Counts()
    taken: set[str] = set()
    sheets = []
    for name, table in tables.items():
        flat = _flat(table)
        if len(flat) + 1 > EXCEL_MAX_ROWS:
            limit = EXCEL_MAX_ROWS - 1
            raise ValueError(f"table {name!r} has {len(flat):,} rows; an Excel sheet holds {limit:,}")
        declared = (formats or {}).get(name, {})
        columns = [_column(str(c), flat[c], zone, declared.get(str(c)), counts) for c in flat.columns]
        sheets.append(XlsxSheet(_sheet_name(name, taken), columns, len(flat)))
    if not sheets:
        sheets.append(XlsxSheet("empty", [], 0))
    target = write_xlsx(sheets, Path(path))
    if counts.replaced or counts.cut:
        detail = [
            f"{counts.replaced} character(s) that Excel files cannot hold were replaced by U+FFFD"
            if counts.replaced
            else "",
            f"{counts.cut} cell(s) longer than {EXCEL_MAX_TEXT:,} characters were cut" if counts.cut else "",
        ]
        warnings.warn(f"{target}: " + "; ".join(d for d in detail if d), stacklevel=2)
    return target
