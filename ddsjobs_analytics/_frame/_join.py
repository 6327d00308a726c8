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
``instance_observed_at`` shows it), and a job without a ``created`` the newest. The work is a small
(instance × snapshot) table of row numbers, filled forward in time, and one look-up per job, so it costs
less than a plain ``merge``.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from .._core._schema_inventory import INSTANCE_JOIN_COLUMNS
from ._quality import DataQualityWarning

__all__ = ["instance_rows", "per_availability_zone", "with_instances"]


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
    instance_code, unique_ids = pd.factorize(instances["instance_id"])  # hashing, not sorting strings
    job_code = _job_instance_codes(jobs, pd.Index(unique_ids).astype(str))
    observed = instances["observed_at"].to_numpy(dtype="datetime64[us]").view(np.int64)
    times_index, times_unsorted = pd.factorize(observed)
    times = np.sort(np.asarray(times_unsorted))
    if len(times) <= 1:
        # One snapshot: each id once (instances_frame keeps the first of a repeated id).
        first = np.full(len(unique_ids), -1, dtype=np.int64)
        rows = np.flatnonzero(instance_code >= 0)[::-1]  # written last to first: the first row wins
        first[instance_code[rows]] = rows
        return np.where(job_code >= 0, first[np.maximum(job_code, 0)], -1)
    # Several snapshots: a table of (instance, snapshot) → row, filled forward in time (the newest at or
    # before), and before an instance's first snapshot with that first one; each job then reads one cell.
    rank = np.argsort(np.argsort(times_unsorted))[times_index]  # each row's snapshot, in time order
    n_ids, n_times = len(unique_ids), len(times)
    table = np.full((n_ids, n_times), -1, dtype=np.int64)
    rows = np.flatnonzero(instance_code >= 0)[::-1]  # written last to first: the first row of a pair wins
    table[instance_code[rows], rank[rows]] = rows
    present = table >= 0
    column = np.where(present, np.arange(n_times), -1)
    column = np.maximum.accumulate(column, axis=1)
    first = np.argmax(present, axis=1)
    column = np.where(column < 0, first[:, None], column)
    filled = np.take_along_axis(table, column, axis=1)
    created = jobs["created"].to_numpy(dtype="datetime64[us]")
    job_rank = np.searchsorted(times, created.view(np.int64), side="right") - 1
    job_rank = np.where(np.isnat(created), n_times - 1, np.maximum(job_rank, 0))  # no time: the newest
    known = job_code >= 0
    return np.where(known, filled[np.maximum(job_code, 0), job_rank], -1)


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
        column = instances[source]
        values: Any = column.array if isinstance(column.dtype, pd.api.extensions.ExtensionDtype) else None
        if column.dtype == np.dtype("int64"):  # an unknown instance has no count: nullable integers
            values = pd.array(column.to_numpy(), dtype="Int64")
        if values is None:  # numpy-backed (floats, the tags' dicts): pandas 2.2 takes only plain arrays here
            values = column.to_numpy()
        taken = pd.api.extensions.take(values, rows, allow_fill=True)  # -1: the dtype's NA
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


def per_availability_zone(joined: pd.DataFrame) -> pd.DataFrame:
    """One row per (job, AZ of its instance), in a new ``availability_zone`` column, for ``by=`` per AZ.

    A job on a multi-AZ instance counts toward each of its AZs, so the groups' counts add up to more than
    the jobs (``attrs["jobs"]`` keeps the number of jobs); a job whose instance is unknown keeps one row with
    an NA zone, its own group. The index repeats the job's.
    """
    if "availability_zones" not in joined.columns:
        raise ValueError("per_availability_zone needs availability_zones: join the instances first")
    zones = joined["availability_zones"].astype(object).tolist()
    lists: list[list[str | None]] = [
        list(text.split(",")) if isinstance(text, str) and text else [None] for text in zones
    ]
    counts = np.fromiter((len(items) for items in lists), dtype=np.int64, count=len(lists))
    out = joined.take(np.repeat(np.arange(len(joined)), counts))
    flat = [zone for items in lists for zone in items]
    out["availability_zone"] = pd.Categorical(flat)
    out.attrs["jobs"] = len(joined)
    return out
