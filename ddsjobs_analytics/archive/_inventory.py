"""The archive's inventory: instance attributes as validity intervals, the latest nodes and scheduled jobs.

``PATH/_inventory/instances.parquet`` holds one row per (instance, interval during which its attributes did
not change): ``valid_from`` (the snapshot that first showed them), ``valid_to`` (the snapshot that showed
something else, or no longer listed the instance; NaT while still valid), ``last_seen``, a ``fingerprint``
of the attributes (the instances frame's columns except ``observed_at``, ``updated`` included) and the
record as received (``raw``). A snapshot that changes nothing only moves ``last_seen``. So the history says
what an instance was on any past day: :meth:`InstanceHistory.snapshots` turns the intervals into an
instances frame (one snapshot per interval, observed at ``valid_from``) that ``with_instances`` joins as of
each job's time. ``nodes.parquet`` and ``scheduled.parquet`` keep the latest snapshot's nodes and every
scheduled job seen (the newest record of each job id).

Every file is written whole to a temporary file, fsynced and renamed into place (crash-safe: a reader sees
the old file or the new one). :func:`inventory_problems` is what ``verify`` adds;
:func:`quarantine_inventory` is what ``repair`` does with an unreadable file (moved to
``PATH/_quarantine/``, never deleted).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .._core._schema_inventory import INSTANCES
from .._frame import instances_frame, nodes_frame, scheduled_frame
from ._errors import ArchiveError
from ._files import named_os_error

__all__ = [
    "INVENTORY_DIR",
    "InstanceHistory",
    "inventory_problems",
    "quarantine_inventory",
    "record_inventory",
]

INVENTORY_DIR = "_inventory"  # "_": Parquet dataset readers of the archive skip it
_FILES = ("instances.parquet", "nodes.parquet", "scheduled.parquet")
# Columns added to the instances frame after archives were first written join a fingerprint only when set,
# so the fingerprints of records stored before (and of records without the field) stay the same.
_ADDED_LATER = ("patch_available",)
_ATTRIBUTES = [name for name in INSTANCES.names if name not in ("observed_at", *_ADDED_LATER)]
_INTERVALS = pa.schema(
    [
        ("instance_id", pa.string()),
        ("project_id", pa.string()),
        ("valid_from", pa.timestamp("us", tz="UTC")),
        ("valid_to", pa.timestamp("us", tz="UTC")),
        ("last_seen", pa.timestamp("us", tz="UTC")),
        ("fingerprint", pa.string()),
        ("raw", pa.string()),
    ]
)


def _fingerprints(frame: pd.DataFrame) -> list[str]:
    """sha256 of each row's attributes (every instances-frame column but ``observed_at``; those added later
    only when set), as JSON text."""
    out = []
    later = frame[list(_ADDED_LATER)].astype(object).to_dict("records")
    for row, added in zip(frame[_ATTRIBUTES].itertuples(index=False), later, strict=True):
        values: list[Any] = [None if not isinstance(v, dict) and pd.isna(v) else v for v in row]
        values += [[name, value] for name, value in added.items() if not pd.isna(value)]
        text = json.dumps(values, sort_keys=True, default=str, ensure_ascii=False)
        out.append(hashlib.sha256(text.encode("utf-8")).hexdigest())
    return out


def _no_links(path: Path) -> None:
    """Refuse a symbolic link at the inventory folder or file: the archive never follows one."""
    for candidate in (path.parent, path):
        if candidate.is_symlink():
            raise ArchiveError(f"{candidate} is a symbolic link; the archive never follows one")


def _write(path: Path, table: pa.Table) -> None:
    """Write ``table`` to ``path`` atomically: temporary file in the same folder, fsync, rename, fsync."""
    _no_links(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            pq.write_table(table, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise named_os_error(exc, path) from exc
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


class InstanceHistory:
    """The inventory part of the job archive at ``path`` (see the module doc)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.root = Path(path) / INVENTORY_DIR

    def __repr__(self) -> str:
        return f"InstanceHistory({str(self.root.parent)!r})"

    def intervals(self) -> pd.DataFrame:
        """The stored validity intervals (empty when nothing was recorded)."""
        path = self.root / "instances.parquet"
        _no_links(path)
        if not path.exists():
            return _INTERVALS.empty_table().to_pandas()
        return pq.read_table(path, schema=_INTERVALS).to_pandas()

    def record(
        self,
        records: Sequence[dict[str, Any]],
        *,
        observed_at: pd.Timestamp,
        project_id: str,
        scheduled: Sequence[dict[str, Any]] = (),
    ) -> dict[str, int]:
        """Store one snapshot of ``project_id``'s instances (raw ListInstances records) seen at
        ``observed_at``; returns how many intervals were opened, extended and closed. Call it under the
        archive's lock (``sync`` does)."""
        for leftover in self.root.glob(".*.tmp"):  # of a write killed mid-way (we hold the lock)
            leftover.unlink(missing_ok=True)
        observed = pd.Timestamp(observed_at).tz_convert("UTC").as_unit("us")
        stamped = [{**r, "project_id": project_id, "observed_at": observed.isoformat()} for r in records]
        frame = instances_frame(stamped, observed_at=observed)
        prints = dict(zip(frame["instance_id"].astype(str), _fingerprints(frame), strict=True))
        raws = {str(r.get("id")): json.dumps(r, ensure_ascii=False, sort_keys=True) for r in stamped}
        old = self.intervals()
        open_rows = old["valid_to"].isna() & (old["project_id"] == project_id)
        counts = {"opened": 0, "extended": 0, "closed": 0}
        rows = old.to_dict("records")
        current = {str(row["instance_id"]): i for i, row in enumerate(rows) if open_rows.iloc[i]}
        for instance_id, fingerprint in prints.items():
            at = current.pop(instance_id, None)
            if at is not None and rows[at]["fingerprint"] == fingerprint:
                rows[at]["last_seen"] = max(rows[at]["last_seen"], observed)
                counts["extended"] += 1
                continue
            if at is not None:  # changed: the old interval ends here
                rows[at]["valid_to"] = observed
                counts["closed"] += 1
            rows.append(
                {
                    "instance_id": instance_id,
                    "project_id": project_id,
                    "valid_from": observed,
                    "valid_to": pd.NaT,
                    "last_seen": observed,
                    "fingerprint": fingerprint,
                    "raw": raws.get(instance_id, "{}"),
                }
            )
            counts["opened"] += 1
        for at in current.values():  # no longer listed: deleted
            rows[at]["valid_to"] = observed
            counts["closed"] += 1
        table = pa.Table.from_pandas(
            pd.DataFrame(rows, columns=_INTERVALS.names), schema=_INTERVALS, preserve_index=False
        )
        _write(self.root / "instances.parquet", table)
        _write(
            self.root / "nodes.parquet",
            pa.Table.from_pandas(_plain(nodes_frame(stamped)), preserve_index=False),
        )
        self._merge_scheduled(scheduled, observed)
        return counts

    def _merge_scheduled(self, scheduled: Sequence[dict[str, Any]], observed: pd.Timestamp) -> None:
        if not scheduled:
            return
        path = self.root / "scheduled.parquet"
        known = pq.read_table(path).to_pandas() if path.exists() else pd.DataFrame(columns=["job_id", "raw"])
        merged = {str(job_id): raw for job_id, raw in zip(known["job_id"], known["raw"], strict=True)}
        for record in scheduled:
            merged[str(record.get("job_id"))] = json.dumps({**record, "observed_at": observed.isoformat()})
        table = pa.table({"job_id": list(merged), "raw": list(merged.values())})
        _write(path, table)

    def snapshots(self) -> pd.DataFrame:
        """An instances frame with one snapshot per interval (observed at ``valid_from``): the input of
        ``with_instances`` for an as-of join on the archive's history."""
        intervals = self.intervals()
        records = [
            {**json.loads(raw), "observed_at": start.isoformat()}
            for raw, start in zip(intervals["raw"], intervals["valid_from"], strict=True)
        ]
        return instances_frame(records, errors="ignore")

    def nodes(self) -> pd.DataFrame:
        """The latest snapshot's nodes (one row per node)."""
        path = self.root / "nodes.parquet"
        _no_links(path)
        return pq.read_table(path).to_pandas() if path.exists() else nodes_frame([])

    def scheduled(self) -> pd.DataFrame:
        """Every scheduled job seen, its newest record, as a scheduled-jobs frame."""
        path = self.root / "scheduled.parquet"
        _no_links(path)
        if not path.exists():
            return scheduled_frame([])
        return scheduled_frame([json.loads(raw) for raw in pq.read_table(path).column("raw").to_pylist()])


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Categories as plain strings, for a Parquet file any reader opens the same way."""
    return frame.astype(
        {c: "string" for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)}
    )


def inventory_problems(path: str | os.PathLike[str]) -> list[str]:
    """What ``verify`` reports about the inventory: unreadable files, broken intervals, changed records."""
    root = Path(path) / INVENTORY_DIR
    if root.is_symlink():
        return [f"{INVENTORY_DIR} is a symbolic link; the archive never follows one"]
    problems: list[str] = []
    for name in _FILES:
        file = root / name
        if file.is_symlink():
            problems.append(f"{INVENTORY_DIR}/{name} is a symbolic link; the archive never follows one")
            continue
        if not file.exists():
            continue
        try:
            pq.read_table(file)
        except (OSError, pa.ArrowException) as exc:
            problems.append(f"{INVENTORY_DIR}/{name} cannot be read ({type(exc).__name__})")
    if problems or not (root / "instances.parquet").exists():
        return problems
    intervals = InstanceHistory(path).intervals()
    ends = intervals["valid_to"].fillna(pd.Timestamp("2200-01-01", tz="UTC").as_unit("us"))
    if (ends < intervals["valid_from"]).any():
        problems.append(f"{INVENTORY_DIR}/instances.parquet: an interval ends before it starts")
    if intervals[intervals["valid_to"].isna()].duplicated(["project_id", "instance_id"]).any():
        problems.append(f"{INVENTORY_DIR}/instances.parquet: an instance has two open intervals")
    ordered = intervals.assign(end=ends).sort_values(["project_id", "instance_id", "valid_from"])
    previous_end = ordered.groupby(["project_id", "instance_id"])["end"].shift()
    if (previous_end > ordered["valid_from"]).any():
        problems.append(f"{INVENTORY_DIR}/instances.parquet: overlapping intervals of one instance")
    records = [
        {**json.loads(raw), "observed_at": start.isoformat()}
        for raw, start in zip(intervals["raw"], intervals["valid_from"], strict=True)
    ]
    recomputed = _fingerprints(instances_frame(records, errors="ignore")) if records else []
    if recomputed != intervals["fingerprint"].tolist():
        problems.append(f"{INVENTORY_DIR}/instances.parquet: a record does not match its fingerprint")
    return problems


def quarantine_inventory(path: str | os.PathLike[str]) -> list[str]:
    """Move unreadable inventory files to ``PATH/_quarantine/`` (never deleted); returns their names."""
    root = Path(path) / INVENTORY_DIR
    moved: list[str] = []
    if root.is_symlink():
        return moved  # never followed; verify names it
    for name in _FILES:
        file = root / name
        if file.is_symlink() or not file.exists():
            continue
        try:
            pq.read_table(file)
        except (OSError, pa.ArrowException):
            target = Path(path) / "_quarantine" / f"{INVENTORY_DIR}-{name}"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(file), str(target))
            moved.append(f"{INVENTORY_DIR}/{name}")
    return moved


def record_inventory(
    task_center: Any, path: str | os.PathLike[str], observed_at: Any
) -> dict[str, int] | None:
    """Store ``task_center``'s inventory snapshot in the archive at ``path`` (``sync`` calls it under the
    lock); None when the task center cannot list instances (a fake or an older client)."""
    list_instances = getattr(task_center, "list_instances", None)
    if list_instances is None:
        return None
    records = list_instances()
    list_scheduled = getattr(task_center, "list_scheduled_jobs", None)
    # The last 7 days of scheduled jobs up to the sync's own "now" (the API's default window).
    scheduled = list_scheduled(end=pd.Timestamp(observed_at).to_pydatetime()) if list_scheduled else []
    return InstanceHistory(path).record(
        records,
        observed_at=pd.Timestamp(observed_at),
        project_id=str(task_center.project_id),
        scheduled=scheduled,
    )
