"""Archive hardening (issue #9): interrupted first writes, damaged manifests, checksums, external readers,
lock writes, odd text, named OS errors, and the recovery tools ``verify`` / ``repair`` (API and CLI)."""

from __future__ import annotations

import errno
import json
import logging
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from test_archive import T1, T2, THREE_MONTHS, record, snapshot, upsert

from ddsjobs_analytics._cli._main import main
from ddsjobs_analytics._frame import DataQualityWarning
from ddsjobs_analytics.archive import (
    ARCHIVE_COLUMNS,
    ArchiveCorruptError,
    ArchiveError,
    JobArchive,
    _files,
    _lock,
    _transaction,
)


@pytest.fixture
def archive(tmp_path: Path) -> JobArchive:
    archive = JobArchive(tmp_path / "archive")
    upsert(archive, THREE_MONTHS, T1)
    return archive


def manifest_of(archive: JobArchive) -> dict[str, Any]:
    return json.loads((archive.path / "_archive.json").read_text())


def write_manifest(archive: JobArchive, manifest: dict[str, Any]) -> None:
    (archive.path / "_archive.json").write_text(json.dumps(manifest))


def part_file(archive: JobArchive, month: str) -> Path:
    return archive.path / manifest_of(archive)["partitions"][month]["file"]


def _raise(error: BaseException) -> Any:
    raise error


def glob_counts(path: Path) -> tuple[int, int]:
    """Rows an external reader sees: DuckDB over the glob the README documents, and pyarrow.dataset."""
    query = f"SELECT count(*) FROM read_parquet('{path}/**/*.parquet', hive_partitioning=true)"
    duck = duckdb.sql(query).fetchall()
    dataset = ds.dataset(path, format="parquet", partitioning="hive")
    return int(duck[0][0]), dataset.count_rows()


# -------------------------------------------------------------------------------------------- 1. first sync


def test_an_interrupted_first_write_does_not_brick_the_archive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = JobArchive(tmp_path / "fresh")

    def disk_full(table: pa.Table, sink: Any, **kwargs: Any) -> None:
        raise OSError(errno.EFBIG, "File too large")

    monkeypatch.setattr(_files.pq, "write_table", disk_full)
    with pytest.raises(OSError, match="File too large"):
        upsert(fresh, THREE_MONTHS, T1)
    monkeypatch.undo()
    # What a SIGKILL mid-write leaves too: a half-written staged file, a manifest temp, a lock temp.
    (fresh.path / "month=2026-10").mkdir(exist_ok=True)
    (fresh.path / "month=2026-10" / ".part-0123456789ab-0.parquet.staged").write_bytes(b"PAR1 half")
    (fresh.path / "._archive.json.0123456789ab.tmp").write_text("{")
    (fresh.path / f".lock.{'a' * 32}.tmp").write_text("{}")
    stats = upsert(JobArchive(fresh.path), THREE_MONTHS, T1)
    assert stats.new == len(THREE_MONTHS)
    assert (
        not list(fresh.path.rglob("*.staged"))
        and not (fresh.path / "._archive.json.0123456789ab.tmp").exists()
    )
    assert len(JobArchive(fresh.path).load()) == len(THREE_MONTHS)


def test_a_foreign_file_still_makes_a_directory_foreign(tmp_path: Path) -> None:
    path = tmp_path / "mixed"
    (path / "month=2026-10").mkdir(parents=True)
    (path / "month=2026-10" / "notes.txt").write_text("mine")
    with pytest.raises(ArchiveError, match="not a job archive"):
        upsert(JobArchive(path), [record("a")])
    assert (path / "month=2026-10" / "notes.txt").read_text() == "mine"


def test_a_deleted_manifest_is_refused_then_rebuilt_by_repair(archive: JobArchive) -> None:
    before = archive.load(columns=list(ARCHIVE_COLUMNS))
    (archive.path / "_archive.json").unlink()
    files = snapshot(archive.path)
    with pytest.raises(ArchiveCorruptError, match=r"no _archive\.json.*ddsjobs archive repair"):
        upsert(JobArchive(archive.path), [record("x")])
    assert snapshot(archive.path) == files  # nothing written, nothing deleted
    with pytest.raises(
        ArchiveCorruptError, match=r"_archive\.json: missing, but partition files are on disk"
    ):
        JobArchive(archive.path).load()
    report = JobArchive(archive.path).repair()
    assert "the manifest is missing" in str(report)
    repaired = JobArchive(archive.path)
    pd.testing.assert_frame_equal(repaired.load(columns=list(ARCHIVE_COLUMNS)), before)
    assert repaired.verify().ok
    # The high-water mark is rebuilt from the rows: the newest `created` of r1/p1.
    assert pd.Timestamp(repaired.sync_state("r1", "p1")["max_created"]) == pd.Timestamp("2026-11-01T00:00Z")


# -------------------------------------------------------------------------------------- 4. damaged manifest


def test_an_emptied_manifest_never_leads_to_deleting_data(archive: JobArchive) -> None:
    before = archive.load()
    manifest = manifest_of(archive)
    write_manifest(archive, {**manifest, "partitions": {}})
    files = snapshot(archive.path)
    with pytest.raises(ArchiveCorruptError, match=r"not in _archive\.json.*repair"):
        archive.load()
    with pytest.raises(ArchiveCorruptError, match="disagrees with the files on disk"):
        upsert(archive, [record("nov-9", created="2026-11-09T00:00:00+0000")], T2)
    assert snapshot(archive.path) == files
    JobArchive(archive.path).repair()
    pd.testing.assert_frame_equal(archive.load(), before)


def test_a_manifest_path_can_never_point_outside_the_archive(archive: JobArchive) -> None:
    victim = archive.path.parent / "victim.parquet"
    victim.write_bytes(b"precious")
    manifest = manifest_of(archive)
    manifest["partitions"]["2026-10"]["file"] = "../victim.parquet"
    write_manifest(archive, manifest)
    with pytest.raises(ArchiveCorruptError, match=r"points at '\.\./victim\.parquet'"):
        archive.load()
    with pytest.raises(ArchiveCorruptError):
        upsert(archive, [record("oct-9", created="2026-10-09T00:00:00+0000")], T2)
    manifest["partitions"]["2026-10"]["file"] = "month=2026-10/part-abcdef.parquet"
    manifest["pending"] = {"tx": "0" * 12, "staged": [], "superseded": ["month=2026-10/../../victim.parquet"]}
    write_manifest(archive, manifest)
    with pytest.raises(ArchiveCorruptError, match="victim"):
        JobArchive(archive.path).load()
    assert victim.read_bytes() == b"precious"


def test_a_part_file_restored_by_hand_is_never_deleted_and_repair_merges_it(archive: JobArchive) -> None:
    other = JobArchive(archive.path.parent / "other")
    upsert(other, [record("oct-8", "Completed", created="2026-10-08T00:00:00+0000")], T2)
    restored = archive.path / "month=2026-10" / "part-00c0ffee.parquet"
    shutil.copy(part_file(other, "2026-10"), restored)
    with pytest.raises(ArchiveCorruptError, match=r"part-00c0ffee\.parquet is on disk but not in"):
        upsert(archive, [record("nov-9", created="2026-11-09T00:00:00+0000")], T2)
    assert restored.exists()
    JobArchive(archive.path).repair()
    assert sorted(archive.load()["job_id"]) == sorted([*(r["id"] for r in THREE_MONTHS), "oct-8"])
    assert not restored.exists()  # its rows now live in the month's new file
    assert not (archive.path / "_quarantine").exists()


# --------------------------------------------------------------------------------------------- 5. integrity


def test_a_silently_changed_partition_is_named_and_never_built_on(archive: JobArchive) -> None:
    target = part_file(archive, "2026-10")
    table = pq.read_table(target)
    ids = table.column("job_id").to_pylist()
    forged = table.set_column(0, "job_id", pa.array(["forged", *ids[1:]]))
    pq.write_table(forged, target, compression="zstd")  # a valid Parquet file: only the checksum tells
    with pytest.raises(ArchiveCorruptError, match="is corrupt") as caught:
        archive.load()
    assert caught.value.path == target
    with pytest.raises(ArchiveCorruptError, match=str(target.name)):
        upsert(archive, [record("oct-9", created="2026-10-09T00:00:00+0000")], T2)
    report = archive.verify()
    assert not report.ok and any(target.name in problem for problem in report.problems)


def test_flipped_bytes_are_detected_and_repair_quarantines_the_file_and_records_the_loss(
    archive: JobArchive,
) -> None:
    target = part_file(archive, "2026-10")
    data = bytearray(target.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 16] = bytes(b ^ 0xFF for b in data[middle : middle + 16])
    target.write_bytes(bytes(data))
    with pytest.raises(ArchiveCorruptError, match=target.name):
        archive.load()
    files = snapshot(archive.path)
    assert not archive.verify().ok
    assert snapshot(archive.path) == files  # verify changes nothing
    archive.repair()
    moved = list((archive.path / "_quarantine").rglob("*.quarantined"))
    assert [p.name for p in moved] == [f"{target.name}.quarantined"]
    assert sorted(archive.load()["job_id"]) == ["nov-1", "sep-1"]
    # The file held one row group: all 3 of its jobs are lost, and verify keeps saying so (#17, defect 6).
    report = archive.verify()
    assert not report.ok
    assert (
        f"3 job(s) created 2026-10-01T00:00:00+00:00 → 2026-11-01T00:00:00+00:00 were lost from "
        f"month=2026-10/{target.name}" in str(report)
    )


def test_partition_files_carry_page_checksums_and_the_manifest_their_sha256(archive: JobArchive) -> None:
    entry = manifest_of(archive)["partitions"]["2026-10"]
    path = archive.path / entry["file"]
    assert entry["bytes"] == path.stat().st_size
    assert _files.digest_of(path.read_bytes()) == (entry["bytes"], entry["sha256"])
    assert pq.read_table(path, page_checksum_verification=True).num_rows == entry["rows"]


# -------------------------------------------------------------------------------------- 6. external readers


def test_external_readers_see_exactly_the_committed_jobs(
    archive: JobArchive, monkeypatch: pytest.MonkeyPatch
) -> None:
    upsert(archive, [record("nov-1", "Completed", created="2026-11-01T00:00:00+0000")], T2)
    assert glob_counts(archive.path) == (len(archive.load()),) * 2
    # A crash before the commit: the staged file stays hidden.
    real_fsync = _files.os.fsync
    with archive.locked(), pytest.raises(OSError, match="I/O error"):
        monkeypatch.setattr(
            _files.os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(errno.EIO, "I/O error"))
        )
        upsert(archive, [record("oct-8", created="2026-10-08T00:00:00+0000")], T2)
    monkeypatch.setattr(_files.os, "fsync", real_fsync)
    assert glob_counts(archive.path) == (len(THREE_MONTHS),) * 2
    # A crash after the commit, before the staged file is renamed into place: the next open finishes it.
    real_replace = _transaction.os.replace

    def killed_at_the_rename_into_place(source: Any, target: Any) -> None:
        if str(source).endswith(".staged"):
            raise OSError("killed")
        real_replace(source, target)

    with archive.locked(), pytest.raises(OSError, match="killed"):
        monkeypatch.setattr(_transaction.os, "replace", killed_at_the_rename_into_place)
        upsert(archive, [record("oct-9", created="2026-10-09T00:00:00+0000")], T2)
    monkeypatch.setattr(_transaction.os, "replace", real_replace)
    assert len(archive.load()) == len(THREE_MONTHS) + 1  # committed: readers see it at once
    reopened = JobArchive(archive.path)
    assert "pending" not in manifest_of(reopened)
    assert glob_counts(archive.path) == (len(THREE_MONTHS) + 1,) * 2
    by_duckdb = duckdb.sql(
        f"SELECT month, count(*) AS jobs FROM read_parquet('{archive.path}/**/*.parquet', "
        "hive_partitioning=true) GROUP BY month ORDER BY month"
    ).fetchall()
    assert [(str(month), jobs) for month, jobs in by_duckdb] == [
        (month, rows) for month, rows in reopened.partitions().items()
    ]


# -------------------------------------------------------------------------------------------------- 7. lock


def test_a_failed_lock_write_leaves_no_lock_behind(
    archive: JobArchive, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(_lock.json, "dump", full)
    with pytest.raises(OSError, match=r"cannot write the archive lock .*No space left"):
        upsert(archive, [record("z")], T2)
    monkeypatch.undo()
    assert not [p.name for p in archive.path.iterdir() if p.name.startswith(".lock")]
    assert upsert(archive, [record("z")], T2).new == 1


def test_a_stale_lock_is_taken_over_with_a_warning(
    archive: JobArchive, caplog: pytest.LogCaptureFixture
) -> None:
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    details = {"pid": int(child.stdout), "host": socket.gethostname(), "since": "2026-11-01T00:00:00+00:00"}
    (archive.path / ".lock").write_text(json.dumps({**details, "token": "x"}))
    with caplog.at_level(logging.WARNING, logger="ddsjobs_analytics.archive"):
        upsert(archive, [record("z")], T2)
    assert f"taking over the stale lock of pid {details['pid']} on {socket.gethostname()}" in caplog.text


# --------------------------------------------------------------------------------------- 3, 9. text, errors


def test_a_lone_surrogate_fails_neither_the_batch_nor_raw(tmp_path: Path) -> None:
    archive = JobArchive(tmp_path / "a")
    odd = record("odd", "Failed", fail_reason="x\ud800", created="2026-11-02T00:00:00+0000")
    with pytest.warns(DataQualityWarning, match=r"lone surrogate.*job odd"):
        stats = upsert(archive, [odd, record("fine")], T1)
    assert stats.new == 2
    df = archive.load(columns=["job_id", "fail_reason", "raw"]).set_index("job_id")
    assert df.loc["odd", "fail_reason"] == "x\ufffd"
    assert "\\ud800" in df.loc["odd", "raw"] and json.loads(df.loc["odd", "raw"]) == odd
    assert json.loads(df.loc["fine", "raw"]) == record("fine")


def test_disk_full_names_the_file(archive: JobArchive, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    with (
        archive.locked(),
        pytest.raises(OSError, match=r"No space left on device \(writing .*month=2026-11/\.part-") as caught,
    ):
        monkeypatch.setattr(_files.os, "fsync", no_space)
        upsert(archive, [record("nov-9", created="2026-11-09T00:00:00+0000")], T2)
    monkeypatch.undo()
    assert caught.value.errno == errno.ENOSPC and "month=2026-11" in str(caught.value.filename)


# ------------------------------------------------------------------------------------------------ 11. tools


def test_verify_reports_a_healthy_archive_and_unfinished_leftovers(archive: JobArchive) -> None:
    report = archive.verify()
    assert report.ok and report.rows == len(THREE_MONTHS) and report.files_checked == 3
    (archive.path / "month=2026-10" / ".part-0123456789ab-0.parquet.staged").write_bytes(b"x")
    (archive.path / "month=2026-10" / "stray.csv").write_text("a,b")
    report = archive.verify()
    assert "left by an interrupted write" in str(report)
    assert report.problems == ["month=2026-10/stray.csv is not a file this archive writes"]


def test_the_cli_verifies_and_repairs(archive: JobArchive, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["archive", "verify", "--archive", str(archive.path)]) == 0
    assert "5 jobs in 3 file(s) checked; OK" in capsys.readouterr().out
    (archive.path / "_archive.json").unlink()
    assert main(["archive", "verify", "--archive", str(archive.path)]) == 1
    assert "the manifest is missing" in capsys.readouterr().out
    assert main(["archive", "repair", "--archive", str(archive.path)]) == 0
    out = capsys.readouterr().out
    assert "repaired: 5 rows read from 3 file(s), 0 file(s) moved to _quarantine/" in out
    assert out.rstrip().endswith("OK")


def test_the_readme_duckdb_query_runs_on_an_archive(archive: JobArchive) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    (query,) = re.findall(r"```sql\n(.*?)```", readme, flags=re.DOTALL)
    rows = duckdb.sql(query.replace("~/dds-jobs", str(archive.path))).fetchall()
    frame = archive.load()
    expected = frame.assign(month=frame["created"].dt.strftime("%Y-%m")).groupby(
        ["month", "status"], observed=True
    )
    assert [(str(month), status, jobs) for month, status, jobs, _ in rows] == [
        (month, status, len(group)) for (month, status), group in expected
    ]
    medians = {(str(m), s): median for m, s, _, median in rows}
    assert (
        medians[("2026-10", "Completed")]
        == frame.loc[frame["job_id"].isin(["oct-2", "oct-3"]), "duration_s"].median()
    )
