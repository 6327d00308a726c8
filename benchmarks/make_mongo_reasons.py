# ruff: noqa: E501  (long f-strings of value shapes read best on one line)
"""Seeded generator of a DDS/MongoDB failure-message set, labelled with its true template (issue 18).

Writes ``benchmarks/data/fail_reasons_mongo.jsonl`` (one ``{"message", "label"}`` per line). The sentences
are modelled on public MongoDB server error messages (duplicate key, not primary, exceeded time limit, sort
memory limit, BSON size, authentication, read preference), Huawei Cloud ``DBS.`` error codes and Chinese
console messages. The values are drawn at random per message and have the shapes issue 18 lists: sizes with
a unit after a space or glued (``88.65 GB``, ``236MB``), durations (``45 min``, ``7h6m``, ``900000ms``,
``00:01``, ``01:02:03``), signed numbers (``=-4131``), ``host:port`` for any host (``dds-9c2e_shard_node_2:8636``),
an IP or ``LOCAL(0)`` in one position, MAC addresses, embedded MongoDB documents (``{ _id: ObjectId('…') }``,
``{ age: { $gt: 30 } }``), mixed-script instance names glued into Chinese text (``会员库-prod-02``), user names
with dots or CJK (``li.ming@admin``), and positions with only 2–3 distinct words (roles, replica-set names).
Near-miss pairs (``started``/``stopped``, ``grant``/``revoke``) are separate templates.

    .venv/bin/python benchmarks/make_mongo_reasons.py              # rewrite the data file (seed 18)
    .venv/bin/python benchmarks/make_mongo_reasons.py --seed 5 --out /tmp/x.jsonl   # a re-draw
"""

from __future__ import annotations

import argparse
import json
import random
import string
from collections.abc import Callable
from pathlib import Path

MONGO_FILE = Path(__file__).parent / "data" / "fail_reasons_mongo.jsonl"
SEED = 18
N_MESSAGES = 2000
MIN_PER_TEMPLATE = 12

# (label, format string); {field} and {field2} are independent draws of one field.
TEMPLATES: tuple[tuple[str, str], ...] = (
    ("dup_key", "E11000 duplicate key error collection: {namespace} index: {index} dup key: {doc}"),
    ("not_primary", "not primary and secondaryOk=false, replica set {rs} member {host_port}"),
    ("time_limit", "operation exceeded time limit after {duration}, query {query}"),
    (
        "sort_memory",
        "Executor error during find command :: caused by :: Sort exceeded memory limit of {bytes} bytes",
    ),
    ("bson_size", "BSONObj size: {bytes} is invalid. Size must be between 0 and {size}"),
    ("auth_failed", "Authentication failed for user {mongo_user} from client {client}"),
    ("read_pref", 'Could not find host matching read preference {{ mode: "{mode}" }} for set {rs}'),
    (
        "write_conflict",
        "WriteConflict error: this operation conflicted with another operation on {namespace}",
    ),
    ("disk_low", "Disk space low on {host_port}: {size} free of {size2}"),
    ("backup_slow", "Backup of instance {instance_name} took {duration}, longer than the {duration2} window"),
    ("oplog_lag", "Secondary {host_port} replication lag={signed} s, oplog window {duration}"),
    ("clock_skew", "Clock skew offset={signed}ms between {host_port} and {host_port2}"),
    ("nic_down", "Network interface with MAC {mac} on {host} went down at {time}"),
    ("conn_refused", "Connection refused by {peer}, retry {count} of 5"),
    ("conn_timeout", "Connection to {peer} timed out after {duration}"),
    ("dbs_quota", "{dbs_code}: Insufficient quota for flavor {flavor} in {az}"),
    ("dbs_status", "{dbs_code}: The instance status does not allow this operation, current status {status}"),
    ("dbs_param", "{dbs_code}: Invalid parameter {param} value {signed}"),
    ("role_grant", "Failed to grant role {role} on {db} to user {mongo_user}"),
    ("role_revoke", "Failed to revoke role {role} on {db} from user {mongo_user}"),
    ("inst_started", "Instance {instance_name} started successfully in {duration}."),
    ("inst_stopped", "Instance {instance_name} stopped successfully in {duration}."),
    ("shard_add", "Adding shard {shard} to cluster {instance_name} failed: {host_port} unreachable"),
    ("cn_disk", "实例{cn_name}的磁盘使用率已达到{percent}%，剩余{size}"),
    ("cn_backup", "实例{cn_name}的备份任务执行失败，耗时{duration}"),
    ("cn_restart", "节点{host_port}重启失败，请联系技术支持"),
    ("cn_user", "用户{mongo_user}登录失败，来源{client}"),
    ("cn_flavor", "规格变更失败：实例{cn_name}当前状态为{cn_status}"),
    ("cn_dbs", "{dbs_code}：实例{cn_name}不存在或已被删除"),
    ("index_build", "Index build on {namespace} failed: {doc} exceeds {size}"),
    ("query_killed", "Query {query} on {namespace} was killed after {duration}"),
    ("memory_high", "Memory usage of {host_port} is {size} ({percent}% of {size2})"),
    ("transfer", "Transferred {bytes} bytes{opt_size} to {peer} in {duration}"),
    ("balancer", "Balancer moved chunk {doc} from {rs} to {rs2}"),
)

WORDS = (
    "orders",
    "payments",
    "users",
    "sessions",
    "events",
    "carts",
    "billing",
    "audit",
    "ledger",
    "profiles",
)
DBS = ("shop", "crm", "iot", "game", "fin", "admin", "analytics")
ROLES = ("read", "readWrite", "dbAdmin", "root")
CN_WORDS = ("会员库", "支付中心", "订单", "日志平台", "风控")
NAMES = ("li", "wang", "zhang", "chen", "liu", "zhao", "sun", "ming", "wei", "fang")
STATUS = ("creating", "frozen", "rebooting", "resizing", "abnormal")
CN_STATUS = ("创建中", "冻结", "重启中", "规格变更中")
ZONES = ("cn-north-4a", "cn-east-3b", "ap-southeast-1c", "eu-west-101a", "cn-south-1f")
FLAVORS = (
    "dds.mongodb.s6.large.2.shard",
    "dds.mongodb.c6.xlarge.4.repset",
    "dds.mongodb.s6.2xlarge.8.mongos",
)
PARAMS = (
    "net.maxIncomingConnections",
    "operationProfiling.slowOpThresholdMs",
    "storage.oplogMinRetentionHours",
)


class Draw:
    """Value draws for every field, from a seeded ``random.Random``."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def hexs(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(n))

    def letters(self, n: int) -> str:
        return "".join(self.rng.choice(string.ascii_lowercase) for _ in range(n))

    def ip(self) -> str:
        r = self.rng
        return f"{r.randint(10, 192)}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"

    def host(self) -> str:
        r = self.rng
        return r.choice(
            (
                f"dds-{self.hexs(4)}_shard_node_{r.randint(1, 9)}",
                f"router-{r.randint(1, 12)}",
                f"{r.choice(WORDS)}-db-{self.letters(4)}",
                f"node{r.randint(1, 40)}.{r.choice(WORDS)}.internal",
                f"mongo-{self.letters(5)}",
            )
        )

    def size(self) -> str:
        r = self.rng
        number = r.choice((f"{r.uniform(0.5, 999):.2f}", str(r.randint(1, 4096)), f"{r.uniform(1, 99):.1f}"))
        return f"{number}{r.choice((' ', ''))}{r.choice(('KB', 'MB', 'GB', 'TB'))}"

    def duration(self) -> str:
        r = self.rng
        return r.choice(
            (
                f"{r.randint(1, 59)} min",
                f"{r.randint(1, 23)} h",
                f"{r.randint(1, 9)}h{r.randint(1, 59)}m",
                f"{r.randint(1000, 900000)}ms",
                f"{r.randint(0, 59):02d}:{r.randint(0, 59):02d}",
                f"{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}",
                "<1 sec",
                f"{r.uniform(0.1, 90):.1f} s",
            )
        )

    def doc(self) -> str:
        r = self.rng
        return r.choice(
            (
                f"{{ _id: ObjectId('{self.hexs(24)}') }}",
                f'{{ email: "{self.letters(5)}@{r.choice(WORDS)}.com" }}',
                f"{{ {r.choice(('age', 'score', 'qty'))}: {{ $gt: {r.randint(1, 99)} }} }}",
                f"{{ userId: {r.randint(1, 99999)}, ts: {r.randint(10**9, 2 * 10**9)} }}",
                f'{{ sku: "{self.letters(3).upper()}-{r.randint(100, 999)}" }}',
            )
        )

    def mongo_user(self) -> str:
        r = self.rng
        return r.choice(
            (
                f"{r.choice(NAMES)}.{r.choice(NAMES)}@{r.choice(DBS)}",
                f"root@{r.choice(DBS)}",
                f"{r.choice(NAMES)}{r.choice(NAMES)}",
                f"{r.choice(CN_WORDS)}管理员",
                f"svc_{self.letters(4)}",
            )
        )

    def cn_name(self) -> str:
        r = self.rng
        return r.choice(
            (
                f"{r.choice(CN_WORDS)}-prod-{r.randint(1, 30):02d}",
                f"dds-{r.choice(CN_WORDS)}-{r.randint(1, 9)}",
                f"{r.choice(CN_WORDS)}_{self.letters(3)}",
                f"dds-{self.hexs(4)}",
            )
        )

    def value(self, field: str) -> str:
        r = self.rng
        base = field.rstrip("0123456789")
        fields: dict[str, Callable[[], object]] = {
            "namespace": lambda: f"{r.choice(DBS)}.{r.choice(WORDS)}",
            "index": lambda: r.choice(("_id_", "email_1", "userId_1_ts_-1", "sku_1")),
            "doc": self.doc,
            "mongo_user": self.mongo_user,
            "query": self.doc,
            "rs": lambda: r.choice(("rs0", "replica", "shard_a")),
            "host": self.host,
            "host_port": lambda: f"{self.host()}:{r.choice((8635, 8636, 27017, r.randint(1024, 65535)))}",
            "peer": lambda: r.choice(
                (
                    self.ip(),
                    f"{self.ip()}:{r.randint(1024, 65535)}",
                    "LOCAL(0)",
                    f"{self.host()}:{r.randint(80, 65535)}",
                )
            ),
            "duration": self.duration,
            "bytes": lambda: r.randint(1, 2**31),
            "size": self.size,
            "client": lambda: r.choice((self.ip(), f"{self.ip()}:{r.randint(1024, 65535)}")),
            "mode": lambda: r.choice(("primary", "secondary", "nearest")),
            "signed": lambda: r.choice(
                (str(r.randint(-9999, -1)), str(r.randint(0, 9999)), f"-{r.uniform(0, 9):.2f}")
            ),
            "mac": lambda: ":".join(self.hexs(2) for _ in range(6)),
            "time": lambda: f"{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}",
            "count": lambda: r.randint(1, 5),
            "dbs_code": lambda: f"DBS.{r.choice((200, 280, 212))}{r.randint(0, 999):03d}",
            "flavor": lambda: r.choice(FLAVORS),
            "az": lambda: r.choice(ZONES),
            "status": lambda: r.choice(STATUS),
            "param": lambda: r.choice(PARAMS),
            "role": lambda: r.choice(ROLES),
            "db": lambda: r.choice(DBS),
            "instance_name": lambda: r.choice(
                (f"dds-{self.letters(6)}", f"{r.choice(WORDS)}-{r.randint(1, 99)}", self.letters(8))
            ),
            "shard": lambda: r.choice((f"shard_{r.randint(1, 9)}", f"shard-{self.letters(4)}")),
            "cn_name": self.cn_name,
            "percent": lambda: r.randint(80, 100),
            "cn_status": lambda: r.choice(CN_STATUS),
            "opt_size": lambda: r.choice(("", f" ({self.size()})")),
        }
        return str(fields[base]())


def draw(n: int = N_MESSAGES, seed: int = SEED) -> list[tuple[str, str]]:
    """``n`` labelled messages: at least ``MIN_PER_TEMPLATE`` per template, the rest Zipf-like."""
    rng = random.Random(seed)
    values = Draw(rng)
    weights = [1 / (rank + 1) ** 0.8 for rank in range(len(TEMPLATES))]
    order = list(TEMPLATES)
    rng.shuffle(order)
    picks = [t for t in order for _ in range(MIN_PER_TEMPLATE)]
    picks += rng.choices(order, weights=weights, k=n - len(picks))
    rng.shuffle(picks)
    out = []
    for label, fmt in picks:
        fields = [name for _, name, _, _ in string.Formatter().parse(fmt) if name]
        out.append((fmt.format(**{name: values.value(name) for name in fields}), label))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=MONGO_FILE)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    rows = draw(N_MESSAGES, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as fh:
        for message, label in rows:
            fh.write(json.dumps({"message": message, "label": label}, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} messages, {len({label for _, label in rows})} templates to {args.out}")


if __name__ == "__main__":
    main()
