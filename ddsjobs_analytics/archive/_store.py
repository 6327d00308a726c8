"""``JobArchive``: a local, month-partitioned Parquet dataset of job records that only ever gets better.

Layout (schema 2)::

    PATH/_archive.json                    manifest: schema_version, partitions → file, sync high-water marks
    PATH/month=2026-11/part-<hex>.parquet one zstd file per month of ``created`` (UTC)
    PATH/month=unknown/part-<hex>.parquet rows whose ``created`` could not be parsed (never dropped)
    PATH/.lock                            present while a writer works

Writes are copy-on-write: changed partitions go to new files (temp name, fsync, ``os.replace``), then the
manifest that names them replaces the old one atomically — that rename is the commit. A crash before it
leaves the previous archive exactly as it was; superseded and orphaned files are removed after the next
commit.
"""

from __future__ import annotations

import json
import logging
import os
import re
import uuid
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .._frame import DataQualityWarning, _as_record_list, _unwrap, jobs_frame
from .._names import TERMINAL_STATUSES
from .._time import Moment, parse_moment, utcnow
from ._errors import (
    ArchiveCorruptError,
    ArchiveCorruptWarning,
    ArchiveError,
    ArchiveNotFoundError,
    ArchiveVersionError,
)
from ._lock import ArchiveLock
from ._merge import _equal, merge, reduce_by_job, terminal_mask, winners, with_seen
from ._schema import (
    ARCHIVE_COLUMNS,
    ARCHIVE_SCHEMA,
    CATEGORY_COLUMNS,
    SCHEMA_VERSION,
    UNKNOWN_MONTH,
    empty_table,
    frame_from_table,
    month_keys,
    read_schema,
    table_from_frame,
)
from ._stats import SyncStats

__all__ = ["JobArchive", "parse_moment"]

log = logging.getLogger("ddsjobs_analytics.archive")

MANIFEST = "_archive.json"
FORMAT = "ddsjobs_analytics job archive"
_PART_FILE = re.compile(r"^(part-[0-9a-f]+\.parquet|\.part-[0-9a-f]+\.parquet\.tmp)$")
_DEFAULT_COLUMNS = tuple(name for name in ARCHIVE_COLUMNS if name != "raw")

OnError = Literal["raise", "warn"]


# --------------------------------------------------------------------------------------------- files


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # platforms without directory handles
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomic(path: Path, write: Any) -> None:
    """``write(binary_file)`` into a temp file beside ``path``, fsync it, then rename it over ``path``."""
    temp = path.with_name(f".{path.name}.tmp")
    try:
        with open(temp, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)


def _write_partition_file(table: pa.Table, path: Path) -> None:
    _write_atomic(path, lambda handle: pq.write_table(table, handle, compression="zstd"))


def _read_parquet(path: Path, columns: Sequence[str] | None, dictionary: Sequence[str]) -> pa.Table:
    """Read one partition file (the single place files are opened: tests count calls here)."""
    return pq.ParquetFile(path, read_dictionary=list(dictionary) or None).read(columns=columns)


def _sorted_rows(table: pa.Table) -> pa.Table:
    return table.sort_by([("created", "ascending"), ("job_id", "ascending")])


# --------------------------------------------------------------------------------------------- records


def table_from_records(
    records: Any,
    *,
    observed_at: datetime | str | None = None,
    region: str | None = None,
    project_id: str | None = None,
    errors: Literal["warn", "raise", "ignore"] = "warn",
) -> pa.Table:
    """The archive table of job records: ``jobs_frame`` columns plus each record's JSON as ``raw``."""
    items = _unwrap(_as_record_list(records))
    if observed_at is None:
        observed_at = utcnow().to_pydatetime()
    frame = jobs_frame(items, observed_at=observed_at, region=region, project_id=project_id, errors=errors)
    raw = [json.dumps(item, ensure_ascii=False, separators=(",", ":"), default=str) for item in items]
    return table_from_frame(frame.assign(raw=pd.array(raw, dtype=pd.StringDtype("pyarrow"))))


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
        try:
            record = json.loads(text)
        except (TypeError, ValueError):
            continue
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
    frame = jobs_frame(records, errors="warn").assign(**frame_from_table(kept))
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
    rebuilt = combined.take(pa.array(np.argsort(np.r_[usable, unusable], kind="stable")))
    return rebuilt


def _changed_rows(before: pa.Table, after: pa.Table) -> np.ndarray:
    changed = np.zeros(before.num_rows, dtype=bool)
    for name in ARCHIVE_COLUMNS:
        changed |= ~_equal(before.column(name), after.column(name))
    return changed


# --------------------------------------------------------------------------------------------- archive


class JobArchive:
    """A local archive of DDS task-center jobs: one row per job, each with the record as received.

    ``JobArchive(path)`` opens (or, on the first write, creates) the archive at ``path``. Opening an archive
    written with an older schema migrates it (logged); a newer one is refused with
    :class:`ArchiveVersionError`. Writers (``upsert``, ``upsert_records``, ``rebuild``, :func:`sync`) hold
    ``PATH/.lock``; a second writer gets :class:`ArchiveLockedError` naming the holder. Readers need no lock.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = ArchiveLock(self.path)
        manifest = self._read_manifest(missing_ok=True)
        if manifest is not None and manifest["schema_version"] < SCHEMA_VERSION:
            from ._migrate import migrate

            with self._writing():
                migrate(self)

    def __repr__(self) -> str:
        manifest = self._read_manifest(missing_ok=True)
        if manifest is None:
            return f"JobArchive({str(self.path)!r}, empty)"
        parts = manifest["partitions"]
        return f"JobArchive({str(self.path)!r}, {len(self):,} jobs in {len(parts)} partitions)"

    def __len__(self) -> int:
        manifest = self._read_manifest(missing_ok=True)
        return 0 if manifest is None else sum(int(p["rows"]) for p in manifest["partitions"].values())

    @property
    def exists(self) -> bool:
        return (self.path / MANIFEST).is_file()

    def partitions(self) -> dict[str, int]:
        """Month (``"YYYY-MM"`` or ``"unknown"``) → number of jobs, in month order."""
        manifest = self._read_manifest(missing_ok=True)
        if manifest is None:
            return {}
        return {month: int(part["rows"]) for month, part in sorted(manifest["partitions"].items())}

    # ----------------------------------------------------------------------------------------- manifest

    def _read_manifest(self, *, missing_ok: bool = False) -> dict[str, Any] | None:
        path = self.path / MANIFEST
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            if missing_ok:
                return None
            raise ArchiveNotFoundError(
                f"no job archive at {self.path} (no {MANIFEST}); "
                f"run `ddsjobs sync --archive {self.path}` first"
            ) from None
        try:
            manifest = json.loads(text)
            version = manifest["schema_version"]
        except (ValueError, KeyError, TypeError) as exc:
            raise ArchiveCorruptError(f"archive manifest {path} is unreadable: {exc}", path=path) from exc
        if not isinstance(version, int) or version < 1:
            raise ArchiveCorruptError(f"archive manifest {path}: bad schema_version {version!r}", path=path)
        if version > SCHEMA_VERSION:
            raise ArchiveVersionError(
                f"archive schema {version} is newer than this ddsjobs_analytics supports ({SCHEMA_VERSION}); "
                f"upgrade the package to read {self.path}"
            )
        if version == SCHEMA_VERSION:
            manifest.setdefault("partitions", {})
            manifest.setdefault("syncs", [])
        return dict(manifest)

    def _new_manifest(self) -> dict[str, Any]:
        now = utcnow().isoformat()
        return {
            "format": FORMAT,
            "schema_version": SCHEMA_VERSION,
            "created": now,
            "updated": now,
            "partitions": {},
            "syncs": [],
        }

    def _manifest_for_write(self) -> dict[str, Any]:
        manifest = self._read_manifest(missing_ok=True)
        if manifest is not None:
            return manifest
        if any(entry.name != ".lock" for entry in self.path.iterdir()):
            raise ArchiveError(
                f"{self.path} is not empty and is not a job archive (no {MANIFEST}); "
                "refusing to write into it"
            )
        return self._new_manifest()

    def sync_state(self, region: str | None, project_id: str) -> dict[str, Any] | None:
        """The last sync's marks for (region, project): ``max_created``, ``listed_until``, ``last_sync``."""
        manifest = self._read_manifest(missing_ok=True)
        for entry in [] if manifest is None else manifest["syncs"]:
            if entry.get("region") == region and entry.get("project_id") == project_id:
                return dict(entry)
        return None

    @contextmanager
    def _writing(self) -> Iterator[None]:
        self.path.mkdir(parents=True, exist_ok=True)
        with self._lock:
            yield

    def _commit(
        self,
        manifest: dict[str, Any],
        written: Mapping[str, tuple[str, int] | None],
        sync_entry: dict[str, Any] | None = None,
    ) -> None:
        """Point the manifest at the new partition files (None: now empty) atomically; then tidy up."""
        superseded = []
        partitions = dict(manifest["partitions"])
        for month, entry in written.items():
            if month in partitions:
                superseded.append(partitions.pop(month)["file"])
            if entry is not None:
                partitions[month] = {"file": entry[0], "rows": entry[1]}
        syncs = list(manifest["syncs"])
        if sync_entry is not None:
            key = (sync_entry["region"], sync_entry["project_id"])
            syncs = [s for s in syncs if (s.get("region"), s.get("project_id")) != key] + [sync_entry]
        updated = {**manifest, "partitions": dict(sorted(partitions.items())), "syncs": syncs}
        updated["updated"] = utcnow().isoformat()
        payload = json.dumps(updated, indent=1).encode()
        _write_atomic(self.path / MANIFEST, lambda handle: handle.write(payload))
        self._tidy(updated, superseded)

    def _tidy(self, manifest: Mapping[str, Any], superseded: Iterable[str]) -> None:
        """Delete superseded files, orphans of interrupted writes, and empty partition directories."""
        for name in superseded:
            (self.path / name).unlink(missing_ok=True)
        referenced = {part["file"] for part in manifest["partitions"].values()}
        for directory in self.path.glob("month=*"):
            if not directory.is_dir():
                continue
            for entry in directory.iterdir():
                relative = f"{directory.name}/{entry.name}"
                if _PART_FILE.match(entry.name) and relative not in referenced:
                    entry.unlink(missing_ok=True)
            if not any(directory.iterdir()):
                directory.rmdir()

    # ----------------------------------------------------------------------------------------- reading

    def _partition_path(self, manifest: Mapping[str, Any], month: str) -> Path:
        return self.path / manifest["partitions"][month]["file"]

    def _read(
        self,
        manifest: Mapping[str, Any],
        month: str,
        columns: Sequence[str] | None = None,
        dictionary: Sequence[str] = (),
    ) -> pa.Table:
        path = self._partition_path(manifest, month)
        try:
            table = _read_parquet(path, columns, dictionary)
        except FileNotFoundError as exc:
            raise ArchiveCorruptError(
                f"archive partition file {path} (listed in {MANIFEST}) is missing", path=path
            ) from exc
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise ArchiveCorruptError(
                f"archive partition file {path} is unreadable: {exc}", path=path
            ) from exc
        wanted = list(columns) if columns is not None else list(ARCHIVE_COLUMNS)
        missing = [name for name in wanted if name not in table.column_names]
        if missing:
            raise ArchiveCorruptError(f"archive partition file {path} lacks columns {missing}", path=path)
        return table.select(wanted)

    def _months_between(
        self, manifest: Mapping[str, Any], start: pd.Timestamp | None, end: pd.Timestamp | None
    ) -> list[str]:
        months = sorted(manifest["partitions"])
        if start is None and end is None:
            return months
        # A range on `created` can never match a row whose `created` is unknown.
        first = "0000-00" if start is None else start.strftime("%Y-%m")
        last = "9999-99" if end is None else (end - pd.Timedelta(1, "us")).strftime("%Y-%m")
        return [month for month in months if month != UNKNOWN_MONTH and first <= month <= last]

    def load(
        self,
        start: Moment | None = None,
        end: Moment | None = None,
        *,
        columns: Sequence[str] | None = None,
        status: str | Iterable[str] | None = None,
        job_type: str | Iterable[str] | None = None,
        region: str | Iterable[str] | None = None,
        instance_id: str | Iterable[str] | None = None,
        on_error: OnError = "raise",
    ) -> pd.DataFrame:
        """Jobs created in ``[start, end)`` as a frame with the contract dtypes (plus first/last seen).

        ``start``/``end``: datetimes, ISO strings (naive = UTC) or ages (``"90d"``). Only the month partitions
        the range overlaps are opened; a range excludes jobs whose ``created`` is unknown, no range includes
        them. Filters take one value or several. ``columns`` selects columns (``raw``, the record JSON, only
        when asked for). ``on_error="warn"`` skips unreadable partition files with a counted
        :class:`ArchiveCorruptWarning` instead of raising :class:`ArchiveCorruptError`.
        """
        if on_error not in ("raise", "warn"):
            raise ValueError(f"on_error must be 'raise' or 'warn', not {on_error!r}")
        selected = list(_DEFAULT_COLUMNS if columns is None else columns)
        unknown = [name for name in selected if name not in ARCHIVE_COLUMNS]
        if unknown:
            raise ValueError(f"load: unknown column(s) {unknown}; the archive has {list(ARCHIVE_COLUMNS)}")
        lower = None if start is None else parse_moment(start)
        upper = None if end is None else parse_moment(end)
        filters = {
            name: [values] if isinstance(values, str) else list(values)
            for name, values in (
                ("status", status),
                ("job_type", job_type),
                ("region", region),
                ("instance_id", instance_id),
            )
            if values is not None
        }
        needed = list(dict.fromkeys([*selected, *filters, *(["created"] if lower or upper else [])]))
        dictionary = [name for name in needed if name in CATEGORY_COLUMNS]
        for _attempt in range(3):
            manifest = self._read_manifest()
            assert manifest is not None
            try:
                tables = self._read_filtered(manifest, lower, upper, needed, dictionary, filters, on_error)
            except ArchiveCorruptError as exc:
                # A writer may have replaced the file between our manifest read and the open: read again.
                if self._read_manifest() != manifest:
                    log.debug("archive changed while reading (%s); retrying", exc)
                    continue
                raise
            break
        else:  # pragma: no cover - three concurrent commits in a row
            raise ArchiveError(f"archive {self.path} kept changing while being read")
        table = pa.concat_tables(tables) if tables else pa.Table.from_batches([], schema=read_schema(needed))
        # Each partition is written sorted by (created, job_id) and months are read in order (unknown last),
        # so the concatenation is already sorted.
        return frame_from_table(table.select(selected))

    def _read_filtered(
        self,
        manifest: Mapping[str, Any],
        lower: pd.Timestamp | None,
        upper: pd.Timestamp | None,
        needed: list[str],
        dictionary: list[str],
        filters: Mapping[str, list[str]],
        on_error: OnError,
    ) -> list[pa.Table]:
        tables, skipped = [], []
        for month in self._months_between(manifest, lower, upper):
            try:
                table = self._read(manifest, month, needed, dictionary)
            except ArchiveCorruptError as exc:
                if on_error == "raise":
                    raise
                skipped.append(str(exc))
                continue
            mask = None
            if lower is not None:
                mask = pc.greater_equal(
                    table.column("created"), pa.scalar(lower, type=pa.timestamp("us", "UTC"))
                )
            if upper is not None:
                below = pc.less(table.column("created"), pa.scalar(upper, type=pa.timestamp("us", "UTC")))
                mask = below if mask is None else pc.and_(mask, below)
            for name, values in filters.items():
                keep = pc.is_in(table.column(name), value_set=pa.array(values, type=pa.string()))
                mask = keep if mask is None else pc.and_(mask, keep)
            # A month inside the range keeps every row: skip the copy a filter would make.
            keep_all = mask is None or (mask.null_count == 0 and pc.all(mask).as_py())
            tables.append(table if keep_all else table.filter(mask))
        if skipped:
            warnings.warn(
                ArchiveCorruptWarning(
                    f"skipped {len(skipped)} unreadable archive partition file(s): " + "; ".join(skipped)
                ),
                stacklevel=4,
            )
        return tables

    # ----------------------------------------------------------------------------------------- writing

    def upsert(self, df: pd.DataFrame) -> SyncStats:
        """Merge a ``jobs_frame`` result that carries a ``raw`` column (each record's JSON) into the archive.

        Merge rules per ``job_id``: terminal beats Running; among equals the newer ``observed_at`` wins; a
        record identical to the archived terminal one is a no-op; ``first_seen``/``last_seen`` widen. Only
        partitions whose rows change are rewritten. Prefer :meth:`upsert_records`, which builds ``raw``.
        """
        return self._apply(table_from_frame(df))

    def upsert_records(
        self,
        records: Any,
        *,
        observed_at: datetime | str | None = None,
        region: str | None = None,
        project_id: str | None = None,
        errors: Literal["warn", "raise", "ignore"] = "warn",
    ) -> SyncStats:
        """Merge job records (either API shape, as received) into the archive; see :meth:`upsert`.

        ``observed_at`` (when they were read; default now), ``region`` and ``project_id`` are passed to
        ``jobs_frame`` and apply to records that lack those keys.
        """
        return self._apply(
            table_from_records(
                records, observed_at=observed_at, region=region, project_id=project_id, errors=errors
            )
        )

    def _apply(self, incoming: pa.Table, *, sync_entry: dict[str, Any] | None = None) -> SyncStats:
        with self._writing():
            manifest = self._manifest_for_write()
            stats, written = self._merge_into(manifest, reduce_by_job(incoming))
            if written or sync_entry is not None or not self.exists:
                self._commit(manifest, written, sync_entry)
        log.info("archive %s: %s", self.path, str(stats).replace("\n", "; "))
        return stats

    def _stored_for(self, manifest: Mapping[str, Any], incoming: pa.Table) -> tuple[pa.Table, np.ndarray]:
        """Archived rows that may hold the incoming jobs, with the month each came from.

        A job's ``created`` never changes, so it is looked up in the partition of its month, and in
        ``month=unknown`` (where it sat if its ``created`` was unparseable before). Only a record whose own
        ``created`` is unknown makes every other partition be searched, by its ``job_id`` column alone.
        """
        existing = manifest["partitions"]
        if incoming.num_rows == 0:
            return self._read_whole(manifest, [])
        months = set(month_keys(incoming.column("created")))
        touched = sorted((months | {UNKNOWN_MONTH}) & set(existing))
        if UNKNOWN_MONTH in months:
            for month in sorted(set(existing) - set(touched)):
                ids = self._read(manifest, month, ["job_id"]).column("job_id")
                if pc.any(pc.is_in(ids, value_set=incoming.column("job_id"))).as_py():
                    touched.append(month)
        return self._read_whole(manifest, touched)

    def _read_whole(self, manifest: Mapping[str, Any], months: Sequence[str]) -> tuple[pa.Table, np.ndarray]:
        """The full rows of ``months``' partitions, and the month each row came from."""
        tables = [self._read(manifest, month).cast(ARCHIVE_SCHEMA) for month in months]
        origin = [np.full(t.num_rows, month, dtype=object) for month, t in zip(months, tables, strict=True)]
        rows = pa.concat_tables([empty_table(), *tables])
        return rows, np.concatenate([np.empty(0, dtype=object), *origin])

    def _merge_into(
        self, manifest: Mapping[str, Any], incoming: pa.Table
    ) -> tuple[SyncStats, dict[str, tuple[str, int] | None]]:
        stored, origin = self._stored_for(manifest, incoming)
        repaired: set[str] = set()
        if pc.count_distinct(stored.column("job_id")).as_py() != stored.num_rows:
            # Cannot arise from this code's commits; tolerate it (e.g. partitions copied in by hand).
            keep, first, last = winners(stored)
            repaired = set(origin)
            stored, origin = with_seen(stored.take(pa.array(keep)), first, last), origin[keep]
        outcome = merge(stored, incoming)
        stats = SyncStats(
            new=outcome.new,
            updated=outcome.updated,
            unchanged=outcome.unchanged,
            still_running=outcome.still_running,
        )
        remove = np.zeros(stored.num_rows, dtype=bool)
        remove[outcome.replaced] = True
        new_months = month_keys(outcome.rows.column("created"))
        dirty = set(new_months) | set(origin[outcome.replaced]) | repaired
        written: dict[str, tuple[str, int] | None] = {}
        for month in sorted(dirty):
            keep = stored.filter(pa.array((origin == month) & ~remove))
            add = outcome.rows.filter(pa.array(new_months == month))
            content = _sorted_rows(pa.concat_tables([keep, add]))
            written[month] = self._write_partition(month, content) if content.num_rows else None
        stats.partitions_written = sum(entry is not None for entry in written.values())
        return stats, written

    def _write_partition(self, month: str, table: pa.Table) -> tuple[str, int]:
        directory = self.path / f"month={month}"
        directory.mkdir(exist_ok=True)
        name = f"part-{uuid.uuid4().hex[:16]}.parquet"
        _write_partition_file(table.replace_schema_metadata(ARCHIVE_SCHEMA.metadata), directory / name)
        return f"{directory.name}/{name}", table.num_rows

    def rebuild(self) -> SyncStats:
        """Re-derive the normalised columns from ``raw`` with today's ``jobs_frame``; rewrite what changed.

        The repair for a normalisation bug: records are kept as received, so fixing the parser and calling
        ``rebuild()`` fixes the archive. ``updated`` counts rows whose columns changed.
        """
        with self._writing():
            manifest = self._read_manifest()
            assert manifest is not None
            months = sorted(manifest["partitions"])
            before, origin = self._read_whole(manifest, months)
            after = rederive(before)
            changed = _changed_rows(before, after)
            new_months = month_keys(after.column("created"))
            dirty = set(origin[changed]) | set(new_months[changed])
            written: dict[str, tuple[str, int] | None] = {}
            for month in sorted(dirty):
                content = _sorted_rows(after.filter(pa.array(new_months == month)))
                written[month] = self._write_partition(month, content) if content.num_rows else None
            stats = SyncStats(
                updated=int(changed.sum()),
                unchanged=int((~changed).sum()),
                still_running=int((~terminal_mask(after)).sum()),
                partitions_written=sum(entry is not None for entry in written.values()),
            )
            if written:
                self._commit(manifest, written)
        log.info("archive %s rebuilt from raw: %s", self.path, str(stats).replace("\n", "; "))
        return stats

    def _replace_all(self, table: pa.Table, manifest: dict[str, Any]) -> None:
        """Write ``table`` as the whole archive (migrations): commit, then drop every old partition."""
        months = month_keys(table.column("created"))
        written: dict[str, tuple[str, int] | None] = {month: None for month in manifest.get("partitions", {})}
        for month in sorted(set(months)):
            written[month] = self._write_partition(
                month, _sorted_rows(table.filter(pa.array(months == month)))
            )
        self._commit(manifest, written)

    def nonterminal_jobs(self, region: str | None, project_id: str) -> pd.DataFrame:
        """``job_id``/``status``/``created`` of this target's jobs that the archive holds as not terminal."""
        columns = ["job_id", "status", "created"]
        if not self.exists:
            return frame_from_table(empty_table().select(columns))
        frame = self.load(columns=[*columns, "region", "project_id"])
        same_region = frame["region"].isna() if region is None else frame["region"] == region
        keep = same_region & (frame["project_id"] == project_id) & ~frame["status"].isin(TERMINAL_STATUSES)
        return frame.loc[keep.fillna(False).astype(bool), columns].reset_index(drop=True)
