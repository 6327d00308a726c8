"""with_instances: a left join keeping every job in order, counting deleted instances, joining as of time."""

from __future__ import annotations

import copy
import warnings
from collections import Counter
from datetime import datetime, timezone

import numpy as np
import pandas as pd
import pytest

import ddsjobs_analytics as dj
from ddsjobs_analytics._frame import DataQualityWarning, instances_frame, jobs_frame, with_instances
from ddsjobs_analytics.simulator._fleet import generate_fleet
from ddsjobs_analytics.simulator._inventory import build_inventory

END = datetime(2026, 11, 1, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def world():
    fleet = generate_fleet(jobs=4000, instances=50, days=30, end=END, seed=4)
    now = int(END.timestamp())
    inventory = build_inventory(fleet, now=now, seed=4)
    records = [r for region in fleet.regions for r in inventory.listed(now, region=region)]
    jobs = jobs_frame(fleet.records(), observed_at=END)
    instances = instances_frame(records, observed_at=END)
    return fleet, inventory, records, jobs, instances


def joined_quietly(jobs, instances):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return with_instances(jobs, instances)


def test_every_job_kept_in_order_with_renamed_columns(world) -> None:
    _, inventory, _, jobs, instances = world
    shuffled = jobs.sample(frac=1.0, random_state=1)
    with pytest.warns(DataQualityWarning, match="missing from the inventory") as caught:
        joined = with_instances(shuffled, instances)
    assert joined.index.equals(shuffled.index) and joined["job_id"].equals(shuffled["job_id"])
    for column in shuffled.columns:  # job columns untouched
        assert joined[column].equals(shuffled[column]), column
    for column in (
        "instance_status",
        "instance_created",
        "instance_observed_at",
        "engine_version",
        "mode",
        "spec_code",
        "availability_zones",
        "shard_count",
        "node_count",
        "tags",
        "instance_known",
    ):
        assert column in joined.columns
    deleted_ids = {inventory.records[i]["id"] for i in inventory.deleted}
    unknown = ~joined["instance_known"]
    assert set(joined.loc[unknown, "instance_id"].astype(str)) == deleted_ids
    assert (
        joined.loc[unknown, "engine_version"].isna().all() and joined.loc[unknown, "node_count"].isna().all()
    )
    assert caught[0].message.counts == {"instance missing from the inventory": int(unknown.sum())}
    assert joined.attrs["unknown_instances"] == {"jobs": int(unknown.sum()), "instances": len(deleted_ids)}
    row = joined.loc[joined["instance_known"]].iloc[0]
    source = instances.set_index("instance_id").loc[row["instance_id"]]
    assert row["instance_status"] == source["status"] and row["instance_created"] == source["created"]
    assert row["engine_version"] == source["engine_version"] and row["tags"] == source["tags"]


def test_accessor_is_the_function(world) -> None:
    _, _, _, jobs, instances = world
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        pd.testing.assert_frame_equal(jobs.ddsjobs.with_instances(instances), with_instances(jobs, instances))
        assert dj.with_instances is with_instances


def test_failure_rates_by_engine_version_equal_an_independent_count(world) -> None:
    fleet, _, records, jobs, instances = world
    joined = joined_quietly(jobs, instances)
    rates = dj.failure_rates(joined, by="engine_version")
    version = {r["id"]: r["datastore"]["version"] for r in records}
    counts: Counter[tuple[object, str]] = Counter()
    for job in fleet.records():
        counts[(version.get(job["instance_id"]), job["status"])] += 1
    for v in ("3.4", "4.0", "4.2", "4.4", "5.0"):
        assert rates.loc[v, "failed"] == counts[(v, "Failed")], v
        assert rates.loc[v, "completed"] == counts[(v, "Completed")], v
        expected = counts[(v, "Failed")] / (counts[(v, "Failed")] + counts[(v, "Completed")])
        assert rates.loc[v, "failure_rate"] == pytest.approx(expected)
    # Jobs of deleted instances form their own group (NA), never dropped.
    na_rows = rates[rates.index.isna()]
    assert len(na_rows) == 1 and na_rows["failed"].iloc[0] == counts[(None, "Failed")] > 0
    assert rates[["completed", "failed", "running"]].to_numpy().sum() == len(jobs)


def test_as_of_join_picks_the_snapshot_on_both_sides_of_an_upgrade(world) -> None:
    _, _, records, _, _ = world
    before = copy.deepcopy(records[0])
    after = copy.deepcopy(records[0])
    before["datastore"]["version"], after["datastore"]["version"] = "4.0", "4.4"
    t1, t2 = "2026-10-10T00:00:00+00:00", "2026-10-20T00:00:00+00:00"
    other = {**copy.deepcopy(records[1]), "observed_at": t2}  # only in the second snapshot
    snapshots = instances_frame(
        [{**before, "observed_at": t1}, {**after, "observed_at": t2}, other], errors="raise"
    )
    iid, oid = records[0]["id"], records[1]["id"]
    created = [
        "2026-10-01T00:00:00+0000",
        "2026-10-10T00:00:00+0000",
        "2026-10-19T23:59:59+0000",
        "2026-10-20T00:00:00+0000",
        "2026-10-30T00:00:00+0000",
        "2026-10-05T00:00:00+0000",
    ]
    jobs = jobs_frame(
        [
            {
                "id": f"j{i}",
                "name": "UpgradeDatabaseVersion",
                "status": "Completed",
                "instance_id": iid,
                "instance_name": "x",
                "created_at": c,
                "ended_at": c,
            }
            for i, c in enumerate(created[:5])
        ]
        + [
            {
                "id": "j5",
                "name": "RestartInstance",
                "status": "Completed",
                "instance_id": oid,
                "instance_name": "y",
                "created_at": created[5],
                "ended_at": created[5],
            }
        ],
        observed_at=END,
    )
    joined = with_instances(jobs, snapshots)
    assert joined["engine_version"].astype(str).tolist() == [
        "4.0",
        "4.0",
        "4.0",
        "4.4",
        "4.4",
        other["datastore"]["version"],
    ]
    observed = joined["instance_observed_at"].dt.strftime("%m-%d").tolist()
    # The first job predates every snapshot: it gets the first one, and says so; j5's instance has only t2.
    assert observed == ["10-10", "10-10", "10-10", "10-20", "10-20", "10-20"]
    assert joined["instance_known"].all()


def test_several_snapshots_equal_a_per_job_reference(world) -> None:
    """The vectorised as-of join against a plain loop over a random fleet of snapshots."""
    _, _, records, jobs, _ = world
    rng = np.random.default_rng(7)
    days = pd.date_range("2026-10-05", periods=6, freq="4D", tz="UTC")
    snapshot_records = []
    for day in days:
        for record in records:
            if rng.random() < 0.8:  # instances come and go between snapshots
                changed = copy.deepcopy(record)
                changed["datastore"]["version"] = str(rng.choice(["3.4", "4.0", "4.2", "4.4", "5.0"]))
                snapshot_records.append({**changed, "observed_at": day.isoformat()})
    snapshots = instances_frame(snapshot_records, errors="raise")
    joined = joined_quietly(jobs, snapshots)
    table: dict[str, list[tuple[pd.Timestamp, str]]] = {}
    for row in snapshots.itertuples():
        table.setdefault(row.instance_id, []).append((row.observed_at, row.engine_version))
    for job in jobs.sample(400, random_state=3).itertuples():
        got = joined.loc[job.Index, "engine_version"]
        rows = sorted(table.get(str(job.instance_id), []))
        if not rows:
            assert pd.isna(got)
            continue
        eligible = [v for t, v in rows if t <= job.created]
        assert got == (eligible[-1] if eligible else rows[0][1])
