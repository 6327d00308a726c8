"""The simulated fleet's inventory: instances (ListInstances) and scheduled jobs (ListScheduledTasks).

Built from a :class:`~._fleet.Fleet` with its own seeded generator (the job draws are untouched): every
fleet instance gets a mode (Sharding / ReplicaSet / Single from its kind), an engine version from 3.4 to
5.0, groups and nodes spread over one or three AZs, volumes and tags. A few instances are *deleted*: their
jobs stay in the task center but ListInstances no longer lists them. Records mix the two documented
spellings on purpose (reference §8): even instances look like the documented example (``port`` a number,
``ssl`` ``"1"``), odd ones like the SDK model (``port`` a string, ``ssl`` an int); ``created``/``updated``
carry no offset (UTC). Scheduled jobs (``RESIZE_FLAVOR``) carry ``+hhmm`` times in their region's offset;
past ones reuse the id of the fleet's resize job they became, so they can be matched to job records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._core._api_format import region_utc_offset
from .._core._time import format_api_time
from ._fleet import Fleet
from ._fleet_profiles import KINDS, NAME_INDEX, hexid

__all__ = ["MODES", "SCHEDULED_STATUSES", "VERSIONS", "Inventory", "ScheduledJob", "build_inventory"]

MODES = {"cluster": "Sharding", "replica": "ReplicaSet", "single": "Single"}
VERSIONS: tuple[str, ...] = ("3.4", "4.0", "4.2", "4.4", "5.0")
_VERSION_P = (0.1, 0.2, 0.2, 0.3, 0.2)
_PATCH = {"3.4": 17, "4.0": 27, "4.2": 25, "4.4": 26, "5.0": 21}
SCHEDULED_STATUSES: tuple[str, ...] = ("Pending", "Running", "Completed", "Failed", "Canceled")
_SCHEDULED_NAME = "RESIZE_FLAVOR"
_SIZES = ("cluster", "replica", "single")
_ENVS = ("prod", "staging", "test")
_TEAMS = ("payments", "growth", "platform", "data")


def _spec(group: str, size: str) -> str:
    suffix = {
        "mongos": "mongos",
        "shard": "shard",
        "config": "config",
        "replica": "repset",
        "single": "single",
    }
    return f"dds.mongodb.s6.{size}.4.{suffix[group]}"


def _naive_utc(epoch_s: int) -> str:
    """The instance times' documented spelling: no offset, read as UTC (``2019-01-17T07:05:52``)."""
    return str(np.datetime64(int(epoch_s), "s"))


@dataclass
class ScheduledJob:
    """One scheduled job's true life; its status at a moment follows from the times (see :meth:`status`)."""

    job_id: str
    instance: int
    create_s: int
    start_s: int
    end_s: int | None  # planned end (None: never ends, e.g. canceled)
    outcome: str  # Completed, Failed or Canceled once its window has passed

    def status(self, now: int) -> str:
        if self.outcome == "Canceled":
            return "Canceled"
        if self.start_s > now:
            return "Pending"
        if self.end_s is None or self.end_s > now:
            return "Running"
        return self.outcome


@dataclass
class Inventory:
    """Instance records (without ``region``-dependent rendering) and scheduled jobs of one fleet."""

    fleet: Fleet
    records: list[dict[str, Any]]  # one per fleet instance, in fleet order; then spawned ones
    regions: list[str]  # region of each record
    created_s: list[int]
    deleted: set[int]  # record positions no longer listed
    scheduled: list[ScheduledJob] = field(default_factory=list)
    rng: np.random.Generator = field(default_factory=lambda: np.random.default_rng(0), repr=False)

    def listed(
        self,
        now: int,
        *,
        region: str,
        instance_id: str | None = None,
        name: str | None = None,
        mode: str | None = None,
        tags: list[tuple[str, str]] | None = None,
    ) -> list[dict[str, Any]]:
        """ListInstances' view: the region's undeleted instances created by ``now``, newest first."""
        chosen = []
        for i, record in enumerate(self.records):
            if i in self.deleted or self.regions[i] != region or self.created_s[i] > now:
                continue
            if instance_id is not None and record["id"] != instance_id:
                continue
            if name is not None:
                fuzzy = name.startswith("*")
                if (name[1:] not in record["name"]) if fuzzy else record["name"] != name:
                    continue
            if mode is not None and record["mode"] != mode:
                continue
            if tags and not _has_tags(record, tags):
                continue
            chosen.append(i)
        chosen.sort(key=lambda i: (-self.created_s[i], -i))
        return [self.records[i] for i in chosen]

    def spawn(self, count: int, now: int, *, region: str) -> list[str]:
        """``count`` instances created at ``now`` in ``region`` (they go to the top of the listing)."""
        ids = []
        for _ in range(count):
            kind = int(self.rng.integers(0, len(KINDS)))
            position = len(self.records)
            record = _instance(self.rng, position, f"{hexid(self.rng, 32)}in02", "", kind, region, now)
            record["name"] = f"dds-new-{hexid(self.rng, 4)}"
            self.records.append(record)
            self.regions.append(region)
            self.created_s.append(now)
            ids.append(record["id"])
        return ids

    def schedules(
        self,
        now: int,
        *,
        region: str,
        created_from: int,
        created_to: int,
        status: str | None = None,
        instance_id: str | None = None,
        job_name: str | None = None,
    ) -> list[dict[str, Any]]:
        """ListScheduledTasks' view: the region's scheduled jobs created in the window, newest first."""
        out: list[tuple[int, dict[str, Any]]] = []
        for job in self.scheduled:
            if self.regions[job.instance] != region or not created_from <= job.create_s <= created_to:
                continue
            if job.create_s > now:
                continue
            record = self._schedule_record(job, now)
            if status is not None and record["job_status"] != status:
                continue
            if instance_id is not None and record["instance_id"] != instance_id:
                continue
            if job_name is not None and record["job_name"] != job_name:
                continue
            out.append((job.create_s, record))
        out.sort(key=lambda pair: -pair[0])
        return [record for _, record in out]

    def _schedule_record(self, job: ScheduledJob, now: int) -> dict[str, Any]:
        status = job.status(now)
        instance = self.records[job.instance]
        region = self.regions[job.instance]
        moments = [job.create_s, job.start_s] + ([job.end_s] if status in ("Completed", "Failed") else [])
        epochs = np.array(moments, dtype=np.int64)
        texts = format_api_time(epochs, region_utc_offset(region, epochs))
        deleted = job.instance in self.deleted
        return {
            "job_id": job.job_id,
            "job_name": _SCHEDULED_NAME,
            "job_status": status,
            "instance_id": instance["id"],
            "instance_name": instance["name"],
            "instance_status": "deleted" if deleted else instance["status"],
            "create_time": texts[0],
            "start_time": texts[1],
            "end_time": texts[2] if len(texts) > 2 else "",
        }


def _has_tags(record: dict[str, Any], wanted: list[tuple[str, str]]) -> bool:
    have = {(tag["key"], tag["value"]) for tag in record.get("tags") or []}
    keys = {key for key, _ in have}
    return all((key, value) in have if value else key in keys for key, value in wanted)


def _instance(
    rng: np.random.Generator, position: int, instance_id: str, name: str, kind: int, region: str, created: int
) -> dict[str, Any]:
    mode = MODES[KINDS[kind]]
    version = str(rng.choice(VERSIONS, p=_VERSION_P))
    size = str(rng.choice(("large", "xlarge", "2xlarge")))
    azs = [f"{region}a", f"{region}b", f"{region}c"]
    multi_az = mode != "Single" and rng.random() < 0.4
    zones = azs if multi_az else [azs[int(rng.integers(0, 3))]]
    counter = iter(range(100))

    def nodes(group: str, roles: list[str]) -> list[dict[str, Any]]:
        out = []
        for role in roles:
            k = next(counter)
            out.append(
                {
                    "id": f"{hexid(rng, 32)}no02",
                    "name": f"{name or 'dds'}_{group}_node_{k + 1}",
                    "status": "normal",
                    "role": role,
                    "private_ip": f"192.168.{position % 250}.{k + 10}",
                    "public_ip": "",
                    "spec_code": _spec(group, size),
                    "availability_zone": zones[k % len(zones)],
                }
            )
        return out

    def volume(size_gb: int) -> dict[str, str]:
        return {"size": str(size_gb), "used": f"{size_gb * rng.uniform(0.05, 0.9):.2f}"}

    groups: list[dict[str, Any]]
    if mode == "Sharding":
        shards = int(rng.integers(2, 5))
        groups = [{"type": "mongos", "nodes": nodes("mongos", ["master", "master"])}]
        for s in range(shards):
            groups.append(
                {
                    "type": "shard",
                    "id": f"{hexid(rng, 32)}gr02",
                    "name": f"shard_{s + 1}",
                    "status": "normal",
                    "volume": volume(int(rng.choice((100, 200, 500)))),
                    "nodes": nodes("shard", ["Primary", "Secondary", "Hidden"]),
                }
            )
        groups.append(
            {
                "type": "config",
                "id": f"{hexid(rng, 32)}gr02",
                "name": "config",
                "status": "normal",
                "volume": volume(20),
                "nodes": nodes("config", ["Primary", "Secondary", "Hidden"]),
            }
        )
    elif mode == "ReplicaSet":
        roles = ["Primary", "Secondary", "Hidden"]
        groups = [
            {
                "type": "replica",
                "volume": volume(int(rng.choice((50, 100, 200)))),
                "nodes": nodes("replica", roles),
            }
        ]
    else:
        groups = [
            {
                "type": "single",
                "volume": volume(int(rng.choice((10, 20, 50)))),
                "nodes": nodes("single", ["Primary"]),
            }
        ]
    example_shape = position % 2 == 0
    port = int(rng.choice((8635, 8635, 27017)))
    ssl = int(rng.random() < 0.6)
    status = str(rng.choice(("normal", "abnormal", "data_disk_full"), p=(0.9, 0.06, 0.04)))
    tags = []
    if rng.random() < 0.85:
        tags = [
            {"key": "env", "value": str(rng.choice(_ENVS))},
            {"key": "team", "value": str(rng.choice(_TEAMS))},
        ]
    updated = created + int(rng.integers(0, 30 * 86400))
    return {
        "id": instance_id,
        "name": name,
        "remark": "",
        "status": status,
        "port": port if example_shape else str(port),
        "mode": mode,
        "region": region,
        "datastore": {
            "type": "DDS-Community",
            "version": version,
            "patch_available": bool(rng.random() < 0.3),
            "whole_version": f"{version}.{_PATCH[version]}",
        },
        "engine": "wiredTiger",
        "created": _naive_utc(created),
        "updated": _naive_utc(updated),
        "db_user_name": "rwuser",
        "ssl": str(ssl) if example_shape else ssl,
        "vpc_id": f"{hexid(rng, 8)}-vpc",
        "subnet_id": f"{hexid(rng, 8)}-subnet",
        "security_group_id": f"{hexid(rng, 8)}-sg",
        "backup_strategy": {"start_time": "03:00-04:00", "keep_days": 7},
        "pay_mode": str(int(rng.random() < 0.3)),
        "maintenance_window": "02:00-06:00",
        "groups": groups,
        "disk_encryption_id": "",
        "enterprise_project_id": "0",
        "time_zone": "",
        "dss_pool_id": "",
        "actions": [],
        "order_id": "",
        "tags": tags,
    }


def build_inventory(fleet: Fleet, *, now: int, seed: int = 0) -> Inventory:
    """The inventory behind ``fleet`` as seen from ``now`` (epoch seconds), drawn from ``seed``."""
    rng = np.random.default_rng([seed, 19])
    count = len(fleet.instance_ids)
    first_job = np.full(count, np.iinfo(np.int64).max, dtype=np.int64)
    if len(fleet):
        np.minimum.at(first_job, fleet.instance, fleet.created)
    earliest = int(min(first_job.min(), now)) if count else now
    records, regions, created_s = [], [], []
    for i in range(count):
        region = fleet.regions[int(fleet.instance_regions[i])]
        born = min(int(first_job[i]), earliest) - int(rng.integers(3600, 400 * 86400))
        records.append(
            _instance(
                rng,
                i,
                fleet.instance_ids[i],
                fleet.instance_names[i],
                int(fleet.instance_kinds[i]),
                region,
                born,
            )
        )
        regions.append(region)
        created_s.append(born)
    # About one instance in twelve is gone: its jobs remain, the inventory forgets it.
    deleted = {i for i in range(count) if count > 3 and rng.random() < 1 / 12}
    inventory = Inventory(fleet, records, regions, created_s, deleted, rng=rng)
    inventory.scheduled = _scheduled(fleet, rng, now)
    return inventory


def _scheduled(fleet: Fleet, rng: np.random.Generator, now: int) -> list[ScheduledJob]:
    """Past resizes that waited for their window (ids of real jobs), pending ones, and a few canceled."""
    out: list[ScheduledJob] = []
    resize = np.flatnonzero(fleet.name_index == NAME_INDEX["ResizeMongoDBInstance"])
    for j in resize.tolist():
        if rng.random() >= 0.4:
            continue
        created = int(fleet.created[j])
        out.append(
            ScheduledJob(
                job_id=fleet.ids[j],
                instance=int(fleet.instance[j]),
                create_s=created - int(rng.integers(3600, 3 * 86400)),
                start_s=created,
                end_s=created + int(fleet.planned_s[j]),
                outcome="Failed" if fleet.failed[j] else "Completed",
            )
        )
    count = len(fleet.instance_ids)
    for instance in rng.choice(count, size=min(count, 4 + count // 6), replace=False).tolist():
        created = now - int(rng.integers(600, 6 * 86400))
        start = now + int(rng.integers(2 * 3600, 7 * 86400))
        canceled = rng.random() < 0.15
        out.append(
            ScheduledJob(
                job_id=str(_uuid(rng)),
                instance=int(instance),
                create_s=created,
                start_s=start,
                end_s=None if canceled else start + int(rng.integers(300, 1800)),
                outcome="Canceled" if canceled else "Completed",
            )
        )
    return out


def _uuid(rng: np.random.Generator) -> str:
    h = hexid(rng, 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(rng.integers(0, 4))]}{h[17:20]}-{h[20:]}"
