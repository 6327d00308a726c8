"""The bundled sample's inventory: the instances of the sample fleet as ListInstances showed them at its end.

Drawn from the same seeded fleet as the sample's jobs (:func:`~._sample.sample_fleet`), so every job's
instance is there except the few deleted ones (about one in twelve), as in a real project. Computed on demand
(a fraction of a second), not stored.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ._inventory import build_inventory
from ._sample import SAMPLE_END, SAMPLE_SEED, sample_fleet

__all__ = ["load_sample_instances", "sample_instance_records", "sample_scheduled_records"]


def _inventory() -> Any:
    fleet = sample_fleet()
    return fleet, build_inventory(fleet, now=int(SAMPLE_END.timestamp()), seed=SAMPLE_SEED)


def sample_instance_records() -> list[dict[str, Any]]:
    """ListInstances records of each region of the sample, stamped with ``project_id`` and ``observed_at``."""
    fleet, inventory = _inventory()
    now = int(SAMPLE_END.timestamp())
    observed = SAMPLE_END.isoformat()
    return [
        {**record, "project_id": fleet.project_ids[region], "observed_at": observed}
        for region in fleet.regions
        for record in inventory.listed(now, region=region)
    ]


def sample_scheduled_records() -> list[dict[str, Any]]:
    """ListScheduledTasks records of every region of the sample, created in its last 30 days."""
    fleet, inventory = _inventory()
    now = int(SAMPLE_END.timestamp())
    return [
        record
        for region in fleet.regions
        for record in inventory.schedules(now, region=region, created_from=now - 30 * 86400, created_to=now)
    ]


def load_sample_instances() -> pd.DataFrame:
    """The bundled sample's instances frame (observed at the sample's end, 2026-11-01)."""
    from .._frame import instances_frame

    return instances_frame(sample_instance_records())
