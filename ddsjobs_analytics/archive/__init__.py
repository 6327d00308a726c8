"""A local, incremental archive of task-center jobs, beyond the service's one-month horizon.

``JobArchive(path)`` is a month-partitioned Parquet dataset (one row per job, the record kept as received);
``sync(task_center, archive)`` brings it up to date: new jobs by listing, Running ones by id until they end.
``verify_archive(path)`` checks an archive and changes nothing (not even finishing a transaction).
"""

from ._errors import (
    ArchiveCorruptError,
    ArchiveCorruptWarning,
    ArchiveError,
    ArchiveLockedError,
    ArchiveNotFoundError,
    ArchiveVersionError,
)
from ._repair import VerifyReport, verify_archive
from ._schema import ARCHIVE_COLUMNS, SCHEMA_VERSION
from ._stats import SyncStats
from ._store import JobArchive
from ._sync import TaskCenterLike, sync

__all__ = [
    "ARCHIVE_COLUMNS",
    "SCHEMA_VERSION",
    "ArchiveCorruptError",
    "ArchiveCorruptWarning",
    "ArchiveError",
    "ArchiveLockedError",
    "ArchiveNotFoundError",
    "ArchiveVersionError",
    "JobArchive",
    "SyncStats",
    "TaskCenterLike",
    "VerifyReport",
    "sync",
    "verify_archive",
]
