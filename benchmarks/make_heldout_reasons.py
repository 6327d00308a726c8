# ruff: noqa: E501  (long f-strings of value shapes read best on one line)
"""Seeded generator of a *held-out* set of DDS-style failure messages, labelled with their true template.

Writes ``benchmarks/data/fail_reasons_heldout.jsonl`` (one ``{"message", "label"}`` per line). It was written
before the grouping method was tuned and is never used to tune it: it is how the method is judged on
messages nobody tuned for. Its vocabulary differs on purpose from ``make_labelled_reasons.py``: host names
such as ``48e6bc-0.dds.internal``, user names with and without digits (``ops-admin``, ``li-na``,
``deploy_bot``, ``zhangwei``), collection namespaces (``orders.sessions``), Chinese text with ids glued to it
(``实例dds-prod-32的节点<32 hex>no02状态异常``), host:port pairs, ``blk_`` ids, UUIDs, quoted names with
spaces, and near-miss pairs of templates that share most of their words.

    .venv/bin/python benchmarks/make_heldout_reasons.py        # rewrite the data file
"""

from __future__ import annotations

import argparse
import json
import random
import string
from collections.abc import Callable
from pathlib import Path

HELDOUT_FILE = Path(__file__).parent / "data" / "fail_reasons_heldout.jsonl"
SEED = 8_2026
N_MESSAGES = 1500
MIN_PER_TEMPLATE = 10

# (label, format string); {field} and {field2} are independent draws of one field.
TEMPLATES: tuple[tuple[str, str], ...] = (
    ("az_resources", "Insufficient resources in AZ {az}."),
    ("project_quota", "Insufficient quota in project {project}."),
    ("cancel_user", "Job cancelled by user {user}."),
    ("cancel_user_at", "Job {uuid} cancelled by user {user} at {time}."),
    ("host_unreachable", "Host {fqdn} is unreachable."),
    ("host_dns", "Cannot resolve host {fqdn}: no such host."),
    ("host_port_refused", "Connection to {fqdn}:{port} refused."),
    ("host_port_reset", "Connection to {fqdn}:{port} reset by peer."),
    ("ns_not_found", "Namespace {namespace} not found."),
    ("ns_drop", "Failed to drop collection {namespace}: operation interrupted."),
    ("ns_index", "Index build on {namespace} failed: key too large."),
    ("cn_node_abnormal", "实例{instance_name}的节点{node_id}状态异常"),
    ("cn_node_restart", "实例{instance_name}的节点{node_id}重启失败"),
    ("cn_backup_failed", "备份{backup_id}失败：OBS桶{bucket}不可用"),
    ("cn_disk_full", "节点{fqdn}磁盘使用率{percent}%，超过阈值"),
    ("block_missing", "Block {blk} is missing on {ip_port}."),
    ("block_corrupt", "Block {blk} on {ip_port} is corrupt; replica removed."),
    ("quoted_param_group", "Parameter group '{quoted_name}' cannot be applied to instance {instance_id}."),
    ("quoted_param_missing", 'Parameter "{param}" does not exist in group "{quoted_name}".'),
    ("role_grant", "Failed to grant role {role} to user {user} on database {db}."),
    ("role_revoke", "Failed to revoke role {role} from user {user} on database {db}."),
    ("agent_heartbeat", "Agent on {fqdn} missed {count} heartbeats."),
    ("agent_version", "Agent on {fqdn} reports version {version}, expected {version2}."),
    ("uuid_volume_attach", "Volume {uuid} is attached to server {uuid2}."),
    ("uuid_volume_busy", "Volume {uuid} is busy: another operation is in progress."),
    ("shard_balancer", "Balancer round on shard {shard} aborted after {millis} ms."),
    ("shard_chunk_move", "Chunk move of {namespace} from {shard} to {shard2} failed: {ip_port} timed out."),
    ("replset_lag", "Member {fqdn}:{port} lags {seconds}s behind the primary."),
    ("replset_down", "Member {fqdn}:{port} is DOWN."),
    ("replset_unknown", "Member {fqdn}:{port} is in UNKNOWN state."),
    ("auth_failed", "Authentication failed for user {user} from {ip}."),
    ("auth_locked", "Account {user} is locked after {count} failed logins."),
    ("ssl_handshake", "SSL handshake with {fqdn}:{port} failed: certificate has expired."),
    ("ssl_hostname", "SSL handshake with {fqdn}:{port} failed: hostname mismatch."),
    ("flavor_unavailable", "Flavor {flavor} is not available in AZ {az}."),
    (
        "flavor_change",
        "Cannot change flavor of instance {instance_id} to {flavor} while a backup is running.",
    ),
    ("kms_key", "KMS key {uuid} is disabled; the volume cannot be encrypted."),
    ("request_id_internal", "Internal error, request id {request_id}. Contact support."),
    ("oplog_window", "Oplog window of {hours} hours is shorter than the required {hours2} hours."),
    ("path_write", "Cannot write to {path}: permission denied."),
    ("path_space", "No space left on device while writing {path}."),
    ("url_timeout", "Request to {url} timed out."),
    ("url_status", "Request to {url} returned HTTP {http_status}."),
    ("ecs_create_az", "Failed to create ECS in AZ {az}: capacity exhausted."),
    ("evs_create_az", "Failed to create EVS volume in AZ {az}: capacity exhausted."),
    ("tag_invalid", "Tag key {tag} is invalid."),
    ("subnet_full", "Subnet {uuid} has no free IP addresses."),
    ("session_killed", "Session {session} on {namespace} was killed by {user}."),
)

FIRST = ("li", "wang", "zhang", "chen", "liu", "huang", "zhao", "wu", "zhou", "sun", "ma", "zhu", "hu", "guo")
GIVEN = ("na", "wei", "jie", "min", "yang", "lei", "jun", "ting", "fang", "hao", "yan", "qiang")
ROLES = ("read", "readWrite", "dbAdmin", "userAdmin", "clusterMonitor", "backup", "restore", "root")
WORDS = (
    "orders",
    "payments",
    "users",
    "sessions",
    "events",
    "carts",
    "billing",
    "audit",
    "inventory",
    "ledger",
)
DB_NAMES = ("shop", "crm", "iot", "game", "fin", "hr", "admin", "analytics", "metrics", "archive")
PARAMS = (
    "net.maxIncomingConnections",
    "operationProfiling.mode",
    "security.javascriptEnabled",
    "storage.journal",
)
TAG_KEYS = ("env", "owner", "cost-center", "team", "app", "tier")
ZONES = ("cn-north-4", "cn-east-3", "ap-southeast-1", "eu-west-101", "la-north-2", "me-east-1", "tr-west-1")


class Draw:
    """Value draws for every field, from a seeded ``random.Random``."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def hexs(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(n))

    def az(self) -> str:
        return f"{self.rng.choice(ZONES)}{self.rng.choice('abcdg')}"

    def project(self) -> str:
        rng = self.rng
        return rng.choice(
            (f"{rng.choice(ZONES)}_{rng.choice(WORDS)}", self.hexs(32), f"proj-{rng.choice(WORDS)}")
        )

    def user(self) -> str:
        rng = self.rng
        first, given = rng.choice(FIRST), rng.choice(GIVEN)
        return rng.choice(
            (
                f"{first}{given}",  # zhangwei
                f"{first}-{given}",  # li-na
                f"{first}.{given}",
                f"{rng.choice(('ops', 'dba', 'sre', 'deploy'))}-{rng.choice(('admin', 'bot', 'oncall'))}",
                f"{rng.choice(('deploy', 'backup', 'etl'))}_{rng.choice(('bot', 'svc', 'job'))}",
                f"{first}{rng.randint(1, 99):02d}",
                f"user_{rng.randint(1000, 9999)}",
            )
        )

    def fqdn(self) -> str:
        rng = self.rng
        return rng.choice(
            (
                f"{self.hexs(6)}-{rng.randint(0, 2)}.dds.internal",
                f"node-{rng.randint(1, 64)}.{rng.choice(ZONES)}.mongo.local",
                f"{rng.choice(WORDS)}-db-{rng.randint(1, 9)}.svc.cluster.local",
                f"host{rng.randint(1, 300)}.example.com",
            )
        )

    def namespace(self) -> str:
        return f"{self.rng.choice(DB_NAMES)}.{self.rng.choice(WORDS)}"

    def instance_name(self) -> str:
        rng = self.rng
        return rng.choice(
            (
                f"dds-prod-{rng.randint(1, 99)}",
                f"dds-{self.hexs(4)}",
                f"{rng.choice(WORDS)}-{rng.randint(1, 9)}",
            )
        )

    def quoted_name(self) -> str:
        rng = self.rng
        return " ".join(rng.sample(WORDS, rng.randint(1, 3))) + rng.choice(("", f" v{rng.randint(1, 9)}"))

    def uuid(self) -> str:
        return "-".join(self.hexs(n) for n in (8, 4, 4, 4, 12))

    def time(self) -> str:
        rng = self.rng
        return f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"

    def path(self) -> str:
        rng = self.rng
        return rng.choice(
            (
                f"/var/lib/mongodb/{rng.choice(WORDS)}/collection-{rng.randint(1, 999)}.wt",
                f"/data/backup/{self.hexs(8)}/{rng.choice(WORDS)}.bson",
                f"/opt/dds/logs/agent.{rng.randint(1, 9)}.log",
            )
        )

    def url(self) -> str:
        rng = self.rng
        return rng.choice(
            (
                f"https://obs.{rng.choice(ZONES)}.example.com/{self.hexs(8)}/{rng.choice(WORDS)}.tar.gz",
                f"http://{self.fqdn()}:{rng.randint(1024, 65535)}/api/v{rng.randint(1, 3)}/{rng.choice(WORDS)}",
            )
        )

    def value(self, field: str) -> str:
        rng = self.rng
        base = field.rstrip("0123456789")
        simple: dict[str, Callable[[], object]] = {
            "az": self.az,
            "project": self.project,
            "user": self.user,
            "uuid": self.uuid,
            "time": self.time,
            "fqdn": self.fqdn,
            "port": lambda: rng.choice((8635, 27017, 8636, rng.randint(1024, 65535))),
            "namespace": self.namespace,
            "instance_name": self.instance_name,
            "node_id": lambda: self.hexs(32) + "no02",
            "instance_id": lambda: self.hexs(32) + "in02",
            "backup_id": lambda: self.hexs(32) + "br02",
            "bucket": lambda: f"dds-bak-{rng.choice(ZONES)}-{self.hexs(4)}",
            "percent": lambda: rng.randint(85, 100),
            "blk": lambda: f"blk_{rng.choice(('', '-'))}{rng.randint(10**15, 10**19)}",
            "ip_port": lambda: (
                f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}:{rng.choice((8635, 50010, 27017))}"
            ),
            "ip": lambda: (
                f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
            ),
            "quoted_name": self.quoted_name,
            "param": lambda: rng.choice(PARAMS),
            "role": lambda: rng.choice(ROLES),
            "db": lambda: rng.choice(DB_NAMES),
            "count": lambda: rng.randint(2, 20),
            "version": lambda: f"{rng.randint(3, 7)}.{rng.randint(0, 9)}.{rng.randint(0, 30)}",
            "shard": lambda: rng.choice(
                (f"shard-{rng.randint(1, 16)}", f"shard{self.hexs(6)}", f"rs{rng.randint(0, 9)}")
            ),
            "millis": lambda: rng.randint(100, 120000),
            "seconds": lambda: rng.randint(1, 900),
            "flavor": lambda: (
                f"dds.mongodb.{rng.choice(('s6', 'c6', 'm6'))}.{rng.choice(('large', 'xlarge', '2xlarge'))}.{rng.choice((2, 4, 8))}.{rng.choice(('shard', 'mongos', 'repset'))}"
            ),
            "request_id": lambda: self.hexs(32),
            "hours": lambda: rng.randint(1, 72),
            "path": self.path,
            "url": self.url,
            "http_status": lambda: rng.choice((500, 502, 503, 504, 429)),
            "tag": lambda: rng.choice(TAG_KEYS) + rng.choice(("", "_v2", "-old")),
            "session": lambda: rng.choice((self.uuid(), f"lsid-{self.hexs(12)}")),
        }
        return str(simple[base]())


def draw(n: int, seed: int = SEED) -> list[tuple[str, str]]:
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
    parser.add_argument("--out", type=Path, default=HELDOUT_FILE)
    args = parser.parse_args()
    rows = draw(N_MESSAGES)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as fh:
        for message, label in rows:
            fh.write(json.dumps({"message": message, "label": label}, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} messages, {len({label for _, label in rows})} templates to {args.out}")


if __name__ == "__main__":
    main()
