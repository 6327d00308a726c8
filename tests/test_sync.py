"""sync(): listing windows, high-water marks, re-fetching Running jobs by id, lost ids, lock, atomicity;
first against a fake task center, then end to end against the simulator through the real client."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest

from ddsjobs_analytics import client
from ddsjobs_analytics._frame import DataQualityWarning, jobs_frame
from ddsjobs_analytics.archive import ArchiveLockedError, JobArchive, _files, _transaction, sync
from ddsjobs_analytics.client import JobBatch, NotFoundError, ServerError

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def api_time(moment: datetime) -> str:
    return moment.astimezone(timezone(timedelta(hours=8))).strftime("%Y-%m-%dT%H:%M:%S%z")


class FakeTaskCenter:
    """The sync protocol over an in-memory job list: ListTasks (v3.1) and ShowJobDetail (v3) shapes."""

    def __init__(self, region: str = "r1", project_id: str = "p1") -> None:
        self.region, self.project_id = region, project_id
        self.now = NOW
        self.jobs: dict[str, dict[str, Any]] = {}
        self.forgotten: set[str] = set()
        self.failing: dict[str, Exception] = {}
        self.windows: list[tuple[datetime, datetime]] = []
        self.asked: list[list[str]] = []
        self.before_listing: Any = None

    def add(
        self, job_id: str, created: datetime, status: str = "Running", duration: timedelta = HOUR
    ) -> None:
        self.jobs[job_id] = {"created": created, "status": status, "ended": created + duration}

    def finish(self, job_id: str, status: str = "Completed") -> None:
        self.jobs[job_id]["status"] = status

    def _record(self, job_id: str, shape: str) -> dict[str, Any]:
        job = self.jobs[job_id]
        running = job["status"] == "Running"
        common = {
            "id": job_id,
            "status": job["status"],
            "progress": "40%" if running else "",
            "fail_reason": "boom" if job["status"] == "Failed" else None,
        }
        if shape == "v3":
            return {
                **common,
                "name": "Create_MongoDB",
                "created": api_time(job["created"]),
                "ended": api_time(job["ended"]),
                "instance": {"id": "in01", "name": "dds-in01"},
            }
        return {
            **common,
            "name": "CreateMongoDB",
            "created_at": api_time(job["created"]),
            "ended_at": api_time(job["ended"]),
            "instance_id": "in01",
            "instance_name": "dds-in01",
        }

    def list_jobs(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        if self.before_listing is not None:
            self.before_listing()
        self.windows.append((start, end))
        horizon = self.now - timedelta(days=30)
        return [
            self._record(job_id, "v3.1")
            for job_id, job in self.jobs.items()
            if start <= job["created"] <= end and job["created"] >= horizon and job_id not in self.forgotten
        ]

    def get_jobs(self, job_ids: Sequence[str]) -> JobBatch:
        self.asked.append(list(job_ids))
        found, failures = [], {}
        for job_id in job_ids:
            if job_id in self.failing:
                failures[job_id] = self.failing[job_id]
            elif job_id in self.jobs and job_id not in self.forgotten:
                found.append(self._record(job_id, "v3"))
            else:
                failures[job_id] = NotFoundError(f"GET /v3/p1/jobs?id={job_id} -> HTTP 400 (DBS.280016)")
        return JobBatch(found, failures)


@pytest.fixture
def center() -> FakeTaskCenter:
    return FakeTaskCenter()


@pytest.fixture
def archive(tmp_path: Path) -> JobArchive:
    return JobArchive(tmp_path / "archive")


def states(archive: JobArchive) -> dict[str, str]:
    frame = archive.load(columns=["job_id", "status"])
    return dict(zip(frame["job_id"].astype(str), frame["status"].astype(str), strict=True))


def test_the_first_sync_lists_the_window_the_service_keeps(
    center: FakeTaskCenter, archive: JobArchive
) -> None:
    center.add("old", NOW - 40 * DAY, "Completed")
    center.add("a", NOW - 10 * DAY, "Completed")
    center.add("b", NOW - 2 * HOUR)
    stats = sync(center, archive, since="90d", now=NOW)
    assert center.windows == [(NOW - 30 * DAY, NOW)]  # capped at the service's horizon
    assert states(archive) == {"a": "Completed", "b": "Running"}
    assert (stats.new, stats.still_running, stats.listed, stats.refetched) == (2, 1, 2, 0)
    assert center.asked == []
    mark = archive.sync_state("r1", "p1")
    assert mark is not None
    assert pd.Timestamp(mark["max_created"]) == NOW - 2 * HOUR
    assert pd.Timestamp(mark["listed_until"]) == NOW


def test_since_accepts_ages_timedeltas_and_datetimes(center: FakeTaskCenter, tmp_path: Path) -> None:
    sync(center, JobArchive(tmp_path / "a"), since="12h", now=NOW)
    sync(center, JobArchive(tmp_path / "b"), since=timedelta(days=3), now=NOW)
    sync(center, JobArchive(tmp_path / "c"), since=datetime(2026, 11, 1, tzinfo=timezone.utc), now=NOW)
    starts = [start for start, _ in center.windows]
    assert starts == [NOW - 12 * HOUR, NOW - 3 * DAY, datetime(2026, 11, 1, tzinfo=timezone.utc)]


def test_a_second_sync_lists_from_the_mark_and_refetches_running_jobs(
    center: FakeTaskCenter, archive: JobArchive
) -> None:
    center.add("long", NOW - 5 * DAY)  # created long before the next window, still running
    center.add("soon", NOW - 3 * DAY)
    center.add("recent", NOW - 3 * HOUR, "Completed")
    sync(center, archive, now=NOW)

    later = NOW + 6 * HOUR
    center.now = later
    center.finish("long")
    center.finish("soon", "Failed")
    center.add("new", later - HOUR)
    stats = sync(center, archive, overlap="1d", now=later)

    assert center.windows[-1] == (NOW - 3 * HOUR - DAY, later)
    assert center.asked == [["long", "soon"]]  # only the Running jobs outside the listing window
    assert states(archive) == {"long": "Completed", "soon": "Failed", "recent": "Completed", "new": "Running"}
    assert (stats.new, stats.updated, stats.unchanged, stats.still_running) == (1, 2, 1, 1)
    assert stats.refetched == 2 and stats.lost == [] and not stats.refetch_failed
    df = archive.load().set_index("job_id")
    assert df.loc["long", "job_name"] == "Create_MongoDB"  # the by-id (v3) record won
    assert df.loc["long", "first_seen"] == NOW and df.loc["long", "last_seen"] == later
    assert df.loc["soon", "fail_reason"] == "boom"
    assert pd.Timestamp(archive.sync_state("r1", "p1")["max_created"]) == later - HOUR


def test_ids_the_service_forgot_are_lost_and_failures_are_reported(
    center: FakeTaskCenter, archive: JobArchive
) -> None:
    center.add("forgotten", NOW - 5 * DAY)
    center.add("flaky", NOW - 5 * DAY)
    center.add("ancient", NOW - 20 * DAY)
    center.add("recent", NOW - HOUR, "Completed")  # the high-water mark: the others are before the window
    sync(center, archive, now=NOW)
    later = NOW + 20 * DAY  # "ancient" is now 40 days old: beyond any horizon, not even asked for
    center.now = later
    center.forgotten.add("forgotten")
    center.failing["flaky"] = ServerError("GET /v3/p1/jobs?id=flaky -> HTTP 500 (DBS.280005: busy)")
    stats = sync(center, archive, now=later)
    assert center.asked == [["flaky", "forgotten"]]
    assert stats.lost == ["ancient", "forgotten"]
    assert list(stats.refetch_failed) == ["flaky"]
    assert "ServerError" in stats.refetch_failed["flaky"]
    assert states(archive) == {
        "forgotten": "Running",
        "flaky": "Running",
        "ancient": "Running",
        "recent": "Completed",
    }
    text = str(stats)
    assert "2 jobs lost (Running in the archive, unknown to the service): ancient, forgotten" in text
    assert "1 job could not be re-fetched: flaky (ServerError" in text


def test_high_water_marks_are_kept_per_region_and_project(archive: JobArchive) -> None:
    first, second = FakeTaskCenter("r1", "p1"), FakeTaskCenter("r2", "p2")
    first.add("a", NOW - 2 * DAY, "Completed")
    second.add("b", NOW - 9 * DAY, "Completed")
    sync(first, archive, now=NOW)
    sync(second, archive, now=NOW)
    sync(first, archive, now=NOW + HOUR)
    sync(second, archive, now=NOW + HOUR)
    assert first.windows[1][0] == NOW - 3 * DAY
    assert second.windows[1][0] == NOW - 10 * DAY
    df = archive.load().set_index("job_id")
    assert (df.loc["a", "region"], df.loc["b", "project_id"]) == ("r1", "p2")


def test_a_sync_while_another_holds_the_lock_fails_cleanly(
    center: FakeTaskCenter, archive: JobArchive
) -> None:
    center.add("a", NOW - HOUR)
    listing, release = threading.Event(), threading.Event()

    def block() -> None:
        listing.set()
        assert release.wait(10)

    center.before_listing = block
    outcome: dict[str, Any] = {}
    worker = threading.Thread(target=lambda: outcome.update(stats=sync(center, archive, now=NOW)))
    worker.start()
    try:
        assert listing.wait(10)
        other = FakeTaskCenter()
        with pytest.raises(ArchiveLockedError, match="locked by pid"):
            sync(other, JobArchive(archive.path), now=NOW)
        assert other.windows == []  # refused before asking the service anything
    finally:
        release.set()
        worker.join(10)
    assert outcome["stats"].new == 1
    assert states(archive) == {"a": "Running"}


def test_an_interrupted_sync_changes_nothing_and_the_next_one_completes(
    center: FakeTaskCenter, archive: JobArchive, monkeypatch: pytest.MonkeyPatch
) -> None:
    center.add("oct", datetime(2026, 10, 25, tzinfo=timezone.utc))
    sync(center, archive, now=NOW)
    mark = archive.sync_state("r1", "p1")
    before = archive.load()
    center.finish("oct")
    center.add("nov", datetime(2026, 11, 19, tzinfo=timezone.utc), "Completed")
    real = _files.write_staged_partition
    writes: list[str] = []

    def crash_on_second(root: Path, name: str, table: Any) -> Any:
        writes.append(name)
        if len(writes) == 2:
            raise OSError("power cut (injected)")
        return real(root, name, table)

    monkeypatch.setattr(_transaction, "write_staged_partition", crash_on_second)
    with pytest.raises(OSError, match="injected"):
        sync(center, archive, now=NOW + HOUR)
    assert archive.sync_state("r1", "p1") == mark
    pd.testing.assert_frame_equal(archive.load(), before)

    monkeypatch.setattr(_transaction, "write_staged_partition", real)
    stats = sync(center, archive, now=NOW + HOUR)
    assert (stats.new, stats.updated) == (1, 1)
    assert states(archive) == {"oct": "Completed", "nov": "Completed"}


# --------------------------------------------------------------------------------------------- end to end

COMPARED = [
    "job_id",
    "job_type",
    "status",
    "created",
    "ended",
    "duration_s",
    "progress",
    "fail_reason",
    "instance_id",
]


def test_sync_twice_against_the_simulator_matches_its_truth(tmp_path: Path) -> None:
    simulator = pytest.importorskip("ddsjobs_analytics.simulator")
    client = pytest.importorskip("ddsjobs_analytics.client")
    archive = JobArchive(tmp_path / "archive")
    with simulator.running(jobs=600, seed=7, history_days=40, future_days=2) as sim:
        auth = client.AkSkAuth(sim.ak, sim.sk)
        with client.TaskCenter(
            region=sim.region, project_id=sim.project_id, auth=auth, endpoint=sim.url, progress=False
        ) as center:
            spawned = set(sim.spawn(20))  # running now
            sim.advance(60)
            sim.spawn(1)  # the high-water mark: a minute after the others
            first_now = sim.now
            first = sync(center, archive, now=first_now)
            running_then = set(archive.nonterminal_jobs(sim.region, sim.project_id)["job_id"])
            sim.advance(30 * 3600)  # running jobs end, jobs drawn for later appear
            # With a 10 s overlap the spawned jobs are outside the second listing: only by id can they end.
            second = sync(center, archive, overlap="10s", now=sim.now)
            asked_by_id = {dict(r.query).get("id") for r in sim.requests if r.path.startswith("/v3/")}
        truth = sim.truth(first_now - timedelta(days=30), sim.now)
        observed = sim.now
    assert first.new > 0 and spawned <= running_then
    assert second.new > 0 and second.updated > 0
    assert second.refetched > 0

    expected = jobs_frame(truth, observed_at=observed, region=sim.region, project_id=sim.project_id)
    expected = expected.sort_values("job_id").reset_index(drop=True)[COMPARED]
    stored = archive.load().sort_values("job_id").reset_index(drop=True)
    assert stored["job_id"].is_unique
    assert len(stored) == len(expected)
    pd.testing.assert_frame_equal(
        stored[COMPARED], expected, check_categorical=False, check_index_type=False, check_dtype=False
    )
    assert spawned <= asked_by_id
    ended = set(expected.loc[expected["status"] != "Running", "job_id"])
    assert len(spawned & ended) >= 15, "most spawned jobs should have ended within 30 hours"


# --------------------------------------------------------------------------------------------- hardening (#9)


def test_an_absurd_created_never_becomes_the_high_water_mark(
    center: FakeTaskCenter, archive: JobArchive
) -> None:
    center.add("a", NOW - 2 * HOUR, "Completed")
    center.add("far", datetime(9999, 1, 1, tzinfo=timezone.utc), "Completed")
    real_list = center.list_jobs
    # A service that lists a job created in year 9999 whatever the window.
    center.list_jobs = lambda start, end: [*real_list(start, end), center._record("far", "v3.1")]  # type: ignore[method-assign]
    with pytest.warns(DataQualityWarning, match="1 created outside 1970–2100"):
        sync(center, archive, now=NOW)
    assert pd.Timestamp(archive.sync_state("r1", "p1")["max_created"]) == NOW - 2 * HOUR
    raw = archive.load(columns=["job_id", "raw"]).set_index("job_id")["raw"]
    assert "9999-01-01" in raw["far"]  # the record is kept as received
    with pytest.warns(DataQualityWarning, match="outside 1970–2100"):
        stats = sync(center, archive, now=NOW + HOUR)  # and the next sync still works
    assert center.windows[-1] == (NOW - 2 * HOUR - DAY, NOW + HOUR)
    assert stats.new == 0


def test_a_future_mark_already_stored_is_ignored(
    center: FakeTaskCenter, archive: JobArchive, caplog: pytest.LogCaptureFixture
) -> None:
    center.add("a", NOW - 2 * HOUR, "Completed")
    sync(center, archive, now=NOW)
    manifest_path = archive.path / "_archive.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["syncs"][0]["max_created"] = "9999-01-01T00:00:00+00:00"
    manifest_path.write_text(json.dumps(manifest))
    with caplog.at_level("WARNING", logger="ddsjobs_analytics.archive"):
        sync(center, archive, now=NOW + HOUR)
    assert "ignoring the archive's max_created 9999-01-01" in caplog.text
    assert center.windows[-1] == (NOW - DAY, NOW + HOUR)  # from listed_until minus the overlap
    assert pd.Timestamp(archive.sync_state("r1", "p1")["max_created"]) == NOW - 2 * HOUR


def test_an_unchanged_running_job_refetched_by_id_is_not_an_update(
    center: FakeTaskCenter, archive: JobArchive
) -> None:
    center.add("long", NOW - 5 * DAY)
    center.add("recent", NOW - HOUR, "Completed")
    sync(center, archive, now=NOW)
    before = {p.name for p in archive.path.rglob("*.parquet")}
    for hours in (6, 12):
        stats = sync(center, archive, overlap="1h", now=NOW + hours * HOUR)
        assert stats.refetched == 1
        assert (stats.updated, stats.partitions_written) == (0, 0)
    assert {p.name for p in archive.path.rglob("*.parquet")} == before


def test_not_found_is_recognised_by_type_not_by_name(center: FakeTaskCenter, archive: JobArchive) -> None:
    class NotFoundError(Exception):  # the same name, not the client's error
        pass

    class Gone(client.NotFoundError):  # another name, but the client's error
        pass

    for job_id in ("impostor", "gone", "keyerror"):
        center.add(job_id, NOW - 5 * DAY)
    center.add("recent", NOW - HOUR, "Completed")
    sync(center, archive, now=NOW)
    center.failing = {"impostor": NotFoundError("x"), "gone": Gone("y"), "keyerror": KeyError("z")}
    stats = sync(center, archive, now=NOW + HOUR)
    assert stats.lost == ["gone"]
    assert sorted(stats.refetch_failed) == ["impostor", "keyerror"]


def test_a_lone_surrogate_in_a_listed_record_fails_nothing(
    center: FakeTaskCenter, archive: JobArchive
) -> None:
    center.add("a", NOW - 2 * HOUR, "Failed")
    center.add("b", NOW - HOUR, "Completed")
    real = center._record

    def odd(job_id: str, shape: str) -> dict[str, Any]:
        found = real(job_id, shape)
        return {**found, "fail_reason": "x\ud800"} if job_id == "a" else found

    center._record = odd  # type: ignore[method-assign]
    with pytest.warns(DataQualityWarning, match="lone surrogate.*job a"):
        stats = sync(center, archive, now=NOW)
    assert stats.new == 2
    assert states(archive) == {"a": "Failed", "b": "Completed"}


# ------------------------------------------------------------------------------------ lost windows (#17)


def _flip_row_group(path: Path, group: int) -> list[str]:
    """Flip one byte inside row group ``group``'s ``raw`` pages; returns the job ids that group held."""
    parquet = pq.ParquetFile(path)
    lost = parquet.read_row_group(group, columns=["job_id"]).column("job_id").to_pylist()
    chunk = parquet.metadata.row_group(group).column(parquet.schema_arrow.get_field_index("raw"))
    first = chunk.dictionary_page_offset if chunk.has_dictionary_page else chunk.data_page_offset
    offset = first + chunk.total_compressed_size // 2
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))
    return lost


def test_repair_keeps_every_intact_row_group_and_the_next_sync_fetches_the_lost_window_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """#17 defect 6: one flipped byte used to send a whole month to _quarantine/, verify then said OK and
    the next sync never fetched it again. Now only the damaged row group is lost, its window is recorded,
    verify reports it, and the next sync lists it again: the archive equals the simulator's truth."""
    simulator = pytest.importorskip("ddsjobs_analytics.simulator")
    monkeypatch.setattr(_files, "ROW_GROUP_ROWS", 20)
    archive = JobArchive(tmp_path / "archive")
    start = datetime(2026, 11, 20, 12, tzinfo=timezone.utc)
    with simulator.running(jobs=600, seed=11, history_days=40, future_days=2, now=start) as sim:
        auth = client.AkSkAuth(sim.ak, sim.sk)
        with client.TaskCenter(
            region=sim.region, project_id=sim.project_id, auth=auth, endpoint=sim.url, progress=False
        ) as center:
            first_now = sim.now
            sync(center, archive, now=first_now)
            entry = json.loads((archive.path / "_archive.json").read_text())["partitions"]["2026-11"]
            target = archive.path / entry["file"]
            groups = pq.ParquetFile(target).num_row_groups
            assert groups >= 5
            before = pq.read_table(target, columns=["job_id", "created"])
            lost_ids = _flip_row_group(target, 3)
            report = archive.repair()
            assert "20 job(s) lost in 1 window(s)" in str(report)
            kept = set(archive.load()["job_id"].astype(str))
            assert not kept & set(lost_ids)
            assert set(before.column("job_id").to_pylist()) - kept == set(lost_ids)
            # The window runs from the newest `created` of group 2 to the oldest of group 4.
            created = before.column("created").to_pandas()
            low, high = created.iloc[3 * 20 - 1], created.iloc[4 * 20]
            assert (
                archive.holes()[0]["start"] == low.isoformat()
                and archive.holes()[0]["end"] == high.isoformat()
            )
            verdict = archive.verify()
            assert not verdict.ok
            assert f"20 job(s) created {low.isoformat()} → {high.isoformat()} were lost" in str(verdict)
            assert "the next `ddsjobs sync` fetches them again" in str(verdict)
            sim.advance(3600)
            stats = sync(center, archive, now=sim.now)
        truth = sim.truth(first_now - timedelta(days=30), sim.now)
        observed = sim.now
    assert [(a, b, jobs) for a, b, jobs in stats.holes_refetched] == [(low, high, 20)]
    assert "where a repair lost 20 jobs" in str(stats)
    assert archive.holes() == [] and archive.verify().ok
    expected = jobs_frame(truth, observed_at=observed, region=sim.region, project_id=sim.project_id)
    expected = expected.sort_values("job_id").reset_index(drop=True)[COMPARED]
    stored = archive.load().sort_values("job_id").reset_index(drop=True)
    assert stored["job_id"].is_unique and set(lost_ids) <= set(stored["job_id"])
    pd.testing.assert_frame_equal(
        stored[COMPARED], expected, check_categorical=False, check_index_type=False, check_dtype=False
    )
