"""Vocabulary of the DDS task center: documented job names, statuses, and the ``job_type`` spelling.

ShowJobDetail (v3) returns names such as ``Create_MongoDB`` while ListTasks (v3.1) documents
``CreateMongoDB``; ``job_type`` is always the ListTasks spelling so both shapes group together.
"""

from __future__ import annotations

__all__ = [
    "JOB_NAMES",
    "STATUSES",
    "TERMINAL_STATUSES",
    "canonical_job_type",
    "name_key",
]

# ListTasks' documented ``name`` values (shared/dds-task-api.md §4), in the reference's order.
JOB_NAMES: tuple[str, ...] = (
    "CreateMongoDB",
    "CreateMongoDBReplica",
    "CreateMongoDBReplicaSingle",
    "EnlargeMongoDBVolume",
    "ResizeMongoDBInstance",
    "ResizeDfvMongoDBInstance",
    "EnlargeMongoDBGroup",
    "ReplicaSetEnlargeNode",
    "AddReadonlyNode",
    "RestartInstance",
    "RestartGroup",
    "RestartNode",
    "RestartReplicaSetInstance",
    "RestartReplicaSingleInstance",
    "SwitchPrimary",
    "ModifyIp",
    "ModifySecurityGroup",
    "ModifyPort",
    "BindPublicIP",
    "UnbindPublicIP",
    "SwitchInstanceSSL",
    "AzMigrate",
    "CreateIp",
    "ModifyOpLogSize",
    "RestoreMongoDB",
    "RestoreMongoDB_Replica",
    "RestoreMongoDB_Replica_Single",
    "RestoreMongoDB_Replica_PITR",
    "MongodbSnapshotBackup",
    "MongodbSnapshotEBackup",
    "MongodbRestoreData2CurrentInstance",
    "MongodbRestoreData2NewInstance",
    "MongodbPitr2CurrentInstance",
    "MongodbPitr2NewInstance",
    "MongodbRecycleBackup",
    "MongodbRestoreTable",
    "UpgradeDatabaseVersion",
)

STATUSES: tuple[str, ...] = ("Running", "Completed", "Failed")
TERMINAL_STATUSES: frozenset[str] = frozenset({"Completed", "Failed"})


def name_key(name: str) -> str:
    """Case- and underscore-insensitive key: ``Create_MongoDB`` and ``createmongodb`` meet."""
    return name.replace("_", "").replace("-", "").replace(" ", "").lower()


_BY_KEY: dict[str, str] = {name_key(name): name for name in JOB_NAMES}


def canonical_job_type(name: str) -> str:
    """The documented ListTasks spelling of ``name``; unknown names are returned unchanged."""
    return _BY_KEY.get(name_key(name), name)
