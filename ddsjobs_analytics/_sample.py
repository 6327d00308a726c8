"""A seeded model of a DDS fleet's job history, and the bundled sample built from it.

Every job has a *true* life (type, instance, region, creation time, planned duration, final status,
failure reason); :meth:`Fleet.records` renders what the task center would show at a given moment, in
either API shape. The model is deliberately realistic where analyses are sensitive: per-type lognormal
durations, per-type failure probabilities, failure reasons with variable parts, mixed UTC offsets
(``eu-west-101`` follows EU summer time), one failure incident, and a few truly stuck jobs.

Shape rule for ShowJobDetail (v3) names: an ``_`` is put on each side of the word ``MongoDB`` where it
touches another word (``CreateMongoDB`` → ``Create_MongoDB``, ``EnlargeMongoDBVolume`` →
``Enlarge_MongoDB_Volume``, ``RestoreMongoDB_Replica`` → ``Restore_MongoDB_Replica``); names without the
exact word ``MongoDB`` (``MongodbSnapshotBackup``, ``RestartNode``) are the same in both shapes.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from ._names import JOB_NAMES
from ._time import format_api_time

__all__ = [
    "JOB_PROFILES",
    "SAMPLE_END",
    "SAMPLE_SEED",
    "Fleet",
    "JobProfile",
    "format_api_time",
    "generate_fleet",
    "load_sample",
    "region_utc_offset",
    "sample_records",
    "v3_job_name",
]

Shape = Literal["v3", "v3.1"]
KINDS: tuple[str, ...] = ("cluster", "replica", "single")
DEFAULT_REGIONS: tuple[str, ...] = ("cn-north-4", "ap-southeast-1", "eu-west-101")

SAMPLE_END = datetime(2026, 11, 1, tzinfo=timezone.utc)
SAMPLE_SEED = 20261101
SAMPLE_JOBS = 5000
SAMPLE_INSTANCES = 60
SAMPLE_DAYS = 60


@dataclass(frozen=True)
class JobProfile:
    """The true behaviour of one job type: how common, how long (lognormal), how often it fails."""

    weight: float
    median_s: float
    sigma: float
    fail_p: float
    kinds: tuple[str, ...]
    family: str


_ALL = KINDS
_CLUSTER = ("cluster",)
_REPLICA = ("replica",)
_SINGLE = ("single",)
_MULTI = ("cluster", "replica")

# Weights are relative frequencies among the job types an instance kind allows.
JOB_PROFILES: dict[str, JobProfile] = {
    "CreateMongoDB": JobProfile(2.0, 720, 0.2, 0.05, _CLUSTER, "create"),
    "CreateMongoDBReplica": JobProfile(2.5, 600, 0.2, 0.04, _REPLICA, "create"),
    "CreateMongoDBReplicaSingle": JobProfile(2.0, 480, 0.2, 0.04, _SINGLE, "create"),
    "EnlargeMongoDBVolume": JobProfile(4.0, 180, 0.5, 0.03, _ALL, "scale"),
    "ResizeMongoDBInstance": JobProfile(4.0, 900, 0.5, 0.06, _ALL, "scale"),
    "ResizeDfvMongoDBInstance": JobProfile(0.5, 1200, 0.5, 0.07, _MULTI, "scale"),
    "EnlargeMongoDBGroup": JobProfile(1.0, 1200, 0.4, 0.07, _CLUSTER, "scale"),
    "ReplicaSetEnlargeNode": JobProfile(1.0, 900, 0.4, 0.05, _REPLICA, "scale"),
    "AddReadonlyNode": JobProfile(1.0, 720, 0.4, 0.05, _REPLICA, "scale"),
    "RestartInstance": JobProfile(8.0, 120, 0.35, 0.02, _ALL, "restart"),
    "RestartGroup": JobProfile(3.0, 150, 0.35, 0.03, _CLUSTER, "restart"),
    "RestartNode": JobProfile(6.0, 90, 0.35, 0.02, _MULTI, "restart"),
    "RestartReplicaSetInstance": JobProfile(6.0, 120, 0.35, 0.03, _REPLICA, "restart"),
    "RestartReplicaSingleInstance": JobProfile(4.0, 100, 0.35, 0.02, _SINGLE, "restart"),
    "SwitchPrimary": JobProfile(4.0, 30, 0.4, 0.04, _MULTI, "restart"),
    "ModifyIp": JobProfile(0.5, 60, 0.4, 0.03, _ALL, "network"),
    "ModifySecurityGroup": JobProfile(2.0, 20, 0.4, 0.02, _ALL, "network"),
    "ModifyPort": JobProfile(0.5, 90, 0.4, 0.03, _ALL, "network"),
    "BindPublicIP": JobProfile(1.0, 30, 0.4, 0.04, _ALL, "network"),
    "UnbindPublicIP": JobProfile(0.7, 25, 0.4, 0.02, _ALL, "network"),
    "SwitchInstanceSSL": JobProfile(1.0, 150, 0.4, 0.04, _ALL, "network"),
    "AzMigrate": JobProfile(0.3, 2700, 0.4, 0.08, _MULTI, "scale"),
    "CreateIp": JobProfile(0.5, 120, 0.4, 0.03, _CLUSTER, "network"),
    "ModifyOpLogSize": JobProfile(0.5, 60, 0.4, 0.02, _MULTI, "network"),
    "RestoreMongoDB": JobProfile(0.4, 7200, 0.6, 0.08, _CLUSTER, "restore"),
    "RestoreMongoDB_Replica": JobProfile(0.5, 5400, 0.6, 0.07, _REPLICA, "restore"),
    "RestoreMongoDB_Replica_Single": JobProfile(0.3, 3600, 0.6, 0.06, _SINGLE, "restore"),
    "RestoreMongoDB_Replica_PITR": JobProfile(0.3, 7200, 0.6, 0.08, _REPLICA, "restore"),
    "MongodbSnapshotBackup": JobProfile(30.0, 900, 0.8, 0.03, _ALL, "backup"),
    "MongodbSnapshotEBackup": JobProfile(3.0, 1200, 0.8, 0.04, _ALL, "backup"),
    "MongodbRestoreData2CurrentInstance": JobProfile(0.3, 5400, 0.6, 0.07, _ALL, "restore"),
    "MongodbRestoreData2NewInstance": JobProfile(0.3, 7200, 0.6, 0.07, _ALL, "restore"),
    "MongodbPitr2CurrentInstance": JobProfile(0.2, 6000, 0.6, 0.08, _MULTI, "restore"),
    "MongodbPitr2NewInstance": JobProfile(0.2, 7800, 0.6, 0.08, _MULTI, "restore"),
    "MongodbRecycleBackup": JobProfile(4.0, 60, 0.5, 0.02, _ALL, "backup"),
    "MongodbRestoreTable": JobProfile(0.3, 2400, 0.6, 0.06, _ALL, "restore"),
    "UpgradeDatabaseVersion": JobProfile(1.0, 1500, 0.4, 0.08, _ALL, "upgrade"),
}
assert set(JOB_PROFILES) == set(JOB_NAMES)

_NAME_INDEX = {name: i for i, name in enumerate(JOB_NAMES)}
_MEDIAN = np.array([JOB_PROFILES[n].median_s for n in JOB_NAMES])
_SIGMA = np.array([JOB_PROFILES[n].sigma for n in JOB_NAMES])
_FAIL_P = np.array([JOB_PROFILES[n].fail_p for n in JOB_NAMES])
_IS_BACKUP = np.array([JOB_PROFILES[n].family == "backup" for n in JOB_NAMES])
_STUCK_CANDIDATES = [i for i, n in enumerate(JOB_NAMES) if JOB_PROFILES[n].family in ("restore", "backup")]


def _kind_weights(kind: str) -> np.ndarray:
    profiles = [JOB_PROFILES[name] for name in JOB_NAMES]
    weights = np.array([p.weight if kind in p.kinds else 0.0 for p in profiles])
    return weights / weights.sum()


_KIND_WEIGHTS = {kind: _kind_weights(kind) for kind in KINDS}

# --- names -----------------------------------------------------------------------------------------


def v3_job_name(name: str) -> str:
    """The ShowJobDetail spelling of a ListTasks name: ``_`` around the word ``MongoDB`` (module doc)."""
    return re.sub(r"(?<=[A-Za-z0-9])MongoDB", "_MongoDB", re.sub(r"MongoDB(?=[A-Z0-9])", "MongoDB_", name))


# --- time ------------------------------------------------------------------------------------------

# Minutes east of UTC; eu-west-101 (Dublin) is handled by the EU summer-time rule below.
_FIXED_OFFSETS: dict[str, int] = {
    "cn-north-4": 480,
    "ap-southeast-1": 480,
    "ap-southeast-2": 420,
    "ap-southeast-3": 480,
    "af-south-1": 120,
}
_EU_SUMMER_REGIONS: dict[str, int] = {"eu-west-101": 0, "eu-west-0": 60}


def _last_sunday_0100_utc(year: int, month: int) -> int:
    last = datetime(year, month + 1, 1, 1, tzinfo=timezone.utc) - timedelta(days=1)
    last -= timedelta(days=(last.weekday() + 1) % 7)
    return int(last.timestamp())


def region_utc_offset(region: str, epoch_s: np.ndarray) -> np.ndarray:
    """Offset in minutes east of UTC that ``region`` renders times in, at each epoch second."""
    epoch_s = np.asarray(epoch_s, dtype=np.int64)
    if region in _EU_SUMMER_REGIONS:
        base = _EU_SUMMER_REGIONS[region]
        years = epoch_s.astype("datetime64[s]").astype("datetime64[Y]").astype(int) + 1970
        summer = np.zeros(epoch_s.shape, dtype=bool)
        for year in np.unique(years):
            start, stop = _last_sunday_0100_utc(int(year), 3), _last_sunday_0100_utc(int(year), 10)
            summer |= (years == year) & (epoch_s >= start) & (epoch_s < stop)
        return np.where(summer, base + 60, base).astype(np.int64)
    if region in _FIXED_OFFSETS:
        return np.full(epoch_s.shape, _FIXED_OFFSETS[region], dtype=np.int64)
    return np.full(epoch_s.shape, 480 if region.startswith("cn-") else 0, dtype=np.int64)


def _epoch(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError(f"datetime {moment!r} must be timezone-aware")
    return int(moment.timestamp())


# --- failure reasons -------------------------------------------------------------------------------

_Draw = Callable[[np.random.Generator], str]


def _hexid(rng: np.random.Generator, n: int) -> str:
    return rng.bytes((n + 1) // 2).hex()[:n]


def _ip(rng: np.random.Generator) -> str:
    return f"192.168.{rng.integers(0, 256)}.{rng.integers(2, 255)}"


def _port(rng: np.random.Generator) -> int:
    return int(rng.choice([8635, 8636, 8637, 27017, 27018, 27019]))


def _node(rng: np.random.Generator) -> str:
    return f"{_hexid(rng, 32)}no02"


def _disk_full(rng: np.random.Generator) -> str:
    total = int(rng.choice([100, 200, 500, 1000]))
    used = total * rng.uniform(0.95, 0.999)
    return f"Insufficient disk space on node {_node(rng)}: {used:.1f} GB used of {total} GB."


# Each template renders a reason with variable parts (node ids, addresses, sizes, names, codes).
_REASON_TEMPLATES: dict[str, _Draw] = {
    "agent": lambda r: f"Failed to upgrade the DB Agent on node {_node(r)}.",
    "obs_timeout": lambda r: (
        f"Backup failed: upload to OBS bucket 'dds-backup-{_hexid(r, 8)}' "
        f"timed out after {r.integers(60, 900)}s."
    ),
    "unreachable": lambda r: f"Node {_node(r)} ({_ip(r)}:{_port(r)}) is unreachable.",
    "disk": lambda r: _disk_full(r),
    "backup_missing": lambda r: f"Restore failed: backup file {_hexid(r, 32)}br02 not found.",
    "secondary": lambda r: (
        f"Replica set member {_ip(r)}:{_port(r)} did not reach SECONDARY state "
        f"within {r.integers(300, 1800)} seconds."
    ),
    "resources": lambda r: (
        f"Failed to create the instance: insufficient resources in AZ {r.choice(['az1', 'az2', 'az3'])}"
        f" (flavor dds.mongodb.{r.choice(['s6', 'c6', 'm6'])}.{r.choice(['large', 'xlarge', '2xlarge'])}.4)."
    ),
    "lag": lambda r: (
        f"Switchover failed: replication lag of {r.integers(11, 600)} s exceeds the 10 s threshold."
    ),
    "security_group": lambda r: f"Security group 'sg-{_hexid(r, 8)}' does not allow port {_port(r)}.",
    "eip_quota": lambda r: (
        f"Failed to bind EIP 100.{r.integers(64, 128)}.{r.integers(0, 256)}.{r.integers(1, 255)}: "
        f"quota exceeded (error code VPC.{r.integers(100, 999):04d})."
    ),
    "mongod_exit": lambda r: (
        f"mongod exited with code {int(r.choice([14, 48, 62, 100]))} on node {_node(r)}."
    ),
    "oplog": lambda r: f"Oplog window of {r.integers(1, 48)} h does not cover the requested restore point.",
    "balancer": lambda r: f"Timed out waiting for the balancer to stop on shard 'shard_{r.integers(1, 9)}'.",
    "internal": lambda r: f"Internal error, error code DBS.{r.integers(200000, 299999)}.",
    "restore_table": lambda r: (
        f"Failed to restore collection 'db{r.integers(1, 20)}.coll_{_hexid(r, 4)}': "
        f"{r.integers(1, 5000)} documents rejected."
    ),
    "ssl": lambda r: f"Failed to update the SSL certificate on {_ip(r)}:{_port(r)}.",
}

_FAMILY_REASONS: dict[str, tuple[str, ...]] = {
    "create": ("resources", "secondary", "internal", "agent"),
    "scale": ("resources", "disk", "unreachable", "internal", "balancer"),
    "restart": ("unreachable", "secondary", "mongod_exit", "lag", "internal"),
    "network": ("security_group", "eip_quota", "ssl", "internal"),
    "restore": ("backup_missing", "disk", "oplog", "restore_table", "internal"),
    "backup": ("obs_timeout", "disk", "unreachable", "internal"),
    "upgrade": ("agent", "mongod_exit", "internal"),
}


def _fail_reason(name: str, rng: np.random.Generator) -> str:
    profile = JOB_PROFILES[name]
    candidates = list(_FAMILY_REASONS[profile.family])
    if name == "SwitchPrimary":
        candidates = ["lag", "unreachable"]
    elif name == "SwitchInstanceSSL":
        candidates = ["ssl", "internal"]
    elif name in ("BindPublicIP", "UnbindPublicIP"):
        candidates = ["eip_quota", "internal"]
    elif name == "MongodbRestoreTable":
        candidates = ["restore_table", "backup_missing"]
    elif name in ("RestoreMongoDB_Replica_PITR", "MongodbPitr2CurrentInstance", "MongodbPitr2NewInstance"):
        candidates = ["oplog", "backup_missing", "disk"]
    # The family's first reason is the usual one; the last ones are rarer.
    weights = np.linspace(2.0, 1.0, len(candidates))
    return _REASON_TEMPLATES[candidates[rng.choice(len(candidates), p=weights / weights.sum())]](rng)


def _incident_reason(rng: np.random.Generator) -> str:
    return (
        f"Failed to access the storage backend: I/O timeout on volume vol-{_hexid(rng, 8)} "
        f"after {rng.integers(3000, 30000)} ms."
    )


# --- the fleet -------------------------------------------------------------------------------------


@dataclass
class Fleet:
    """True job lives of a fleet, columnar (one numpy entry per job), and their rendering as API records.

    ``created`` and ``planned_s`` are epoch seconds; a job is Running at ``at`` when
    ``created <= at < created + planned_s``, otherwise it shows its final status.
    """

    end: datetime
    regions: tuple[str, ...]
    project_ids: dict[str, str]
    instance_ids: list[str]
    instance_names: list[str]
    instance_regions: np.ndarray
    instance_kinds: np.ndarray
    ids: list[str]
    name_index: np.ndarray
    instance: np.ndarray
    created: np.ndarray
    planned_s: np.ndarray
    nominal_s: np.ndarray
    progress_cap: np.ndarray
    failed: np.ndarray
    fail_reasons: list[str | None]
    incident: dict[str, Any] = field(default_factory=dict)
    stuck_ids: list[str] = field(default_factory=list)
    rng: np.random.Generator = field(default_factory=lambda: np.random.default_rng(0), repr=False)
    _positions: dict[str, int] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.ids)

    def __repr__(self) -> str:
        return (
            f"Fleet(jobs={len(self)}, instances={len(self.instance_ids)}, regions={self.regions!r}, "
            f"end={self.end.isoformat()})"
        )

    @property
    def region(self) -> np.ndarray:
        """Region index of each job (into :attr:`regions`)."""
        return self.instance_regions[self.instance]

    def region_of_project(self, project_id: str) -> str | None:
        return next((r for r, p in self.project_ids.items() if p == project_id), None)

    def select(
        self,
        at: datetime | int | None = None,
        *,
        created_from: int | None = None,
        created_to: int | None = None,
        region: str | None = None,
        project_id: str | None = None,
        status: str | None = None,
        job_id: str | None = None,
        name: str | None = None,
    ) -> np.ndarray:
        """Indices of the jobs visible at ``at`` matching the filters, newest first (ties: later job first).

        ``created_from``/``created_to`` are inclusive epoch seconds.
        """
        now = self._at(at)
        mask = self.created <= now
        if created_from is not None:
            mask &= self.created >= created_from
        if created_to is not None:
            mask &= self.created <= created_to
        if project_id is not None:
            region = self.region_of_project(project_id) or "\0"
        if region is not None:
            mask &= self.region == (self.regions.index(region) if region in self.regions else -1)
        if name is not None:
            mask &= self.name_index == _NAME_INDEX.get(name, -1)
        if job_id is not None:
            only = np.zeros_like(mask)
            if (position := self._id_positions().get(job_id)) is not None:
                only[position] = True
            mask &= only
        if status is not None:
            running = self.created + self.planned_s > now
            wanted = {
                "Running": running,
                "Failed": ~running & self.failed,
                "Completed": ~running & ~self.failed,
            }
            mask &= wanted.get(status, np.zeros_like(mask))
        chosen = np.flatnonzero(mask)
        order = np.lexsort((-chosen, -self.created[chosen]))
        return chosen[order]

    def records(
        self,
        at: datetime | int | None = None,
        *,
        shape: Shape = "v3.1",
        region: str | None = None,
        project_id: str | None = None,
    ) -> list[dict[str, Any]]:
        """The records the task center holds at ``at`` (default: :attr:`end`), newest first."""
        return self.render(self.select(at, region=region, project_id=project_id), at, shape=shape)

    def render(
        self, indices: np.ndarray, at: datetime | int | None = None, *, shape: Shape = "v3.1"
    ) -> list[dict]:
        """API records of the jobs at ``indices`` as seen at ``at``, in the given shape."""
        if shape not in ("v3", "v3.1"):
            raise ValueError(f"shape must be 'v3' or 'v3.1', not {shape!r}")
        now = self._at(at)
        indices = np.asarray(indices, dtype=np.int64)
        created = self.created[indices]
        planned_end = created + self.planned_s[indices]
        running = planned_end > now
        # Like the real API, a Running job has an ``ended`` anyway (the reference's example: created + 10 s).
        ended = np.where(running, np.minimum(created + 10, now), planned_end)
        elapsed_share = (now - created) * 100 // np.maximum(self.nominal_s[indices], 1)
        progress = np.minimum(elapsed_share, self.progress_cap[indices])
        regions = self.region[indices]
        offsets_created = np.zeros(len(indices), dtype=np.int64)
        offsets_ended = np.zeros(len(indices), dtype=np.int64)
        for r, name in enumerate(self.regions):
            here = regions == r
            offsets_created[here] = region_utc_offset(name, created[here])
            offsets_ended[here] = region_utc_offset(name, ended[here])
        created_text = format_api_time(created, offsets_created)
        ended_text = format_api_time(ended, offsets_ended)
        out: list[dict[str, Any]] = []
        for k, i in enumerate(indices.tolist()):
            is_running = bool(running[k])
            status = "Running" if is_running else ("Failed" if self.failed[i] else "Completed")
            name = JOB_NAMES[self.name_index[i]]
            inst = int(self.instance[i])
            progress_text = f"{int(progress[k])}%" if is_running else ""
            reason = self.fail_reasons[i] if status == "Failed" else None
            if shape == "v3.1":
                out.append(
                    {
                        "id": self.ids[i],
                        "name": name,
                        "instance_id": self.instance_ids[inst],
                        "instance_name": self.instance_names[inst],
                        "status": status,
                        "progress": progress_text,
                        "fail_reason": reason,
                        "created_at": created_text[k],
                        "ended_at": ended_text[k],
                    }
                )
            else:
                out.append(
                    {
                        "id": self.ids[i],
                        "name": v3_job_name(name),
                        "status": status,
                        "created": created_text[k],
                        "ended": ended_text[k],
                        "progress": progress_text,
                        "instance": {"id": self.instance_ids[inst], "name": self.instance_names[inst]},
                        "fail_reason": reason,
                    }
                )
        return out

    def spawn(self, count: int, at: datetime | int, *, region: str | None = None) -> list[str]:
        """Add ``count`` jobs created at ``at`` (new work arriving); returns their ids. Deterministic."""
        now = self._at(at)
        rng = self.rng
        pool = np.arange(len(self.instance_ids))
        if region is not None:
            pool = pool[self.instance_regions == self.regions.index(region)]
        instance = rng.choice(pool, size=count)
        name_index = _draw_names(rng, self.instance_kinds[instance])
        nominal = _draw_durations(rng, name_index)
        failed = rng.random(count) < _FAIL_P[name_index]
        planned = np.where(
            failed, np.maximum(5, (nominal * rng.uniform(0.1, 1.0, count)).astype(np.int64)), nominal
        )
        self.ids.extend(_uuid4s(rng, count))
        self.name_index = np.concatenate([self.name_index, name_index])
        self.instance = np.concatenate([self.instance, instance])
        self.created = np.concatenate([self.created, np.full(count, now, dtype=np.int64)])
        self.planned_s = np.concatenate([self.planned_s, planned])
        self.nominal_s = np.concatenate([self.nominal_s, nominal])
        self.progress_cap = np.concatenate([self.progress_cap, np.full(count, 99, dtype=np.int64)])
        self.failed = np.concatenate([self.failed, failed])
        self.fail_reasons.extend(
            _fail_reason(JOB_NAMES[n], rng) if f else None
            for n, f in zip(name_index.tolist(), failed.tolist(), strict=True)
        )
        return self.ids[-count:] if count else []

    def _id_positions(self) -> dict[str, int]:
        if len(self._positions) != len(self.ids):
            self._positions = {job_id: i for i, job_id in enumerate(self.ids)}
        return self._positions

    def _at(self, at: datetime | int | None) -> int:
        if at is None:
            return _epoch(self.end)
        return at if isinstance(at, (int, np.integer)) else _epoch(at)


def _uuid4s(rng: np.random.Generator, count: int) -> list[str]:
    raw = np.frombuffer(rng.bytes(16 * count), dtype=np.uint8).reshape(count, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    out = []
    for row in raw:
        h = row.tobytes().hex()
        out.append(f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")
    return out


def _draw_names(rng: np.random.Generator, kinds: np.ndarray) -> np.ndarray:
    names = np.empty(len(kinds), dtype=np.int64)
    for k, kind in enumerate(KINDS):
        here = np.flatnonzero(kinds == k)
        names[here] = rng.choice(len(JOB_NAMES), size=len(here), p=_KIND_WEIGHTS[kind])
    return names


def _draw_durations(rng: np.random.Generator, name_index: np.ndarray) -> np.ndarray:
    draws = _MEDIAN[name_index] * np.exp(_SIGMA[name_index] * rng.standard_normal(len(name_index)))
    return np.maximum(5, np.round(draws)).astype(np.int64)


_APPS = ("orders", "users", "billing", "catalog", "events", "sessions", "audit", "search", "iot", "feeds")
_ENVS = ("prod", "staging", "test", "dev")
_KIND_SUFFIX = {"cluster": "sh", "replica": "rs", "single": "single"}


def _instances(
    rng: np.random.Generator, count: int, n_regions: int
) -> tuple[list[str], list[str], np.ndarray, np.ndarray]:
    ids = [f"{_hexid(rng, 32)}in02" for _ in range(count)]
    kinds = rng.choice(len(KINDS), size=count, p=[0.35, 0.4, 0.25])
    regions = np.arange(count) % n_regions
    rng.shuffle(regions)
    names: list[str] = []
    for i in range(count):
        if rng.random() < 0.5:
            names.append(f"dds-{_hexid(rng, 4)}-{_KIND_SUFFIX[KINDS[kinds[i]]]}")
        else:
            base = f"dds-{rng.choice(_ENVS)}-{rng.choice(_APPS)}"
            names.append(base if base not in names else f"{base}-{i:02d}")
    return ids, names, regions, kinds


def _created_times(
    rng: np.random.Generator, name_index: np.ndarray, offsets_min: np.ndarray, start: int, span: int
) -> np.ndarray:
    """Creation times: automated backups mostly in a local 01:00-05:00 window, other work in office hours."""
    count = len(name_index)
    day = rng.integers(0, max(1, span // 86400 + 1), count)
    office = np.r_[np.full(8, 1.0), np.full(10, 3.0), np.full(6, 1.5)]
    hour = rng.choice(24, size=count, p=office / office.sum())
    nightly = _IS_BACKUP[name_index] & (rng.random(count) < 0.7)
    hour = np.where(nightly, rng.integers(1, 5, count), hour)
    local = day * 86400 + hour * 3600 + rng.integers(0, 3600, count)
    return start + np.mod(local - offsets_min * 60, span)


def generate_fleet(
    *,
    jobs: int = 5000,
    instances: int = 60,
    regions: Sequence[str] = DEFAULT_REGIONS,
    days: float = 60,
    end: datetime = SAMPLE_END,
    seed: int = 0,
    project_ids: Mapping[str, str] | None = None,
    incident: bool = True,
    stuck: int | None = None,
) -> Fleet:
    """A fleet whose ``jobs`` were created over the ``days`` before ``end``, drawn from ``seed``.

    Includes (unless disabled) one failure incident — a day in one region where most jobs fail with
    the same reason — and ``stuck`` jobs (default ~1 per 1500, at least 3) whose planned durations are
    far beyond normal, so they are still Running at ``end``.
    """
    if jobs < 0 or instances < 1 or not regions or days <= 0:
        raise ValueError("need jobs >= 0, instances >= 1, at least one region and days > 0")
    regions = tuple(regions)
    rng = np.random.default_rng(seed)
    end_s = _epoch(end)
    span = max(1, int(days * 86400))
    start = end_s - span
    pids = {r: _hexid(rng, 32) for r in regions}
    pids.update(project_ids or {})
    instance_ids, instance_names, instance_regions, instance_kinds = _instances(rng, instances, len(regions))

    # Some instances are far busier than others (Zipf-like activity).
    activity = 1.0 / np.arange(1, instances + 1) ** 0.8
    rng.shuffle(activity)
    instance = rng.choice(instances, size=jobs, p=activity / activity.sum())
    name_index = _draw_names(rng, instance_kinds[instance])
    job_regions = instance_regions[instance]
    base_offsets = np.array([region_utc_offset(r, np.array([start]))[0] for r in regions])
    created = _created_times(rng, name_index, base_offsets[job_regions], start, span)
    nominal = _draw_durations(rng, name_index)
    failed = rng.random(jobs) < _FAIL_P[name_index]
    ids = _uuid4s(rng, jobs)

    incident_info: dict[str, Any] = {}
    incident_mask = np.zeros(jobs, dtype=bool)
    if incident and jobs:
        region_index = int(rng.integers(0, len(regions)))
        day_start = start + int(rng.integers(span // 3, max(span // 3 + 1, 2 * span // 3))) // 86400 * 86400
        # Retries pile up during an incident: move some of the region's jobs into that day.
        movers = rng.permutation(np.flatnonzero(job_regions == region_index))[: max(10, jobs // 200)]
        created[movers] = day_start + rng.integers(0, 86400, len(movers))
        in_window = (job_regions == region_index) & (created >= day_start) & (created < day_start + 86400)
        incident_mask = in_window & (rng.random(jobs) < 0.75)
        failed |= incident_mask
        incident_info = {
            "region": regions[region_index],
            "start": datetime.fromtimestamp(day_start, timezone.utc),
            "end": datetime.fromtimestamp(day_start + 86400, timezone.utc),
            "jobs": int(incident_mask.sum()),
        }

    # Failures usually end early (the job gives up part-way).
    planned = np.where(
        failed, np.maximum(5, (nominal * rng.uniform(0.1, 1.0, jobs)).astype(np.int64)), nominal
    )
    progress_cap = np.full(jobs, 99, dtype=np.int64)
    n_stuck = min(jobs, max(3, jobs // 1500) if stuck is None else stuck)
    stuck_index = np.empty(0, dtype=np.int64)
    if n_stuck:
        stuck_index = rng.choice(jobs, size=n_stuck, replace=False)
        name_index[stuck_index] = rng.choice(_STUCK_CANDIDATES, size=n_stuck)
        nominal[stuck_index] = _draw_durations(rng, name_index[stuck_index])
        created[stuck_index] = end_s - rng.integers(
            int(min(span, 86400) // 2), int(min(span, 10 * 86400)) + 1, n_stuck
        )
        planned[stuck_index] = end_s - created[stuck_index] + rng.integers(30, 90, n_stuck) * 86400
        progress_cap[stuck_index] = rng.integers(10, 91, n_stuck)
        incident_mask[stuck_index] = False

    reasons: list[str | None] = [None] * jobs
    for i in np.flatnonzero(failed).tolist():
        reasons[i] = (
            _incident_reason(rng) if incident_mask[i] else _fail_reason(JOB_NAMES[name_index[i]], rng)
        )
    if incident_info:
        incident_info["jobs"] = int(incident_mask.sum())
    return Fleet(
        end=datetime.fromtimestamp(end_s, timezone.utc),
        regions=regions,
        project_ids=pids,
        instance_ids=instance_ids,
        instance_names=instance_names,
        instance_regions=instance_regions,
        instance_kinds=instance_kinds,
        ids=ids,
        name_index=name_index,
        instance=instance,
        created=created.astype(np.int64),
        planned_s=planned.astype(np.int64),
        nominal_s=nominal,
        progress_cap=progress_cap,
        failed=failed,
        fail_reasons=reasons,
        incident=incident_info,
        stuck_ids=[ids[i] for i in stuck_index.tolist()],
        rng=rng,
    )


# --- the bundled sample ----------------------------------------------------------------------------


def sample_fleet() -> Fleet:
    """The fleet behind the bundled sample (``data/sample_jobs.jsonl``)."""
    return generate_fleet(
        jobs=SAMPLE_JOBS, instances=SAMPLE_INSTANCES, days=SAMPLE_DAYS, end=SAMPLE_END, seed=SAMPLE_SEED
    )


def sample_records() -> list[dict[str, Any]]:
    """The bundled sample: ListTasks (v3.1) records read at ``SAMPLE_END``, annotated like our fetcher does.

    Each record also carries ``region``, ``project_id`` and ``observed_at`` (ISO 8601, UTC).
    """
    fleet = sample_fleet()
    observed_at = SAMPLE_END.isoformat()
    indices = fleet.select()
    regions = [fleet.regions[r] for r in fleet.region[indices].tolist()]
    return [
        {**record, "region": region, "project_id": fleet.project_ids[region], "observed_at": observed_at}
        for record, region in zip(fleet.render(indices), regions, strict=True)
    ]


def load_sample() -> pd.DataFrame:
    """The bundled sample as a jobs frame: ≈5k jobs, 60 instances, 3 regions, 60 days up to ``SAMPLE_END``."""
    from ._frame import jobs_frame

    return jobs_frame(sample_records())


def write_jsonl(records: Sequence[Mapping[str, Any]], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ddsjobs_analytics._sample", description=__doc__)
    parser.add_argument("--write", type=Path, required=True, help="write the bundled sample as JSON Lines")
    args = parser.parse_args(argv)
    write_jsonl(sample_records(), args.write)
    print(f"wrote {args.write}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
