"""The manifest ``_archive.json``: which file holds each month, checksums, sync marks, the open transaction.

Replacing the manifest (temp file, fsync, rename) is the archive's commit. A manifest read from disk is
checked before anything trusts it: month keys, file names inside ``month=<key>/`` (never ``..`` or an
absolute path), row counts, checksums. A bad one is an :class:`ArchiveCorruptError` that points at
``ddsjobs archive repair``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .._core._time import utcnow
from ._errors import ArchiveCorruptError, ArchiveNotFoundError, ArchiveVersionError
from ._files import FileDigest, is_part_file, read_regular, write_atomic
from ._marker import FORMAT
from ._schema import SCHEMA_VERSION

__all__ = [
    "FORMAT",
    "MANIFEST",
    "Written",
    "committed_manifest",
    "finished_manifest",
    "holes_of",
    "manifest_files",
    "new_manifest",
    "partition_digest",
    "read_manifest",
    "repair_hint",
    "write_manifest",
]

MANIFEST = "_archive.json"
# A manifest is a few kB per hundred months; anything far larger is not one (and is not read into memory).
MANIFEST_LIMIT = 64 * 2**20
_TX = re.compile(r"^[0-9a-f]{12}$")
_MONTH = re.compile(r"^(\d{4}-\d{2}|unknown)$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")

# month → (file, rows, (bytes, sha256)) of a new partition file, or None: the month is now empty.
Written = Mapping[str, "tuple[str, int, FileDigest] | None"]


def repair_hint(root: Path) -> str:
    return f"run `ddsjobs archive verify --archive {root}`, then `ddsjobs archive repair --archive {root}`"


def _bad(path: Path, what: str) -> ArchiveCorruptError:
    return ArchiveCorruptError(f"archive manifest {path}: {what}; {repair_hint(path.parent)}", path=path)


def _check_file(path: Path, month: str, name: object) -> None:
    if not isinstance(name, str):
        raise _bad(path, f"partition {month!r} names no file ({name!r})")
    directory, _, base = name.partition("/")
    if directory != f"month={month}" or not is_part_file(base):
        raise _bad(path, f"partition {month!r} points at {name!r}, outside month={month}/part-*.parquet")


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _check_pending(path: Path, pending: object) -> None:
    if not isinstance(pending, dict):
        raise _bad(path, "'pending' is not an object")
    if not isinstance(pending.get("tx"), str) or not _TX.match(pending["tx"]):
        raise _bad(path, f"'pending' has a bad transaction id {pending.get('tx')!r}")
    for key in ("staged", "superseded"):
        names = pending.get(key, [])
        if not isinstance(names, list):
            raise _bad(path, f"'pending.{key}' is not a list")
        for name in names:
            month = str(name).partition("/")[0].removeprefix("month=")
            _check_file(path, month if _MONTH.match(month) else "?", name)
    retired = pending.get("retired", {})
    if not isinstance(retired, dict) or not all(
        isinstance(entry, dict) and _is_count(entry.get("bytes")) and _HEX64.match(str(entry.get("sha256")))
        for entry in retired.values()
    ):
        raise _bad(path, "'pending.retired' is not a map of file → bytes, sha256")


def _check_holes(path: Path, holes: object) -> None:
    if not isinstance(holes, list):
        raise _bad(path, "'holes' is not a list")
    for hole in holes:
        if not (
            isinstance(hole, dict)
            and (hole.get("jobs") is None or _is_count(hole.get("jobs")))
            and all(isinstance(hole.get(key), (str, type(None))) for key in ("start", "end", "month"))
            and isinstance(hole.get("targets"), (list, type(None)))
        ):
            raise _bad(path, f"bad entry in 'holes': {str(hole)[:80]!r}")


def _check(path: Path, manifest: dict[str, Any]) -> None:
    partitions = manifest.get("partitions")
    if not isinstance(partitions, dict):
        raise _bad(path, f"'partitions' is {type(partitions).__name__}, not an object")
    for month, entry in partitions.items():
        if not _MONTH.match(str(month)):
            raise _bad(path, f"bad month key {month!r}")
        if not isinstance(entry, dict):
            raise _bad(path, f"partition {month!r} is not an object")
        _check_file(path, month, entry.get("file"))
        rows = entry.get("rows")
        if not _is_count(rows):
            raise _bad(path, f"partition {month!r} has a bad row count {rows!r}")
        if "sha256" in entry and not (
            isinstance(entry["sha256"], str)
            and _HEX64.match(entry["sha256"])
            and _is_count(entry.get("bytes"))
        ):
            raise _bad(path, f"partition {month!r} has a bad checksum")
    syncs = manifest.get("syncs")
    if not isinstance(syncs, list) or not all(isinstance(entry, dict) for entry in syncs):
        raise _bad(path, "'syncs' is not a list of objects")
    if manifest.get("pending") is not None:
        _check_pending(path, manifest["pending"])
    _check_holes(path, manifest.get("holes", []))


def read_manifest(root: Path, *, missing_ok: bool = False) -> dict[str, Any] | None:
    """The checked manifest of the archive at ``root`` (None when absent and ``missing_ok``)."""
    path = root / MANIFEST
    try:
        data = read_regular(path, limit=MANIFEST_LIMIT)
    except FileNotFoundError:
        if missing_ok and not path.is_symlink():
            return None
        if path.is_symlink():
            raise _bad(path, "unreadable (a symbolic link; the archive never follows one)") from None
        if any(root.glob("month=*/part-*.parquet")):
            raise _bad(path, "missing, but partition files are on disk") from None
        raise ArchiveNotFoundError(
            f"no job archive at {root} (no {MANIFEST}); run `ddsjobs sync --archive {root}` first"
        ) from None
    except OSError as exc:
        raise _bad(path, f"unreadable ({exc})") from exc
    try:
        manifest = json.loads(data.decode("utf-8"))
        version = manifest["schema_version"]
    except (ValueError, KeyError, TypeError, IndexError) as exc:  # UnicodeDecodeError is a ValueError
        raise _bad(path, f"unreadable ({type(exc).__name__}: {str(exc)[:120]})") from None
    except RecursionError:
        raise _bad(path, "unreadable (JSON nested too deeply)") from None
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _bad(path, f"bad schema_version {version!r}")
    if version > SCHEMA_VERSION:
        raise ArchiveVersionError(
            f"archive schema {version} is newer than this ddsjobs_analytics supports ({SCHEMA_VERSION}); "
            f"upgrade the package to read {root}"
        )
    if version == SCHEMA_VERSION:
        manifest.setdefault("partitions", {})
        manifest.setdefault("syncs", [])
        _check(path, manifest)
    return dict(manifest)


def new_manifest() -> dict[str, Any]:
    now = utcnow().isoformat()
    return {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "created": now,
        "updated": now,
        "partitions": {},
        "syncs": [],
    }


def partition_digest(entry: Mapping[str, Any]) -> FileDigest | None:
    """(bytes, sha256) recorded for a partition; None for files written before checksums were kept."""
    if "sha256" not in entry:
        return None
    return int(entry["bytes"]), str(entry["sha256"])


def holes_of(manifest: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Windows of jobs that ``repair`` could not salvage (each: month, start, end, jobs, file, targets)."""
    return [dict(hole) for hole in manifest.get("holes", [])]


def manifest_files(manifest: Mapping[str, Any]) -> set[str]:
    """Every file the manifest accounts for: current partitions and those its open transaction retires."""
    pending = manifest.get("pending") or {}
    return {part["file"] for part in manifest["partitions"].values()} | set(pending.get("superseded", []))


def committed_manifest(
    manifest: Mapping[str, Any],
    written: Written,
    sync_entry: Mapping[str, Any] | None,
    tx: str,
    *,
    retire: Iterable[str] = (),
    holes: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The manifest after a transaction: new files (still staged, listed in ``pending``) replace old ones.

    ``retire``: further files the transaction makes redundant (``repair`` merged their rows). ``pending``
    records each superseded file's size and sha256 (``retired``): recovery deletes only a file that still
    matches. ``holes``: the new list of lost windows (None: unchanged).
    """
    partitions = dict(manifest["partitions"])
    superseded, staged = list(retire), []
    retired: dict[str, dict[str, Any]] = {}
    for month, entry in written.items():
        if month in partitions:
            old = partitions.pop(month)
            superseded.append(old["file"])
            if "sha256" in old:
                retired[old["file"]] = {"bytes": old["bytes"], "sha256": old["sha256"]}
        if entry is not None:
            name, rows, (size, sha256) = entry
            partitions[month] = {"file": name, "rows": rows, "bytes": size, "sha256": sha256}
            staged.append(name)
    syncs = list(manifest["syncs"])
    if sync_entry is not None:
        key = (sync_entry["region"], sync_entry["project_id"])
        syncs = [s for s in syncs if (s.get("region"), s.get("project_id")) != key] + [dict(sync_entry)]
    updated = {key: value for key, value in manifest.items() if key != "pending"}
    updated.update(partitions=dict(sorted(partitions.items())), syncs=syncs, updated=utcnow().isoformat())
    if holes is not None:
        updated.pop("holes", None)
        if holes:
            updated["holes"] = holes
    updated["pending"] = {"tx": tx, "staged": staged, "superseded": superseded, "retired": retired}
    return updated


def finished_manifest(manifest: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in manifest.items() if key != "pending"}


def write_manifest(root: Path, manifest: Mapping[str, Any], tx: str, *, durable: bool = True) -> None:
    """Replace the manifest atomically; ``durable=False`` skips the fsyncs (for a rewrite that only
    records a finished transaction: if a crash loses it, the transaction is finished again)."""
    write_atomic(root / MANIFEST, json.dumps(manifest, indent=1).encode(), tx=tx, durable=durable)
