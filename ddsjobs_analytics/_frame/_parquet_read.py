"""A ``.parquet`` of jobs (``ddsjobs fetch``) read in batches, its long text capped batch by batch.

A Parquet file compresses 1 MB reasons a hundredfold: read whole, 10 MB on disk are 200 MB of text, then
that again as pandas strings. Read in batches of about :data:`BATCH_BYTES` of uncompressed data instead,
text longer than its cap is cut to one character more as each batch arrives (``jobs_frame`` still counts
and cuts it), so only one batch is held uncapped. The frame has the dtypes ``pd.read_parquet`` gives.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ._csv_read import text_caps
from ._quality import DataQualityWarning
from ._stream import MAX_LINE_BYTES

if TYPE_CHECKING:
    import pyarrow.parquet as pq

__all__ = ["BATCH_BYTES", "MAX_DECODED_BYTES", "read_parquet_capped"]

BATCH_BYTES = 16 << 20  # uncompressed bytes of a batch, on average (the file's metadata tells)
MAX_DECODED_BYTES = MAX_LINE_BYTES  # a text column chunk this large of over-long values is not decoded
_MIN_ROWS, _MAX_ROWS = 16, 1 << 17


def read_parquet_capped(path: Path, *, batch_bytes: int = BATCH_BYTES) -> tuple[pd.DataFrame, bool]:
    """The file as ``pd.read_parquet`` reads it, text columns capped (:func:`text_caps`); and whether any
    value was cut (the frame then no longer holds what the file does: it must go through ``jobs_frame``).
    A dictionary (categorical) column with a cut value becomes text. A text column too long to decode
    (:func:`_too_long_to_decode`) is NA in its row group, warned about and counted in
    ``attrs["quality"]``."""
    import pyarrow.parquet as pq  # only when a Parquet file is read: ~7 MB and a few ms to import

    if path.is_dir():  # a dataset folder named *.parquet (Spark writes them): read as before, whole
        frame = pd.read_parquet(path)
        return frame, False
    with pq.ParquetFile(path) as file:
        rows = _batch_rows(file.metadata, batch_bytes)
        schema = file.schema_arrow
        batches, cut = [], set()
        unread: dict[str, int] = {}
        for group in range(file.metadata.num_row_groups):
            skip = _too_long_to_decode(file.metadata.row_group(group))
            keep = [name for name in schema.names if name not in skip] if skip else None
            for batch in file.iter_batches(
                batch_size=rows, row_groups=[group], columns=keep, use_pandas_metadata=True
            ):
                got = dict(zip(batch.schema.names, batch.columns, strict=True))
                columns = []
                for field in schema:
                    column = got.get(field.name)
                    if column is None:  # not decoded: kept as NA
                        column = pa.nulls(batch.num_rows, field.type)
                        unread[field.name] = unread.get(field.name, 0) + batch.num_rows
                        cut.add(field.name)
                    capped = _capped(column, text_caps(field.name))
                    if capped is not column:
                        cut.add(field.name)
                    columns.append(capped)
                batches.append(columns)
                del batch, got
    for name, count in unread.items():
        warnings.warn(
            DataQualityWarning(
                f"{path}: {name} of {count:,} row{'s' if count != 1 else ''} not read (over "
                f"{MAX_DECODED_BYTES >> 20} MiB of text averaging more than its cap per value); kept as NA",
                {f"{name} not read": count},
            ),
            stacklevel=3,
        )
    table = _table(batches, schema, cut)
    del batches
    frame = table.to_pandas()
    if unread:
        frame.attrs["quality"] = {f"{name} not read": count for name, count in unread.items()}
    return frame, bool(cut)


def _too_long_to_decode(group: pq.RowGroupMetaData) -> set[str]:
    """Text columns of a row group that Arrow would have to decode whole beyond reason: over
    :data:`MAX_DECODED_BYTES` uncompressed, and longer on average than the cap jobs_frame would cut every
    value to. A dictionary page is decoded whole whatever the batch size, and such a column (200 distinct
    1 MB reasons in one 200 MB page, 10 MB on disk) costs its full size several times over."""
    skip = set()
    for j in range(group.num_columns):
        column = group.column(j)
        if column.physical_type != "BYTE_ARRAY" or not column.num_values:
            continue
        size = column.total_uncompressed_size
        if size > MAX_DECODED_BYTES and size / column.num_values > text_caps(column.path_in_schema):
            skip.add(column.path_in_schema)
    return skip


def _batch_rows(metadata: pq.FileMetaData, batch_bytes: int) -> int:
    """Rows per batch so that a batch holds about ``batch_bytes`` (the largest row group's average row)."""
    widest = 1.0
    for i in range(metadata.num_row_groups):
        group = metadata.row_group(i)
        if group.num_rows:
            size = sum(group.column(j).total_uncompressed_size for j in range(group.num_columns))
            widest = max(widest, size / group.num_rows)
    return int(np.clip(batch_bytes / widest, _MIN_ROWS, _MAX_ROWS))


def _capped(column: pa.Array, cap: int) -> pa.Array:
    """``column`` with its strings longer than ``cap`` characters cut (the same array when none is)."""
    values = column.dictionary if pa.types.is_dictionary(column.type) else column
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)) or not len(values):
        return column
    if _longest_bytes(values) <= cap:  # bytes ≥ characters: nothing can be too long
        return column
    if values is not column:
        values = column.cast(values.type)  # cut values may coincide: categories must stay unique
    long = pc.greater(pc.utf8_length(values), cap).fill_null(False)
    if not pc.any(long).as_py():
        return column
    return pc.if_else(long, pc.utf8_slice_codeunits(values, 0, cap), values)


def _longest_bytes(values: pa.Array) -> int:
    width = np.int64 if pa.types.is_large_string(values.type) else np.int32
    offsets = np.frombuffer(
        values.buffers()[1], dtype=width, count=len(values) + 1, offset=values.offset * width().itemsize
    )
    return int(np.diff(offsets).max())


def _table(batches: list[list[pa.Array]], schema: pa.Schema, cut: set[str]) -> pa.Table:
    """The batches as one table with the file's schema (and pandas metadata); a column cut in any batch is
    plain text in all of them."""
    fields = []
    for field in schema:
        if field.name in cut and pa.types.is_dictionary(field.type):
            field = field.with_type(field.type.value_type)
        fields.append(field)
    schema = pa.schema(fields, metadata=schema.metadata)
    if not batches:
        return schema.empty_table()
    columns = [
        pa.chunked_array([batch[i].cast(field.type) for batch in batches], type=field.type)
        for i, field in enumerate(schema)
    ]
    return pa.Table.from_arrays(columns, schema=schema)
