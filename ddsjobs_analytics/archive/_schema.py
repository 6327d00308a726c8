"""The archive's on-disk schema and the conversions between it and the frame contract.

On disk every text column is a plain Arrow string (Parquet dictionary-encodes the repetitive ones anyway);
:func:`frame_from_table` turns them back into the contract dtypes (``category``, ``string[pyarrow]``,
``datetime64[us, UTC]``, ``Int16``) identically under pandas 2 and 3.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "ARCHIVE_COLUMNS",
    "ARCHIVE_SCHEMA",
    "CATEGORY_COLUMNS",
    "JOB_FIELDS",
    "SCHEMA_VERSION",
    "UNKNOWN_MONTH",
    "empty_table",
    "frame_from_table",
    "month_keys",
    "table_from_frame",
]

SCHEMA_VERSION = 2
UNKNOWN_MONTH = "unknown"
SCHEMA_VERSION_KEY = b"ddsjobs_analytics.schema_version"

_TIME = pa.timestamp("us", tz="UTC")
CATEGORY_COLUMNS: tuple[str, ...] = (
    "job_name",
    "job_type",
    "status",
    "instance_id",
    "instance_name",
    "region",
    "project_id",
)
# The frame contract (docs: README "The frame"), in its column order.
JOB_FIELDS: tuple[pa.Field, ...] = (
    pa.field("job_id", pa.string()),
    pa.field("job_name", pa.string()),
    pa.field("job_type", pa.string()),
    pa.field("status", pa.string()),
    pa.field("created", _TIME),
    pa.field("ended", _TIME),
    pa.field("utc_offset", pa.int16()),
    pa.field("duration_s", pa.float64()),
    pa.field("age_s", pa.float64()),
    pa.field("progress", pa.float64()),
    pa.field("fail_reason", pa.string()),
    pa.field("instance_id", pa.string()),
    pa.field("instance_name", pa.string()),
    pa.field("region", pa.string()),
    pa.field("project_id", pa.string()),
    pa.field("observed_at", _TIME),
)
# What the archive adds: the record as received, and when it was first / last observed.
ARCHIVE_FIELDS: tuple[pa.Field, ...] = (
    pa.field("raw", pa.string()),
    pa.field("first_seen", _TIME),
    pa.field("last_seen", _TIME),
)
ARCHIVE_SCHEMA = pa.schema(
    [*JOB_FIELDS, *ARCHIVE_FIELDS], metadata={SCHEMA_VERSION_KEY: str(SCHEMA_VERSION).encode()}
)
ARCHIVE_COLUMNS: tuple[str, ...] = tuple(ARCHIVE_SCHEMA.names)
_JOB_COLUMN_NAMES = frozenset(field.name for field in JOB_FIELDS)


def empty_table() -> pa.Table:
    return ARCHIVE_SCHEMA.empty_table()


def _fast_strings(series: pd.Series) -> pa.Array | None:
    """A text column without a Python object per row: categories through their codes, Arrow-backed strings
    as they are (#16 §6); None where only the general path applies."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        categories = series.cat.categories
        if pd.api.types.infer_dtype(categories, skipna=True) not in ("string", "empty"):
            return None
        codes = np.asarray(series.cat.codes, dtype=np.int32)
        indices = pa.array(codes, mask=codes < 0)
        dictionary = pa.array(np.asarray(categories, dtype=object), type=pa.string())
        return pa.DictionaryArray.from_arrays(indices, dictionary).dictionary_decode()
    if pd.api.types.is_string_dtype(series.dtype) and hasattr(series.array, "__arrow_array__"):
        return pa.array(series.array).cast(pa.string())
    return None


def _column_to_arrow(series: pd.Series, field: pa.Field) -> pa.Array:
    if pa.types.is_timestamp(field.type):
        values = pd.to_datetime(series, utc=True)
        return pa.array(values.dt.as_unit("us"), type=field.type)
    if pa.types.is_string(field.type):
        fast = _fast_strings(series)
        if fast is not None:
            return fast
        # Categories, str, string[pyarrow] and object columns all become plain strings; NA stays null.
        as_object = series.astype(object).where(series.notna(), None)
        return pa.array(as_object.to_numpy(dtype=object), type=pa.string())
    if pa.types.is_int16(field.type):
        return pa.array(series.astype("Int16"), type=pa.int16())
    return pa.array(pd.to_numeric(series).astype("float64").to_numpy(), type=field.type, from_pandas=True)


def table_from_frame(frame: pd.DataFrame) -> pa.Table:
    """An archive table from a ``jobs_frame`` result carrying ``raw`` (one JSON string per record).

    ``first_seen``/``last_seen`` default to ``observed_at``; columns outside the archive schema are ignored
    (they are derived and can be recomputed).
    """
    missing = [name for name in (*_JOB_COLUMN_NAMES, "raw") if name not in frame.columns]
    if missing:
        hint = (
            " — the archive keeps each record's JSON as received; use JobArchive.upsert_records(records, ...)"
            " or add a 'raw' column"
            if "raw" in missing
            else ""
        )
        raise ValueError(f"upsert: the frame lacks column(s) {sorted(missing)}{hint}")
    data = frame.reset_index(drop=True)
    if "first_seen" not in data.columns:
        data = data.assign(first_seen=data["observed_at"])
    if "last_seen" not in data.columns:
        data = data.assign(last_seen=data["observed_at"])
    arrays = [_column_to_arrow(data[field.name], field) for field in ARCHIVE_SCHEMA]
    table = pa.Table.from_arrays(arrays, schema=ARCHIVE_SCHEMA)
    _check_required(table)
    return table


def _check_required(table: pa.Table) -> None:
    for name in ("job_id", "raw", "observed_at"):
        nulls = table.column(name).null_count
        if nulls:
            first = pc.index(pc.is_null(table.column(name)), True).as_py()
            raise ValueError(f"upsert: {nulls} row(s) have no {name} (first at row {first})")


def _year_month(days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Civil (year, month) of days since 1970-01-01 (H. Hinnant's algorithm; strftime is ~100× slower)."""
    z = days + 719468
    era = z // 146097
    day_of_era = z - era * 146097
    year_of_era = (day_of_era - day_of_era // 1460 + day_of_era // 36524 - day_of_era // 146096) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    shifted_month = (5 * day_of_year + 2) // 153
    month = np.where(shifted_month < 10, shifted_month + 3, shifted_month - 9)
    return year_of_era + era * 400 + (month <= 2), month


def month_keys(created: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Partition key per row: ``"YYYY-MM"`` of ``created`` in UTC, ``"unknown"`` where it is missing."""
    missing = np.iinfo(np.int64).min
    micros = np.asarray(pc.fill_null(created.cast(pa.int64()), missing).to_numpy(zero_copy_only=False))
    known = micros != missing
    year, month = _year_month(np.floor_divide(micros[known], 86_400_000_000))
    codes, inverse = np.unique(year * 12 + month - 1, return_inverse=True)
    labels = np.array([f"{code // 12:04d}-{code % 12 + 1:02d}" for code in codes], dtype=object)
    keys = np.full(len(micros), UNKNOWN_MONTH, dtype=object)
    keys[known] = labels[inverse.reshape(-1)] if len(codes) else labels
    return keys


def _read_type(field: pa.Field) -> pa.DataType:
    if field.name in CATEGORY_COLUMNS:
        return pa.dictionary(pa.int32(), pa.string())
    return field.type


def read_schema(columns: Iterable[str]) -> pa.Schema:
    """The schema load() hands to pandas: category columns as dictionaries."""
    return pa.schema([pa.field(name, _read_type(ARCHIVE_SCHEMA.field(name))) for name in columns])


_CATEGORIES_DTYPE = pd.Index([], dtype=str).dtype  # ``str`` in pandas 3, object in 2.2: as jobs_frame's


def _categorical(column: pa.ChunkedArray) -> pd.Categorical:
    """A dictionary (or plain string) column as a categorical with jobs_frame's categories dtype."""
    encoded = column if pa.types.is_dictionary(column.type) else column.dictionary_encode()
    values = encoded.unify_dictionaries().to_pandas().array if encoded.num_chunks else pd.Categorical([])
    if values.categories.dtype != _CATEGORIES_DTYPE:  # e.g. no rows: Arrow gives object categories
        categories = pd.Index(values.categories, dtype=_CATEGORIES_DTYPE)
        values = pd.Categorical.from_codes(values.codes, categories=categories, validate=False)
    return values


def _pandas_values(column: pa.ChunkedArray, name: str) -> object:
    kind = column.type
    if name in CATEGORY_COLUMNS:
        return _categorical(column)
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return pd.arrays.ArrowStringArray(column.combine_chunks())
    if pa.types.is_timestamp(kind):
        micros = np.asarray(column.cast(pa.int64()).fill_null(np.iinfo(np.int64).min).to_numpy())
        return pd.array(micros.view("datetime64[us]"), dtype=pd.DatetimeTZDtype(unit="us", tz="UTC"))
    if pa.types.is_int16(kind):
        return column.to_pandas(types_mapper={pa.int16(): pd.Int16Dtype()}.get).array
    return column.to_numpy()


def frame_from_table(table: pa.Table) -> pd.DataFrame:
    """The contract dtypes from an archive table, column by column (no pandas metadata involved)."""
    values = {name: _pandas_values(table.column(name), name) for name in table.column_names}
    return pd.DataFrame(values, index=pd.RangeIndex(table.num_rows), copy=False)
