"""``JobArchive``: a local, month-partitioned Parquet dataset of job records that only ever gets better.

Layout (schema 2)::

    PATH/_archive.json                       manifest: partitions → file, rows, bytes, sha256; sync marks
    PATH/month=2026-11/part-<tx>-<n>.parquet one zstd file per month of ``created`` (UTC)
    PATH/month=unknown/part-<tx>-<n>.parquet rows whose ``created`` could not be parsed (never dropped)
    PATH/.lock                               present while a writer works

A write is a transaction with an id (``tx``): changed partitions are written under hidden staged names
(fsynced), then the manifest naming their final names replaces the old one atomically — that rename is the
commit — and the staged files are renamed into place and the superseded ones deleted. A crash before the
commit leaves the previous archive; after it, the next open or write finishes the transaction.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .._core._names import TERMINAL_STATUSES
from .._core._time import Moment
from .._frame import with_instances as join_instances
from ._errors import ArchiveCorruptError, ArchiveError, ArchiveLockedError
from ._files import FileDigest, new_transaction, read_parquet, staged_name
from ._inventory import InstanceHistory, quarantine_inventory
from ._load import OnError, load_tables
from ._lock import ArchiveLock
from ._manifest import MANIFEST, holes_of, new_manifest, partition_digest, read_manifest, repair_hint
from ._marker import ensure_marker, require_archive
from ._merge import all_distinct, merge, reduce_by_job, terminal_mask, winners, with_seen
from ._migrate import migrate
from ._months import concat, month_codes, split_by_month
from ._pending import pending_problems
from ._records import changed_rows, ordered_batch, reassemble, rederive
from ._repair import VerifyReport, inspect, quarantine, syncs_from_rows, verify_archive
from ._schema import (
    ARCHIVE_SCHEMA,
    SCHEMA_VERSION,
    UNKNOWN_MONTH,
    empty_table,
    frame_from_table,
    month_index,
    month_keys,
    table_from_frame,
)
from ._stats import SyncStats
from ._transaction import commit, disk_problems, drop_leftovers, finish, link_problems, recover, stage

__all__ = ["JobArchive"]

log = logging.getLogger("ddsjobs_analytics.archive")


class JobArchive:
    """A local archive of DDS task-center jobs: one row per job, each with the record as received.

    ``JobArchive(path)`` opens (or, on the first write, creates) the archive at ``path``. Opening an archive
    written with an older schema migrates it (logged); a newer one is refused with
    :class:`ArchiveVersionError`. Writers (``upsert``, ``upsert_records``, ``rebuild``, :func:`sync`,
    ``repair``) hold ``PATH/.lock``; a second writer gets :class:`ArchiveLockedError` naming the holder.
    Readers need no lock. ``verify()`` reports integrity problems; ``repair()`` fixes what it can. Opening
    finishes a committed transaction only when its files are the ones it recorded.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).expanduser()
        self._lock = ArchiveLock(self.path)
        try:
            manifest = read_manifest(self.path, missing_ok=True)
        except ArchiveCorruptError:  # raised again on use; verify() and repair() still work
            return
        if manifest is not None and manifest["schema_version"] < SCHEMA_VERSION:
            with self.locked():
                migrate(self.path, self._replace_all)
        elif manifest is not None and manifest.get("pending"):
            try:  # finish an interrupted commit, so that globbing readers see it too
                with self.locked():
                    recover(self.path)
            except (ArchiveLockedError, ArchiveCorruptError, OSError) as exc:
                log.debug("archive %s: not finishing its last transaction now (%s)", self.path, exc)

    def __repr__(self) -> str:
        try:
            manifest = read_manifest(self.path, missing_ok=True)
        except ArchiveError:  # a repr never raises: say what verify() would explain
            return f"JobArchive({str(self.path)!r}, manifest unreadable)"
        if manifest is None:
            return f"JobArchive({str(self.path)!r}, empty)"
        parts = manifest["partitions"]
        return f"JobArchive({str(self.path)!r}, {len(self):,} jobs in {len(parts)} partitions)"

    def __len__(self) -> int:
        manifest = read_manifest(self.path, missing_ok=True)
        return 0 if manifest is None else sum(int(p["rows"]) for p in manifest["partitions"].values())

    @property
    def exists(self) -> bool:
        return (self.path / MANIFEST).is_file()

    def holes(self) -> list[dict[str, Any]]:
        """Windows of jobs a ``repair`` could not salvage (``month``, ``start``, ``end``, ``jobs``, ``file``);
        :func:`sync` lists each again while the task center still keeps it, then drops it."""
        manifest = read_manifest(self.path, missing_ok=True)
        return [] if manifest is None else holes_of(manifest)

    def partitions(self) -> dict[str, int]:
        """Month (``"YYYY-MM"`` or ``"unknown"``) → number of jobs, in month order."""
        manifest = read_manifest(self.path, missing_ok=True)
        if manifest is None:
            return {}
        return {month: int(part["rows"]) for month, part in sorted(manifest["partitions"].items())}

    def sync_state(self, region: str | None, project_id: str) -> dict[str, Any] | None:
        """The last sync's marks for (region, project): ``max_created``, ``listed_until``, ``last_sync``."""
        manifest = read_manifest(self.path, missing_ok=True)
        for entry in [] if manifest is None else manifest["syncs"]:
            if entry.get("region") == region and entry.get("project_id") == project_id:
                return dict(entry)
        return None

    @contextmanager
    def locked(self) -> Iterator[JobArchive]:
        """Hold the writer lock across several calls (re-entrant in this thread); :func:`sync` uses it."""
        self.path.mkdir(parents=True, exist_ok=True)
        with self._lock:
            yield self

    # ----------------------------------------------------------------------------------------- reading

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
        with_instances: bool = False,
    ) -> pd.DataFrame:
        """Jobs created in ``[start, end)`` as a frame with the contract dtypes (plus first/last seen).

        ``start``/``end``: datetimes, ISO strings (naive = UTC) or ages (``"90d"``). Only the month partitions
        the range overlaps are opened; a range excludes jobs whose ``created`` is unknown, no range includes
        them. Filters take one value or several. ``columns`` selects columns (``raw``, the record JSON, only
        when asked for). Every file read is checked against the manifest's size and sha256. A damaged file,
        or a manifest that disagrees with the files on disk, raises :class:`ArchiveCorruptError`;
        ``on_error="warn"`` skips such files with a counted :class:`ArchiveCorruptWarning` instead.
        ``with_instances=True`` joins the stored inventory history as of each job's time (``with_instances``).
        """
        filters = {"status": status, "job_type": job_type, "region": region, "instance_id": instance_id}
        table = load_tables(
            self.path,
            self._read,
            lambda manifest: disk_problems(self.path, manifest),
            start,
            end,
            columns,
            filters,
            on_error,
        )
        frame = frame_from_table(table)
        return join_instances(frame, InstanceHistory(self.path).snapshots()) if with_instances else frame

    def _read(
        self,
        manifest: Mapping[str, Any],
        month: str,
        columns: Sequence[str] | None = None,
        dictionary: Sequence[str] = (),
    ) -> pa.Table:
        entry = manifest["partitions"][month]
        path = self.path / entry["file"]
        try:
            try:
                table = read_parquet(path, columns, dictionary, partition_digest(entry))
            except FileNotFoundError:
                # Committed, but its transaction has not renamed it into place yet.
                table = read_parquet(
                    self.path / staged_name(entry["file"]), columns, dictionary, partition_digest(entry)
                )
        except FileNotFoundError as exc:
            raise ArchiveCorruptError(
                f"archive partition file {path} (listed in {MANIFEST}) is missing; {repair_hint(self.path)}",
                path=path,
            ) from exc
        wanted = list(columns) if columns is not None else list(ARCHIVE_SCHEMA.names)
        missing = [name for name in wanted if name not in table.column_names]
        if missing:
            raise ArchiveCorruptError(f"archive partition file {path} lacks columns {missing}", path=path)
        return table.select(wanted)

    def verify(self) -> VerifyReport:
        """Check the archive without changing anything: manifest sanity, every file's size and sha256, page
        checksums, row counts and months, duplicate jobs, files on disk the manifest does not account for,
        an unfinished transaction, symbolic links, and the windows of jobs lost by an earlier repair.
        Raises :class:`ArchiveNotFoundError` (touching nothing) where there is no archive."""
        return verify_archive(self.path)

    # ----------------------------------------------------------------------------------------- writing

    def upsert(self, df: pd.DataFrame) -> SyncStats:
        """Merge a ``jobs_frame`` result that carries a ``raw`` column (each record's JSON) into the archive.

        Merge rules per ``job_id``: terminal beats Running; among equals the newer ``observed_at`` wins; a
        record with the same facts as the archived one is a no-op; ``first_seen``/``last_seen`` widen. Only
        partitions whose rows change are rewritten. Prefer :meth:`upsert_records`, which builds ``raw``.
        """
        return self.upsert_table(table_from_frame(df))

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
        table, one_per_job = ordered_batch(
            records, observed_at=observed_at, region=region, project_id=project_id, errors=errors
        )
        return self._upsert(table, None, None, one_per_job=one_per_job)

    def upsert_table(self, table: pa.Table, *, sync_state: Mapping[str, Any] | None = None) -> SyncStats:
        """Merge an archive-schema table (``table_from_records``) in one commit; with ``sync_state``
        (``region``, ``project_id``, ``max_created``, ``listed_until``, ``last_sync``), record it too."""
        return self._upsert(table, sync_state, None)

    def _upsert(
        self,
        table: pa.Table,
        sync_state: Mapping[str, Any] | None,
        holes: list[dict[str, Any]] | None,
        *,
        one_per_job: bool = False,
    ) -> SyncStats:
        """:meth:`upsert_table`; ``holes`` (sync): the lost windows that remain after this commit;
        ``one_per_job``: the caller knows every job id in ``table`` is distinct (``ordered_batch``)."""
        with self.locked():
            manifest = recover(self.path)
            tx = new_transaction()
            incoming = table if one_per_job else reduce_by_job(table)
            stats, written = self._merge_into(manifest, incoming, tx)
            if written or sync_state is not None or not self.exists:
                commit(self.path, manifest, written, sync_state, tx, holes=holes)
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
        months = set(month_index(incoming.column("created"))[0])
        touched = sorted((months | {UNKNOWN_MONTH}) & set(existing))
        if UNKNOWN_MONTH in months:
            for month in sorted(set(existing) - set(touched)):
                ids = self._read(manifest, month, ["job_id"]).column("job_id")
                if pc.any(pc.is_in(ids, value_set=incoming.column("job_id"))).as_py():
                    touched.append(month)
        return self._read_whole(manifest, touched)

    def _read_whole(self, manifest: Mapping[str, Any], months: Sequence[str]) -> tuple[pa.Table, np.ndarray]:
        """The full rows of ``months``' partitions, and the month each row came from."""
        tables = [self._read(manifest, month) for month in months]
        origin = [np.full(t.num_rows, month, dtype=object) for month, t in zip(months, tables, strict=True)]
        return reassemble(tables), np.concatenate([np.empty(0, dtype=object), *origin])

    def _merge_into(
        self, manifest: Mapping[str, Any], incoming: pa.Table, tx: str
    ) -> tuple[SyncStats, dict[str, tuple[str, int, FileDigest] | None]]:
        stored, origin = self._stored_for(manifest, incoming)
        repaired: set[str] = set()
        if not all_distinct(stored.column("job_id")):
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
        new_labels, new_index = month_index(outcome.rows.column("created"))
        months = sorted(set(new_labels) | set(origin[outcome.replaced]) | repaired)
        # Stored rows stay in the partition they came from; new rows go to the month of their `created`.
        stored_codes = month_codes(origin, months)
        keep = (stored_codes >= 0) & ~remove
        kept = stored if keep.all() else stored.filter(pa.array(keep))
        new_codes = np.array([months.index(label) for label in new_labels], dtype=np.int32)[new_index]
        codes = np.concatenate([stored_codes[keep], new_codes])
        contents = split_by_month(concat([kept, outcome.rows]), codes, months)
        written = stage(self.path, contents, tx, presorted=True)
        stats.partitions_written = sum(entry is not None for entry in written.values())
        return stats, written

    def rebuild(self) -> SyncStats:
        """Re-derive the normalised columns from ``raw`` with today's ``jobs_frame``; rewrite what changed.

        The repair for a normalisation bug: records are kept as received, so fixing the parser and calling
        ``rebuild()`` fixes the archive. ``updated`` counts rows whose columns changed.
        """
        with self.locked():
            manifest = recover(self.path)
            tx = new_transaction()
            before, origin = self._read_whole(manifest, sorted(manifest["partitions"]))
            after = rederive(before)
            changed = changed_rows(before, after)
            new_months = month_keys(after.column("created"))
            dirty = set(origin[changed]) | set(new_months[changed])
            written = stage(
                self.path, {month: after.filter(pa.array(new_months == month)) for month in dirty}, tx
            )
            stats = SyncStats(
                updated=int(changed.sum()),
                unchanged=int((~changed).sum()),
                still_running=int((~terminal_mask(after)).sum()),
                partitions_written=sum(entry is not None for entry in written.values()),
            )
            if written:
                commit(self.path, manifest, written, None, tx)
        log.info("archive %s rebuilt from raw: %s", self.path, str(stats).replace("\n", "; "))
        return stats

    def _replace_all(self, table: pa.Table, manifest: Mapping[str, Any], retire: Iterable[str] = ()) -> None:
        """Write ``table`` as the whole archive (migration, repair): commit, then drop every old partition."""
        tx = new_transaction()
        months = month_keys(table.column("created"))
        contents = {month: table.filter(pa.array(months == month)) for month in set(months)}
        contents.update({month: empty_table() for month in manifest["partitions"] if month not in contents})
        commit(self.path, manifest, stage(self.path, contents, tx), None, tx, retire=retire)

    def repair(self) -> VerifyReport:
        """Rebuild the manifest from the partition files on disk and their raw JSON; returns what was found.

        Acts only on a folder that carries the archive's marker (else :class:`ArchiveNotFoundError`, nothing
        touched). Every readable ``part-*.parquet`` (listed or not) is merged by the merge rules and
        re-derived from ``raw``. Of a file that fails its checksum, every row group whose page checksums
        hold is kept; the original is moved (never deleted) to ``PATH/_quarantine/`` and the windows of
        ``created`` the lost rows covered are recorded as holes (:meth:`holes`), which ``verify`` reports and
        the next :func:`sync` fetches again. An unfinished transaction is finished only when its files match
        it; otherwise its rows are merged like any others. Sync marks are kept from a readable manifest,
        else rebuilt from the rows.
        """
        require_archive(self.path, "repair")
        with self.locked():
            try:
                current = read_manifest(self.path, missing_ok=True)
            except ArchiveCorruptError:
                current = None
            if (
                current is not None
                and current.get("pending")
                and not link_problems(self.path)
                and not pending_problems(self.path, current)
            ):
                finish(self.path, current)
            found = inspect(self.path)
            quarantine(self.path, found.bad_files)
            moved = quarantine_inventory(self.path)
            table = reduce_by_job(rederive(reassemble([*found.tables.values(), *found.salvaged])))
            manifest = new_manifest()
            if found.manifest is not None:
                manifest.update(created=found.manifest.get("created"), syncs=found.manifest.get("syncs", []))
            else:
                manifest["syncs"] = syncs_from_rows(table)
            holes = [*([] if found.manifest is None else holes_of(found.manifest)), *found.holes]
            if holes:
                manifest["holes"] = holes
            manifest["repaired"] = manifest["updated"]
            drop_leftovers(self.path)
            ensure_marker(self.path)
            self._replace_all(table, manifest, retire=sorted(found.tables))
        log.warning("archive %s repaired: %s", self.path, found.summary())
        found.report.notes.append(f"repaired: {found.summary()}, {table.num_rows:,} jobs written")
        found.report.notes += [f"{name} could not be read: moved to _quarantine/" for name in moved]
        return found.report

    def nonterminal_jobs(self, region: str | None, project_id: str) -> pd.DataFrame:
        """``job_id``/``status``/``created`` of this target's jobs that the archive holds as not terminal."""
        columns = ["job_id", "status", "created"]
        if not self.exists:
            return frame_from_table(empty_table().select(columns))
        frame = self.load(columns=[*columns, "region", "project_id"])
        same_region = frame["region"].isna() if region is None else frame["region"] == region
        keep = same_region & (frame["project_id"] == project_id) & ~frame["status"].isin(TERMINAL_STATUSES)
        return frame.loc[keep.fillna(False).astype(bool), columns].reset_index(drop=True)
