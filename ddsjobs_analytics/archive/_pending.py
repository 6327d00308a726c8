"""Whether a committed-but-unfinished transaction may be finished: its files must be what it recorded.

Finishing a transaction renames its staged files into place and deletes the files it supersedes. A
manifest damaged or edited by hand could name any committed partition file as superseded, so before
anything is renamed or deleted each file is checked against the transaction: every staged file is the one
the manifest's partition entry describes (size and sha256), every superseded file still on disk matches the
size and sha256 recorded when it was retired, and every job it holds is held by a current partition. A
transaction that fails any check is left alone: a problem for ``repair``, never a deletion.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ._errors import ArchiveCorruptError
from ._files import digest_of, read_parquet, read_regular, staged_name
from ._manifest import partition_digest

__all__ = ["pending_problems"]


def _current_file(root: Path, name: str, staged: set[str]) -> Path:
    """Where a current partition file is: in place, or still under its staged name."""
    path = root / name
    if name in staged and not path.exists() and (root / staged_name(name)).exists():
        return root / staged_name(name)
    return path


def pending_problems(root: Path, manifest: Mapping[str, Any]) -> list[str]:
    """Why the manifest's ``pending`` transaction must not be finished; empty when it is safe to finish."""
    pending = manifest["pending"]
    tx = pending["tx"]
    staged, superseded = list(pending.get("staged", [])), list(pending.get("superseded", []))
    retired = pending.get("retired", {})
    by_file = {entry["file"]: entry for entry in manifest["partitions"].values()}
    problems = []
    for name in staged:
        entry = by_file.get(name)
        if entry is None:
            problems.append(f"transaction {tx} stages {name}, which no partition lists")
            continue
        if not name.rpartition("/")[2].startswith(f"part-{tx}-"):
            problems.append(f"transaction {tx} stages {name}, a file of another transaction")
            continue
        expected = partition_digest(entry)
        path = _current_file(root, name, set(staged))
        try:
            actual = digest_of(read_regular(path))
        except OSError as exc:
            problems.append(f"transaction {tx}: its file {name} is unreadable ({exc})")
            continue
        if expected is None or actual != expected:
            problems.append(f"transaction {tx}: its file {name} is not the one it recorded (size, sha256)")
    held: pa.Array | None = None
    for name in superseded:
        if name in by_file:
            problems.append(f"transaction {tx} retires {name}, which the manifest still uses")
            continue
        path = root / name
        if not path.exists() and not path.is_symlink():
            continue  # already deleted: the transaction got that far
        recorded = retired.get(name)
        try:
            data = read_regular(path)
        except OSError as exc:
            problems.append(f"transaction {tx} retires {name}, which cannot be checked ({exc})")
            continue
        if recorded is not None and digest_of(data) != (recorded["bytes"], recorded["sha256"]):
            problems.append(f"transaction {tx} retires {name}, but the file differs from what it retired")
            continue
        try:
            ids = read_parquet(path, ["job_id"], (), None).column("job_id")
            if held is None:
                held = _held_ids(root, by_file, set(staged))
        except (ArchiveCorruptError, KeyError, OSError) as exc:
            problems.append(f"transaction {tx} retires {name}, whose jobs cannot be checked ({exc})")
            continue
        orphans = pc.sum(pc.invert(pc.is_in(ids, value_set=held))).as_py() or 0
        if orphans:
            problems.append(
                f"transaction {tx} retires {name}, but {orphans:,} of its jobs are in no current partition"
            )
    return problems


def _held_ids(root: Path, by_file: Mapping[str, Any], staged: set[str]) -> pa.Array:
    """Every job id the current partitions hold (read with their checksums)."""
    arrays = [
        read_parquet(_current_file(root, name, staged), ["job_id"], (), partition_digest(entry))
        .column("job_id")
        .combine_chunks()
        for name, entry in by_file.items()
    ]
    return pa.concat_arrays([pa.array([], pa.string()), *(a.cast(pa.string()) for a in arrays)])
