"""The archive's inventory history: validity intervals, as-of loads, verify and repair."""

from __future__ import annotations

import warnings
from datetime import datetime, timezone

import pandas as pd
import pytest

import ddsjobs_analytics as dj
from ddsjobs_analytics.archive import JobArchive, sync
from ddsjobs_analytics.archive._inventory import INVENTORY_DIR, InstanceHistory
from ddsjobs_analytics.client import AkSkAuth, TaskCenter
from ddsjobs_analytics.simulator import running

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def synced(tmp_path):
    """Two syncs a day apart; in between one instance is upgraded to 5.0 and one is deleted."""
    with running(jobs=1500, instances=20, seed=6, now=NOW) as sim:
        archive = JobArchive(tmp_path / "archive")
        auth = AkSkAuth(sim.ak, sim.sk)
        with TaskCenter(
            region=sim.region, endpoint=sim.url, project_id=sim.project_id, auth=auth, progress=False
        ) as tc:
            sync(tc, archive, now=sim.now)
            inventory = sim.service.inventory
            listed = inventory.listed(sim.service.now_s, region=sim.region)
            upgraded = next(r for r in listed if r["datastore"]["version"] != "5.0")
            gone = next(r for r in listed if r is not upgraded)
            first_sync = sim.now
            sim.advance(86400)
            upgraded["datastore"]["version"] = "5.0"
            inventory.deleted.add(inventory.records.index(gone))
            sim.spawn(30)
            sync(tc, archive, now=sim.now)
        yield archive, listed, upgraded, gone, pd.Timestamp(first_sync), pd.Timestamp(sim.now)


def test_intervals_open_extend_and_close(synced) -> None:
    archive, listed, upgraded, gone, first, second = synced
    intervals = InstanceHistory(archive.path).intervals()
    per_instance = intervals.groupby("instance_id").size()
    assert per_instance[upgraded["id"]] == 2 and per_instance[gone["id"]] == 1
    assert (per_instance.drop([upgraded["id"]]) == 1).all()  # unchanged: one row, last_seen moved
    assert len(per_instance) == len(listed)
    rows = intervals.set_index("instance_id")
    assert rows.loc[gone["id"], "valid_to"] == second  # deleted: closed when no longer listed
    steady = rows.drop([upgraded["id"], gone["id"]])
    assert steady["valid_to"].isna().all() and (steady["last_seen"] == second).all()
    old, new = intervals[intervals["instance_id"] == upgraded["id"]].sort_values("valid_from").itertuples()
    assert (old.valid_from, old.valid_to, new.valid_from) == (first, second, second) and pd.isna(new.valid_to)
    assert archive.verify().ok


def test_load_with_instances_joins_as_of_each_jobs_time(synced) -> None:
    archive, _, upgraded, _, first, second = synced
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dj.DataQualityWarning)
        jobs = archive.load(with_instances=True)
    assert len(jobs) == len(archive.load())
    mine = jobs[jobs["instance_id"] == upgraded["id"]]
    before, after = mine[mine["created"] < second], mine[mine["created"] >= second]
    assert len(before) and (before["engine_version"] != "5.0").all()
    assert (before["instance_observed_at"] == first).all()
    if len(after):
        assert (after["engine_version"] == "5.0").all()
    snapshots = InstanceHistory(archive.path).snapshots()
    assert set(snapshots["observed_at"]) == {first, second}
    assert len(InstanceHistory(archive.path).nodes()) > 0
    assert len(InstanceHistory(archive.path).scheduled()) > 0


def test_verify_reports_a_damaged_inventory_and_repair_quarantines_it(synced) -> None:
    archive, *_ = synced
    path = archive.path / INVENTORY_DIR / "instances.parquet"
    path.write_bytes(b"not parquet")
    report = archive.verify()
    assert not report.ok and any("_inventory/instances.parquet cannot be read" in p for p in report.problems)
    repaired = archive.repair()
    assert any("_inventory/instances.parquet" in note for note in repaired.notes)
    assert (archive.path / "_quarantine" / "_inventory-instances.parquet").read_bytes() == b"not parquet"
    assert archive.verify().ok


def test_verify_catches_an_edited_record(synced) -> None:
    import pyarrow.parquet as pq

    archive, *_ = synced
    path = archive.path / INVENTORY_DIR / "instances.parquet"
    table = pq.read_table(path).to_pandas()
    table.loc[0, "raw"] = table.loc[0, "raw"].replace('"mode":', '"mode": "X", "was":')
    table.to_parquet(path, index=False)
    assert any("fingerprint" in p for p in archive.verify().problems)


def test_a_linked_inventory_folder_is_never_followed(synced, tmp_path) -> None:
    import shutil

    from ddsjobs_analytics.archive import ArchiveError

    archive, *_ = synced
    elsewhere = tmp_path / "elsewhere"
    shutil.move(str(archive.path / INVENTORY_DIR), str(elsewhere))
    (archive.path / INVENTORY_DIR).symlink_to(elsewhere, target_is_directory=True)
    before = {p.name: p.stat().st_mtime_ns for p in elsewhere.iterdir()}
    assert any("symbolic link" in p for p in archive.verify().problems)
    with pytest.raises(ArchiveError, match="symbolic link"):
        InstanceHistory(archive.path).record([], observed_at=pd.Timestamp.now(tz="UTC"), project_id="p")
    with pytest.raises(ArchiveError, match="symbolic link"):
        archive.load(with_instances=True)
    assert {p.name: p.stat().st_mtime_ns for p in elsewhere.iterdir()} == before
