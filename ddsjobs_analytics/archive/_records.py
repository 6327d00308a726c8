"""Job records ⇄ archive rows: the ``jobs_frame`` columns plus each record's JSON as ``raw``.

``raw`` is the record as received. Text that UTF-8 cannot hold (a lone surrogate such as ``"x\\ud800"``)
is kept JSON-escaped in ``raw``; ``jobs_frame`` analyses it with U+FFFD in its place (a counted warning
naming the job), so one such record never fails a whole batch.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Iterable, Mapping
from datetime import datetime
from itertools import repeat
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .._core._time import utcnow
from .._frame import DataQualityWarning, jobs_frame
from ._merge import all_distinct, equal
from ._months import partition_order
from ._raw import raw_json
from ._schema import ARCHIVE_COLUMNS, ARCHIVE_SCHEMA, frame_from_table, table_from_frame

__all__ = ["changed_rows", "ordered_batch", "reassemble", "rederive", "table_from_records"]


def _record_list(records: Any) -> list[Any]:
    """Job records from a list (or one record), with ``{"job": …}``/``{"jobs": […]}`` responses unwrapped."""
    if isinstance(records, (str, bytes, os.PathLike, pd.DataFrame)):
        raise TypeError(
            f"upsert_records() takes job records (dicts), not {type(records).__name__}; "
            "read a file with json first, or use upsert(jobs_frame(...)) with a 'raw' column"
        )
    items = [records] if isinstance(records, Mapping) else list(records)
    if set(map(type, items)) <= {dict} and all(map(dict.__contains__, items, repeat("id"))):
        return items  # plain records, none wrapped: no Python-level test per record (#16 §6)
    out: list[Any] = []
    for item in items:
        wrapped = isinstance(item, Mapping) and "id" not in item
        if wrapped and isinstance(item.get("job"), Mapping):
            out.append(item["job"])
        elif wrapped and isinstance(item.get("jobs"), list):
            out.extend(item["jobs"])
        else:
            out.append(item)
    return out


def table_from_records(
    records: Any,
    *,
    observed_at: datetime | str | None = None,
    region: str | None = None,
    project_id: str | None = None,
    errors: Literal["warn", "raise", "ignore"] = "warn",
) -> pa.Table:
    """The archive table of job records: ``jobs_frame`` columns plus each record's JSON as ``raw``, one row
    per record, in their order."""
    return _batch(records, observed_at, region, project_id, errors, ordered=False)[0]


def ordered_batch(
    records: Any,
    *,
    observed_at: datetime | str | None = None,
    region: str | None = None,
    project_id: str | None = None,
    errors: Literal["warn", "raise", "ignore"] = "warn",
) -> tuple[pa.Table, bool]:
    """:func:`table_from_records` for a writer, and whether its job ids are all distinct (then the batch
    needs no ``reduce_by_job``).

    When they are, the rows come in the order partitions are written (month, ``created``, ``job_id``), so
    that writing them copies nothing (``_months.split_by_month``): the frame is reordered while its text
    columns are still category codes, and ``raw`` alone as text. Reordering the finished million-row table
    cost 0.4–1.4 s CPU, a third of a first sync (#16 §6). A batch that lists a job twice keeps the records'
    order, which the merge rules' last tie-break (the later record) reads.
    """
    return _batch(records, observed_at, region, project_id, errors, ordered=True)


def _batch(
    records: Any,
    observed_at: datetime | str | None,
    region: str | None,
    project_id: str | None,
    errors: Literal["warn", "raise", "ignore"],
    *,
    ordered: bool,
) -> tuple[pa.Table, bool]:
    items = _record_list(records)
    if observed_at is None:
        observed_at = utcnow().to_pydatetime()
    options: dict[str, Any] = {
        "observed_at": observed_at,
        "region": region,
        "project_id": project_id,
        "errors": errors,
    }
    try:
        frame = jobs_frame(items, per_record=True, **options)
    except UnicodeEncodeError:
        frame = jobs_frame(items, per_record=True, **options)
    raw = raw_json(items)
    distinct = ordered and all_distinct(pa.array(frame["job_id"].array, type=pa.string()))
    # Beyond 2 GiB of JSON (several chunks), the rows stay as they are and are sorted when written.
    order = _write_order(frame) if distinct and isinstance(raw, pa.Array) else None
    if order is not None:
        frame, raw = frame.take(order), raw.take(order)
    return table_from_frame(frame.assign(raw=pd.arrays.ArrowStringArray(raw))), distinct


def _write_order(frame: pd.DataFrame) -> np.ndarray | None:
    """The permutation of ``frame``'s rows into partition order; None when they already are."""
    created = pa.array(frame["created"].array, type=pa.timestamp("us", tz="UTC"))
    return partition_order(created, pa.array(frame["job_id"].array, type=pa.string()))


def _loads(text: Any) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return None


def rederive(table: pa.Table) -> pa.Table:
    """Recompute the ``jobs_frame`` columns of archive rows from ``raw`` with the current ``jobs_frame``.

    Each row keeps its own ``observed_at``/``region``/``project_id`` (handed to ``jobs_frame`` as record keys
    where the record lacks them) and its ``first_seen``/``last_seen``. A row whose ``raw`` is not a JSON
    object keeps its stored columns, and is counted in a warning.
    """
    if table.num_rows == 0:
        return table
    records: list[dict[str, Any]] = []
    usable: list[int] = []
    observed = pc.strftime(table.column("observed_at"), format="%Y-%m-%dT%H:%M:%S%z").to_pylist()
    regions, projects = table.column("region").to_pylist(), table.column("project_id").to_pylist()
    for row, text in enumerate(table.column("raw").to_pylist()):
        record = _loads(text)
        if not isinstance(record, dict):
            continue
        for key, value in (
            ("observed_at", observed[row]),
            ("region", regions[row]),
            ("project_id", projects[row]),
        ):
            if value is not None:
                record.setdefault(key, value)
        records.append(record)
        usable.append(row)
    kept = table.select(["raw", "first_seen", "last_seen"]).take(pa.array(usable, pa.int64()))
    try:
        frame = jobs_frame(records, errors="warn", per_record=True)
    except UnicodeEncodeError:
        frame = jobs_frame(records, errors="warn", per_record=True)
    frame = frame.assign(**frame_from_table(kept))
    unusable = np.setdiff1d(np.arange(table.num_rows), usable)
    if not len(unusable):
        return table_from_frame(frame)
    ids = table.column("job_id").take(pa.array(unusable[:3])).to_pylist()
    warnings.warn(
        DataQualityWarning(
            f"{len(unusable)} archived rows have a raw record that is not a JSON object "
            f"(jobs {', '.join(map(str, ids))}); kept as stored",
            {"raw": len(unusable)},
        ),
        stacklevel=3,
    )
    # Rebuilt rows first, then the unusable ones as stored; put them back in the original order.
    combined = pa.concat_tables(
        [table_from_frame(frame), table.take(pa.array(unusable)).cast(ARCHIVE_SCHEMA)]
    )
    return combined.take(pa.array(np.argsort(np.r_[usable, unusable], kind="stable")))


def changed_rows(before: pa.Table, after: pa.Table) -> np.ndarray:
    changed = np.zeros(before.num_rows, dtype=bool)
    for name in ARCHIVE_COLUMNS:
        changed |= ~equal(before.column(name), after.column(name))
    return changed


def reassemble(tables: Iterable[pa.Table]) -> pa.Table:
    return pa.concat_tables([ARCHIVE_SCHEMA.empty_table(), *(t.cast(ARCHIVE_SCHEMA) for t in tables)])
