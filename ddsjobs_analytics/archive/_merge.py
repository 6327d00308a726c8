"""The merge rules of the archive, on Arrow tables of the archive schema.

Per job, the record to keep: a terminal status (Completed/Failed) beats any other; among equals the newer
``observed_at`` wins (ties: the incoming record). Once the archive holds a job as terminal, only a newer,
*different* terminal record replaces it. Re-observing a job with the same facts (status, progress, times,
reason, instance: the canonical columns, in either API shape, v3 or v3.1) changes nothing, Running or not,
so re-listing an overlap window or re-fetching an unchanged Running job rewrites no partition.
``first_seen``/``last_seen`` are the min/max over the observations that were applied.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .._core._names import TERMINAL_STATUSES

__all__ = [
    "MergeOutcome",
    "all_distinct",
    "equal",
    "merge",
    "reduce_by_job",
    "terminal_mask",
    "winners",
    "with_seen",
]

_TERMINAL = pa.array(sorted(TERMINAL_STATUSES), type=pa.string())
_TIME = pa.timestamp("us", tz="UTC")
_DECIDING = ["job_id", "status", "observed_at", "raw", "region", "project_id", "first_seen", "last_seen"]
# What a record says about its job, whatever its shape: ShowJobDetail (v3, ``created``, ``instance.id``)
# and ListTasks (v3.1, ``created_at``, ``instance_id``) spell the same terminal job differently in ``raw``.
_CONTENT = [
    "job_id",
    "job_type",
    "status",
    "created",
    "ended",
    "utc_offset",
    "progress",
    "fail_reason",
    "instance_id",
    "instance_name",
]


def terminal_mask(table: pa.Table) -> np.ndarray:
    return np.asarray(pc.is_in(table.column("status"), value_set=_TERMINAL).to_numpy(zero_copy_only=False))


def _micros(table: pa.Table, name: str) -> np.ndarray:
    return np.asarray(table.column(name).cast(pa.int64()).to_numpy(zero_copy_only=False))


def equal(left: pa.ChunkedArray | pa.Array, right: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Element-wise equality where null equals null."""
    same = pc.fill_null(pc.equal(left, right), False)
    both_null = pc.and_(pc.is_null(left), pc.is_null(right))
    return np.asarray(pc.or_(same, both_null).to_numpy(zero_copy_only=False))


def all_distinct(ids: pa.ChunkedArray | pa.Array) -> bool:
    """No id is missing and none repeats: ``count_distinct(ids) == len(ids)``, at less than half its cost
    (``unique`` hashes 1M ids in ~0.12 s, ``count_distinct`` took 0.24–0.45 s; #16 §6)."""
    return ids.null_count == 0 and len(pc.unique(ids)) == len(ids)


def with_seen(table: pa.Table, first_us: np.ndarray, last_us: np.ndarray) -> pa.Table:
    table = table.set_column(
        table.schema.get_field_index("first_seen"), "first_seen", pa.array(first_us, type=_TIME)
    )
    return table.set_column(
        table.schema.get_field_index("last_seen"), "last_seen", pa.array(last_us, type=_TIME)
    )


def winners(table: pa.Table) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per distinct job id: the position of the record to keep, and min ``first_seen`` / max ``last_seen``."""
    n = table.num_rows
    order_keys = pa.table(
        {
            "job_id": table.column("job_id"),
            "rank": pa.array(terminal_mask(table).astype(np.int8)),
            "observed": table.column("observed_at"),
            "position": pa.array(np.arange(n)),
        }
    )
    order = np.asarray(
        pc.sort_indices(order_keys, sort_keys=[(name, "ascending") for name in order_keys.column_names])
    )
    ids = table.column("job_id").take(pa.array(order))
    starts = np.flatnonzero(np.r_[True, ~equal(ids[1:], ids[:-1])]) if n else np.empty(0, dtype=np.int64)
    ends = np.r_[starts[1:], n] - 1 if n else starts
    first = np.minimum.reduceat(_micros(table, "first_seen")[order], starts) if n else starts
    last = np.maximum.reduceat(_micros(table, "last_seen")[order], starts) if n else starts
    return order[ends], first, last


def reduce_by_job(table: pa.Table) -> pa.Table:
    """One row per job id, chosen by the merge rules (a batch may list a job twice, e.g. list and get)."""
    if all_distinct(table.column("job_id")):
        return table
    keep, first, last = winners(table)
    return with_seen(table.take(pa.array(keep)), first, last)


@dataclass
class MergeOutcome:
    """``rows``: new and changed rows to write; ``replaced``: positions in the stored table they supersede."""

    rows: pa.Table
    replaced: np.ndarray
    new: int
    updated: int
    unchanged: int
    still_running: int


def merge(stored: pa.Table, incoming: pa.Table) -> MergeOutcome:
    """Merge ``incoming`` (one row per job) into ``stored`` (one row per job) by ``job_id``."""
    if stored.num_rows == 0:  # a first sync: every job is new (what the general path finds, without a lookup)
        return MergeOutcome(
            rows=incoming,
            replaced=np.empty(0, dtype=np.int64),
            new=incoming.num_rows,
            updated=0,
            unchanged=0,
            still_running=int((~terminal_mask(incoming)).sum()),
        )
    position = pc.index_in(incoming.column("job_id"), value_set=stored.column("job_id"))
    matched = np.asarray(position.is_valid().to_numpy(zero_copy_only=False))
    fresh = np.flatnonzero(~matched)
    in_rows = np.flatnonzero(matched)
    st_rows = np.asarray(position.filter(pa.array(matched)).to_numpy(zero_copy_only=False), dtype=np.int64)
    # Decide on the columns the rules need; copy whole rows only for those that change.
    mine = incoming.select(_DECIDING).take(pa.array(in_rows))
    theirs = stored.select(_DECIDING).take(pa.array(st_rows))

    i_rank, s_rank = terminal_mask(mine), terminal_mask(theirs)
    i_obs, s_obs = _micros(mine, "observed_at"), _micros(theirs, "observed_at")
    same = np.ones(len(in_rows), dtype=bool)
    for name in ("raw", "region", "project_id"):
        same &= equal(mine.column(name), theirs.column(name))
    # A job seen again with the same facts, in either API shape (whose job_name spellings differ), is the
    # same record: compare the canonical columns where raw differs. Not an update, nothing rewritten.
    same_rank = i_rank == s_rank
    reshaped = np.flatnonzero(same_rank & ~same)
    if len(reshaped):
        left = incoming.select(_CONTENT).take(pa.array(in_rows[reshaped]))
        right = stored.select(_CONTENT).take(pa.array(st_rows[reshaped]))
        same_target = equal(
            mine.column("region").take(pa.array(reshaped)), theirs.column("region").take(pa.array(reshaped))
        )
        same_target &= equal(
            mine.column("project_id").take(pa.array(reshaped)),
            theirs.column("project_id").take(pa.array(reshaped)),
        )
        for name in _CONTENT:
            same_target &= equal(left.column(name), right.column(name))
        same[reshaped] = same_target
    unchanged = same_rank & same
    newer_or_equal = (i_rank > s_rank) | ((i_rank == s_rank) & (i_obs >= s_obs))
    incoming_wins = np.where(s_rank, i_rank & (i_obs > s_obs) & ~same, newer_or_equal & ~unchanged)
    applies = (~s_rank & ~unchanged) | incoming_wins
    s_first, s_last = _micros(theirs, "first_seen"), _micros(theirs, "last_seen")
    first = np.where(applies, np.minimum(s_first, _micros(mine, "first_seen")), s_first)
    last = np.where(applies, np.maximum(s_last, _micros(mine, "last_seen")), s_last)
    content = incoming_wins & ~(same & (i_obs == s_obs))
    changed = content | (first != s_first) | (last != s_last)

    take_in = changed & incoming_wins
    take_st = changed & ~incoming_wins
    # All new (a first sync): the incoming table as it is, not a copy through take().
    all_fresh = len(fresh) == incoming.num_rows
    rows = pa.concat_tables(
        [
            incoming if all_fresh else incoming.take(pa.array(fresh)),
            with_seen(incoming.take(pa.array(in_rows[take_in])), first[take_in], last[take_in]),
            with_seen(stored.take(pa.array(st_rows[take_st])), first[take_st], last[take_st]),
        ]
    )
    final_terminal = np.where(incoming_wins, i_rank, s_rank)
    still_running = int((~terminal_mask(incoming)[fresh]).sum() + (~final_terminal).sum())
    return MergeOutcome(
        rows=rows,
        replaced=st_rows[changed],
        new=len(fresh),
        updated=int(changed.sum()),
        unchanged=int((~changed).sum()),
        still_running=still_running,
    )
