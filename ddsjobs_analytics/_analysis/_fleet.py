"""The report's Fleet tables: failure rate and p95 duration by engine version, mode and AZ, and the instances.

Computed only when the jobs were joined with an inventory (``with_instances``: ``instance_known`` and the
instance columns present). Jobs of instances the inventory lacks are their own row, labelled
:data:`UNKNOWN`, never dropped. Per AZ, a job on a multi-AZ instance counts toward **each** of its AZs
(:func:`per_availability_zone`), so that table's counts add up to more than the jobs; its caption says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import pandas as pd

from .._core._schema import DURATION_STATS, FAILURE_RATES, JOBS
from .._core._schema_inventory import SCHEDULED
from .._frame import per_availability_zone
from .._stats._durations import duration_stats
from .._stats._failures import failure_rates
from ._fleet_support import SUPPORT_CAPTIONS, upkeep_tables

__all__ = ["FLEET_CAPTIONS", "UNKNOWN", "FleetTable", "fleet_tables", "has_instances", "instance_fact"]

UNKNOWN = "(not in inventory)"
FLEET_CAPTIONS: dict[str, str] = {
    "fleet_by_version": "Failure rate and p95 duration by engine version",
    "fleet_by_mode": "Failure rate and p95 duration by instance type (mode)",
    "fleet_by_zone": "Failure rate and p95 duration by availability zone — a job on a multi-AZ instance "
    "counts toward each of its AZs, so these counts add up to more than the jobs",
    "fleet_instances": "Instances with jobs in the period, by engine version, mode and status",
}
FLEET_CAPTIONS.update(SUPPORT_CAPTIONS)
_BY = {"fleet_by_version": "engine_version", "fleet_by_mode": "mode", "fleet_by_zone": "availability_zone"}


class FleetTable(NamedTuple):
    frame: pd.DataFrame
    formats: Mapping[str, str]


def has_instances(df: pd.DataFrame) -> bool:
    """Whether ``df`` was joined with an inventory (``with_instances``)."""
    return {"instance_known", "engine_version", "mode", "availability_zones"} <= set(df.columns)


def _labelled(table: pd.DataFrame) -> pd.DataFrame:
    """The NA group (jobs of instances not in the inventory) shown as :data:`UNKNOWN`."""
    index = pd.Index(table.index.astype(object), name=table.index.name)
    table = table.copy()
    table.index = index.where(index.notna(), UNKNOWN)
    return table


def _rates_and_p95(df: pd.DataFrame, by: str) -> pd.DataFrame:
    rates = failure_rates(df, by=by)
    stats = duration_stats(df, by=by)[["count", "p95_s"]].rename(columns={"count": "completed_with_duration"})
    return _labelled(rates.join(stats, how="left"))


def fleet_tables(df: pd.DataFrame, scheduled: pd.DataFrame | None = None) -> dict[str, FleetTable]:
    """The Fleet tables by file name (empty when ``df`` has no instance columns and no ``scheduled``)."""
    extra = scheduled_tables(df, scheduled) if scheduled is not None else {}
    if not has_instances(df) or df.empty:
        return extra
    formats: dict[str, Any] = {
        **FAILURE_RATES.formats,  # the contract's formats of the columns these tables share
        "p95_s": DURATION_STATS.formats["p95_s"],
        "completed_with_duration": DURATION_STATS.formats["count"],
    }
    tables = {
        "fleet_by_version": FleetTable(_rates_and_p95(df, "engine_version"), formats),
        "fleet_by_mode": FleetTable(_rates_and_p95(df, "mode"), formats),
        "fleet_by_zone": FleetTable(_rates_and_p95(per_availability_zone(df), "availability_zone"), formats),
    }
    known = df[df["instance_known"]].drop_duplicates("instance_id")
    instances = (
        known.groupby(["engine_version", "mode", "instance_status"], observed=True, dropna=False)
        .size()
        .rename("instances")
        .reset_index()
        .sort_values(["engine_version", "mode", "instance_status"], kind="stable")
        .reset_index(drop=True)
    )
    tables["fleet_instances"] = FleetTable(instances, {"instances": "count"})
    tables.update({name: FleetTable(*table) for name, table in upkeep_tables(df).items()})
    return {**tables, **extra}


UPCOMING_DAYS = 7
FLEET_CAPTIONS["scheduled_upcoming"] = (
    f"Scheduled changes: Pending jobs starting in the {UPCOMING_DAYS} days after the data was read"
)
FLEET_CAPTIONS["scheduled_recent"] = (
    "Recent scheduled jobs that ran (Completed or Failed), with the task center's record of the same job id"
)


def scheduled_tables(df: pd.DataFrame, scheduled: pd.DataFrame) -> dict[str, FleetTable]:
    """The scheduled changes: Pending jobs starting within a week of when the jobs were read (the newest
    ``observed_at``), soonest first; and the scheduled jobs that ran, matched to the job records by
    ``job_id`` (their status and duration; NA when the job is not in the frame), newest first."""
    now = df["observed_at"].max() if len(df) else pd.Timestamp.now(tz="UTC")
    horizon = now + pd.Timedelta(days=UPCOMING_DAYS)
    pending = scheduled[
        (scheduled["status"] == "Pending") & (scheduled["start"] >= now) & (scheduled["start"] < horizon)
    ]
    upcoming = pending.sort_values("start", kind="stable")[
        ["start", "instance_name", "instance_id", "job_name", "job_id", "created"]
    ].reset_index(drop=True)
    ran = scheduled[scheduled["status"].isin(["Completed", "Failed"])].sort_values(
        "start", ascending=False, kind="stable"
    )
    jobs = df[["job_id", "job_type", "status", "duration_s"]].astype({"job_id": "string"})
    jobs = jobs.drop_duplicates("job_id").rename(columns={"status": "job_status"})
    recent = (
        ran[["start", "end", "instance_name", "job_name", "status", "job_id"]]
        .astype({"job_id": "string"})
        .merge(jobs, on="job_id", how="left")
    )
    # The contract's formats of the scheduled jobs' columns, and of the matched job record's duration.
    formats = {**SCHEDULED.formats, "duration_s": JOBS.formats["duration_s"]}
    return {
        "scheduled_upcoming": FleetTable(upcoming, formats),
        "scheduled_recent": FleetTable(recent, formats),
    }


def fleet_by(name: str) -> str:
    """The ``by`` column of a Fleet rate table."""
    return _BY[name]


def instance_fact(
    data: pd.DataFrame | None, instance_id: str | None, start: pd.Timestamp, end: pd.Timestamp
) -> str | None:
    """What the instance was at the incident, for a post-mortem's facts: mode, version, spec and AZs as
    joined to its first job in ``[start, end]`` (its snapshot as of that job's time; else its latest job
    before), and when that snapshot was observed. None without instance columns or a known instance."""
    if data is None or instance_id is None or not has_instances(data):
        return None
    rows = data[(data["instance_id"].astype("string") == instance_id) & data["instance_known"].astype(bool)]
    if rows.empty:
        mine = data["instance_id"].astype("string") == instance_id
        return "not in the inventory (deleted?)" if mine.any() else None
    created = rows["created"]
    inside = rows[(created >= start) & (created <= end)].sort_values("created", kind="stable")
    before = rows[created < start].sort_values("created", kind="stable")
    row = inside.iloc[0] if not inside.empty else before.iloc[-1] if not before.empty else rows.iloc[0]
    version = f"{row['engine_version']}" + (
        f" ({row['whole_version']})" if "whole_version" in row and pd.notna(row["whole_version"]) else ""
    )
    parts = [f"{row['mode']} {version}", f"spec {row['spec_code']}", f"AZs {row['availability_zones']}"]
    if "shard_count" in row and pd.notna(row["shard_count"]) and row["mode"] == "Sharding":
        parts.insert(1, f"{int(row['shard_count'])} shards")
    observed = pd.Timestamp(row["instance_observed_at"])
    return ", ".join(parts) + f" (inventory of {observed:%Y-%m-%d %H:%M} UTC)"
