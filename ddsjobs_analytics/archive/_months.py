"""Rows to write, split into their month partitions with one sort (#16 §6).

Each partition is written sorted by ``(created, job_id)``. Filtering the rows once per month and sorting
each month copied every row twice (at 1M jobs, the filters alone cost as much CPU as ``jobs_frame``); here
the rows are sorted once by (month, created, job_id) and each month is a zero-copy slice of the result.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["concat", "month_codes", "split_by_month"]

_ORDER = [("month", "ascending"), ("created", "ascending"), ("job_id", "ascending")]


def concat(tables: Sequence[pa.Table]) -> pa.Table:
    """``pa.concat_tables`` without the empty ones: no empty chunk for ``take`` to concatenate around."""
    kept = [table for table in tables if table.num_rows]
    if len(kept) == 1:
        return kept[0]
    return pa.concat_tables(kept or tables[:1])


def month_codes(labels: np.ndarray, months: Sequence[str]) -> np.ndarray:
    """Each label's position in ``months`` (-1 where it is not one of them)."""
    return np.asarray(
        pd.Index(list(months), dtype=object).get_indexer(pd.Index(labels, dtype=object)), dtype=np.int32
    )


def split_by_month(rows: pa.Table, codes: np.ndarray, months: Sequence[str]) -> dict[str, pa.Table]:
    """``rows`` (``codes``: each row's month, a position in ``months``), one table per month of ``months``,
    each sorted by ``(created, job_id)`` (nulls last); a month without rows gets an empty table."""
    keys = pa.table(
        {
            "month": pa.array(codes, type=pa.int32()),
            "created": rows.column("created"),
            "job_id": rows.column("job_id"),
        }
    )
    ordered = rows.take(pc.sort_indices(keys, sort_keys=_ORDER)) if rows.num_rows else rows
    starts = np.concatenate([[0], np.cumsum(np.bincount(codes, minlength=len(months)))])
    return {
        month: ordered.slice(int(starts[n]), int(starts[n + 1] - starts[n])) for n, month in enumerate(months)
    }
