"""A DataFrame as ``jobs_frame`` input: a jobs frame of any vintage, the report's own ``jobs.csv`` read
back by ``pd.read_csv``, a fetched ``.csv``/``.parquet``, or a plain frame of API records
(``pd.DataFrame(records)``).

Each column becomes the record field it stands for, as text, so a frame goes through exactly the checks,
time rules (offsets, naive times) and derived columns (``job_type``, ``duration_s``, ``age_s``) that API
records do: what comes out does not depend on how the input was typed. Typed times are written in the
API's own form (one vectorised pass; naive ``datetime64`` stays naive, and the naive-time rule places it).
A numeric ``progress`` is a fraction (the frame's unit: 0.37), text ``"37%"`` is a percentage.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from ._codes import STRING_TYPE
from ._extract import _INSTANCE_TYPE, RECORD_SCHEMA, Part

__all__ = ["frame_part"]

# Record field → the DataFrame columns that may hold it, in order of preference (frame names first).
_SOURCES: dict[str, tuple[str, ...]] = {
    "id": ("job_id", "id"),
    "name": ("job_name", "name", "job_type"),
    "created_at": ("created", "created_at"),
    "ended_at": ("ended", "ended_at"),
    "created": (),
    "ended": (),
}


def frame_part(df: pd.DataFrame) -> Part:
    """``df`` as one part of record fields (strings), ready for ``extract``."""
    if not df.columns.is_unique:
        duplicated = sorted({str(c) for c in df.columns[df.columns.duplicated()]})
        raise ValueError(f"jobs_frame: the DataFrame has duplicate columns {', '.join(duplicated)}")
    n = len(df)
    columns: dict[str, pa.Array] = {}
    for field in RECORD_SCHEMA.names:
        if field == "instance":
            continue
        name = next((c for c in _SOURCES.get(field, (field,)) if c in df.columns), None)
        if name is None:
            columns[field] = pa.nulls(n, STRING_TYPE)
        elif field == "progress":
            columns[field] = _progress_text(df[name])
        else:
            columns[field] = _text(df[name])
    columns["instance"] = pa.nulls(n, _INSTANCE_TYPE)
    table = pa.table([columns[name] for name in RECORD_SCHEMA.names], schema=RECORD_SCHEMA)
    return Part(table=table)


def _text(values: pd.Series) -> pa.Array:
    """One column as Arrow strings: times in the API's form, numbers as written, NA as null."""
    if isinstance(values.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(values.dtype):
        return _time_text(values)
    try:
        return pa.Array.from_pandas(values).cast(STRING_TYPE)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        pass
    texts = [None if _is_na(v) else (v if isinstance(v, str) else str(v)) for v in values.astype(object)]
    return pa.array(texts, type=STRING_TYPE)


def _is_na(value: object) -> bool:
    try:
        return bool(pd.isna(value))  # type: ignore[call-overload]
    except (TypeError, ValueError):  # a list or an array: a value, not NA
        return False


def _time_text(values: pd.Series) -> pa.Array:
    """``yyyy-mm-ddThh:mm:ss[.ffffff]+0000`` (aware, in UTC) or without the offset (naive)."""
    aware = isinstance(values.dtype, pd.DatetimeTZDtype)
    if aware:
        values = values.dt.tz_convert("UTC").dt.tz_localize(None)
    stamps = values.to_numpy(dtype="datetime64[us]")
    missing = np.isnat(stamps)
    whole = not (stamps[~missing].astype(np.int64) % 1_000_000).any()
    texts = np.datetime_as_string(stamps, unit="s" if whole else "us")
    suffix = "+0000" if aware else ""
    return pa.array(np.char.add(texts.astype(str), suffix), type=STRING_TYPE, mask=missing)


def _progress_text(values: pd.Series) -> pa.Array:
    """Numbers, and text that is a plain number, are fractions (the frame's unit, as a saved CSV writes it:
    0.37 → ``"37%"``); text with a ``%`` is a percentage, passed on as written; other text is left for the
    record checks to count."""
    if pd.api.types.is_bool_dtype(values.dtype):
        return _text(values)
    if pd.api.types.is_numeric_dtype(values.dtype):
        numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    else:
        text = values.astype(object)
        plain = text.map(lambda v: isinstance(v, str) and "%" not in v)
        numbers = pd.to_numeric(text.where(plain), errors="coerce").astype("float64")
    percent = numbers.to_numpy() * 100
    converted = ~np.isnan(percent)
    if not pd.api.types.is_numeric_dtype(values.dtype):
        texts = _text(values).to_pylist()
    else:
        texts = [None] * len(values)
    for row in np.flatnonzero(converted).tolist():
        texts[row] = f"{percent[row]:.10g}%"
    return pa.array(texts, type=STRING_TYPE)
