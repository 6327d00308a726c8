"""Salvage from a damaged partition file: every row group whose pages pass their checksums, and the
windows of ``created`` that the lost groups covered ("holes", recorded in the manifest).

Rows are written sorted by (created, job_id) in row groups of ``ROW_GROUP_ROWS``, so a run of lost groups
lies between the newest ``created`` of the readable group before it (or the month's start) and the oldest
of the one after it (or the month's end): that window, with the number of rows lost, is what ``verify``
reports and what the next ``sync`` lists again while the task center still keeps it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .._core._time import utcnow
from ._files import read_regular
from ._schema import ARCHIVE_SCHEMA, UNKNOWN_MONTH

__all__ = ["describe_hole", "month_bounds", "salvage"]

_READ_ERRORS = (pa.ArrowException, OSError, ValueError, KeyError, IndexError)


def month_bounds(month: str) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """``[start, end)`` of a partition's month in UTC; (None, None) for ``unknown``."""
    if month == UNKNOWN_MONTH:
        return None, None
    start = pd.Timestamp(f"{month}-01T00:00:00Z")
    return start, start + pd.offsets.MonthBegin(1)


def _groups(data: bytes | None) -> list[pa.Table | int | None]:
    """Per row group: its rows (archive schema), or its row count when unreadable (None: not even that)."""
    if data is None:
        return [None]
    try:
        parquet = pq.ParquetFile(pa.BufferReader(data), page_checksum_verification=True)
        counts = [parquet.metadata.row_group(i).num_rows for i in range(parquet.num_row_groups)]
    except _READ_ERRORS:
        return [None]  # the footer is gone: nothing can be located
    groups: list[pa.Table | int | None] = []
    for number, count in enumerate(counts):
        try:
            table = parquet.read_row_group(number).select(ARCHIVE_SCHEMA.names).cast(ARCHIVE_SCHEMA)
            groups.append(table)
        except _READ_ERRORS:
            groups.append(count)
    return groups


def _edge(table: pa.Table, which: str) -> pd.Timestamp | None:
    value = pc.min_max(table.column("created"))[which].as_py()
    return None if value is None else pd.Timestamp(value)


def salvage(
    path: Path | None, name: str, month: str, expected_rows: int | None, targets: Sequence[Any] | None
) -> tuple[pa.Table, list[dict[str, Any]]]:
    """The readable rows of ``path`` (partition ``name`` of ``month``; None: the file is gone) and the
    holes the rest leaves."""
    data: bytes | None = None
    if path is not None:
        try:
            data = read_regular(path)
        except OSError:
            data = None
    groups = _groups(data)
    tables = [group for group in groups if isinstance(group, pa.Table)]
    salvaged = sum(table.num_rows for table in tables)
    first, last = month_bounds(month)
    holes: list[dict[str, Any]] = []
    runs: list[tuple[int, int]] = []  # (first lost group, one past the last)
    for number, group in enumerate(groups):
        if isinstance(group, pa.Table):
            continue
        if runs and runs[-1][1] == number:
            runs[-1] = (runs[-1][0], number + 1)
        else:
            runs.append((number, number + 1))
    for begin, end in runs:
        before = next((g for g in reversed(groups[:begin]) if isinstance(g, pa.Table) and g.num_rows), None)
        after = next((g for g in groups[end:] if isinstance(g, pa.Table) and g.num_rows), None)
        start = (_edge(before, "max") if before is not None else None) or first
        stop = (_edge(after, "min") if after is not None else None) or last
        counts = [group for group in groups[begin:end] if isinstance(group, int)]
        jobs: int | None = sum(counts) if len(counts) == end - begin else None
        if len(runs) == 1 and expected_rows is not None:
            jobs = max(expected_rows - salvaged, 0)  # the manifest's count is the reliable one
        holes.append(
            {
                "month": month,
                "start": None if start is None else start.isoformat(),
                "end": None if stop is None else stop.isoformat(),
                "jobs": jobs,
                "file": name,
                "found": utcnow().isoformat(),
                "targets": None if targets is None else [list(target) for target in targets],
            }
        )
    empty = ARCHIVE_SCHEMA.empty_table()
    return pa.concat_tables([empty, *tables]), holes


def describe_hole(hole: dict[str, Any]) -> str:
    jobs = "an unknown number of jobs" if hole.get("jobs") is None else f"{hole['jobs']:,} job(s)"
    if hole.get("start") is None:
        window = "with unknown creation times"
    else:
        window = f"created {hole['start']} → {hole['end']}"
    return f"{jobs} {window} were lost from {hole.get('file')} (repair on {str(hole.get('found'))[:19]})"
