"""Errors (and the one warning) of the job archive: each names the file or the lock holder involved."""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "ArchiveCorruptError",
    "ArchiveCorruptWarning",
    "ArchiveError",
    "ArchiveLockedError",
    "ArchiveNotFoundError",
    "ArchiveVersionError",
]


class ArchiveError(Exception):
    """Base class of everything the archive refuses to do."""


class ArchiveNotFoundError(ArchiveError, FileNotFoundError):
    """There is no archive at the path (nothing was synced there yet)."""


class ArchiveLockedError(ArchiveError):
    """Another writer holds the archive's lock; ``holder`` is what its lock file says (pid, host, since)."""

    def __init__(self, message: str, *, lock_path: Path, holder: dict[str, object] | None) -> None:
        super().__init__(message)
        self.lock_path = lock_path
        self.holder = holder


class ArchiveCorruptError(ArchiveError):
    """A partition file or the manifest cannot be read; ``path`` names it."""

    def __init__(self, message: str, *, path: Path) -> None:
        super().__init__(message)
        self.path = path


class ArchiveVersionError(ArchiveError):
    """The archive was written by a newer ddsjobs_analytics whose layout this version does not know."""


class ArchiveCorruptWarning(UserWarning):
    """``load(on_error="warn")`` skipped an unreadable partition file."""
