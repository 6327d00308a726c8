"""JobArchive: merge rules, partition pruning, dtypes, rebuild, atomic commits, lock, corruption, schema."""

from __future__ import annotations

import importlib
import json
import os
import socket
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ddsjobs_analytics._frame import JOB_COLUMNS, DataQualityWarning, empty_jobs_frame, jobs_frame
from ddsjobs_analytics.archive import (
    ARCHIVE_COLUMNS,
    SCHEMA_VERSION,
    ArchiveCorruptError,
    ArchiveCorruptWarning,
    ArchiveError,
    ArchiveLockedError,
    ArchiveNotFoundError,
    ArchiveVersionError,
    JobArchive,
    SyncStats,
    _files,
    _records,
    _transaction,
)
from ddsjobs_analytics.archive._migrate import V1_COLUMNS

T1 = "2026-11-02T12:00:00+0000"
T2 = "2026-11-02T13:00:00+0000"
T3 = "2026-11-02T14:00:00+0000"


def record(
    job_id: str,
    status: str = "Running",
    *,
    created: str = "2026-11-02T10:00:00+0800",
    ended: str = "2026-11-02T10:10:00+0800",
    progress: str = "30%",
    name: str = "CreateMongoDB",
    instance: str = "in01",
    fail_reason: str | None = None,
) -> dict[str, Any]:
    """A ListTasks (v3.1) record."""
    terminal = status in ("Completed", "Failed")
    return {
        "id": job_id,
        "name": name,
        "instance_id": instance,
        "instance_name": f"dds-{instance}",
        "status": status,
        "progress": "" if terminal else progress,
        "fail_reason": fail_reason,
        "created_at": created,
        "ended_at": ended,
    }


def upsert(archive: JobArchive, records: list[dict[str, Any]], observed_at: str = T1) -> SyncStats:
    return archive.upsert_records(records, observed_at=observed_at, region="r1", project_id="p1")


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text).tz_convert("UTC")


def by_id(archive: JobArchive, **load: Any) -> pd.DataFrame:
    return archive.load(**load).set_index("job_id")


def snapshot(path: Path) -> dict[str, int]:
    """Every file of the archive with its mtime in ns (a rewrite changes the name or the mtime)."""
    return {str(p.relative_to(path)): p.stat().st_mtime_ns for p in sorted(path.rglob("*")) if p.is_file()}


def _store_module() -> Any:
    return importlib.import_module("ddsjobs_analytics.archive._store")


@pytest.fixture
def archive(tmp_path: Path) -> JobArchive:
    return JobArchive(tmp_path / "archive")


THREE_MONTHS = [
    record("sep-1", "Completed", created="2026-09-10T08:00:00+0800", ended="2026-09-10T08:30:00+0800"),
    record(
        "oct-1",
        "Failed",
        created="2026-10-05T00:00:00+0000",
        ended="2026-10-05T01:00:00+0000",
        fail_reason="x",
    ),
    record("oct-2", "Completed", created="2026-10-31T23:59:59+0000", ended="2026-11-01T00:10:00+0000"),
    record("nov-1", "Running", created="2026-11-01T00:00:00+0000", instance="in02"),
    # 2026-11-01T07:00 at +0800 is 2026-10-31T23:00 UTC: partitioned by the UTC month, i.e. October.
    record("oct-3", "Completed", created="2026-11-01T07:00:00+0800", ended="2026-11-01T07:30:00+0800"),
]


# --------------------------------------------------------------------------------------------- merge rules


def test_running_then_completed_replaces_the_row_and_widens_seen(archive: JobArchive) -> None:
    first = upsert(archive, [record("a"), record("b")], T1)
    assert (first.new, first.updated, first.unchanged, first.still_running) == (2, 0, 0, 2)
    second = upsert(archive, [record("a", "Completed")], T2)
    assert (second.new, second.updated, second.unchanged, second.still_running) == (0, 1, 0, 0)
    df = by_id(archive)
    assert df.loc["a", "status"] == "Completed"
    assert df.loc["a", "duration_s"] == 600.0
    assert pd.isna(df.loc["a", "age_s"])
    assert df.loc["a", "first_seen"] == ts(T1)
    assert df.loc["a", "last_seen"] == ts(T2)
    assert df.loc["b", "status"] == "Running"
    assert df.loc["b", "last_seen"] == ts(T1)


def test_a_stale_running_record_never_overwrites_a_terminal_one(archive: JobArchive) -> None:
    upsert(archive, [record("a", "Completed")], T2)
    before = snapshot(archive.path)
    stats = upsert(archive, [record("a", "Running", progress="90%")], T3)
    assert (stats.updated, stats.unchanged, stats.partitions_written) == (0, 1, 0)
    assert snapshot(archive.path) == before
    df = by_id(archive)
    assert df.loc["a", "status"] == "Completed"
    assert df.loc["a", "last_seen"] == ts(T2)


def test_an_older_observation_does_not_overwrite_a_newer_one(archive: JobArchive) -> None:
    upsert(archive, [record("a", progress="50%")], T2)
    stats = upsert(archive, [record("a", progress="30%")], T1)
    df = by_id(archive)
    assert df.loc["a", "progress"] == 0.5
    assert df.loc["a", "observed_at"] == ts(T2)
    # The older observation still tells us when the job was first seen.
    assert (df.loc["a", "first_seen"], df.loc["a", "last_seen"]) == (ts(T1), ts(T2))
    assert stats.updated == 1


def test_terminal_versus_terminal_newer_observation_wins(archive: JobArchive) -> None:
    upsert(archive, [record("a", "Failed", fail_reason="disk full")], T2)
    upsert(archive, [record("a", "Completed")], T1)  # older: ignored
    assert by_id(archive).loc["a", "status"] == "Failed"
    stats = upsert(archive, [record("a", "Completed")], T3)  # newer and different: replaces
    assert stats.updated == 1
    df = by_id(archive)
    assert df.loc["a", "status"] == "Completed"
    assert pd.isna(df.loc["a", "fail_reason"])
    assert (df.loc["a", "first_seen"], df.loc["a", "last_seen"]) == (ts(T2), ts(T3))


def test_identical_records_are_noops_and_rewrite_nothing(archive: JobArchive) -> None:
    records = [*THREE_MONTHS, record("done", "Completed")]
    upsert(archive, records, T1)
    before = snapshot(archive.path)
    again = upsert(archive, records, T1)
    assert (again.new, again.updated, again.unchanged, again.partitions_written) == (0, 0, len(records), 0)
    assert snapshot(archive.path) == before
    # Terminal records seen again later are no-ops too: an overlap re-listing rewrites nothing.
    terminal = [r for r in records if r["status"] != "Running"]
    later = upsert(archive, terminal, T3)
    assert (later.updated, later.unchanged, later.partitions_written) == (0, len(terminal), 0)
    assert snapshot(archive.path) == before


def v3_record(listed: dict[str, Any], name: str) -> dict[str, Any]:
    """The ShowJobDetail (v3) spelling of a ListTasks record: nested instance, created/ended, own name."""
    return {
        "id": listed["id"],
        "name": name,
        "status": listed["status"],
        "created": listed["created_at"],
        "ended": listed["ended_at"],
        "progress": listed["progress"],
        "instance": {"id": listed["instance_id"], "name": listed["instance_name"]},
        "fail_reason": listed["fail_reason"],
    }


def test_a_terminal_job_seen_again_in_the_other_api_shape_is_unchanged(archive: JobArchive) -> None:
    # A sync re-fetches a Running job by id (v3) and finds it Completed; the next sync's overlap lists it
    # again (v3.1). Same job, same facts, other spelling: no update, no rewrite, the first raw kept.
    listed = record("a", "Completed", name="RestoreMongoDB_Replica", fail_reason=None)
    failed = record("b", "Failed", fail_reason="disk full")
    upsert(archive, [v3_record(listed, "Restore_MongoDB_Replica"), v3_record(failed, "Create_MongoDB")], T1)
    before, stored = snapshot(archive.path), by_id(archive, columns=[*ARCHIVE_COLUMNS])
    again = upsert(archive, [listed, failed], T2)
    assert (again.new, again.updated, again.unchanged, again.partitions_written) == (0, 0, 2, 0)
    assert snapshot(archive.path) == before
    assert by_id(archive, columns=[*ARCHIVE_COLUMNS]).equals(stored)
    # Both shapes give the same columns (job_name is as received; job_type is the canonical one).
    v3, v31 = jobs_frame([v3_record(listed, "Restore_MongoDB_Replica")]), jobs_frame([listed])
    same = [c for c in JOB_COLUMNS if c not in ("job_name", "observed_at")]
    pd.testing.assert_frame_equal(v3[same], v31[same])
    # A real change in the other shape is still an update.
    changed = upsert(archive, [{**failed, "fail_reason": "disk full (retried)"}], T3)
    assert (changed.updated, changed.unchanged) == (1, 0)
    assert by_id(archive).loc["b", "fail_reason"] == "disk full (retried)"


def test_a_running_job_seen_again_unchanged_is_a_noop_and_a_change_refreshes_it(archive: JobArchive) -> None:
    upsert(archive, [record("a", created="2026-11-02T12:00:00+0000")], T2)
    before = snapshot(archive.path)
    # Re-fetched by id (the v3 shape spells job_name differently): the same facts, not an update.
    again = upsert(
        archive, [v3_record(record("a", created="2026-11-02T12:00:00+0000"), "Create_MongoDB")], T3
    )
    assert (again.updated, again.unchanged, again.partitions_written) == (0, 1, 0)
    assert snapshot(archive.path) == before
    stats = upsert(archive, [record("a", created="2026-11-02T12:00:00+0000", progress="60%")], T3)
    assert (stats.updated, stats.still_running) == (1, 1)
    df = by_id(archive)
    assert df.loc["a", "progress"] == 0.6
    assert df.loc["a", "age_s"] == 7200.0  # T3 − created
    assert (df.loc["a", "first_seen"], df.loc["a", "last_seen"]) == (ts(T2), ts(T3))


def test_a_batch_listing_a_job_twice_keeps_the_best_record(archive: JobArchive) -> None:
    batch = pa.concat_tables(
        [
            _records.table_from_records(
                [record("a", "Completed")], observed_at=T1, region="r1", project_id="p1"
            ),
            _records.table_from_records(
                [record("a", "Running")], observed_at=T2, region="r1", project_id="p1"
            ),
        ]
    )
    stats = archive.upsert_table(batch)
    assert (stats.new, stats.still_running) == (1, 0)
    df = by_id(archive)
    assert len(df) == 1
    assert df.loc["a", "status"] == "Completed"
    assert (df.loc["a", "first_seen"], df.loc["a", "last_seen"]) == (ts(T1), ts(T2))


def test_a_job_whose_created_was_unknown_moves_to_its_month(archive: JobArchive) -> None:
    with pytest.warns(DataQualityWarning, match="created"):
        upsert(archive, [record("a", created="garbage"), record("b", created="2026-10-01T00:00:00+0000")], T1)
    assert archive.partitions() == {"2026-10": 1, "unknown": 1}
    assert set(archive.load()["job_id"]) == {"a", "b"}
    assert set(archive.load(start="2000-01-01")["job_id"]) == {"b"}  # a range never matches unknown created
    moved = record("a", "Completed", created="2026-11-03T00:00:00+0000", ended="2026-11-03T00:05:00+0000")
    stats = upsert(archive, [moved], T2)
    assert (stats.new, stats.updated, stats.partitions_written) == (0, 1, 1)
    assert archive.partitions() == {"2026-10": 1, "2026-11": 1}
    assert not (archive.path / "month=unknown").exists()
    assert by_id(archive).loc["a", "first_seen"] == ts(T1)


def test_a_record_without_created_still_finds_its_archived_row(archive: JobArchive) -> None:
    upsert(archive, [record("a", created="2026-10-01T00:00:00+0000"), record("b")], T1)
    with pytest.warns(DataQualityWarning, match="created"):
        stats = upsert(archive, [record("a", "Completed", created="")], T2)
    # Found in month=2026-10 by searching every partition's ids: updated, not duplicated.
    assert (stats.new, stats.updated) == (0, 1)
    df = archive.load()
    assert list(df["job_id"]).count("a") == 1
    assert df.set_index("job_id").loc["a", "first_seen"] == ts(T1)


# --------------------------------------------------------------------------------------------- loading


def test_partitions_are_utc_months_of_created(archive: JobArchive) -> None:
    upsert(archive, THREE_MONTHS)
    assert archive.partitions() == {"2026-09": 1, "2026-10": 3, "2026-11": 1}
    assert len(archive) == 5
    files = sorted(p.relative_to(archive.path).parts[0] for p in archive.path.rglob("*.parquet"))
    assert files == ["month=2026-09", "month=2026-10", "month=2026-11"]
    metadata = pq.read_metadata(next(archive.path.glob("month=2026-10/*.parquet")))
    assert metadata.row_group(0).column(0).compression == "ZSTD"
    assert metadata.metadata[b"ddsjobs_analytics.schema_version"] == str(SCHEMA_VERSION).encode()


def test_month_keys_match_strftime_including_edges() -> None:
    from ddsjobs_analytics.archive._schema import month_keys

    micros = [
        0,
        -1,
        951_782_400_000_000 - 1,
        951_782_400_000_000,
        -62_135_596_800_000_000,
        253_402_300_799_000_000,
    ]
    micros += list(range(-(10**16), 10**16, 7_777_777_777_777))
    created = pa.array([*micros, None], pa.int64()).cast(pa.timestamp("us", "UTC"))
    expected = pa.compute.fill_null(pa.compute.strftime(created, format="%Y-%m"), "unknown").to_pylist()
    assert month_keys(created).tolist() == expected
    assert month_keys(created[:0]).tolist() == []


def test_load_opens_only_the_partitions_of_the_range(
    archive: JobArchive, monkeypatch: pytest.MonkeyPatch
) -> None:
    upsert(archive, THREE_MONTHS)
    opened: list[str] = []
    real = _files.read_parquet

    def counting(path: Path, columns: Any, dictionary: Any, digest: Any) -> pa.Table:
        opened.append(path.parent.name)
        return real(path, columns, dictionary, digest)

    monkeypatch.setattr(_store_module(), "read_parquet", counting)
    october = archive.load("2026-10-01", "2026-11-01")
    assert opened == ["month=2026-10"]
    assert sorted(october["job_id"]) == ["oct-1", "oct-2", "oct-3"]
    opened.clear()
    archive.load(start="2026-10-31T23:59:59Z")
    assert opened == ["month=2026-10", "month=2026-11"]
    opened.clear()
    archive.load()
    assert opened == ["month=2026-09", "month=2026-10", "month=2026-11"]


def test_load_range_is_half_open_on_created(archive: JobArchive) -> None:
    upsert(archive, THREE_MONTHS)
    # oct-2 was created at 23:59:59 UTC, nov-1 exactly at the November boundary.
    assert sorted(archive.load("2026-10-31T23:59:59Z", "2026-11-01")["job_id"]) == ["oct-2"]
    assert sorted(archive.load("2026-11-01", "2026-11-01T00:00:01Z")["job_id"]) == ["nov-1"]
    # Aware bounds in other zones are converted; rows come sorted by created.
    df = archive.load(pd.Timestamp("2026-10-05T08:00:00+08:00"), "2026-12-01")
    assert list(df["job_id"]) == ["oct-1", "oct-3", "oct-2", "nov-1"]


def test_load_filters(archive: JobArchive) -> None:
    upsert(archive, [*THREE_MONTHS, record("other", "Completed", name="Restart_Instance", instance="in02")])
    assert sorted(archive.load(status="Completed")["job_id"]) == ["oct-2", "oct-3", "other", "sep-1"]
    assert sorted(archive.load(status=["Failed", "Running"])["job_id"]) == ["nov-1", "oct-1"]
    assert list(archive.load(job_type="RestartInstance")["job_id"]) == ["other"]
    assert sorted(archive.load(instance_id="in02")["job_id"]) == ["nov-1", "other"]
    assert len(archive.load(region="r1")) == 6
    assert len(archive.load(region="elsewhere")) == 0
    with pytest.raises(ValueError, match="unknown column"):
        archive.load(columns=["job_id", "nope"])


def test_load_has_the_jobs_frame_dtypes_and_values(archive: JobArchive) -> None:
    upsert(archive, THREE_MONTHS, T1)
    loaded = archive.load()
    assert list(loaded.columns) == [*JOB_COLUMNS, "first_seen", "last_seen"]
    expected = jobs_frame(THREE_MONTHS, observed_at=T1, region="r1", project_id="p1")
    expected = expected.sort_values(["created", "job_id"]).reset_index(drop=True)
    for name in JOB_COLUMNS:
        assert loaded[name].dtype == expected[name].dtype, name
    pd.testing.assert_frame_equal(
        loaded[list(JOB_COLUMNS)], expected, check_categorical=False, check_index_type=False
    )
    empty = archive.load("2030-01-01")
    assert len(empty) == 0
    reference = empty_jobs_frame()
    for name in JOB_COLUMNS:
        assert empty[name].dtype == reference[name].dtype, name


def test_raw_is_kept_as_received_and_only_loaded_on_request(archive: JobArchive) -> None:
    records = [record("a", fail_reason="échec: disque plein"), record("b", "Completed")]
    upsert(archive, records)
    assert "raw" not in archive.load().columns
    raw = archive.load(columns=["job_id", "raw"]).set_index("job_id")["raw"]
    assert str(raw.dtype) == str(pd.StringDtype("pyarrow"))
    assert {job_id: json.loads(text) for job_id, text in raw.items()} == {r["id"]: r for r in records}


def test_upsert_of_a_frame_needs_raw_and_round_trips_between_archives(tmp_path: Path) -> None:
    source, target = JobArchive(tmp_path / "a"), JobArchive(tmp_path / "b")
    with pytest.raises(ValueError, match="raw"):
        target.upsert(jobs_frame([record("x")], observed_at=T1))
    upsert(source, THREE_MONTHS, T1)
    upsert(source, [record("nov-1", "Completed", created="2026-11-01T00:00:00+0000")], T2)
    stats = target.upsert(source.load(columns=list(ARCHIVE_COLUMNS)))
    assert stats.new == len(THREE_MONTHS)
    pd.testing.assert_frame_equal(target.load(), source.load())


def test_missing_archive_and_foreign_directory(tmp_path: Path) -> None:
    with pytest.raises(ArchiveNotFoundError, match="no job archive"):
        JobArchive(tmp_path / "nowhere").load()
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(ArchiveError, match="not a job archive"):
        upsert(JobArchive(foreign), [record("a")])
    empty = JobArchive(tmp_path / "fresh")
    stats = upsert(empty, [])
    assert (stats.new, stats.partitions_written) == (0, 0)
    assert len(empty.load()) == 0


# --------------------------------------------------------------------------------------------- rebuild


def test_rebuild_rederives_columns_from_raw(archive: JobArchive, monkeypatch: pytest.MonkeyPatch) -> None:
    real = _records.jobs_frame

    def buggy(*args: Any, **kwargs: Any) -> pd.DataFrame:
        frame = real(*args, **kwargs)
        frame["progress"] = frame["progress"] * 100  # a normalisation bug: percent not divided
        frame["utc_offset"] = pd.array([None] * len(frame), dtype="Int16")
        return frame

    monkeypatch.setattr(_records, "jobs_frame", buggy)
    upsert(archive, THREE_MONTHS, T1)
    upsert(archive, [record("oct-1", "Failed", created="2026-10-05T00:00:00+0000", fail_reason="y")], T2)
    assert by_id(archive).loc["nov-1", "progress"] == 30.0
    monkeypatch.setattr(_records, "jobs_frame", real)

    stats = archive.rebuild()
    assert (stats.updated, stats.unchanged) == (len(THREE_MONTHS), 0)
    rebuilt = archive.load()
    expected = archive.load()  # after rebuild: equals what a correct upsert would have stored
    fresh = JobArchive(archive.path.parent / "fresh")
    upsert(fresh, THREE_MONTHS, T1)
    upsert(fresh, [record("oct-1", "Failed", created="2026-10-05T00:00:00+0000", fail_reason="y")], T2)
    pd.testing.assert_frame_equal(rebuilt, fresh.load())
    assert expected.set_index("job_id").loc["oct-3", "utc_offset"] == 480
    again = archive.rebuild()
    assert (again.updated, again.partitions_written) == (0, 0)


def test_rebuild_keeps_rows_whose_raw_is_not_a_record(archive: JobArchive) -> None:
    frame = jobs_frame([record("a"), record("b")], observed_at=T1, region="r1", project_id="p1")
    frame["raw"] = pd.array(["not json", json.dumps(record("b"))], dtype=pd.StringDtype("pyarrow"))
    # A stale derived value (as if written by an older jobs_frame), which rebuild must fix.
    frame["job_type"] = pd.Categorical(["CreateMongoDB", "Wrong"])
    archive.upsert(frame)
    before = by_id(archive)
    with pytest.warns(
        DataQualityWarning, match=r"1 archived rows have a raw record that is not a JSON object \(jobs a\)"
    ):
        stats = archive.rebuild()
    assert (stats.updated, stats.unchanged) == (1, 1)
    after = by_id(archive)
    pd.testing.assert_series_equal(after.loc["a"], before.loc["a"])
    assert after.loc["b", "job_type"] == "CreateMongoDB"


# --------------------------------------------------------------------------------------------- atomicity


def test_a_crash_between_partition_writes_leaves_the_previous_archive(
    archive: JobArchive, monkeypatch: pytest.MonkeyPatch
) -> None:
    upsert(archive, THREE_MONTHS, T1)
    before = archive.load()
    manifest_before = (archive.path / "_archive.json").read_text()
    real = _files.write_staged_partition
    calls: list[str] = []

    def crash_on_second(root: Path, name: str, table: pa.Table) -> Any:
        calls.append(name)
        if len(calls) == 2:
            raise OSError("disk full (injected)")
        return real(root, name, table)

    monkeypatch.setattr(_transaction, "write_staged_partition", crash_on_second)
    update = [
        record("oct-9", "Completed", created="2026-10-20T00:00:00+0000"),
        record("nov-1", "Completed", created="2026-11-01T00:00:00+0000"),
    ]
    with pytest.raises(OSError, match="injected"):
        upsert(archive, update, T2)
    assert len(calls) == 2
    assert (archive.path / "_archive.json").read_text() == manifest_before
    pd.testing.assert_frame_equal(JobArchive(archive.path).load(), before)
    assert not (archive.path / ".lock").exists()

    monkeypatch.setattr(_transaction, "write_staged_partition", real)
    stats = upsert(archive, update, T2)
    assert (stats.new, stats.updated) == (1, 1)
    df = by_id(archive)
    assert df.loc["nov-1", "status"] == "Completed"
    assert "oct-9" in df.index
    # The orphan of the crashed write is gone: exactly one file per partition remains.
    assert sorted(p.parent.name for p in archive.path.rglob("*.parquet")) == [
        "month=2026-09",
        "month=2026-10",
        "month=2026-11",
    ]
    assert not list(archive.path.rglob("*.tmp")) and not list(archive.path.rglob("*.staged"))


def test_a_crash_inside_a_file_write_leaves_no_temp_file(
    archive: JobArchive, monkeypatch: pytest.MonkeyPatch
) -> None:
    upsert(archive, THREE_MONTHS, T1)

    def half_written(table: pa.Table, handle: Any, **kwargs: Any) -> None:
        handle.write(b"PAR1 partial")
        raise OSError("killed mid-write (injected)")

    monkeypatch.setattr(_files.pq, "write_table", half_written)
    with pytest.raises(OSError, match="injected"):
        upsert(archive, [record("nov-2", created="2026-11-05T00:00:00+0000")], T2)
    assert not [p for p in archive.path.rglob("*") if p.name.endswith((".tmp", ".staged"))]
    assert len(JobArchive(archive.path).load()) == len(THREE_MONTHS)


def test_a_reader_racing_a_commit_rereads_the_new_manifest(
    archive: JobArchive, monkeypatch: pytest.MonkeyPatch
) -> None:
    upsert(archive, THREE_MONTHS, T1)
    writer = JobArchive(archive.path)
    real = _files.read_parquet
    raced: list[Path] = []

    def read_after_a_commit(path: Path, columns: Any, dictionary: Any, digest: Any) -> pa.Table:
        if not raced:  # a writer commits between our manifest read and this open: our file is superseded
            raced.append(path)
            monkeypatch.setattr(_store_module(), "read_parquet", real)
            upsert(writer, [record("nov-1", "Completed", created="2026-11-01T00:00:00+0000")], T2)
        return real(path, columns, dictionary, digest)

    monkeypatch.setattr(_store_module(), "read_parquet", read_after_a_commit)
    df = archive.load("2026-11-01")
    assert not raced[0].exists()
    assert list(df["status"]) == ["Completed"]


# --------------------------------------------------------------------------------------------- lock


def test_a_second_writer_is_refused_with_the_holder_named(archive: JobArchive) -> None:
    upsert(archive, [record("a")])
    other = JobArchive(archive.path)
    with archive.locked():
        with pytest.raises(ArchiveLockedError) as caught:
            upsert(other, [record("b")])
        # Re-entrant for the holder itself.
        upsert(archive, [record("c")])
    message = str(caught.value)
    assert f"pid {os.getpid()}" in message and socket.gethostname() in message
    assert caught.value.holder is not None and caught.value.holder["pid"] == os.getpid()
    assert not (archive.path / ".lock").exists()
    assert sorted(archive.load()["job_id"]) == ["a", "c"]
    upsert(other, [record("b")])  # free again


def _write_lock(path: Path, pid: int, host: str) -> None:
    path.mkdir(parents=True, exist_ok=True)
    details = {"pid": pid, "host": host, "since": "2026-11-01T00:00:00+00:00", "token": "x"}
    (path / ".lock").write_text(json.dumps(details))


def test_a_stale_lock_of_a_dead_process_is_taken_over(archive: JobArchive) -> None:
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead_pid = int(child.stdout)
    _write_lock(archive.path, dead_pid, socket.gethostname())
    stats = upsert(archive, [record("a")])
    assert stats.new == 1
    assert not (archive.path / ".lock").exists()


def test_a_lock_from_another_host_is_never_broken(archive: JobArchive) -> None:
    _write_lock(archive.path, 1, "some-other-host")
    with pytest.raises(ArchiveLockedError, match="pid 1 on some-other-host"):
        upsert(archive, [record("a")])
    assert (archive.path / ".lock").exists()


# --------------------------------------------------------------------------------------------- corruption


def test_a_corrupt_partition_is_named_and_the_others_stay_readable(archive: JobArchive) -> None:
    upsert(archive, THREE_MONTHS)
    broken = next(archive.path.glob("month=2026-10/*.parquet"))
    broken.write_bytes(b"PAR1 this is not parquet at all")
    with pytest.raises(ArchiveCorruptError) as caught:
        archive.load()
    assert str(broken) in str(caught.value)
    assert caught.value.path == broken
    with pytest.warns(ArchiveCorruptWarning, match=r"skipped 1 unreadable .*month=2026-10"):
        df = archive.load(on_error="warn")
    assert sorted(df["job_id"]) == ["nov-1", "sep-1"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert list(archive.load("2026-11-01")["job_id"]) == ["nov-1"]  # pruned: never opened
    with pytest.raises(ArchiveCorruptError, match="month=2026-10"):
        upsert(archive, [record("oct-7", created="2026-10-07T00:00:00+0000")])


def test_a_missing_partition_file_and_a_corrupt_manifest_are_named(archive: JobArchive) -> None:
    upsert(archive, THREE_MONTHS)
    gone = next(archive.path.glob("month=2026-09/*.parquet"))
    gone.unlink()
    with pytest.raises(ArchiveCorruptError, match=r"listed in _archive\.json but missing"):
        archive.load()
    (archive.path / "_archive.json").write_text("{not json")
    with pytest.raises(ArchiveCorruptError, match=r"_archive\.json"):
        archive.load()


# --------------------------------------------------------------------------------------------- schema


def write_v1_archive(path: Path, records: list[dict[str, Any]], observed_at: str) -> None:
    """The schema-1 layout: ``created_month=YYYYMM/data.parquet``, no utc_offset/age_s, snappy."""
    table = _records.table_from_records(records, observed_at=observed_at, region="r1", project_id="p1")
    table = table.select(list(V1_COLUMNS))
    months = pa.compute.fill_null(pa.compute.strftime(table.column("created"), format="%Y%m"), "unknown")
    for month in set(months.to_pylist()):
        directory = path / f"created_month={month}"
        directory.mkdir(parents=True)
        pq.write_table(table.filter(pa.compute.equal(months, month)), directory / "data.parquet")
    manifest = {"schema_version": 1, "high_water": {"r1/p1": "2026-11-01T07:00:00+08:00"}}
    (path / "_archive.json").write_text(json.dumps(manifest))


def test_a_schema_1_archive_is_migrated_on_open(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    old = tmp_path / "old"
    write_v1_archive(old, THREE_MONTHS, T1)
    assert "utc_offset" not in pq.read_schema(next(old.glob("created_month=*/data.parquet"))).names
    with caplog.at_level("WARNING", logger="ddsjobs_analytics.archive"):
        migrated = JobArchive(old)
    assert "migrating job archive" in caplog.text and "from schema 1 to 2" in caplog.text
    assert json.loads((old / "_archive.json").read_text())["schema_version"] == SCHEMA_VERSION
    assert not list(old.glob("created_month=*"))
    assert migrated.partitions() == {"2026-09": 1, "2026-10": 3, "2026-11": 1}
    fresh = JobArchive(tmp_path / "fresh")
    upsert(fresh, THREE_MONTHS, T1)
    pd.testing.assert_frame_equal(migrated.load(), fresh.load())
    assert migrated.load().set_index("job_id").loc["sep-1", "utc_offset"] == 480
    assert migrated.sync_state("r1", "p1")["max_created"] == "2026-11-01T07:00:00+08:00"
    caplog.clear()
    JobArchive(old)  # already current: no second migration
    assert "migrating" not in caplog.text


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future"
    path.mkdir()
    (path / "_archive.json").write_text(json.dumps({"schema_version": 9, "partitions": {}}))
    expected = "archive schema 9 is newer than this ddsjobs_analytics supports (2); upgrade the package"
    with pytest.raises(ArchiveVersionError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        JobArchive(path)


# --------------------------------------------------------------------------------------------- stats


def test_sync_stats_read_well() -> None:
    stats = SyncStats(new=1200, updated=3, unchanged=0, still_running=1, partitions_written=1)
    assert str(stats) == "1,200 new, 3 updated, 0 unchanged, 1 still running; 1 partition written"
    stats.target, stats.listed = "r1/p1", 1
    stats.window = (ts("2026-11-01T00:00:00Z"), ts("2026-11-02T06:30:00Z"))
    stats.lost = [f"id{i}" for i in range(7)]
    stats.refetch_failed = {"x": "ServerError: busy"}
    text = str(stats)
    assert text.splitlines()[0] == "r1/p1: listed 1 job created 2026-11-01 00:00 → 2026-11-02 06:30 UTC"
    assert (
        "7 jobs lost (Running in the archive, unknown to the service): id0, id1, id2, id3, id4, … (+2)"
        in text
    )
    assert "1 job could not be re-fetched: x (ServerError: busy)" in text
    assert stats.changed == 1203
