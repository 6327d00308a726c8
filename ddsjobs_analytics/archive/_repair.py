"""Recovery tools: ``verify`` (report integrity problems, change nothing) and the reading half of ``repair``.

``verify`` checks the manifest's sanity, each listed file's size and sha256, Parquet page checksums, row
counts, that every row sits in its month, that no job is stored twice, that every ``part-*.parquet`` on
disk is accounted for, that no transaction is left unfinished, that nothing is a symbolic link, and reports
the windows of jobs an earlier repair lost. It reads only (never through a link, never a FIFO) and writes
nothing. ``repair`` (in :class:`JobArchive`) reads every part file it can with :func:`inspect`, salvages
the intact row groups of damaged ones, moves the originals to ``_quarantine/`` with :func:`quarantine`,
records what was lost as holes, and rewrites the archive.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .._core._time import utcnow
from ._errors import ArchiveCorruptError, ArchiveError
from ._files import QUARANTINE, is_leftover, is_part_file, read_parquet, real_directory, staged_name
from ._inventory import inventory_problems
from ._manifest import MANIFEST, holes_of, manifest_files, partition_digest, read_manifest
from ._marker import require_archive
from ._pending import pending_problems
from ._salvage import describe_hole, salvage
from ._schema import ARCHIVE_SCHEMA, SCHEMA_VERSION, month_keys
from ._transaction import link_problems

__all__ = ["Found", "VerifyReport", "inspect", "quarantine", "syncs_from_rows", "verify_archive"]

log = logging.getLogger("ddsjobs_analytics.archive")

# A high-water mark rebuilt from rows ignores `created` values this far past now (clock skew).
_SKEW = pd.Timedelta(days=1)


@dataclass
class VerifyReport:
    """What :meth:`JobArchive.verify` found: ``problems`` (integrity) and ``notes`` (harmless)."""

    path: Path
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    files_checked: int = 0
    rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def __str__(self) -> str:
        head = f"archive {self.path}: {self.rows:,} jobs in {self.files_checked} file(s) checked; "
        head += "OK" if self.ok else f"{len(self.problems)} problem(s)"
        lines = [
            head,
            *(f"problem: {text}" for text in self.problems),
            *(f"note: {text}" for text in self.notes),
        ]
        return "\n".join(lines)


def _disk_files(root: Path) -> tuple[set[str], list[str], list[str]]:
    """(part files, the archive's own leftovers, foreign entries) under ``month=*`` directories; a linked
    month directory or part file is foreign (never looked through)."""
    parts, leftovers, foreign = set(), [], []
    for directory in sorted(root.glob("month=*")):
        if directory.is_symlink():
            foreign.append(directory.name)
        if not real_directory(directory):
            continue
        for entry in sorted(directory.iterdir()):
            name = f"{directory.name}/{entry.name}"
            if entry.is_symlink() or (is_part_file(entry.name) and not entry.is_file()):
                foreign.append(name)
            elif is_part_file(entry.name):
                parts.add(name)
            elif is_leftover(entry.name, top=False):
                leftovers.append(name)
            else:
                foreign.append(name)
    return parts, leftovers, foreign


def _manifest_or_problem(root: Path, report: VerifyReport) -> dict[str, Any] | None:
    if not os.path.lexists(root / MANIFEST):
        report.problems.append(f"no {MANIFEST}: the manifest is missing (repair rebuilds it from the files)")
        return None
    try:
        manifest = read_manifest(root)
    except ArchiveCorruptError as exc:
        report.problems.append(f"manifest unreadable: {exc} (repair rebuilds it from the files)")
        return None
    if manifest is not None and manifest["schema_version"] < SCHEMA_VERSION:
        report.notes.append(f"schema {manifest['schema_version']}: opening the archive migrates it")
        return None
    return manifest


def _check_table(name: str, table: pa.Table, month: str | None, rows: int | None) -> list[str]:
    problems = []
    missing = [column for column in ARCHIVE_SCHEMA.names if column not in table.column_names]
    if missing:
        return [f"{name} lacks columns {missing}"]
    if rows is not None and table.num_rows != rows:
        problems.append(f"{name} holds {table.num_rows:,} rows, the manifest says {rows:,}")
    if month is not None and table.num_rows:
        stray = int((month_keys(table.column("created")) != month).sum())
        if stray:
            problems.append(f"{name}: {stray:,} row(s) created outside month {month}")
    return problems


def verify_archive(root: Path) -> VerifyReport:
    """Check the archive at ``root`` without changing anything (see the module docstring).

    Raises :class:`ArchiveNotFoundError` when ``root`` is not a job archive (no marker)."""
    require_archive(root, "verify")
    report = VerifyReport(root)
    parts, leftovers, foreign = _disk_files(root)
    links = link_problems(root)
    report.problems += links
    report.problems += [
        f"{name} is not a file this archive writes"
        for name in foreign
        if not any(problem.startswith(name) for problem in links)
    ]
    if leftovers:
        report.notes.append(
            f"{len(leftovers)} file(s) left by an interrupted write (the next write removes them)"
        )
    if (root / QUARANTINE).exists():
        report.notes.append(f"{QUARANTINE}/ holds files an earlier repair set aside")
    manifest = _manifest_or_problem(root, report)
    if manifest is None:
        if parts:
            report.notes.append(f"{len(parts)} part file(s) on disk")
        return report
    pending = manifest.get("pending")
    if pending:
        mismatch = [] if links else pending_problems(root, manifest)
        report.problems.append(
            f"transaction {pending.get('tx')} is committed but unfinished"
            + (
                f" and does not match its files ({'; '.join(mismatch[:3])}): nothing may finish it"
                if mismatch
                else ""
            )
            + "; run `ddsjobs archive repair`"
        )
    report.problems += [describe_hole(hole) + _refetchable(hole) for hole in holes_of(manifest)]
    ids = []
    for month, entry in sorted(manifest["partitions"].items()):
        name = entry["file"]
        path = root / name
        if not os.path.lexists(path) and pending and name in pending.get("staged", []):
            path = root / staged_name(name)
        if not os.path.lexists(path):
            report.problems.append(f"{name} is listed in {MANIFEST} but missing")
            continue
        expected = partition_digest(entry)
        if expected is None:
            report.notes.append(f"{name} predates checksums (page checksums and row counts checked only)")
        try:
            table = read_parquet(path, None, (), expected)
        except ArchiveCorruptError as exc:
            report.problems.append(str(exc))
            continue
        report.files_checked += 1
        report.rows += table.num_rows
        report.problems += _check_table(name, table, month, int(entry["rows"]))
        if "job_id" in table.column_names:
            ids.append(np.asarray(table.column("job_id").to_numpy(zero_copy_only=False), dtype=object))
    all_ids = np.concatenate([np.empty(0, dtype=object), *ids])
    duplicated = len(all_ids) - len(set(all_ids.tolist()))
    if duplicated:
        report.problems.append(f"{duplicated:,} job(s) are stored more than once")
    report.problems += [
        f"{name} is on disk but not in {MANIFEST} (damaged manifest, or restored by hand)"
        for name in sorted(parts - manifest_files(manifest))
    ]
    report.problems += inventory_problems(root)  # the instance history of issue 19 (_inventory/)
    return report


def _refetchable(hole: dict[str, Any]) -> str:
    if hole.get("end") is None:
        return "; they cannot be fetched again"
    horizon = utcnow() - pd.Timedelta(days=30)
    if pd.Timestamp(hole["end"]) > horizon:
        return "; the next `ddsjobs sync` fetches them again (the task center still keeps that window)"
    return "; the task center no longer keeps that window: they are lost"


@dataclass
class Found:
    """What :func:`inspect` read: the manifest (if readable), every intact part file, the rows salvaged from
    damaged ones, the files to set aside, and the windows of jobs lost (holes)."""

    manifest: dict[str, Any] | None
    tables: dict[str, pa.Table]
    bad_files: list[str]
    report: VerifyReport
    salvaged: list[pa.Table] = field(default_factory=list)
    holes: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> str:
        rows = sum(table.num_rows for table in self.tables.values())
        text = f"{rows:,} rows read from {len(self.tables)} file(s), "
        if self.salvaged or self.holes:
            rescued = sum(table.num_rows for table in self.salvaged)
            lost = sum(hole["jobs"] or 0 for hole in self.holes)
            text += f"{rescued:,} rows salvaged from damaged files, "
            text += f"{lost:,} job(s) lost in {len(self.holes)} window(s), "
        return text + f"{len(self.bad_files)} file(s) moved to {QUARANTINE}/"


def _month_of(name: str) -> str:
    return name.partition("/")[0].removeprefix("month=")


def inspect(root: Path) -> Found:
    """Read every part file under ``root`` that is intact, salvage the intact row groups of the others,
    and list what to set aside (for :func:`quarantine`) and the holes the damage leaves."""
    report = verify_archive(root)
    try:
        manifest = read_manifest(root, missing_ok=True)
    except ArchiveCorruptError:
        manifest = None
    listed: dict[str, tuple[str, Mapping[str, Any]]] = {}
    targets: list[tuple[Any, Any]] | None = None
    pending: Mapping[str, Any] = {}
    if manifest is not None and manifest["schema_version"] == SCHEMA_VERSION:
        listed = {entry["file"]: (month, entry) for month, entry in manifest["partitions"].items()}
        targets = [(s.get("region"), s.get("project_id")) for s in manifest["syncs"]] or None
        pending = manifest.get("pending") or {}
    parts, _, foreign = _disk_files(root)
    found = Found(manifest, {}, list(foreign), report)
    for name in sorted(parts):
        month, entry = listed.get(name, (_month_of(name), None))
        try:
            table = read_parquet(root / name, None, (), None if entry is None else partition_digest(entry))
            found.tables[name] = table.select(ARCHIVE_SCHEMA.names).cast(ARCHIVE_SCHEMA)
        except (ArchiveCorruptError, KeyError, pa.ArrowException) as exc:
            log.warning("archive %s: %s is damaged, salvaging its intact row groups (%s)", root, name, exc)
            rows = None if entry is None else int(entry["rows"])
            table, holes = salvage(root / name, name, month, rows, targets)
            found.salvaged.append(table)
            found.holes += holes
            found.bad_files.append(name)
    for name, (month, entry) in sorted(listed.items()):
        if name in parts:
            continue
        # Listed but not on disk: still under its staged name (an unfinished transaction), or lost.
        staged = root / staged_name(name)
        try:
            if name not in pending.get("staged", []):
                raise FileNotFoundError(staged)
            table = read_parquet(staged, None, (), partition_digest(entry))
            found.salvaged.append(table.select(ARCHIVE_SCHEMA.names).cast(ARCHIVE_SCHEMA))
        except (OSError, ArchiveCorruptError, KeyError, pa.ArrowException):
            found.holes += salvage(None, name, month, int(entry["rows"]), targets)[1]
    if os.path.lexists(root / MANIFEST) and (manifest is None or (root / MANIFEST).is_symlink()):
        found.bad_files.append(MANIFEST)  # kept for inspection; repair writes a new one
    return found


def quarantine(root: Path, names: list[str]) -> list[Path]:
    """Move ``names`` (relative to ``root``) into ``_quarantine/<time>-<id>/``, renamed so no glob reads
    them. A name that is a symbolic link is moved as the link: its target is never touched."""
    if not names:
        return []
    base = root / QUARANTINE
    if os.path.lexists(base) and not real_directory(base):
        raise ArchiveError(f"{base} is not a plain directory (a symbolic link?); nothing was moved")
    folder = base / f"{utcnow().strftime('%Y%m%dT%H%M%SZ')}-{uuid.uuid4().hex[:6]}"
    moved = []
    for name in names:
        target = folder / f"{name}.quarantined"
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(root / name, target)
        log.warning("archive %s: moved %s to %s", root, name, target)
        moved.append(target)
    return moved


def syncs_from_rows(table: pa.Table) -> list[dict[str, Any]]:
    """High-water marks rebuilt from the rows (when the manifest that held them is lost)."""
    if table.num_rows == 0:
        return []
    limit = pa.scalar(
        (np.datetime64(utcnow().as_unit("us").to_datetime64()) + _SKEW), pa.timestamp("us", "UTC")
    )
    plausible = table.filter(pc.fill_null(pc.less_equal(table.column("created"), limit), False))
    grouped = plausible.group_by(["region", "project_id"]).aggregate([("created", "max")])
    return [
        {
            "region": row["region"],
            "project_id": row["project_id"],
            "max_created": row["created_max"].isoformat(),
            "listed_until": row["created_max"].isoformat(),
        }
        for row in grouped.to_pylist()
        if row["project_id"] is not None
    ]
