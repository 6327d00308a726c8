"""Saved job files → a jobs frame, and the ``since``/``until`` selection every source shares.

Files are read in every format ``ddsjobs fetch`` writes (``.parquet``, ``.csv``) and as API records
(``.json``/``.jsonl``, optionally ``.gz``). :func:`ddsjobs_analytics.load_jobs` adds the other origins (the
task center, the archive, the sample) on top of this module.
"""

from __future__ import annotations

import os
import warnings
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._core._calendar import TzLike
from .._core._time import Moment, parse_moment
from . import AmbiguousDateError, DataQualityWarning, NaiveTimeError, empty_jobs_frame, jobs_frame
from ._csv_read import TOO_LONG_KEY, read_csv_text
from ._dedup import DUPLICATE_KEY, canonical_order, one_row_per_job
from ._parquet_read import read_parquet_capped

__all__ = ["NoJobsError", "PathInput", "read_files", "read_jobs_file", "within"]

_JSON_SUFFIXES = (".json", ".jsonl", ".json.gz", ".jsonl.gz")

PathInput = str | os.PathLike[str]


class NoJobsError(ValueError):
    """An input file holds no recognisable job (``path`` names it)."""

    def __init__(self, message: str, *, path: Path) -> None:
        super().__init__(message)
        self.path = path


def within(
    df: pd.DataFrame, since: Moment | None = None, until: Moment | None = None, *, now: Any = None
) -> pd.DataFrame:
    """The jobs created in ``[since, until)``; ages (``"30d"``) count back from ``now`` (default: now).

    A range leaves out jobs whose ``created`` is unknown, as :meth:`JobArchive.load` does.
    """
    if since is None and until is None:
        return df
    keep = pd.Series(True, index=df.index)
    if since is not None:
        keep &= df["created"] >= parse_moment(since, now=now, what="since")
    if until is not None:
        keep &= df["created"] < parse_moment(until, now=now, what="until")
    return df[keep.fillna(False).astype(bool)]


def _conforms(frame: pd.DataFrame) -> bool:
    """Exactly the contract's columns and dtypes (a file ``ddsjobs fetch`` wrote): nothing to re-type."""
    contract = empty_jobs_frame().dtypes
    if list(frame.columns) != list(contract.index):
        return False
    for name, dtype in contract.items():
        have = frame[name].dtype
        if isinstance(dtype, pd.CategoricalDtype):
            if not isinstance(have, pd.CategoricalDtype):
                return False
        elif have != dtype:
            return False
    return True


def _retyped(frame: pd.DataFrame, path: Path, assume_tz: TzLike) -> pd.DataFrame:
    """``jobs_frame`` of a file's table: times by the naive-time rule, derived columns recomputed; its
    data-quality warning names the file."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            frame = jobs_frame(frame, assume_tz=assume_tz)
        except (NaiveTimeError, AmbiguousDateError) as exc:
            raise type(exc)(f"{path}: {exc}") from None
    _pass_on(caught, path)
    return frame


def _pass_on(caught: list[warnings.WarningMessage], path: Path) -> None:
    """Warnings caught while reading ``path``, issued again; a data-quality one names the file first."""
    for warning in caught:
        message = warning.message
        if isinstance(message, DataQualityWarning) and not str(message).startswith(f"{path}"):
            message = DataQualityWarning(f"{path}: {message}", message.counts)
        warnings.warn_explicit(message, warning.category, warning.filename, warning.lineno)


def read_jobs_file(path: PathInput, *, assume_tz: TzLike = None) -> pd.DataFrame:
    """One file of jobs: ``.parquet``/``.csv`` as written by ``ddsjobs fetch`` (or the report's
    ``jobs.csv``), or API records in ``.json``/``.jsonl`` (optionally ``.gz``). A file without any
    recognisable job raises NoJobsError. Times without an offset: see ``jobs_frame(assume_tz=)``.
    """
    path = Path(path)
    name = path.name.lower()
    skipped, capped = 0, False
    if name.endswith(_JSON_SUFFIXES):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            frame = jobs_frame(path, assume_tz=assume_tz)
        if not frame["job_id"].notna().any():
            what = (
                f"{len(frame):,} record{'s' if len(frame) != 1 else ''}, none with a job id"
                if len(frame)
                else "empty"
            )
            raise NoJobsError(f"{path}: no DDS job found ({what})", path=path)
        _pass_on(caught, path)  # the file's problems, now that the file is known to hold jobs
    elif name.endswith(".parquet"):
        frame, capped = read_parquet_capped(path)
    elif name.endswith(".csv"):
        frame, skipped = read_csv_text(path)
    else:
        raise ValueError(f"{path}: expected .parquet, .csv, .json or .jsonl (optionally .gz)")
    missing = [
        column for column in ("job_id", "created", "status", "job_type") if column not in frame.columns
    ]
    if missing:
        raise NoJobsError(f"{path}: not a jobs frame (no {', '.join(missing)} column)", path=path)
    if frame.empty:
        raise NoJobsError(f"{path}: no DDS job found (no rows)", path=path)
    if name.endswith(_JSON_SUFFIXES) or (_conforms(frame) and not capped):
        return frame
    unread = Counter(frame.attrs.get("quality", {}))  # what the reader could not read (not jobs_frame's)
    frame = _retyped(frame, path, assume_tz)
    if skipped:
        unread[TOO_LONG_KEY] += skipped
    if unread:
        quality = Counter(frame.attrs.get("quality", {}))
        quality.update(unread)
        frame.attrs["quality"] = dict(quality)
    return frame


def read_files(paths: Sequence[PathInput], *, assume_tz: TzLike = None) -> pd.DataFrame:
    """The jobs of every file, one row per ``job_id`` across all of them (the rule of ``_dedup``), ordered by
    ``created`` then ``job_id``; ``attrs["quality"]`` sums the files' data-quality counts and the merges."""
    frames, quality = [], Counter[str]()
    for path in paths:
        frames.append(read_jobs_file(path, assume_tz=assume_tz))
        quality.update(frames[-1].attrs.get("quality", {}))
    frame = _concat(frames)
    frame, dropped = one_row_per_job(frame)
    if dropped.size:
        examples = ", ".join(map(str, list(dict.fromkeys(_frame_ids(frames, dropped)))[:3]))
        what = f"{len(paths)} files" if len(paths) > 1 else "the file"
        warnings.warn(
            DataQualityWarning(
                f"{dropped.size:,} row{'s' if dropped.size != 1 else ''} of {what} repeat a job already "
                "read, one row kept per job (finished over Running, then the latest observed_at, then the "
                f"later file): {examples}",
                {DUPLICATE_KEY: int(dropped.size)},
            ),
            stacklevel=3,
        )
        quality[DUPLICATE_KEY] += int(dropped.size)
    frame = canonical_order(frame)
    frame.attrs["quality"] = dict(quality)
    return frame


def _frame_ids(frames: list[pd.DataFrame], positions: np.ndarray) -> list[object]:
    """The job ids at ``positions`` of the frames concatenated."""
    ids = np.concatenate([frame["job_id"].astype(object).to_numpy() for frame in frames])
    return [ids[i] for i in positions[:100]]


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Frames one after the other; categorical columns stay categorical when the categories differ."""
    if len(frames) == 1:
        return frames[0]
    frame = pd.concat(frames, ignore_index=True)
    for name in frame.columns:
        categorical = all(isinstance(f[name].dtype, pd.CategoricalDtype) for f in frames if name in f.columns)
        if categorical and not isinstance(frame[name].dtype, pd.CategoricalDtype):
            frame[name] = frame[name].astype("category")
    return frame
