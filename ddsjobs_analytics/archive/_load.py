"""Reading the archive: partition pruning on ``created``, filters in Arrow, a retry when a commit races."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .._core._time import Moment, parse_moment
from ._errors import ArchiveCorruptError, ArchiveCorruptWarning, ArchiveError
from ._manifest import MANIFEST, read_manifest, repair_hint
from ._schema import ARCHIVE_COLUMNS, CATEGORY_COLUMNS, UNKNOWN_MONTH, read_schema

__all__ = ["DEFAULT_COLUMNS", "OnError", "load_tables"]

log = logging.getLogger("ddsjobs_analytics.archive")

OnError = Literal["raise", "warn"]
DEFAULT_COLUMNS = tuple(name for name in ARCHIVE_COLUMNS if name != "raw")
Reader = Callable[[Mapping[str, Any], str, Sequence[str], Sequence[str]], pa.Table]
DiskCheck = Callable[[Mapping[str, Any]], list[str]]


def months_between(
    manifest: Mapping[str, Any], start: pd.Timestamp | None, end: pd.Timestamp | None
) -> list[str]:
    months = sorted(manifest["partitions"])
    if start is None and end is None:
        return months
    # A range on `created` can never match a row whose `created` is unknown.
    first = "0000-00" if start is None else start.strftime("%Y-%m")
    last = "9999-99" if end is None else (end - pd.Timedelta(1, "us")).strftime("%Y-%m")
    return [month for month in months if month != UNKNOWN_MONTH and first <= month <= last]


def _mask(
    table: pa.Table, lower: pd.Timestamp | None, upper: pd.Timestamp | None, filters: Mapping[str, list[str]]
) -> pa.Table:
    mask = None
    time = pa.timestamp("us", "UTC")
    if lower is not None:
        mask = pc.greater_equal(table.column("created"), pa.scalar(lower, type=time))
    if upper is not None:
        below = pc.less(table.column("created"), pa.scalar(upper, type=time))
        mask = below if mask is None else pc.and_(mask, below)
    for name, values in filters.items():
        keep = pc.is_in(table.column(name), value_set=pa.array(values, type=pa.string()))
        mask = keep if mask is None else pc.and_(mask, keep)
    # A month inside the range keeps every row: skip the copy a filter would make.
    keep_all = mask is None or (mask.null_count == 0 and pc.all(mask).as_py())
    return table if keep_all else table.filter(mask)


def _read_all(
    root: Path,
    manifest: Mapping[str, Any],
    read: Reader,
    disk_problems: DiskCheck,
    bounds: tuple[pd.Timestamp | None, pd.Timestamp | None],
    needed: list[str],
    filters: Mapping[str, list[str]],
    on_error: OnError,
) -> list[pa.Table]:
    skipped = disk_problems(manifest)
    if skipped and (on_error == "raise" or read_manifest(root) != manifest):
        raise ArchiveCorruptError(
            f"archive {root}: the manifest disagrees with the files on disk ({'; '.join(skipped[:3])}); "
            f"{repair_hint(root)}",
            path=root / MANIFEST,
        )
    dictionary = [name for name in needed if name in CATEGORY_COLUMNS]
    tables = []
    for month in months_between(manifest, *bounds):
        try:
            table = read(manifest, month, needed, dictionary)
        except ArchiveCorruptError as exc:
            if on_error == "raise":
                raise
            skipped.append(str(exc))
            continue
        tables.append(_mask(table, *bounds, filters))
    if skipped:
        warnings.warn(
            ArchiveCorruptWarning(
                f"skipped {len(skipped)} unreadable archive partition file(s): " + "; ".join(skipped)
            ),
            stacklevel=5,
        )
    return tables


def load_tables(
    root: Path,
    read: Reader,
    disk_problems: DiskCheck,
    start: Moment | None,
    end: Moment | None,
    columns: Sequence[str] | None,
    filter_values: Mapping[str, str | Iterable[str] | None],
    on_error: OnError,
) -> pa.Table:
    """What :meth:`JobArchive.load` returns, as an Arrow table in (created, job_id) order."""
    if on_error not in ("raise", "warn"):
        raise ValueError(f"on_error must be 'raise' or 'warn', not {on_error!r}")
    selected = list(DEFAULT_COLUMNS if columns is None else columns)
    unknown = [name for name in selected if name not in ARCHIVE_COLUMNS]
    if unknown:
        raise ValueError(f"load: unknown column(s) {unknown}; the archive has {list(ARCHIVE_COLUMNS)}")
    bounds = (
        None if start is None else parse_moment(start),
        None if end is None else parse_moment(end),
    )
    filters = {
        name: [values] if isinstance(values, str) else list(values)
        for name, values in filter_values.items()
        if values is not None
    }
    needed = list(
        dict.fromkeys([*selected, *filters, *(["created"] if any(b is not None for b in bounds) else [])])
    )
    for _attempt in range(5):
        manifest = read_manifest(root)
        assert manifest is not None
        try:
            tables = _read_all(root, manifest, read, disk_problems, bounds, needed, filters, on_error)
        except ArchiveCorruptError as exc:
            # A writer may have committed between our manifest read and the open: read again.
            if read_manifest(root) != manifest:
                log.debug("archive changed while reading (%s); retrying", exc)
                continue
            raise
        break
    else:  # pragma: no cover - five concurrent commits in a row
        raise ArchiveError(f"archive {root} kept changing while being read")
    table = pa.concat_tables(tables) if tables else pa.Table.from_batches([], schema=read_schema(needed))
    # Each partition is written sorted by (created, job_id) and months are read in order (unknown last),
    # so the concatenation is already sorted.
    return table.select(selected)
