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
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ._errors import ArchiveCorruptError
from ._manifest import new_manifest, read_manifest
from ._records import rederive
from ._schema import ARCHIVE_SCHEMA, SCHEMA_VERSION

__all__ = ["V1_COLUMNS", "migrate"]

log = logging.getLogger("ddsjobs_analytics.archive")

V1_COLUMNS: tuple[str, ...] = tuple(
    name for name in ARCHIVE_SCHEMA.names if name not in ("utc_offset", "age_s")
)
V1_PARTITION_GLOB = "created_month=*"


def _read_v1_partitions(root: Path) -> pa.Table:
    tables = []
    for path in sorted(root.glob(f"{V1_PARTITION_GLOB}/*.parquet")):
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


def migrate(root: Path, replace_all: Callable[[pa.Table, Mapping[str, Any]], None]) -> None:
    """Bring the archive at ``root`` to :data:`SCHEMA_VERSION` (the caller holds the lock).

    ``replace_all(table, manifest)`` writes ``table`` as the whole archive and commits ``manifest``.
    """
    old = read_manifest(root)
    assert old is not None
    version = old["schema_version"]
    if version >= SCHEMA_VERSION:  # another process migrated it while we waited for the lock
        return
    if version != 1:
        raise ArchiveCorruptError(f"archive {root}: no migration from schema {version}", path=root)
    table = _read_v1_partitions(root)
    log.warning(
        "migrating job archive %s from schema 1 to %d (%d jobs): re-deriving columns from the raw records",
        root,
        SCHEMA_VERSION,
        table.num_rows,
    )
    manifest = new_manifest()
    manifest["created"] = old.get("created", manifest["created"])
    manifest["syncs"] = _v1_syncs(old)
    manifest["migrated_from"] = version
    replace_all(rederive(table), manifest)
    for directory in root.glob(V1_PARTITION_GLOB):
        shutil.rmtree(directory, ignore_errors=True)
    log.warning("job archive %s is now schema %d (%d jobs)", root, SCHEMA_VERSION, table.num_rows)
