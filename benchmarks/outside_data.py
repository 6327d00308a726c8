"""A jobs file shaped unlike the demo fleet, for the benchmarks (issue 16 §3).

The demo fleet (``simulator._fleet``) has one instance per 500 jobs, jobs spread evenly, a few hundred
distinct failure messages and offsets of whole hours. Data built outside the project looked different, and
the report's costs moved with it (a 112,904 px timeline). This generator draws:

- thousands of instances: one per 100 jobs (3,000 at 300k, 10,000 at 1M);
- bursts: 40 % of the jobs come in bursts of 100–500 jobs on one instance within two hours of one day;
- failure messages 90 % distinct: ids, addresses and counts inside ~30 phrasings, 10 % fixed messages;
- odd offsets: ``+0545``, ``-0330``, ``+0530``, ``+1245``, ``-0930`` beside ``+0800`` and ``+0000``;
- long names: instance names of 68–94 characters, two unknown job names of 59.

Everything is built column-at-a-time (numpy, Arrow string kernels), so 10M lines take seconds, and the text
holds no quote or backslash, so the JSON needs no escaping. Same seed, same file.

Run: ``python benchmarks/outside_data.py OUT.jsonl --jobs 300000`` (or import :func:`write_outside`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

JOB_NAMES = (
    "MongodbSnapshotBackup", "RestartInstance", "RestartNode", "EnlargeMongoDBVolume",
    "ResizeMongoDBInstance", "MongodbRecycleBackup", "SwitchPrimary", "ModifySecurityGroup",
    "UpgradeDatabaseVersion", "CreateMongoDB", "BindPublicIP", "ModifyPort", "AzMigrate",
    "MongodbRestoreData2NewInstance", "ReplicaSetEnlargeNode", "AddReadonlyNode",
    "CustomerScheduledMaintenanceWindowRollingRestartOfAllShards",
    "ThirdPartyOrchestratorReconcileClusterTopologyAfterFailover",
)  # fmt: skip
OFFSETS = (("+0545", 345), ("-0330", -210), ("+0530", 330), ("+1245", 765), ("-0930", -570),
           ("+0800", 480), ("+0000", 0))  # fmt: skip
PHRASES = (
    "Replica set member {} at {} did not acknowledge the write concern within {} ms",
    "Failed to attach volume vol-{} to node {} after {} retries",
    "Quota exceeded for flavor dds.mongodb.{} in project {} ({} requested)",
    "Oplog window of {} h does not cover restore point {} on {}",
    "Agent on host {} returned exit code {} while running step {}",
    "Timed out waiting for shard {} to become primary on {} after {} s",
    "Backup file {} checksum mismatch on {} expected {}",
    "Network ACL {} rejected connection from {} to port {}",
)
FIXED = ("Internal error.", "The instance is being modified.", "Insufficient resources in the AZ.")
START = np.datetime64("2026-10-01T00:00:00", "s")
DAYS = 30
_BATCH = 500_000  # lines built at a time (Arrow string offsets are 32-bit)


def _text(values: np.ndarray) -> pa.Array:
    return pa.array(values).cast(pa.string())


def outside_columns(jobs: int, seed: int = 16, *, instances: int = 0, first: int = 0) -> dict[str, pa.Array]:
    """The record fields of ``jobs`` outside-shaped jobs, each an Arrow string array (JSON-ready).

    ``instances`` (default one per 100 jobs, at least 1,000) are the same for every batch of one file;
    ``first`` numbers the batch's job ids after the previous ones'."""
    instances = instances or max(1_000, jobs // 100)
    fleet = np.random.default_rng(seed)  # the instances: the same for every batch
    rng = np.random.default_rng([seed, first])
    # 40 % in bursts: (instance, start) pairs, 100–500 jobs each, within two hours.
    burst_jobs = int(jobs * 0.4)
    sizes = rng.integers(100, 501, burst_jobs // 100 + 1)
    sizes = sizes[: np.searchsorted(np.cumsum(sizes), burst_jobs) + 1]
    sizes[-1] -= int(sizes.sum()) - burst_jobs
    burst_of = np.repeat(np.arange(len(sizes)), sizes)[:burst_jobs]
    burst_instance = rng.integers(0, instances, len(sizes))[burst_of]
    burst_start = rng.integers(0, DAYS * 86_400 - 7_200, len(sizes))[burst_of]
    burst_time = burst_start + rng.integers(0, 7_200, burst_jobs)
    rest = jobs - burst_jobs
    instance = np.concatenate([burst_instance, rng.integers(0, instances, rest)])
    created = np.concatenate([burst_time, rng.integers(0, DAYS * 86_400, rest)])
    order = rng.permutation(jobs)  # a file is not sorted by anything in particular
    instance, created = instance[order], created[order]

    name_of = rng.choice(len(JOB_NAMES), jobs, p=_weights(len(JOB_NAMES)))
    length = np.exp(rng.normal(4.5 + (name_of % 5), 1.0)).astype(np.int64) + 1
    roll = rng.random(jobs)
    recent = created > (DAYS * 86_400 - 2 * 86_400)
    status = np.where(roll < 0.08, "Failed", np.where((roll > 0.99) & recent, "Running", "Completed"))
    offset_of = fleet.integers(0, len(OFFSETS), instances)[instance]
    shift = np.array([minutes for _, minutes in OFFSETS])[offset_of] * 60

    def stamp(seconds: np.ndarray) -> pa.Array:
        local = np.datetime_as_string(START + (seconds + shift).astype("timedelta64[s]"), unit="s")
        return pc.binary_join_element_wise(
            _text(local), _text(np.array([t for t, _ in OFFSETS])[offset_of]), ""
        )

    ids = pc.binary_join_element_wise(
        "job-", _text(rng.integers(16**11, 16**12, jobs)), "-", _text(np.arange(jobs)), ""
    )
    instance_ids = np.char.add(np.char.mod("%032x", fleet.integers(0, 2**62, instances)), "in02")
    instance_names = np.array(
        [f"prod-{['ap','eu','la','cn'][i % 4]}-orders-platform-{['alpha','bravo','charlie'][i % 3]}"
         f"-mongodb-sharded-cluster-for-team-{i:05d}" + "-replica" * (i % 4) for i in range(instances)]
    )  # fmt: skip
    distinct = rng.random(jobs) >= 0.10
    phrase = rng.integers(0, len(PHRASES), jobs)
    reasons = _reasons(rng, jobs, distinct, phrase)
    failed = status == "Failed"
    return {
        "id": ids,
        "name": _text(np.array(JOB_NAMES)[name_of]),
        "instance_id": _text(instance_ids[instance]),
        "instance_name": _text(instance_names[instance]),
        "status": _text(status),
        "progress": _text(np.where(status == "Running", "45%", "")),
        "fail_reason": pc.if_else(failed, pc.binary_join_element_wise('"', reasons, '"', ""), "null"),
        "created_at": stamp(created),
        "ended_at": pc.if_else(status == "Running", "", stamp(created + length)),
        "region": _text(
            np.array(["ap-southeast-3", "eu-west-101", "la-south-2", "cn-north-4"])[instance % 4]
        ),
        "project_id": _text(np.array(["p-ap", "p-eu", "p-la", "p-cn"])[instance % 4]),
    }


def _reasons(rng: np.random.Generator, jobs: int, distinct: np.ndarray, phrase: np.ndarray) -> pa.Array:
    """The failure messages without a Python call per job: each phrasing's parts joined by Arrow."""
    parts = [PHRASES[p].split("{}") for p in range(len(PHRASES))]
    out = pa.array(np.array(FIXED)[rng.integers(0, len(FIXED), jobs)])
    numbers = [_text(rng.integers(0, high, jobs)) for high in (10**9, 10**6, 10**5)]
    for p, pieces in enumerate(parts):
        mask = pa.array(distinct & (phrase == p))
        joined = pc.binary_join_element_wise(
            pieces[0], numbers[0], pieces[1], numbers[1], pieces[2], numbers[2], pieces[3], ""
        )
        out = pc.if_else(mask, joined, out)
    return out


def _weights(n: int) -> np.ndarray:
    weights = 1 / np.arange(1, n + 1)
    return weights / weights.sum()


def write_outside(path: Path, jobs: int, seed: int = 16) -> Path:
    """Write ``jobs`` outside-shaped records as JSON lines to ``path``, in batches."""
    with open(path, "wb") as handle:
        for start in range(0, jobs, _BATCH):
            count = min(_BATCH, jobs - start)
            columns = outside_columns(count, seed, instances=max(1_000, jobs // 100), first=start)
            fields: list[object] = []
            for i, (key, values) in enumerate(columns.items()):
                quote = "" if key == "fail_reason" else '"'
                fields += [("{" if i == 0 else ",") + f'"{key}":{quote}', values, quote]
            lines = pc.binary_join_element_wise(*fields, "}\n", "")
            handle.write(_data(lines))
    return path


def _data(lines: pa.Array | pa.ChunkedArray) -> bytes:
    if isinstance(lines, pa.ChunkedArray):
        return b"".join(_data(chunk) for chunk in lines.chunks)
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32, count=len(lines) + 1, offset=lines.offset * 4)
    return memoryview(lines.buffers()[2])[offsets[0] : offsets[-1]].tobytes()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out", type=Path)
    parser.add_argument("--jobs", type=int, default=300_000)
    args = parser.parse_args()
    write_outside(args.out, args.jobs)


if __name__ == "__main__":
    main()
