"""``with_instances``: each job with what its instance was (mode, version, spec, AZs), as of the job's time.

A left join on ``instance_id`` that keeps every job, in order, with its index. Instance columns never
overwrite job columns: the instance's ``status``, ``created`` and ``observed_at`` become ``instance_status``,
``instance_created`` and ``instance_observed_at``; its ``instance_name``, ``region`` and ``project_id`` are
the job's already and are not repeated; the rest keep their names; ``instance_known`` says whether the
inventory had the instance. Jobs of instances the inventory lacks (deleted ones) keep missing values, are
counted in a :class:`DataQualityWarning` and in ``attrs["unknown_instances"]``, and group under NA (their own
group) in every ``by=``.

With several snapshots (several ``observed_at``), each job gets its instance's newest snapshot observed at or
before the job's ``created``; a job older than the instance's first snapshot gets that first one (its
``instance_observed_at`` shows it), and a job without a ``created`` the newest. The work is a few
``searchsorted`` and ``take`` calls over integer codes, so it costs about as much as a plain ``merge``.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from .._core._schema_inventory import INSTANCE_JOIN_COLUMNS
from ._quality import DataQualityWarning

__all__ = ["instance_rows", "with_instances"]


def _job_instance_codes(jobs: pd.DataFrame, ids: pd.Index) -> np.ndarray:
    """Position in ``ids`` of each job's instance id (-1 when absent), via the categories when categorical."""
    column = jobs["instance_id"]
    if isinstance(column.dtype, pd.CategoricalDtype):
        per_category = ids.get_indexer(column.cat.categories.astype(str))
        codes = column.cat.codes.to_numpy()
        return np.where(codes >= 0, per_category[np.maximum(codes, 0)], -1)
    return np.asarray(ids.get_indexer(pd.Index(column.astype("string"))), dtype=np.int64)


def instance_rows(jobs: pd.DataFrame, instances: pd.DataFrame) -> np.ndarray:
    """For each job, the row of ``instances`` to join (-1 when the instance is unknown), as of ``created``."""
    instance_ids = instances["instance_id"].astype("string").fillna("").to_numpy(dtype=str)
    unique_ids, instance_code = np.unique(instance_ids, return_inverse=True)
    job_code = _job_instance_codes(jobs, pd.Index(unique_ids))
    observed = instances["observed_at"].to_numpy(dtype="datetime64[us]").astype(np.int64)
    times = np.unique(observed)
    if len(times) <= 1:
        # One snapshot: each id once (instances_frame keeps the first of a repeated id).
        first = np.full(len(unique_ids), -1, dtype=np.int64)
        first[instance_code[::-1]] = np.arange(len(instances))[::-1]
        return np.where(job_code >= 0, first[np.maximum(job_code, 0)], -1)
    # Several snapshots: order the rows by (instance, snapshot) and search each job's (instance, time).
    rank = np.searchsorted(times, observed)
    width = len(times) + 1
    keys = instance_code.astype(np.int64) * width + rank
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    created = jobs["created"].to_numpy(dtype="datetime64[us]")
    job_rank = np.searchsorted(times, created.astype(np.int64), side="right") - 1
    job_rank = np.where(np.isnat(created), len(times) - 1, job_rank)  # no time: the newest snapshot
    known = job_code >= 0
    safe_code = np.maximum(job_code, 0)
    hit = np.searchsorted(sorted_keys, safe_code * width + job_rank, side="right") - 1
    # Before the instance's first snapshot (or no row at or before): take its first row.
    first_of_code = np.searchsorted(sorted_keys, safe_code * width, side="left")
    hit_ok = (hit >= 0) & (sorted_keys[np.maximum(hit, 0)] // width == safe_code)
    position = np.where(hit_ok, hit, first_of_code)
    return np.where(known, order[np.minimum(position, len(order) - 1)], -1)


def with_instances(jobs: pd.DataFrame, instances: pd.DataFrame) -> pd.DataFrame:
    """``jobs`` with its instances' columns (as of each job's ``created``) and ``instance_known``."""
    for name, frame, needed in (
        ("jobs", jobs, ("instance_id", "created")),
        ("instances", instances, ("instance_id", "observed_at", *INSTANCE_JOIN_COLUMNS)),
    ):
        missing = [column for column in needed if column not in frame.columns]
        if missing:
            raise ValueError(f"with_instances: {name} lacks column(s) {', '.join(missing)}")
    # Columns of an earlier join are replaced, not duplicated.
    earlier = [c for c in (*INSTANCE_JOIN_COLUMNS.values(), "instance_known") if c in jobs.columns]
    out = jobs.drop(columns=earlier) if earlier else jobs.copy()
    rows = instance_rows(jobs, instances)
    known = rows >= 0
    for source, target in INSTANCE_JOIN_COLUMNS.items():
        values: Any = instances[source].array
        if values.dtype == np.dtype("int64"):  # an unknown instance has no count: nullable integers
            values = pd.array(values, dtype="Int64")
        taken = pd.api.extensions.take(values, rows, allow_fill=True)
        out[target] = pd.Series(taken, index=out.index)
    out["instance_known"] = known
    _count_unknown(out, known)
    return out


def _count_unknown(out: pd.DataFrame, known: np.ndarray) -> None:
    unknown_jobs = int((~known).sum())
    ids = out.loc[~known, "instance_id"]
    unknown_instances = int(ids.nunique(dropna=True))
    out.attrs["unknown_instances"] = {"jobs": unknown_jobs, "instances": unknown_instances}
    if unknown_jobs:
        examples = ", ".join(map(str, pd.unique(ids.dropna().astype(str))[:3]))
        message = (
            f"{unknown_jobs} job(s) of {unknown_instances} instance(s) missing from the inventory "
            f"(deleted?), e.g. {examples}; their instance columns are NA and group as NA in by="
        )
        warnings.warn(
            DataQualityWarning(message, {"instance missing from the inventory": unknown_jobs}), stacklevel=3
        )
