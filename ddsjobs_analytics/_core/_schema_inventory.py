"""The column contract of the inventory tables: instances, their nodes, and scheduled jobs (issue 19).

Declared like the job tables in :mod:`._schema` (same :class:`Column` kinds); ``docs/columns.md`` lists
them after those (``python docs/make_columns.py``). :data:`INSTANCE_JOIN_COLUMNS` maps each instance column
to its name in a jobs frame joined with ``with_instances``.
"""

from __future__ import annotations

from ._schema import TABLES, Column, TableSpec

__all__ = [
    "ALL_TABLES",
    "INSTANCES",
    "INSTANCE_JOIN_COLUMNS",
    "INVENTORY_TABLES",
    "NODES",
    "SCHEDULED",
]

_TIME = "datetime64[us, UTC]"

INSTANCES = TableSpec(
    "instances frame",
    "instances_frame(), TaskCenter.instances()",
    (
        Column("instance_id", "string[pyarrow]", "instance id (`id`)"),
        Column("instance_name", "string[pyarrow]", "instance name (`name`)"),
        Column("region", "category", "`region` of the record (the client fills it in when absent)"),
        Column("project_id", "category", "project the instance was listed in (added by the client)"),
        Column("status", "category", "as returned (`normal`, `abnormal`, `frozen`, `data_disk_full`, …)"),
        Column("mode", "category", "`Sharding`, `ReplicaSet` or `Single`; unknown modes kept and counted"),
        Column("engine", "category", "storage engine (`wiredTiger`, `rocksDB`)"),
        Column("engine_version", "category", "`datastore.version`, the major version (`3.4` … `5.0`)"),
        Column("whole_version", "category", "`datastore.whole_version`, the full version"),
        Column(
            "patch_available",
            "boolean",
            '`datastore.patch_available`: a patch upgrade is offered (a bool; `"true"`/`1` read too); NA'
            " when not given",
        ),
        Column(
            "spec_code",
            "category",
            "the data nodes' spec: shard nodes of a cluster, else the replica or single group's nodes;"
            " the most common one if they differ (ties: the alphabetically first)",
        ),
        Column("availability_zones", "category", "sorted unique AZs of all nodes, comma-joined"),
        Column("node_count", "int64", "all nodes, mongos and config included (0 without `groups`)"),
        Column("shard_count", "int64", "shard groups; 0 unless `Sharding`"),
        Column("volume_size_gb", "float64", "sum of the groups' `volume.size`; NaN if one is not a number"),
        Column("volume_used_gb", "float64", "sum of the groups' `volume.used`, like `volume_size_gb`"),
        Column("port", "Int64", "`port`, a number or a numeric string"),
        Column("ssl", "boolean", '`ssl`: `"1"`/`1` → True, `"0"`/`0` → False'),
        Column(
            "created", _TIME, "`created`; no offset means UTC (an offset, if any, is honoured and counted)"
        ),
        Column("updated", _TIME, "`updated`, read like `created`"),
        Column("tags", "dict", "`tags` as a dict `{key: value}` (empty when none)"),
        Column("pay_mode", "category", '`"0"` on demand, `"1"` yearly/monthly'),
        Column("maintenance_window", "string[pyarrow]", "e.g. `02:00-06:00`"),
        Column("enterprise_project_id", "category", '`"0"` is the default enterprise project'),
        Column("observed_at", _TIME, "when this snapshot was taken (the record's own, else the argument)"),
    ),
)

NODES = TableSpec(
    "nodes frame",
    "nodes_frame()",
    (
        Column("instance_id", "string[pyarrow]", "the node's instance"),
        Column("group_type", "category", "`mongos`, `shard`, `config`, `replica` or `single`"),
        Column("group_id", "string[pyarrow]", "group id (shard and config groups; else NA)"),
        Column("group_name", "string[pyarrow]", "group name (shard and config groups; else NA)"),
        Column("node_id", "string[pyarrow]", "node id"),
        Column("node_name", "string[pyarrow]", "node name"),
        Column("role", "category", "`master` (mongos), `Primary`, `Secondary`, `Hidden`, `unknown`"),
        Column("status", "category", "node status"),
        Column("spec_code", "category", "the node's resource spec"),
        Column("availability_zone", "category", "the node's AZ"),
        Column("private_ip", "string[pyarrow]", 'private IP (`""` → NA)'),
    ),
)

SCHEDULED = TableSpec(
    "scheduled jobs frame",
    "scheduled_frame(), TaskCenter.scheduled_jobs()",
    (
        Column("job_id", "string[pyarrow]", "`job_id` (past ones are also job ids of the task center)"),
        Column("job_name", "category", "`job_name`, e.g. `RESIZE_FLAVOR`"),
        Column("status", "category", "`job_status`: Pending, Running, Completed, Failed, Canceled"),
        Column("instance_id", "category", "`instance_id`"),
        Column("instance_name", "category", "`instance_name`"),
        Column("instance_status", "category", "`normal`, `abnormal`, `creating`, `createfail`, `deleted`"),
        Column("created", _TIME, "`create_time` (`+hhmm` offset) in UTC; empty → NaT, counted"),
        Column("start", _TIME, "`start_time` in UTC; empty → NaT, counted"),
        Column("end", _TIME, "`end_time` in UTC; empty (not ended) → NaT"),
        Column("utc_offset", "Int16", "minutes east of UTC of `create_time` as received"),
    ),
)

INVENTORY_TABLES: tuple[TableSpec, ...] = (INSTANCES, NODES, SCHEDULED)
ALL_TABLES: tuple[TableSpec, ...] = (*TABLES, *INVENTORY_TABLES)

# Instance columns renamed by the join so they never overwrite a job column.
INSTANCE_JOIN_COLUMNS: dict[str, str] = {
    name: {
        "status": "instance_status",
        "created": "instance_created",
        "observed_at": "instance_observed_at",
    }.get(name, name)
    for name in INSTANCES.names
    if name not in ("instance_id", "instance_name", "region", "project_id")
}
