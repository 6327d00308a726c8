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

import numpy as np
import pandas as pd

from .._core._names import TERMINAL_STATUSES

__all__ = ["DUPLICATE_KEY", "canonical_order", "one_row_per_job", "winner_positions"]

DUPLICATE_KEY = "duplicate job_id"
_NAT = np.iinfo(np.int64).min


def winner_positions(job_id: pd.Series, status: pd.Series, observed_at: pd.Series) -> np.ndarray:
    """Sorted positions of the rows to keep: every row without an id, and per id the rule's winner."""
    n = len(job_id)
    ids = job_id.astype(object).where(job_id.notna(), None).to_numpy()
    present = job_id.notna().to_numpy(dtype=bool)
    if n == 0 or pd.Series(ids[present]).is_unique:
        return np.arange(n)
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
    keys = pd.DataFrame({"created": frame["created"].to_numpy(), "job_id": frame["job_id"].to_numpy()})
    order = keys.sort_values(["created", "job_id"], na_position="last", kind="stable").index.to_numpy()
    return frame.iloc[order].reset_index(drop=True)
