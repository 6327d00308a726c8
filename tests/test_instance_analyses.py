"""Every analysis takes an instance column in ``by=``; per-AZ counting of multi-AZ instances."""

from __future__ import annotations

import warnings
from collections import Counter
from datetime import datetime, timezone

import numpy as np
import pandas as pd
import pytest

import ddsjobs_analytics as dj
from ddsjobs_analytics.simulator._fleet import generate_fleet
from ddsjobs_analytics.simulator._inventory import build_inventory

END = datetime(2026, 11, 1, tzinfo=timezone.utc)
INSTANCE_COLUMNS = ["engine_version", "mode", "availability_zones", "spec_code", "instance_status"]


@pytest.fixture(scope="module")
def world():
    fleet = generate_fleet(jobs=4000, instances=50, days=40, end=END, seed=4)
    now = int(END.timestamp())
    inventory = build_inventory(fleet, now=now, seed=4)
    records = [r for region in fleet.regions for r in inventory.listed(now, region=region)]
    jobs = dj.jobs_frame(fleet.records(), observed_at=END)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dj.DataQualityWarning)
        joined = dj.with_instances(jobs, dj.instances_frame(records, observed_at=END))
    return fleet, records, joined


@pytest.mark.parametrize("column", INSTANCE_COLUMNS)
def test_every_analysis_takes_an_instance_column(world, column: str) -> None:
    _, _, joined = world
    rates = dj.failure_rates(joined, by=column)
    assert rates[["completed", "failed", "running", "other"]].to_numpy().sum() == len(joined)
    assert rates.index.isna().sum() == 1  # the jobs of deleted instances: their own group
    stats = dj.duration_stats(joined, by=column)
    assert stats["count"].sum() == ((joined["status"] == "Completed") & joined["duration_s"].notna()).sum()
    groups = dj.fail_reason_groups(joined, by=column)
    assert groups["count"].sum() == joined["fail_reason"].notna().sum()
    current, baseline = dj.default_periods(joined)
    compared = dj.compare_periods(joined, by=column, current=current, baseline=baseline)
    assert column in compared.columns and len(compared)
    analysis = dj.analyse(joined, by=column)
    pd.testing.assert_frame_equal(analysis.failure_rates, rates)


def test_p95_by_mode_equals_numpy(world) -> None:
    _, records, joined = world
    mode = {r["id"]: r["mode"] for r in records}
    stats = dj.duration_stats(joined, by="mode")
    completed = joined[(joined["status"] == "Completed") & joined["duration_s"].notna()]
    for name in ("Sharding", "ReplicaSet", "Single"):
        durations = [
            d
            for i, d in zip(completed["instance_id"], completed["duration_s"], strict=True)
            if mode.get(i) == name
        ]
        assert stats.loc[name, "p95_s"] == pytest.approx(np.percentile(durations, 95))
        assert stats.loc[name, "count"] == len(durations)


def test_a_multi_az_job_counts_toward_each_of_its_azs(world) -> None:
    fleet, records, joined = world
    zones = {
        r["id"]: sorted({n["availability_zone"] for g in r["groups"] for n in g["nodes"]}) for r in records
    }
    assert any(len(z) > 1 for z in zones.values())
    exploded = dj.per_availability_zone(joined)
    assert exploded.attrs["jobs"] == len(joined)
    rates = dj.failure_rates(exploded, by="availability_zone")
    counts: Counter[tuple[object, str]] = Counter()
    for job in fleet.records():
        for zone in zones.get(job["instance_id"], [None]):
            counts[(zone, job["status"])] += 1
    for zone in {z for zs in zones.values() for z in zs}:
        assert rates.loc[zone, "failed"] == counts[(zone, "Failed")]
        assert rates.loc[zone, "completed"] == counts[(zone, "Completed")]
    total = rates[["completed", "failed", "running", "other"]].to_numpy().sum()
    assert total == sum(counts.values()) > len(joined)  # multi-AZ jobs count more than once
