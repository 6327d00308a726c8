"""Seeded generator of realistic DDS failure messages labelled with their true template.

Writes ``benchmarks/data/fail_reasons_labelled.jsonl`` (one ``{"message", "label"}`` per line). The label is
the template id below, chosen by hand from what the message *means*, not from what any masker does. Variable
parts are drawn from pools of fleet entities (so ids repeat across jobs as they do in a real fleet) or at
random.

Hard cases on purpose: templates that differ only in one constant word (ECS/EVS quota,
RECOVERING/ROLLBACK/STARTUP2, OBS 403/404/503), quoted names with spaces (the same template with different
token counts), templates sharing most of their words, variable lists of hosts, and user names with no digit
in them.

    .venv/bin/python benchmarks/make_labelled_reasons.py            # rewrite the data file
"""

from __future__ import annotations

import argparse
import json
import random
import string
from collections.abc import Callable
from pathlib import Path

DATA_FILE = Path(__file__).parent / "data" / "fail_reasons_labelled.jsonl"
SEED = 20261129
N_MESSAGES = 2000
MIN_PER_TEMPLATE = 12

# (label, format string). A field name with a trailing digit is another draw of the same field ({size},
# {size2}).
TEMPLATES: tuple[tuple[str, str], ...] = (
    ("agent_upgrade", "Failed to upgrade the DB Agent."),
    ("ecs_create", "Failed to create the ECS."),
    ("ecs_delete", "Failed to delete the ECS."),
    ("ecs_quota_az", "Insufficient ECS quota in AZ {az}."),
    ("evs_quota_az", "Insufficient EVS quota in AZ {az}."),
    ("backup_missing_quoted", "The backup file in OBS bucket '{bucket}' does not exist."),
    ("backup_object_missing", "The backup file {object_key} does not exist in OBS bucket {bucket}."),
    ("node_no_response", "Node {node_id} did not respond within {timeout}s."),
    ("node_no_healthcheck", "Node {node_id} did not respond to the health check within {timeout}s."),
    ("connect_refused", "Failed to connect to {host}: connection refused."),
    ("connect_timeout", "Failed to connect to {host}: connection timed out after {millis} ms."),
    ("volume_mount", "Failed to mount volume {uuid} to ECS {uuid2}."),
    ("volume_unmount", "Failed to unmount volume {uuid} from ECS {uuid2}."),
    ("evs_create_error", "Failed to create the EVS disk: EVS returned error {evs_code}, request id {uuid}."),
    ("flavor_sold_out_az", "Failed to create the ECS: the flavor {flavor} is sold out in AZ {az}."),
    ("flavor_sold_out", "Resource request failed: flavor {flavor} is sold out."),
    (
        "internal_error",
        "An internal error occurred ({dbs_code}). Please try again later or contact technical support.",
    ),
    ("instance_locked", "Instance '{instance_name}' is locked by another job ({uuid})."),
    ("instance_frozen", "Instance '{instance_name}' is frozen. Unfreeze it and try again."),
    ("member_recovering", "Replica set member {host} is in state RECOVERING."),
    ("member_rollback", "Replica set member {host} is in state ROLLBACK."),
    ("member_startup2", "Replica set member {host} is in state STARTUP2."),
    ("election_timeout", "Primary election did not finish within {seconds} seconds on shard {shard}."),
    (
        "switchover_lag",
        "Switchover failed: secondary {host} is lagging behind the primary by {seconds} seconds.",
    ),
    (
        "disk_usage_high",
        "Disk usage of node {node_id} is {percent}%, above the {threshold}% limit. "
        "Scale up the storage first.",
    ),
    (
        "storage_not_larger",
        "The target storage {size_gb}GB must be larger than the current storage {size_gb2}GB.",
    ),
    ("oplog_too_small", "Oplog size {size_mb}MB is smaller than the minimum {min_mb}MB."),
    (
        "restore_version",
        "Failed to restore backup {backup_id} to instance {instance_id}: "
        "the target instance version {version} is lower than the backup version {version2}.",
    ),
    ("pitr_window", "Point-in-time {time} is outside the restorable window [{time2}, {time3}]."),
    ("obs_403", "Backup {backup_id} failed: OBS returned 403 AccessDenied for object '{object_key}'."),
    ("obs_404", "Backup {backup_id} failed: OBS returned 404 NoSuchKey for object '{object_key}'."),
    ("obs_503", "Backup {backup_id} failed: OBS returned 503 SlowDown for object '{object_key}'."),
    ("eip_bound", "Failed to bind EIP {public_ip} to node {node_id}: the EIP is already bound."),
    ("eip_frozen", "Failed to bind EIP {public_ip} to node {node_id}: the EIP is frozen."),
    ("eip_unbind", "Failed to unbind EIP {public_ip} from node {node_id}."),
    ("sg_port_closed", "Security group {uuid} does not allow inbound traffic on port {port}."),
    ("port_in_use", "Port {port} is already in use on node {node_id}."),
    ("mongod_exit", "The mongod process on {host} exited unexpectedly with code {exit_code}."),
    ("mongo_auth", 'MongoServerError on {host}: Authentication failed for user "{db_user}" (code 18).'),
    ("mongo_not_primary", "MongoServerError on {host}: not primary (code 10107, NotWritablePrimary)."),
    (
        "driver_server_selection",
        "Timed out after {millis} ms while waiting for a server that matches "
        "ReadPreference{{mode: primary}}. Client view of cluster state is "
        "{{type=REPLICA_SET, servers=[{host_list}]}}",
    ),
    ("port_change", "Failed to change the port of instance {instance_id} from {port} to {port2}."),
    ("ssl_cert_expired", "Failed to switch SSL: the certificate expired at {time}."),
    (
        "az_migrate_resources",
        "Failed to migrate the instance to AZ {az}: insufficient resources in the target AZ.",
    ),
    (
        "readonly_limit",
        "Failed to add a read replica: the instance already has {replicas} read replicas "
        "(maximum {max_replicas}).",
    ),
    (
        "apigw_throttled",
        "Request throttled by the API gateway: "
        "APIGW.0308 policy user over ratelimit,limit:{rate},time:1 second",
    ),
    ("workflow_step_timeout", "Workflow step '{step}' timed out after {minutes} minutes."),
    ("ecs_resize_error", "Failed to resize node {node_id}: ECS returned {ecs_code}."),
    ("job_cancelled", "Task {uuid} was cancelled by user {iam_user} at {time}."),
    ("restart_abnormal", "Failed to restart node {node_id}: the node is in abnormal state."),
    ("restart_frozen", "Failed to restart node {node_id}: the instance is frozen."),
    ("upgrade_path", "Upgrade failed: version {version} cannot be upgraded to {version2} directly."),
    (
        "restore_table_missing",
        "Failed to restore table: collection '{collection}' does not exist in backup {backup_id}.",
    ),
    ("node_info", "Failed to obtain the node information. Please contact the O&M personnel."),
    (
        "subnet_ips",
        "Failed to create the instance because subnet {uuid} has only {free_ips} available IP addresses.",
    ),
    (
        "dup_key",
        "E11000 duplicate key error collection: admin.system.users index: user_1_db_1 dup key: {dup_key}",
    ),
    (
        "oplog_resize_mongo",
        "Failed to resize the oplog on {host}: replSetResizeOplog returned code {exit_code}.",
    ),
)

REGIONS = (
    "cn-north-4",
    "cn-east-3",
    "cn-south-1",
    "ap-southeast-1",
    "ap-southeast-3",
    "af-south-1",
    "la-south-2",
)
STEPS = (
    "create nodes",
    "wait for agent",
    "init replica set",
    "configure SSL",
    "mount data volume",
    "apply parameter group",
    "check",
)
NAME_WORDS = (
    "order",
    "payment",
    "user",
    "prod",
    "test",
    "mongo",
    "db",
    "shop",
    "report",
    "log",
    "center",
    "hk",
)
IAM_USERS = ("ops_admin", "zhangwei", "li.na", "deploy-bot", "admin01", "chen_jie", "dba", "liu.yang.ops")
DB_USERS = ("rwuser", "app_user", "readonly", "backup_svc", "report")
COLLECTIONS = (
    "shop.orders",
    "shop.order items",
    "crm.customers",
    "logs.events_2026",
    "app.sessions",
    "test.t1",
)
FLAVOR_SIZES = ("medium", "large", "xlarge", "2xlarge", "4xlarge")
FLAVOR_ROLES = ("mongos", "shard", "config", "repset", "single")


class Fleet:
    """Pools of entity values, so a node id or bucket recurs across jobs as in a real fleet."""

    def __init__(self, rng: random.Random, *, instances: int = 120) -> None:
        self.rng = rng
        self.instance_ids = [self._dds_id("in02") for _ in range(instances)]
        self.node_ids = [self._dds_id("no02") for _ in range(instances * 3)]
        self.backup_ids = [self._dds_id("br02") for _ in range(instances * 4)]
        self.hosts = [
            f"192.168.{rng.randrange(256)}.{rng.randrange(1, 255)}:8635" for _ in range(instances * 3)
        ]
        self.buckets = [f"dds-backup-{rng.choice(REGIONS)}-{self._hex(6)}" for _ in range(24)]
        self.instance_names = [self._instance_name() for _ in range(instances)]

    def _hex(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(n))

    def _dds_id(self, suffix: str) -> str:
        return self._hex(32) + suffix

    def _instance_name(self) -> str:
        rng = self.rng
        shape = rng.randrange(3)
        if shape == 0:  # the console's default name
            return f"dds-{self._hex(4)}"
        if shape == 1:  # a hand-chosen name with spaces: varying token counts within one template
            return " ".join(rng.sample(NAME_WORDS, rng.randint(2, 4)))
        return "-".join(rng.sample(NAME_WORDS, 2)) + f"-{rng.randint(1, 20):02d}"

    def uuid(self) -> str:
        return "-".join(self._hex(n) for n in (8, 4, 4, 4, 12))

    def time(self) -> str:
        rng = self.rng
        return (
            f"2026-{rng.randint(10, 11):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:"
            f"{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}{rng.choice(('+0800', '+0000', '+0300'))}"
        )

    def object_key(self) -> str:
        rng = self.rng
        day = f"2026/{rng.randint(10, 11):02d}/{rng.randint(1, 28):02d}"
        suffix = rng.choice(("tar.gz", "bson.gz", "oplog"))
        return f"backups/{rng.choice(self.instance_ids)}/{day}/{self.uuid()}.{suffix}"

    def flavor(self) -> str:
        rng = self.rng
        return f"dds.mongodb.s6.{rng.choice(FLAVOR_SIZES)}.{rng.choice((2, 4, 8))}.{rng.choice(FLAVOR_ROLES)}"

    def version(self) -> str:
        return self.rng.choice(("3.4", "4.0", "4.2", "4.4", "5.0", "6.0", "4.0.3", "4.2.10"))

    def dup_key(self) -> str:
        user, db = self.rng.choice(DB_USERS), self.rng.choice(("admin", "shop", "crm"))
        return f'{{ user: "{user}", db: "{db}" }}'

    def host_list(self) -> str:
        return ", ".join(self.rng.sample(self.hosts, self.rng.randint(1, 3)))

    def fields(self) -> dict[str, Callable[[], str]]:
        rng = self.rng
        choice = rng.choice
        return {
            "az": lambda: choice(REGIONS) + choice("abc"),
            "bucket": lambda: choice(self.buckets),
            "object_key": self.object_key,
            "node_id": lambda: choice(self.node_ids),
            "instance_id": lambda: choice(self.instance_ids),
            "backup_id": lambda: choice(self.backup_ids),
            "instance_name": lambda: choice(self.instance_names),
            "host": lambda: choice(self.hosts),
            "host_list": self.host_list,
            "public_ip": lambda: (
                f"{rng.randint(100, 124)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randint(1, 254)}"
            ),
            "uuid": self.uuid,
            "time": self.time,
            "timeout": lambda: str(choice((300, 600, 900, 1200))),
            "millis": lambda: str(choice((10000, 30000, 60000, rng.randint(1000, 99999)))),
            "seconds": lambda: str(rng.randint(10, 600)),
            "minutes": lambda: str(choice((5, 10, 15, 30, 60))),
            "percent": lambda: str(rng.randint(90, 100)),
            "threshold": lambda: str(choice((85, 90))),
            "size_gb": lambda: str(rng.randrange(10, 3000, 10)),
            "size_mb": lambda: str(rng.randrange(100, 990, 10)),
            "min_mb": lambda: "990",
            "version": self.version,
            "port": lambda: str(choice((8635, 8636, 8637, 27017, rng.randint(2100, 9500)))),
            "exit_code": lambda: str(choice((1, 14, 48, 62, 100, 134, 137))),
            "db_user": lambda: choice(DB_USERS),
            "iam_user": lambda: choice(IAM_USERS),
            "dbs_code": lambda: choice(
                ("DBS.280005", "DBS.200998", "DBS.280001", "DBS.200001", "DBS.280443")
            ),
            "evs_code": lambda: choice(("EVS.2024", "EVS.5400", "EVS.1001")),
            "ecs_code": lambda: choice(("Ecs.0319", "Ecs.0013", "Ecs.0000", "Ecs.1002")),
            "flavor": self.flavor,
            "shard": lambda: f"shard_{rng.randint(1, 16)}",
            "replicas": lambda: str(rng.randint(1, 5)),
            "max_replicas": lambda: "5",
            "rate": lambda: str(choice((20, 50, 100))),
            "step": lambda: choice(STEPS),
            "collection": lambda: choice(COLLECTIONS),
            "free_ips": lambda: str(rng.randint(0, 3)),
            "dup_key": self.dup_key,
        }


def _field_names(fmt: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(fmt) if name]


class MessageGenerator:
    """Draw labelled messages; template frequencies follow a Zipf-like law, as real failure reasons do."""

    def __init__(self, seed: int = SEED) -> None:
        self.rng = random.Random(seed)
        self.fleet = Fleet(self.rng)
        self.fields = self.fleet.fields()
        order = list(range(len(TEMPLATES)))
        self.rng.shuffle(order)
        self.weights = [0.0] * len(TEMPLATES)
        for rank, index in enumerate(order, start=1):
            self.weights[index] = 1.0 / rank**0.9

    def message(self, index: int) -> str:
        fmt = TEMPLATES[index][1]
        values = {name: self.fields[name.rstrip("0123456789")]() for name in _field_names(fmt)}
        return fmt.format(**values)

    def draw(self, n: int, *, min_per_template: int = 0) -> list[tuple[str, str]]:
        forced = [i for i in range(len(TEMPLATES)) for _ in range(min_per_template)]
        chosen = forced + self.rng.choices(range(len(TEMPLATES)), weights=self.weights, k=n - len(forced))
        self.rng.shuffle(chosen)
        return [(self.message(i), TEMPLATES[i][0]) for i in chosen]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DATA_FILE)
    parser.add_argument("-n", type=int, default=N_MESSAGES)
    args = parser.parse_args()
    labels = [label for label, _ in TEMPLATES]
    assert len(set(labels)) == len(labels), "duplicate template label"
    rows = MessageGenerator(SEED).draw(args.n, min_per_template=MIN_PER_TEMPLATE)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as fh:
        for message, label in rows:
            fh.write(json.dumps({"message": message, "label": label}, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} messages, {len(set(labels))} templates -> {args.out}")


if __name__ == "__main__":
    main()
