"""One write to the archive: stage files, commit the manifest, finish; and recovery from an interrupted one.

A transaction ``tx`` writes each changed partition under a hidden staged name (:func:`stage`), then replaces
the manifest (:func:`commit`: the rename is the commit; the new manifest lists the staged files as
``pending``), then renames them into place and deletes the files they supersede (:func:`finish`). The next
writer (:func:`recover`) finishes a committed transaction, deletes what an uncommitted one left (files whose
names carry a transaction id and that no manifest lists), and refuses to write when the manifest disagrees
with the part files on disk: a damaged manifest must never lead to deleting data. A committed transaction
is finished only when its files are the ones it recorded (:func:`pending_problems`). Nothing is ever
written or deleted through a symbolic link found inside the archive.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa

from ._errors import ArchiveCorruptError, ArchiveError
from ._files import (
    QUARANTINE,
    FileDigest,
    final_name,
    fsync_directory,
    is_leftover,
    is_part_file,
    named_os_error,
    new_transaction,
    real_directory,
    staged_name,
    write_staged_partition,
)
from ._manifest import (
    MANIFEST,
    Written,
    committed_manifest,
    finished_manifest,
    manifest_files,
    new_manifest,
    read_manifest,
    repair_hint,
    write_manifest,
)
from ._marker import MARKER, ensure_marker
from ._pending import pending_problems
from ._schema import ARCHIVE_SCHEMA

__all__ = ["commit", "disk_problems", "drop_leftovers", "finish", "link_problems", "recover", "stage"]

log = logging.getLogger("ddsjobs_analytics.archive")


def _is_plain_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def link_problems(root: Path) -> list[str]:
    """Symbolic links (or other non-files) where the archive keeps its own files and folders."""
    problems = []
    for name in (MANIFEST, MARKER):
        path = root / name
        if os.path.lexists(path) and not _is_plain_file(path):
            problems.append(f"{name} is not a plain file (a symbolic link?); the archive never follows one")
    for directory in sorted(root.glob("month=*")):
        if not real_directory(directory):
            if directory.is_symlink():
                problems.append(f"{directory.name} is a symbolic link; the archive never follows one")
            continue
        for entry in sorted(directory.iterdir()):
            if is_part_file(entry.name) and not _is_plain_file(entry):
                problems.append(f"{directory.name}/{entry.name} is not a plain file (a symbolic link?)")
    return problems


def disk_problems(root: Path, manifest: Mapping[str, Any]) -> list[str]:
    """How the files on disk disagree with ``manifest``: unlisted part files, listed files missing, links."""
    pending = manifest.get("pending") or {}
    accounted = manifest_files(manifest)
    on_disk = {
        f"{directory.name}/{entry.name}"
        for directory in root.glob("month=*")
        if real_directory(directory)
        for entry in directory.iterdir()
        if is_part_file(entry.name)
    }
    problems = link_problems(root)
    problems += [f"{name} is on disk but not in {MANIFEST}" for name in sorted(on_disk - accounted)]
    staged = set(pending.get("staged", []))
    for part in manifest["partitions"].values():
        name = part["file"]
        if name not in on_disk and not (name in staged and (root / staged_name(name)).exists()):
            problems.append(f"{name} is listed in {MANIFEST} but missing")
    return problems


def recover(root: Path) -> dict[str, Any]:
    """Under the lock: finish a committed transaction, drop uncommitted leftovers, check the files."""
    manifest = read_manifest(root, missing_ok=True)
    if manifest is None:
        _check_fresh(root)
        drop_leftovers(root)
        ensure_marker(root)
        return new_manifest()
    problems = link_problems(root)
    if not problems and manifest.get("pending"):
        problems = pending_problems(root, manifest)
        if problems:
            problems.insert(0, "its last transaction does not match its files")
        else:
            manifest = finish(root, manifest)
    if not problems:
        drop_leftovers(root)
        ensure_marker(root)
        problems = disk_problems(root, manifest)
    if problems:
        shown = "; ".join(problems[:3]) + (f"; … (+{len(problems) - 3})" if len(problems) > 3 else "")
        raise ArchiveCorruptError(
            f"archive {root}: the manifest disagrees with the files on disk ({shown}); nothing was "
            f"written or deleted; {repair_hint(root)}",
            path=root / MANIFEST,
        )
    return manifest


def _check_fresh(root: Path) -> None:
    """No manifest: the directory may hold only the archive's own leftovers (an interrupted first sync)."""
    for entry in root.iterdir():
        if entry.is_symlink():
            pass  # never looked through: foreign
        elif entry.name == QUARANTINE or is_leftover(entry.name, top=True) or entry.name == MARKER:
            continue
        elif entry.is_dir() and entry.name.startswith("month="):
            parts = [child.name for child in entry.iterdir() if is_part_file(child.name)]
            if parts:
                raise ArchiveCorruptError(
                    f"{root} holds partition files ({entry.name}/{parts[0]}, …) but no {MANIFEST}; "
                    f"nothing was written; {repair_hint(root)}",
                    path=root / MANIFEST,
                )
            if all(is_leftover(child.name, top=False) for child in entry.iterdir()):
                continue
        raise ArchiveError(
            f"{root} is not empty and is not a job archive (no {MANIFEST}; found {entry.name!r}); "
            "refusing to write into it"
        )


def drop_leftovers(root: Path) -> None:
    """Delete what interrupted, uncommitted transactions left (recognised by name; the caller holds the
    lock and has finished any committed transaction, so no staged file is still wanted)."""
    for entry in [*root.glob(f".{MANIFEST}.*.tmp"), *root.glob(f".{MARKER}.*.tmp")]:
        if _is_plain_file(entry):
            entry.unlink(missing_ok=True)
    for directory in root.glob("month=*"):
        if not real_directory(directory):
            continue
        for entry in directory.iterdir():
            if is_leftover(entry.name, top=False) and _is_plain_file(entry):
                log.info("archive %s: removing %s, left by an interrupted write", root, entry)
                entry.unlink(missing_ok=True)
        if not any(directory.iterdir()):
            directory.rmdir()


def stage(
    root: Path, contents: Mapping[str, pa.Table], tx: str
) -> dict[str, tuple[str, int, FileDigest] | None]:
    """Write each month's rows, sorted, under staged names of transaction ``tx``; None: the month is empty."""
    written: dict[str, tuple[str, int, FileDigest] | None] = {}
    for number, (month, table) in enumerate(sorted(contents.items())):
        if not table.num_rows:
            written[month] = None
            continue
        name = final_name(month, tx, number)
        rows = table.sort_by([("created", "ascending"), ("job_id", "ascending")])
        rows = rows.replace_schema_metadata(ARCHIVE_SCHEMA.metadata)
        written[month] = (name, rows.num_rows, write_staged_partition(root, name, rows))
    return written


def commit(
    root: Path,
    manifest: Mapping[str, Any],
    written: Written,
    sync_entry: Mapping[str, Any] | None,
    tx: str,
    *,
    retire: Iterable[str] = (),
    holes: list[dict[str, Any]] | None = None,
) -> None:
    updated = committed_manifest(manifest, written, sync_entry, tx, retire=retire, holes=holes)
    write_manifest(root, updated, tx)  # the commit
    finish(root, updated)


def finish(root: Path, manifest: Mapping[str, Any]) -> dict[str, Any]:
    """Rename a committed transaction's staged files into place, delete what it superseded."""
    pending = manifest["pending"]
    current = {part["file"] for part in manifest["partitions"].values()}
    directories = set()
    for name in pending.get("staged", []):
        final, staged = root / name, root / staged_name(name)
        if staged.exists():
            try:
                os.replace(staged, final)
            except OSError as exc:
                raise named_os_error(exc, final) from exc
        directories.add(final.parent)
    for directory in directories:
        fsync_directory(directory)
    for name in pending.get("superseded", []):
        if name not in current:  # never a file the manifest still uses, whatever it says
            (root / name).unlink(missing_ok=True)
            directory = (root / name).parent
            if directory.is_dir() and not any(directory.iterdir()):
                directory.rmdir()
    finished = finished_manifest(manifest)
    # A fresh temp name: a crash may have left the transaction's own temp behind (dropped afterwards).
    write_manifest(root, finished, new_transaction(), durable=False)
    return finished
