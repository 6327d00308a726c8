"""One row per job: the record of a job kept when the input holds it more than once; the frame's order.

The rule is the archive's (``archive/_merge.py``), so a job counts the same from files, an archive or the API:

1. a finished record (status ``Completed`` or ``Failed``) beats any other (``Running``, unknown statuses);
2. among equals, the most recently *observed*: the later ``observed_at`` (when the record was read from the
   task center; files written by ``ddsjobs fetch`` and the archive carry it, records without it get the
   ``observed_at`` of the call that read them, and NaT counts as the earliest);
3. among equals still, the later in input order (a later file of ``load_jobs([...])``, a later line).

Rows without a ``job_id`` are never merged (nothing says they are the same job). Every row dropped is
counted: ``"duplicate job_id"`` in the :class:`DataQualityWarning` and ``df.attrs["quality"]``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .._core._names import TERMINAL_STATUSES

__all__ = ["DUPLICATE_KEY", "canonical_order", "one_row_per_job", "winner_positions"]

DUPLICATE_KEY = "duplicate job_id"
_NAT = np.iinfo(np.int64).min


def winner_positions(job_id: pd.Series, status: pd.Series, observed_at: pd.Series) -> np.ndarray:
    """Sorted positions of the rows to keep: every row without an id, and per id the rule's winner."""
    n = len(job_id)
    if n == 0 or _all_distinct(job_id):  # the usual case, decided in Arrow without a Python str per id
        return np.arange(n)
    ids = job_id.astype(object).where(job_id.notna(), None).to_numpy()
    present = job_id.notna().to_numpy(dtype=bool)
    finished = status.astype(object).isin(list(TERMINAL_STATUSES)).to_numpy(dtype=bool)
    observed = _micros(observed_at)
    position = np.arange(n)
    rows = np.flatnonzero(present)
    # lexsort: the last key is the primary one; within an id, the winner sorts last.
    order = rows[np.lexsort((position[rows], observed[rows], finished[rows], ids[rows].astype(str)))]
    sorted_ids = ids[order]
    last_of_id = np.r_[sorted_ids[1:] != sorted_ids[:-1], True]
    keep = np.zeros(n, dtype=bool)
    keep[~present] = True
    keep[order[last_of_id]] = True
    return np.flatnonzero(keep)


def _all_distinct(job_id: pd.Series) -> bool:
    """No id repeats (missing ids aside)."""
    ids = _arrow_ids(job_id)
    # Sorted neighbours rather than a hash table: Arrow's hashing of 300k ids costs ~45 MB, a sort ~15 MB.
    valid = len(ids) - ids.null_count
    if valid < 2:
        return True
    hashed = _hashes(ids) if ids.null_count == 0 else None
    if hashed is not None:  # the usual case (short ids): 64-bit hashes, exact check of any clash
        hashes, text = hashed
        ordered_hashes = np.sort(hashes)
        clash = ordered_hashes[1:] == ordered_hashes[:-1]
        if not clash.any():
            return True
        rows = np.flatnonzero(np.isin(hashes, ordered_hashes[1:][clash]))
        texts = [text(row) for row in rows.tolist()]
        return len(set(texts)) == len(texts)
    order = pc.array_sort_indices(ids)  # nulls last (the default)
    ordered = ids.take(order.slice(0, valid))
    return not pc.any(pc.equal(ordered.slice(1), ordered.slice(0, valid - 1))).as_py()


_HASH_ROWS = 1 << 12  # rows hashed at a time: temporaries of ~1 MB, not a copy of every id
_HASH_WIDTH = 64  # bytes: longer ids take the sorted path
_MIX = np.uint64(0x9E3779B97F4A7C15)


def _hashes(ids: pa.Array) -> tuple[np.ndarray, Callable[[int], bytes]] | None:
    """A 64-bit hash of each id (no nulls) and a function giving an id's bytes, when no id is longer than
    :data:`_HASH_WIDTH` bytes; None otherwise. A vectorised hash and a sort of integers cost a fraction of
    a string sort (1M ids: ~0.1–0.2 s against ~0.4–0.8 s). Equal hashes are only candidates: the caller
    compares the bytes."""
    strings = ids
    if isinstance(strings, pa.ChunkedArray):
        strings = strings.chunk(0) if strings.num_chunks == 1 else strings.combine_chunks()
    if strings.type not in (pa.string(), pa.large_string()):
        strings = strings.cast(pa.large_string())
    n = len(strings)
    size = 8 if strings.type == pa.large_string() else 4  # offsets read in place: no copy of the ids
    offsets = np.frombuffer(
        strings.buffers()[1],
        dtype=np.int64 if size == 8 else np.int32,
        count=n + 1,
        offset=strings.offset * size,
    ).astype(np.int64)
    lengths = np.diff(offsets)
    width = int(lengths.max())
    if width > _HASH_WIDTH:
        return None
    data = strings.buffers()[2]
    buf = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(1, dtype=np.uint8)
    padded_width = max(8, -(-width // 8) * 8)
    columns = np.arange(padded_width)
    hashes = np.empty(n, dtype=np.uint64)
    for start in range(0, n, _HASH_ROWS):
        stop = min(start + _HASH_ROWS, n)
        # Each id's bytes, then zeros, in a row of whole 8-byte words; its length seeds the hash.
        inside = columns < lengths[start:stop, None]
        at = np.minimum(offsets[start:stop, None] + columns, len(buf) - 1)
        padded = np.where(inside, buf[at], np.uint8(0)).astype(np.uint8)
        words = padded.view(np.uint64)
        h = lengths[start:stop].astype(np.uint64)
        with np.errstate(over="ignore"):
            for word in range(words.shape[1]):
                h = (h ^ words[:, word]) * _MIX
                h ^= h >> np.uint64(29)
        hashes[start:stop] = h

    def text(row: int) -> bytes:
        return buf[offsets[row] : offsets[row + 1]].tobytes()

    return hashes, text


def _arrow_ids(job_id: pd.Series) -> pa.Array:
    if isinstance(job_id.dtype, pd.StringDtype):
        return pa.array(job_id.array)
    values = job_id.astype(object).where(job_id.notna(), None)
    return pa.array([None if v is None else str(v) for v in values], pa.string())


def _micros(times: pd.Series) -> np.ndarray:
    values = pd.to_datetime(times, utc=True)
    micros = values.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[us]").view(np.int64)
    return np.where(values.isna().to_numpy(), _NAT, micros)


def one_row_per_job(frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """``frame`` with one row per ``job_id`` (the rule above), kept rows in their input order, and the
    positions of the rows dropped."""
    if frame.empty or "job_id" not in frame.columns:
        return frame, np.empty(0, dtype=np.int64)
    observed = (
        frame["observed_at"] if "observed_at" in frame.columns else pd.Series(pd.NaT, index=frame.index)
    )
    keep = winner_positions(frame["job_id"], frame["status"], observed)
    if len(keep) == len(frame):
        return frame, np.empty(0, dtype=np.int64)
    dropped = np.ones(len(frame), dtype=bool)
    dropped[keep] = False
    return frame.iloc[keep], np.flatnonzero(dropped)


def canonical_order(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows by ``created``, then ``job_id`` (unknown times and ids last), index reset: the same order
    whatever the input format or file order, so ties in every table come out the same way."""
    if frame.empty or not {"created", "job_id"} <= set(frame.columns):
        return frame.reset_index(drop=True)
    created = _micros(frame["created"])
    keys = pa.table(
        {
            "created": pa.array(created, mask=created == _NAT),
            "job_id": pa.array(
                frame["job_id"].astype(object).where(frame["job_id"].notna(), None), pa.string()
            )
            if not isinstance(frame["job_id"].dtype, pd.StringDtype)
            else pa.array(frame["job_id"].array),
        }
    )
    order = pc.sort_indices(keys, sort_keys=[("created", "ascending"), ("job_id", "ascending")])  # nulls last
    order_np = order.to_numpy()
    if (order_np == np.arange(len(order_np))).all():
        return frame.reset_index(drop=True)
    return frame.iloc[order_np].reset_index(drop=True)
