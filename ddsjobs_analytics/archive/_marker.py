"""The archive's marker ``.ddsjobs-archive``: what tells a job archive from any other folder.

``verify`` and ``repair`` act only on a folder that carries it (or, for an archive written before markers
existed, a readable manifest that names this format); anywhere else they raise
:class:`ArchiveNotFoundError` and touch nothing, so a mistyped path never becomes an empty archive and a
user's folder never has its files moved. Every write adds the marker when it is missing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .._core._time import utcnow
from ._errors import ArchiveError, ArchiveNotFoundError
from ._files import new_transaction, read_regular, real_directory, write_atomic

__all__ = ["FORMAT", "MARKER", "ensure_marker", "has_marker", "is_archive", "require_archive"]

MARKER = ".ddsjobs-archive"
FORMAT = "ddsjobs_analytics job archive"
_MANIFEST = "_archive.json"
_MARKER_LIMIT = 4096
_MANIFEST_LIMIT = 64 * 2**20


def _json_of(path: Path, limit: int) -> object:
    try:
        return json.loads(read_regular(path, limit=limit).decode("utf-8"))
    except (OSError, ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None


def has_marker(root: Path) -> bool:
    """``root`` is a directory holding the marker: a regular file (not a link) that names the format."""
    content = _json_of(root / MARKER, _MARKER_LIMIT)
    return isinstance(content, dict) and content.get("format") == FORMAT


def _legacy_manifest(root: Path) -> bool:
    """A readable manifest of an archive written before markers existed (schema 2, or schema 1's)."""
    manifest = _json_of(root / _MANIFEST, _MANIFEST_LIMIT)
    if not isinstance(manifest, dict):
        return False
    return manifest.get("format") == FORMAT or (
        manifest.get("schema_version") == 1 and isinstance(manifest.get("high_water"), dict)
    )


def is_archive(root: Path) -> bool:
    return real_directory(root.resolve()) and (has_marker(root) or _legacy_manifest(root))


def require_archive(root: Path, action: str) -> None:
    """Raise :class:`ArchiveNotFoundError` (nothing touched) unless ``root`` is a job archive."""
    if is_archive(root):
        return
    if not root.exists():
        why = "it does not exist"
    elif not root.is_dir():
        why = "it is not a directory"
    else:
        why = f"it has no {MARKER} marker (nor a readable {_MANIFEST} of this format)"
    raise ArchiveNotFoundError(
        f"{root} is not a job archive: {why}; {action} acts only on an archive, nothing was changed "
        f'(if it is an archive whose marker was lost, write {{"format": "{FORMAT}"}} '
        f"into {root / MARKER})"
    )


def ensure_marker(root: Path) -> None:
    """Write the marker if it is absent (a writer holding the lock calls this); refuse a foreign one."""
    path = root / MARKER
    if has_marker(root):
        return
    if os.path.lexists(path):
        raise ArchiveError(
            f"{path} exists but is not this archive's marker; move it away, nothing was written"
        )
    payload = json.dumps({"format": FORMAT, "created": utcnow().isoformat()}).encode()
    write_atomic(path, payload, tx=new_transaction())
