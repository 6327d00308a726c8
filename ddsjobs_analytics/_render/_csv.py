"""CSV tables safe to open in a spreadsheet, written through Arrow's CSV writer.

Cells are UTF-8 (``bom=True`` adds the byte-order mark Excel needs to detect UTF-8); times are ISO 8601 in
UTC with an explicit offset; text that a spreadsheet would run as a formula (or that starts with ``'``)
gets a leading ``'``; floats are rounded to what they mean (seconds to 0.1, shares and ratios to 1e-6), so
no cell reads ``2544.6000000000004``. Everything is column-at-a-time: the formula guard looks at each
distinct category (or, for plain strings, at one code unit per row in Arrow), and times are assembled as a
byte matrix.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from .._core._calendar import tz_label
from .._core._format import DEFUSED_STARTS, FORMULA_TRIGGERS, ColumnFormat, Formats
from ._html import with_index_columns

__all__ = [
    "DECIMALS",
    "FORMULA_TRIGGERS",
    "iso_utc",
    "local_header",
    "local_times",
    "spreadsheet_safe",
    "write_csv",
]

# Decimals a float keeps in a CSV cell, by its declared format; undeclared floats keep DEFAULT_DECIMALS.
DECIMALS: dict[ColumnFormat, int] = {"duration": 1, "percent": 6, "ratio": 6, "count": 0}
DEFAULT_DECIMALS = 6
_BOM = b"\xef\xbb\xbf"
_DAY_US = 86_400_000_000


# ---------------------------------------------------------------------------------------------- times


def _civil(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(year, month, day) of days since 1970-01-01 (Hinnant's civil_from_days, proleptic Gregorian)."""
    z = days + 719_468
    era = np.floor_divide(z, 146_097)
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    return yoe + era * 400 + (month <= 2), month, day


def _digits(matrix: np.ndarray, column: int, values: np.ndarray, width: int) -> None:
    for place in range(width - 1, -1, -1):
        matrix[:, column + place] = 48 + values % 10
        values = values // 10


def _stamps(micros: np.ndarray, missing: np.ndarray, *, sep: str, suffix: str) -> pa.Array | None:
    """``YYYY-MM-DD<sep>hh:mm:ss[.ffffff]<suffix>`` of µs since 1970 (wall or UTC), null where ``missing``;
    None when a year is beyond four digits (the caller formats those one by one)."""
    micros = np.where(missing, 0, micros)
    days, of_day = np.divmod(micros, _DAY_US)
    year, month, day = _civil(days)
    if ((year < 0) | (year > 9999))[~missing].any():
        return None
    seconds, fraction = np.divmod(of_day, 1_000_000)
    with_fraction = bool(fraction[~missing].any())
    width = (26 if with_fraction else 19) + len(suffix)
    matrix = np.empty((len(micros), width), dtype=np.uint8)
    _digits(matrix, 0, year, 4)
    _digits(matrix, 5, month, 2)
    _digits(matrix, 8, day, 2)
    _digits(matrix, 11, seconds // 3600, 2)
    _digits(matrix, 14, seconds // 60 % 60, 2)
    _digits(matrix, 17, seconds % 60, 2)
    for column, char in ((4, "-"), (7, "-"), (10, sep), (13, ":"), (16, ":")):
        matrix[:, column] = ord(char)
    if with_fraction:
        matrix[:, 19] = ord(".")
        _digits(matrix, 20, fraction, 6)
    if suffix:
        matrix[:, width - len(suffix) :] = np.frombuffer(suffix.encode("ascii"), dtype=np.uint8)
    offsets = np.arange(0, (len(micros) + 1) * width, width, dtype=np.int32)
    validity = pa.array(~missing).buffers()[1] if missing.any() else None
    return pa.StringArray.from_buffers(
        len(micros), pa.py_buffer(offsets), pa.py_buffer(matrix.tobytes()), validity
    )


def _micros(naive: pd.Series) -> np.ndarray:
    return naive.to_numpy(dtype="datetime64[us]").astype(np.int64)


def iso_utc(times: pd.Series) -> pa.Array:
    """ISO 8601 UTC strings (``2026-11-01T01:00:00+00:00``; with ``.ffffff`` when any value has
    microseconds), null where the time is missing. Built as one byte matrix, no per-value formatting."""
    utc = pd.to_datetime(times, utc=True)
    missing = utc.isna().to_numpy()
    built = _stamps(_micros(utc.dt.tz_localize(None)), missing, sep="T", suffix="+00:00")
    if built is not None:
        return built
    fallback = utc.dt.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")  # beyond four digits: the slow, general path
    return pa.array(fallback.astype(object).where(~missing, None), type=pa.string())


def local_times(times: pd.Series, tz: dt.tzinfo) -> pa.Array:
    """Wall-clock times in ``tz`` for people (``2026-11-01 09:00:00``, no offset: the column header names
    the zone), null where the time is missing."""
    local = pd.to_datetime(times, utc=True).dt.tz_convert(tz).dt.tz_localize(None)
    missing = local.isna().to_numpy()
    built = _stamps(_micros(local), missing, sep=" ", suffix="")
    if built is not None:
        return built
    fallback = local.dt.strftime("%Y-%m-%d %H:%M:%S.%f")
    return pa.array(fallback.astype(object).where(~missing, None), type=pa.string())


def local_header(name: str, tz: dt.tzinfo) -> str:
    """The header of the local-time column of ``name``: ``created_local (Asia/Shanghai)``."""
    return f"{name}_local ({tz_label(tz)})"


# ----------------------------------------------------------------------------------------------- text


def _defused(strings: pa.Array) -> pa.Array:
    """``strings`` with a ``'`` before each value that starts with a formula trigger or a ``'``."""
    first = pc.utf8_slice_codeunits(strings, 0, 1)
    risky = pc.fill_null(pc.is_in(first, value_set=pa.array(DEFUSED_STARTS)), False)
    if not pc.any(risky).as_py():
        return strings
    quote, nothing = pa.scalar("'", type=strings.type), pa.scalar("", type=strings.type)
    return pc.if_else(risky, pc.binary_join_element_wise(quote, strings, nothing), strings)


def _joined(value: object) -> object:
    return "; ".join(map(str, value)) if isinstance(value, (list, tuple, np.ndarray)) else value


def _text(values: pd.Series) -> pa.Array:
    if isinstance(values.dtype, pd.CategoricalDtype):
        # The guard runs once per category; rows keep their codes.
        categories = pa.array(values.cat.categories.astype(str).to_numpy(dtype=object), type=pa.string())
        codes = pa.array(values.cat.codes.to_numpy(), mask=values.isna().to_numpy())
        return pa.DictionaryArray.from_arrays(codes, _defused(categories))
    if not isinstance(values.dtype, pd.StringDtype):
        # Lists (e.g. sample_job_ids, object or Arrow list dtype) become "a; b; c".
        values = values.astype(object).map(_joined).astype("string")
    return _defused(pa.array(values))


# --------------------------------------------------------------------------------------------- numbers


def _numbers(values: pd.Series, fmt: ColumnFormat | None) -> pa.Array:
    if pd.api.types.is_bool_dtype(values.dtype) or pd.api.types.is_integer_dtype(values.dtype):
        return pa.array(values)
    decimals = DECIMALS.get(fmt, DEFAULT_DECIMALS) if fmt is not None else DEFAULT_DECIMALS
    numbers = values.to_numpy(dtype=np.float64, na_value=np.nan)
    # Round-half-even on x·10^d, then one correctly rounded division: the nearest double to the decimal,
    # which Arrow prints in its shortest form ("2544.6").
    rounded = np.round(numbers, decimals)
    return pa.array(rounded, mask=np.isnan(rounded))


def _column(values: pd.Series, fmt: ColumnFormat | None) -> pa.Array:
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return iso_utc(values)
    if pd.api.types.is_timedelta64_dtype(values.dtype):
        return _numbers(values.dt.total_seconds(), fmt or "duration")
    if pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
        return _numbers(values, fmt)
    return _text(values)


def _arrow_table(frame: pd.DataFrame, formats: Formats | None, tz: dt.tzinfo | None = None) -> pa.Table:
    out = with_index_columns(frame)
    names, arrays = [], []
    for i, name in enumerate(str(name) for name in out.columns):
        values = out.iloc[:, i]
        names.append(name)
        arrays.append(_column(values, (formats or {}).get(name)))
        if tz is not None and pd.api.types.is_datetime64_any_dtype(values.dtype):
            names.append(local_header(name, tz))
            arrays.append(local_times(values, tz))
    return pa.Table.from_arrays(arrays, names=names)


def spreadsheet_safe(frame: pd.DataFrame, *, formats: Formats | None = None) -> pd.DataFrame:
    """A copy fit for CSV: named index levels as columns, ISO 8601 UTC times, formula-like text defused,
    floats rounded by their declared ``formats``.

    Text that a spreadsheet would run as a formula gets a leading ``'``. Only text columns are touched;
    numbers (a negative duration, a ratio) stay numbers.
    """
    table = _arrow_table(frame, formats)
    columns = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            columns[name] = pd.Series(column.to_pylist(), dtype="string")
        else:
            columns[name] = column.to_pandas()
    return pd.DataFrame(columns).set_axis(range(len(table)))


def write_csv(
    frame: pd.DataFrame,
    path: Path,
    *,
    bom: bool = False,
    formats: Formats | None = None,
    tz: dt.tzinfo | None = None,
) -> Path:
    """Write ``frame`` as UTF-8 CSV (with BOM when ``bom``), spreadsheet-safe as :func:`spreadsheet_safe`.

    Times stay ISO 8601 UTC; with ``tz``, each time column is followed by its wall-clock time in that zone
    for people, headed ``<name>_local (<zone>)`` (e.g. ``created_local (Asia/Shanghai)``).
    ``formats`` (column → format, declared by the table's producer) set how floats are rounded. Rows end in
    CRLF (RFC 4180), and every text cell is quoted, so a bare CR inside a fail_reason cannot start a new
    spreadsheet row (whose first cell could be a formula).
    """
    table = _arrow_table(frame, formats, tz)
    options = pa_csv.WriteOptions(eol="\r\n", quoting_style="needed")
    with open(path, "wb") as handle:
        if bom:
            handle.write(_BOM)
        pa_csv.write_csv(table, handle, write_options=options)
    return path
