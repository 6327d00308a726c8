"""The true behaviour of each DDS job type in the simulated fleet: frequency, duration, failures and reasons.

:data:`JOB_PROFILES` holds one :class:`JobProfile` per documented job type; the arrays below index them
by position in ``JOB_NAMES`` for vectorised draws. Failure reasons are rendered from templates with variable
parts (node ids, addresses, sizes, names, codes), like the real messages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .._core._names import JOB_NAMES

__all__ = [
    "DEFAULT_REGIONS",
    "FAIL_P",
    "IS_BACKUP",
    "JOB_PROFILES",
    "KINDS",
    "KIND_WEIGHTS",
    "MEDIAN_S",
    "NAME_INDEX",
    "SIGMA",
    "STUCK_CANDIDATES",
    "JobProfile",
    "fail_reason",
    "hexid",
    "incident_reason",
]

KINDS: tuple[str, ...] = ("cluster", "replica", "single")
DEFAULT_REGIONS: tuple[str, ...] = ("cn-north-4", "ap-southeast-1", "eu-west-101")


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

NAME_INDEX = {name: i for i, name in enumerate(JOB_NAMES)}
MEDIAN_S = np.array([JOB_PROFILES[n].median_s for n in JOB_NAMES])
SIGMA = np.array([JOB_PROFILES[n].sigma for n in JOB_NAMES])
FAIL_P = np.array([JOB_PROFILES[n].fail_p for n in JOB_NAMES])
IS_BACKUP = np.array([JOB_PROFILES[n].family == "backup" for n in JOB_NAMES])
STUCK_CANDIDATES = [i for i, n in enumerate(JOB_NAMES) if JOB_PROFILES[n].family in ("restore", "backup")]


def _kind_weights(kind: str) -> np.ndarray:
    profiles = [JOB_PROFILES[name] for name in JOB_NAMES]
    weights = np.array([p.weight if kind in p.kinds else 0.0 for p in profiles])
    return weights / weights.sum()


KIND_WEIGHTS = {kind: _kind_weights(kind) for kind in KINDS}


_Draw = Callable[[np.random.Generator], str]


def hexid(rng: np.random.Generator, n: int) -> str:
    return rng.bytes((n + 1) // 2).hex()[:n]


def _ip(rng: np.random.Generator) -> str:
    return f"192.168.{rng.integers(0, 256)}.{rng.integers(2, 255)}"


def _port(rng: np.random.Generator) -> int:
    return int(rng.choice([8635, 8636, 8637, 27017, 27018, 27019]))


def _node(rng: np.random.Generator) -> str:
    return f"{hexid(rng, 32)}no02"


def _disk_full(rng: np.random.Generator) -> str:
    total = int(rng.choice([100, 200, 500, 1000]))
    used = total * rng.uniform(0.95, 0.999)
    return f"Insufficient disk space on node {_node(rng)}: {used:.1f} GB used of {total} GB."


# Each template renders a reason with variable parts (node ids, addresses, sizes, names, codes).
_REASON_TEMPLATES: dict[str, _Draw] = {
    "agent": lambda r: f"Failed to upgrade the DB Agent on node {_node(r)}.",
    "obs_timeout": lambda r: (
        f"Backup failed: upload to OBS bucket 'dds-backup-{hexid(r, 8)}' "
        f"timed out after {r.integers(60, 900)}s."
    ),
    "unreachable": lambda r: f"Node {_node(r)} ({_ip(r)}:{_port(r)}) is unreachable.",
    "disk": lambda r: _disk_full(r),
    "backup_missing": lambda r: f"Restore failed: backup file {hexid(r, 32)}br02 not found.",
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
    "security_group": lambda r: f"Security group 'sg-{hexid(r, 8)}' does not allow port {_port(r)}.",
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
        f"Failed to restore collection 'db{r.integers(1, 20)}.coll_{hexid(r, 4)}': "
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


def fail_reason(name: str, rng: np.random.Generator) -> str:
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


def incident_reason(rng: np.random.Generator) -> str:
    return (
        f"Failed to access the storage backend: I/O timeout on volume vol-{hexid(rng, 8)} "
        f"after {rng.integers(3000, 30000)} ms."
    )
