"""The post-mortem names what the instance was at the incident: mode, version, spec and AZs, as of then."""

from __future__ import annotations

import copy
import warnings

import pandas as pd
from fleet_world import END, joined_fleet

import ddsjobs_analytics as dj


def test_instance_facts_follow_the_upgrade() -> None:
    records, instances, _ = joined_fleet()
    busiest = pd.Series([r["instance_id"] for r in records]).value_counts().index
    record = next(r for r in instances if r["id"] in set(busiest[:10]))
    old, new = copy.deepcopy(record), copy.deepcopy(record)
    old["datastore"].update(version="4.0", whole_version="4.0.27")
    new["datastore"].update(version="4.4", whole_version="4.4.26")
    upgrade = END - pd.Timedelta(days=15)
    snapshots = dj.instances_frame(
        [
            {**old, "observed_at": (END - pd.Timedelta(days=40)).isoformat()},
            {**new, "observed_at": upgrade.isoformat()},
        ]
    )
    jobs = dj.jobs_frame(records, observed_at=END)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dj.DataQualityWarning)
        joined = dj.with_instances(jobs, snapshots)
    mine = joined[joined["instance_id"] == record["id"]]
    before = mine[mine["created"] < upgrade]["created"].iloc[0]
    after = mine[mine["created"] >= upgrade]["created"].iloc[-1]
    early = dict(
        dj.postmortem(joined, instance=record["id"], start=before, end=before + pd.Timedelta(hours=1)).facts()
    )
    late = dict(
        dj.postmortem(joined, instance=record["id"], start=after, end=after + pd.Timedelta(hours=1)).facts()
    )
    assert early["Instance"].startswith(f"{record['mode']} 4.0 (4.0.27)")
    assert late["Instance"].startswith(f"{record['mode']} 4.4 (4.4.26)")
    zones = ",".join(sorted({n["availability_zone"] for g in record["groups"] for n in g["nodes"]}))
    assert f"AZs {zones}" in late["Instance"] and "spec dds.mongodb." in late["Instance"]
    assert f"inventory of {upgrade:%Y-%m-%d %H:%M} UTC" in late["Instance"]


def test_no_instance_fact_without_instance_columns() -> None:
    df = dj.load_sample()
    instance = str(df["instance_id"].iloc[0])
    assert "Instance" not in dict(dj.postmortem(df, instance=instance).facts())
