"""A seeded fleet with its inventory, joined: shared by the Fleet-section tests."""

from __future__ import annotations

import warnings
from datetime import datetime, timezone

import pandas as pd

import ddsjobs_analytics as dj
from ddsjobs_analytics.simulator._fleet import generate_fleet
from ddsjobs_analytics.simulator._inventory import build_inventory

END = datetime(2026, 11, 1, tzinfo=timezone.utc)


def joined_fleet(jobs: int = 4000, seed: int = 4) -> tuple[list[dict], list[dict], pd.DataFrame]:
    """(job records, instance records, jobs joined with the instances) of a 40-day, 3-region fleet."""
    fleet = generate_fleet(jobs=jobs, instances=50, days=40, end=END, seed=seed)
    now = int(END.timestamp())
    inventory = build_inventory(fleet, now=now, seed=seed)
    instances = [r for region in fleet.regions for r in inventory.listed(now, region=region)]
    records = fleet.records()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dj.DataQualityWarning)
        joined = dj.with_instances(dj.jobs_frame(records, observed_at=END), dj.instances_frame(instances))
    return records, instances, joined


def fleet_schedules(seed: int = 4) -> list[dict]:
    """Every scheduled job of :func:`joined_fleet`'s fleet, as ListScheduledTasks records at its end."""
    fleet = generate_fleet(jobs=4000, instances=50, days=40, end=END, seed=seed)
    now = int(END.timestamp())
    inventory = build_inventory(fleet, now=now, seed=seed)
    return [
        record
        for region in fleet.regions
        for record in inventory.schedules(now, region=region, created_from=0, created_to=now)
    ]
