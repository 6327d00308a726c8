"""Inventory records → typed frames: ``instances_frame``, ``nodes_frame`` and ``scheduled_frame``.

ListInstances records come in two spellings (reference §8): ``port`` a number or a string, ``ssl`` ``"1"``
or an int, volume sizes as strings, ``created``/``updated`` without an offset (read as UTC). Both are
accepted. Bad input never drops a row and never stops the call: an instance without ``groups`` or
``datastore``, an unknown mode, a non-numeric volume, an id repeated (within one snapshot), a ``created``
that has an offset after all, a scheduled job with empty times are counted in one
:class:`DataQualityWarning` per call (``counts`` names each problem), or raise :class:`RecordError` with
``errors="raise"``.
"""

from __future__ import annotations

import gzip
import json
import re
import warnings
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from .._core._schema_inventory import INSTANCES, NODES, SCHEDULED
from .._core._time import parse_api_times, utcnow
from ._quality import DataQualityWarning, ErrorMode, RecordError

__all__ = ["InventoryInput", "instances_frame", "nodes_frame", "read_inventory", "scheduled_frame"]

InventoryInput = Sequence[Mapping[str, Any]] | Mapping[str, Any] | str | Path
MODES = ("Sharding", "ReplicaSet", "Single")
_DATA_GROUPS = {"Sharding": ("shard",), "ReplicaSet": ("replica",), "Single": ("single",)}
_OFFSET = re.compile(r"(Z|z|[+-]\d{2}:?\d{2})$")
_STRING: Any = "string[pyarrow]"


def _categorical(values: Sequence[str | None]) -> pd.Categorical:
    """Text categories (sorted) even when every value is missing."""
    categories = pd.Index(sorted({v for v in values if v is not None}), dtype=str)
    return pd.Categorical(cast(Any, values), categories=categories)


class _Tally:
    """Problems of one call: counted per key with a few example ids, or raised at once."""

    def __init__(self, errors: ErrorMode, what: str) -> None:
        if errors not in ("warn", "raise", "ignore"):
            raise ValueError(f"errors must be 'warn', 'raise' or 'ignore', not {errors!r}")
        self.errors, self.what = errors, what
        self.counts: Counter[str] = Counter()
        self.examples: dict[str, list[str]] = {}

    def add(self, key: str, record_id: object, position: int, field: str) -> None:
        label = (
            f"{self.what} {record_id}" if isinstance(record_id, str) and record_id else f"record #{position}"
        )
        if self.errors == "raise":
            raise RecordError(
                f"{label}: {key}",
                job_id=record_id if isinstance(record_id, str) else None,
                position=position,
                field=field,
            )
        self.counts[key] += 1
        examples = self.examples.setdefault(key, [])
        if len(examples) < 3:
            examples.append(label)

    def emit(self) -> None:
        if self.errors == "warn" and self.counts:
            parts = [f"{key} ×{n} ({', '.join(self.examples[key])})" for key, n in self.counts.items()]
            warnings.warn(DataQualityWarning("; ".join(parts) + "; kept", dict(self.counts)), stacklevel=3)


def read_inventory(source: InventoryInput, key: str) -> list[Mapping[str, Any]]:
    """Records from a list, a response (``{key: [...]}``) or a ``.json``/``.jsonl`` file (``.gz`` too)."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        opener: Any = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as handle:
            text = handle.read()
        stem = path.name.removesuffix(".gz")
        if stem.endswith(".jsonl"):
            return [json.loads(line) for line in text.splitlines() if line.strip()]
        source = json.loads(text)
    if isinstance(source, Mapping):
        items = source.get(key)
        if not isinstance(items, list):
            raise ValueError(f"expected a list of records or a response with a {key!r} list")
        return items
    return list(source)  # type: ignore[arg-type]  # a sequence of records by now


def _utc(
    values: Sequence[object], tally: _Tally, ids: Sequence[object], field: str, *, naive: bool
) -> pd.Series:
    """UTC instants of ``values``: naive text is UTC when ``naive`` (counting any offset), else needs one."""
    out: list[Any] = []
    for position, value in enumerate(values):
        if not isinstance(value, str) or not value.strip():
            out.append(pd.NaT)
            if not naive or value not in (None, ""):
                tally.add(f"{field} missing or not text", ids[position], position, field)
            continue
        has_offset = bool(_OFFSET.search(value.strip()))
        if naive and has_offset:
            tally.add(f"{field} has an offset (used as given)", ids[position], position, field)
        moment: Any
        try:
            moment = pd.Timestamp(value.strip())
        except ValueError:
            moment = pd.NaT
        if moment is pd.NaT:
            tally.add(f"{field} unparseable", ids[position], position, field)
            out.append(pd.NaT)
            continue
        out.append(moment.tz_localize("UTC") if moment.tzinfo is None else moment.tz_convert("UTC"))
    return pd.Series(pd.to_datetime(pd.Series(out, dtype=object), utc=True)).astype("datetime64[us, UTC]")


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _groups(record: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    groups = record.get("groups")
    return [g for g in groups if isinstance(g, Mapping)] if isinstance(groups, list) else []


def _nodes(group: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    nodes = group.get("nodes")
    return [n for n in nodes if isinstance(n, Mapping)] if isinstance(nodes, list) else []


def _shape(record: Mapping[str, Any], mode: object, tally: _Tally, position: int) -> dict[str, Any]:
    """spec_code, availability_zones, node_count, shard_count and the volume sums of one instance."""
    groups = _groups(record)
    record_id = record.get("id")
    if not groups:
        tally.add("instance without groups", record_id, position, "groups")
    data_types = _DATA_GROUPS.get(str(mode), ("shard", "replica", "single"))
    specs = Counter(
        n.get("spec_code")
        for g in groups
        if g.get("type") in data_types
        for n in _nodes(g)
        if n.get("spec_code")
    )
    spec = min(specs, key=lambda s: (-specs[s], str(s))) if specs else None
    zones = sorted(
        {str(n["availability_zone"]) for g in groups for n in _nodes(g) if n.get("availability_zone")}
    )
    sizes: dict[str, float] = {}
    for field in ("size", "used"):
        total, any_volume = 0.0, False
        for g in groups:
            volume = g.get("volume")
            if not isinstance(volume, Mapping) or volume.get(field) in (None, ""):
                continue
            any_volume = True
            number = _number(volume.get(field))
            if number is None:
                tally.add(f"volume {field} not a number", record_id, position, f"volume.{field}")
                total = float("nan")
                break
            total += number
        sizes[field] = total if any_volume else float("nan")
    return {
        "spec_code": spec,
        "availability_zones": ",".join(zones) if zones else None,
        "node_count": sum(len(_nodes(g)) for g in groups),
        "shard_count": sum(g.get("type") == "shard" for g in groups) if mode == "Sharding" else 0,
        "volume_size_gb": sizes["size"],
        "volume_used_gb": sizes["used"],
    }


def _port(value: object) -> int | None:
    number = _number(value)
    return int(number) if number is not None and number.is_integer() else None


def _ssl(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if value is not None else ""
    return {"1": True, "0": False, "true": True, "false": False}.get(text)


def _flag(value: object) -> bool | None:
    """``datastore.patch_available``: a bool in the SDK model; ``"true"``/``"false"``/``1``/``0`` read too."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower() if isinstance(value, str) else ""
    return {"true": True, "false": False, "1": True, "0": False}.get(text)


def _tags(value: object) -> dict[str, str]:
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    tags: dict[str, str] = {}
    for tag in value if isinstance(value, list) else []:
        if isinstance(tag, Mapping) and tag.get("key") is not None:
            tags[str(tag["key"])] = "" if tag.get("value") is None else str(tag["value"])
    return tags


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value != "" else (None if value in (None, "") else str(value))


def instances_frame(
    records_or_path: InventoryInput,
    *,
    observed_at: datetime | pd.Timestamp | None = None,
    errors: ErrorMode = "warn",
) -> pd.DataFrame:
    """One row per instance (per snapshot), typed as the column contract's instances frame.

    ``observed_at`` stamps records that carry none (default: now); records carrying their own
    ``observed_at`` form several snapshots in one frame, which ``with_instances`` joins as of each job's time.
    """
    records = read_inventory(records_or_path, "instances")
    tally = _Tally(errors, "instance")
    stamp = utcnow() if observed_at is None else pd.Timestamp(observed_at)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    rows: list[dict[str, Any]] = []
    seen: set[tuple[object, object]] = set()
    for position, record in enumerate(records):
        if not isinstance(record, Mapping):
            tally.add("record is not an instance object", None, position, "record")
            continue
        record_id = record.get("id")
        key = (record_id, record.get("observed_at"))
        if isinstance(record_id, str) and key in seen:
            tally.add("instance id repeated (first kept)", record_id, position, "id")
            continue
        seen.add(key)
        if not isinstance(record_id, str) or not record_id:
            tally.add("instance without an id", None, position, "id")
        mode = record.get("mode")
        if mode not in MODES:
            tally.add("unknown mode", record_id, position, "mode")
        datastore = record.get("datastore")
        if not isinstance(datastore, Mapping):
            tally.add("instance without datastore", record_id, position, "datastore")
            datastore = {}
        port, ssl = _port(record.get("port")), _ssl(record.get("ssl"))
        patch = _flag(datastore.get("patch_available"))
        if patch is None and datastore.get("patch_available") not in (None, ""):
            tally.add("patch_available not a boolean", record_id, position, "datastore.patch_available")
        if port is None and record.get("port") not in (None, ""):
            tally.add("port not a number", record_id, position, "port")
        if ssl is None and record.get("ssl") not in (None, ""):
            tally.add("ssl not 0 or 1", record_id, position, "ssl")
        rows.append(
            {
                "instance_id": _text(record_id),
                "instance_name": _text(record.get("name")),
                "region": _text(record.get("region")),
                "project_id": _text(record.get("project_id")),
                "status": _text(record.get("status")),
                "mode": _text(mode),
                "engine": _text(record.get("engine")),
                "engine_version": _text(datastore.get("version")),
                "whole_version": _text(datastore.get("whole_version")),
                "patch_available": patch,
                **_shape(record, mode, tally, position),
                "port": port,
                "ssl": ssl,
                "created": record.get("created"),
                "updated": record.get("updated"),
                "tags": _tags(record.get("tags")),
                "pay_mode": _text(record.get("pay_mode")),
                "maintenance_window": _text(record.get("maintenance_window")),
                "enterprise_project_id": _text(record.get("enterprise_project_id")),
                "observed_at": record.get("observed_at"),
            }
        )
    frame = _instances_columns(rows, tally, stamp)
    tally.emit()
    return frame


def _instances_columns(rows: list[dict[str, Any]], tally: _Tally, stamp: pd.Timestamp) -> pd.DataFrame:
    ids = [row["instance_id"] for row in rows]
    column = {name: [row[name] for row in rows] for name in INSTANCES.names}
    out: dict[str, Any] = {}
    for spec in INSTANCES.columns:
        values = column[spec.name]
        if spec.name in ("created", "updated"):
            out[spec.name] = _utc(values, tally, ids, spec.name, naive=True).array
        elif spec.name == "observed_at":
            given = pd.to_datetime(pd.Series([v if v else pd.NaT for v in values], dtype=object), utc=True)
            given = given.astype("datetime64[us, UTC]")
            out[spec.name] = given.fillna(stamp.as_unit("us")).array
        elif spec.dtype == "category":
            out[spec.name] = _categorical(values)
        elif spec.dtype == "dict":
            series = pd.Series(values, dtype=object)
            out[spec.name] = series.array
        else:
            dtype: Any = spec.dtype
            out[spec.name] = pd.array(values, dtype=dtype)
    frame = pd.DataFrame(out, columns=list(INSTANCES.names))
    for name in ("node_count", "shard_count"):
        frame[name] = frame[name].astype("int64")
    return frame


def nodes_frame(records_or_path: InventoryInput) -> pd.DataFrame:
    """One row per node of every instance: its group, id, name, role, status, spec, AZ and IP."""
    rows = []
    for record in read_inventory(records_or_path, "instances"):
        if not isinstance(record, Mapping):
            continue
        for group in _groups(record):
            for node in _nodes(group):
                rows.append(
                    {
                        "instance_id": _text(record.get("id")),
                        "group_type": _text(group.get("type")),
                        "group_id": _text(group.get("id")),
                        "group_name": _text(group.get("name")),
                        "node_id": _text(node.get("id")),
                        "node_name": _text(node.get("name")),
                        "role": _text(node.get("role")),
                        "status": _text(node.get("status")),
                        "spec_code": _text(node.get("spec_code")),
                        "availability_zone": _text(node.get("availability_zone")),
                        "private_ip": _text(node.get("private_ip")),
                    }
                )
    return pd.DataFrame(
        {
            spec.name: (
                _categorical([row[spec.name] for row in rows])
                if spec.dtype == "category"
                else pd.array([row[spec.name] for row in rows], dtype=_STRING)
            )
            for spec in NODES.columns
        },
        columns=list(NODES.names),
    )


def scheduled_frame(records_or_path: InventoryInput, *, errors: ErrorMode = "warn") -> pd.DataFrame:
    """One row per scheduled job, times in UTC: an empty ``end`` is NaT, an empty created/start is counted."""
    records = [r for r in read_inventory(records_or_path, "schedules")]
    tally = _Tally(errors, "scheduled job")
    kept: list[Mapping[str, Any]] = []
    for position, record in enumerate(records):
        if isinstance(record, Mapping):
            kept.append(record)
        else:
            tally.add("record is not a scheduled job object", None, position, "record")
    ids = [record.get("job_id") for record in kept]
    times = {}
    for field, column in (("create_time", "created"), ("start_time", "start"), ("end_time", "end")):
        values = [record.get(field) for record in kept]
        parsed = parse_api_times(values, strict=False)
        for position in np.flatnonzero(parsed.missing).tolist():
            if column != "end":
                tally.add(f"{field} empty", ids[position], position, field)
        for position in np.flatnonzero(parsed.bad).tolist():
            tally.add(f"{field} unparseable", ids[position], position, field)
        times[column] = (parsed.utc, parsed.offset_minutes, parsed.missing | parsed.bad)
    offsets = pd.array(times["created"][1], dtype="Int16")
    offsets[times["created"][2]] = pd.NA

    def category(field: str) -> pd.Categorical:
        return _categorical([_text(record.get(field)) for record in kept])

    frame = pd.DataFrame(
        {
            "job_id": pd.array([_text(i) for i in ids], dtype=_STRING),
            "job_name": category("job_name"),
            "status": category("job_status"),
            "instance_id": category("instance_id"),
            "instance_name": category("instance_name"),
            "instance_status": category("instance_status"),
            **{
                column: pd.Series(utc, dtype="datetime64[us]").dt.tz_localize("UTC").array
                for column, (utc, _, _) in times.items()
            },
            "utc_offset": offsets,
        },
        columns=list(SCHEDULED.names),
    )
    tally.emit()
    return frame
