"""Batches put in partition order before they are written (#16 §6): the same archive, without a copy.

``ordered_batch`` (what ``upsert_records`` and ``sync`` use) hands over rows sorted as partitions are
written, so that ``split_by_month`` writes them without a ``take``. These tests check that this changes
nothing an archive holds: the rows, the bytes of ``raw``, the files.
"""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from ddsjobs_analytics._frame import DataQualityWarning
from ddsjobs_analytics.archive import JobArchive, _months, _raw, sync
from ddsjobs_analytics.archive._records import ordered_batch, table_from_records
from ddsjobs_analytics.archive._schema import month_index

OBSERVED = "2026-12-01T00:00:00+00:00"


def records(count: int, seed: int) -> list[dict[str, Any]]:
    """ListTasks records over two months and a month boundary, with shared creation times (ties broken by
    id), one record without a usable ``created`` and text outside ASCII."""
    rng = random.Random(seed)
    out = []
    for n in range(count):
        day, minute = (
            rng.choice([("10-31", "23:59"), ("11-01", "00:00"), ("11-01", "08:00")]),
            rng.randrange(3),
        )
        created = f"2026-{day[0]}T{day[1]}:0{minute}+0800" if n % 17 else "not a time"
        out.append(
            {
                "id": f"job-{rng.randrange(10**9):09d}-{n}",
                "name": rng.choice(["CreateMongoDB", "RestartInstance", "ResizeVolume"]),
                "instance_id": f"in{n % 5}",
                "instance_name": f"dds-{n % 5}-é",
                "status": rng.choice(["Running", "Completed", "Failed"]),
                "progress": "",
                "fail_reason": '磁盘满 "full"' if n % 7 == 0 else None,
                "created_at": created,
                "ended_at": "2026-11-02T10:10:00+0800",
            }
        )
    return out


def _write_order(table: pa.Table) -> pa.Table:
    codes = month_index(table.column("created"))[1]
    keys = pa.table({"month": codes, "created": table.column("created"), "job_id": table.column("job_id")})
    order = [("month", "ascending"), ("created", "ascending"), ("job_id", "ascending")]
    return table.take(pc.sort_indices(keys, sort_keys=order))


def test_partition_order_is_the_same_rows_sorted_with_their_own_raw() -> None:
    batch = records(300, 1)
    plain = table_from_records(batch, observed_at=OBSERVED, region="r", project_id="p", errors="ignore")
    ordered, distinct = ordered_batch(
        batch, observed_at=OBSERVED, region="r", project_id="p", errors="ignore"
    )
    assert distinct
    assert plain.column("job_id").to_pylist() == [record["id"] for record in batch]
    assert ordered.equals(_write_order(plain))
    assert not ordered.equals(plain)
    for job_id, raw in zip(
        ordered.column("job_id").to_pylist(), ordered.column("raw").to_pylist(), strict=True
    ):
        assert json.loads(raw)["id"] == job_id


def test_a_batch_listing_a_job_twice_keeps_its_order() -> None:
    """The later of two equal records wins (the merge rules' last tie-break): the order is left alone."""
    batch = records(50, 2)
    batch.append({**batch[0], "instance_name": "renamed"})
    plain = table_from_records(batch, observed_at=OBSERVED, region="r", project_id="p", errors="ignore")
    ordered, distinct = ordered_batch(
        batch, observed_at=OBSERVED, region="r", project_id="p", errors="ignore"
    )
    assert not distinct
    assert ordered.equals(plain)


def _files(path: Path) -> dict[str, tuple[pa.Table, str]]:
    """Month → (its partition's rows, the file's sha256)."""
    out = {}
    for file in sorted(path.glob("month=*/*.parquet")):
        data = file.read_bytes()
        out[file.parent.name] = (pq.read_table(file), hashlib.sha256(data).hexdigest())
    return out


class _Center:
    region, project_id = "r", "p"

    def __init__(self, listed: list[dict[str, Any]]) -> None:
        self.listed = listed

    def list_jobs(self, start: object, end: object) -> list[dict[str, Any]]:
        return self.listed

    def get_jobs(self, job_ids: object) -> list[dict[str, Any]]:
        return []


def test_archives_written_in_either_order_are_identical(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Upserting the batch in partition order (no copy) or in input order (sorted when written) gives the
    same partitions, byte for byte; so does a first sync, whose rows arrive in partition order."""
    verdicts: list[bool] = []

    def spy(*args: Any) -> bool:
        verdicts.append(real(*args))
        return verdicts[-1]

    real = _months.in_order
    monkeypatch.setattr(_months, "in_order", spy)
    batch = records(400, 3)
    unsorted = table_from_records(batch, observed_at=OBSERVED, region="r", project_id="p", errors="ignore")
    JobArchive(tmp_path / "input-order").upsert_table(unsorted)
    assert verdicts == [False]  # written through a sort and a take
    JobArchive(tmp_path / "partition-order").upsert_records(
        batch, observed_at=OBSERVED, region="r", project_id="p", errors="ignore"
    )
    assert verdicts == [False, False, True]  # sorted once as records, then written as they are
    expected = _files(tmp_path / "input-order")
    assert sorted(expected) == ["month=2026-10", "month=2026-11", "month=unknown"]
    got = _files(tmp_path / "partition-order")
    assert got.keys() == expected.keys()
    for month, (table, digest) in expected.items():
        assert got[month][0].equals(table, check_metadata=True), month
        assert got[month][1] == digest, month
    # A sync: the same rows (observed at `now`), written without a copy as well.
    synced = tmp_path / "synced"
    with pytest.warns(DataQualityWarning, match="created"):
        sync(_Center(batch), JobArchive(synced), now="2026-11-03T00:00:00+00:00", instances=False)
    assert verdicts[-1] is True
    listed = table_from_records(
        batch, observed_at="2026-11-03T00:00:00+00:00", region="r", project_id="p", errors="ignore"
    )
    JobArchive(tmp_path / "sync-baseline").upsert_table(listed)
    baseline = _files(tmp_path / "sync-baseline")
    assert _files(synced).keys() == baseline.keys()
    for month, (table, digest) in _files(synced).items():
        assert table.equals(baseline[month][0], check_metadata=True) and digest == baseline[month][1], month


def test_a_sync_listing_a_job_twice_archives_it_once(tmp_path: Path) -> None:
    """The listing's ids are checked before its reduction is skipped: a repeated job is one row, the
    finished record (listed second) over the Running one."""
    batch = records(30, 4)
    running = {**batch[0], "status": "Running", "progress": "10%"}
    finished = {**batch[0], "status": "Completed"}
    archive = JobArchive(tmp_path / "a")
    with pytest.warns(DataQualityWarning, match="created"):
        stats = sync(_Center([running, *batch[1:], finished]), archive, now="2026-11-03", instances=False)
    assert stats.new == 30
    frame = archive.load()
    assert len(frame) == 30 and frame["job_id"].is_unique
    assert frame.set_index("job_id").loc[batch[0]["id"], "status"] == "Completed"


def test_a_running_job_listed_again_is_not_fetched_by_id(tmp_path: Path) -> None:
    """Only the archive's Running jobs that the listing does not hold are asked for by id."""

    class Asking(_Center):
        def __init__(self, listed: list[dict[str, Any]]) -> None:
            super().__init__(listed)
            self.asked: list[list[str]] = []

        def get_jobs(self, job_ids: object) -> list[dict[str, Any]]:
            self.asked.append(sorted(job_ids))  # type: ignore[call-overload]
            return []

    first = [
        {**record, "status": "Running", "progress": "5%", "created_at": "2026-11-01T08:00:00+0800"}
        for record in records(3, 5)
    ]
    archive = JobArchive(tmp_path / "a")
    sync(Asking(first), archive, now="2026-11-02", instances=False)
    center = Asking([{**first[0], "status": "Completed", "progress": ""}, *records(2, 6)[1:]])
    stats = sync(center, archive, now="2026-11-02T06:00:00", instances=False)
    assert center.asked == [sorted([first[1]["id"], first[2]["id"]])]
    assert stats.refetched == 2 and stats.lost == sorted([first[1]["id"], first[2]["id"]])


def test_json_beyond_one_arrow_chunk_is_sorted_when_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``raw`` in several chunks (beyond 2 GiB; here a 4 kB limit) is not reordered as records; the
    partitions come out the same as from one chunk."""
    batch = records(200, 7)
    JobArchive(tmp_path / "one-chunk").upsert_records(
        batch, observed_at=OBSERVED, region="r", project_id="p", errors="ignore"
    )
    monkeypatch.setattr(_raw, "MAX_CHUNK_BYTES", 4096)
    table, distinct = ordered_batch(batch, observed_at=OBSERVED, region="r", project_id="p", errors="ignore")
    assert distinct and table.column("raw").num_chunks > 1
    assert table.column("job_id").to_pylist() == [record["id"] for record in batch]  # as listed
    JobArchive(tmp_path / "chunks").upsert_records(
        batch, observed_at=OBSERVED, region="r", project_id="p", errors="ignore"
    )
    expected, got = _files(tmp_path / "one-chunk"), _files(tmp_path / "chunks")
    assert got.keys() == expected.keys()
    for month, (rows, _digest) in expected.items():
        assert got[month][0].equals(rows, check_metadata=True), month
