"""Migrations of older archive layouts to the current schema, run by ``JobArchive(path)`` under the lock.

Schema 1 (ddsjobs_analytics 0.0.x): ``created_month=YYYYMM/data.parquet`` (snappy), no ``utc_offset`` or
``age_s`` columns, and a manifest holding only ``schema_version`` and ``high_water`` ("region/project" →
max ``created``). Migrating re-derives every column from ``raw`` (which restores the two missing ones),
writes the schema-2 layout, commits its manifest, and only then deletes the old directories — a crash
midway leaves a schema-1 archive that the next open migrates again.
"""

from __future__ import annotations

import logging
import shutil
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from ._errors import ArchiveCorruptError
from ._schema import ARCHIVE_SCHEMA, SCHEMA_VERSION

if TYPE_CHECKING:
    from ._store import JobArchive

__all__ = ["V1_COLUMNS", "migrate"]

log = logging.getLogger("ddsjobs_analytics.archive")

V1_COLUMNS: tuple[str, ...] = tuple(
    name for name in ARCHIVE_SCHEMA.names if name not in ("utc_offset", "age_s")
)
V1_PARTITION_GLOB = "created_month=*"


def _read_v1_partitions(archive: JobArchive) -> pa.Table:
    tables = []
    for path in sorted(archive.path.glob(f"{V1_PARTITION_GLOB}/*.parquet")):
        try:
            table = pq.read_table(path)
        except (pa.ArrowException, OSError) as exc:
            raise ArchiveCorruptError(
                f"schema-1 archive file {path} is unreadable: {exc}", path=path
            ) from exc
        missing = [name for name in V1_COLUMNS if name not in table.column_names]
        if missing:
            raise ArchiveCorruptError(f"schema-1 archive file {path} lacks columns {missing}", path=path)
        columns = [
            table.column(field.name).cast(field.type)
            if field.name in table.column_names
            else pa.nulls(table.num_rows, field.type)
            for field in ARCHIVE_SCHEMA
        ]
        tables.append(pa.Table.from_arrays(columns, schema=ARCHIVE_SCHEMA))
    return pa.concat_tables([ARCHIVE_SCHEMA.empty_table(), *tables])


def _v1_syncs(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    syncs = []
    for key, moment in (manifest.get("high_water") or {}).items():
        region, _, project_id = str(key).partition("/")
        syncs.append(
            {"region": region, "project_id": project_id, "max_created": moment, "listed_until": moment}
        )
    return syncs


def migrate(archive: JobArchive) -> None:
    """Bring the archive at ``archive.path`` to :data:`SCHEMA_VERSION` (the caller holds the lock)."""
    from ._store import rederive

    old = archive._read_manifest()
    assert old is not None
    version = old["schema_version"]
    if version >= SCHEMA_VERSION:  # another process migrated it while we waited for the lock
        return
    if version != 1:
        raise ArchiveCorruptError(
            f"archive {archive.path}: no migration from schema {version}", path=archive.path
        )
    table = _read_v1_partitions(archive)
    log.warning(
        "migrating job archive %s from schema 1 to %d (%d jobs): re-deriving columns from the raw records",
        archive.path,
        SCHEMA_VERSION,
        table.num_rows,
    )
    manifest = archive._new_manifest()
    manifest["created"] = old.get("created", manifest["created"])
    manifest["syncs"] = _v1_syncs(old)
    manifest["migrated_from"] = version
    archive._replace_all(rederive(table), manifest)
    for directory in archive.path.glob(V1_PARTITION_GLOB):
        shutil.rmtree(directory, ignore_errors=True)
    log.warning("job archive %s is now schema %d: %r", archive.path, SCHEMA_VERSION, archive)
