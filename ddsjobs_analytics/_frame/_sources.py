"""Saved job files → a jobs frame, and the ``since``/``until`` selection every source shares.

Files are read in every format ``ddsjobs fetch`` writes (``.parquet``, ``.csv``) and as API records
(``.json``/``.jsonl``, optionally ``.gz``). :func:`ddsjobs_analytics.load_jobs` adds the other origins (the
task center, the archive, the sample) on top of this module.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from .._core._time import Moment, parse_moment
from . import empty_jobs_frame, jobs_frame

__all__ = ["NoJobsError", "PathInput", "read_files", "read_jobs_file", "within"]

_JSON_SUFFIXES = (".json", ".jsonl", ".json.gz", ".jsonl.gz")
# The leading quote write_csv adds to formula-like text and to text starting with a quote (one comes off).
_FORMULA_DEFUSED = r"^'[=+\-@\t\r\n']"

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


def _csv_frame(path: Path) -> pd.DataFrame:
    """A frame saved by ``write_csv``: text, with the quote that defused formula-like cells taken off."""
    text = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig")
    for name in ("job_name", "job_type", "status", "fail_reason", "instance_id", "instance_name"):
        if name in text.columns:
            values = text[name]
            defused = values.str.match(_FORMULA_DEFUSED).eq(True)
            text[name] = values.mask(defused, values.str[1:])
    return text


def _conform(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """The column contract's dtypes for the contract's columns (ISO UTC text → times, text → categories);
    other columns as they are."""
    contract = empty_jobs_frame().dtypes
    columns: dict[str, Any] = {}
    for name in frame.columns:
        values, dtype = frame[name], contract.get(name)
        same_kind = isinstance(values.dtype, pd.CategoricalDtype) and isinstance(dtype, pd.CategoricalDtype)
        if dtype is None or values.dtype == dtype or same_kind:
            columns[name] = values
            continue
        try:
            if pd.api.types.is_datetime64_any_dtype(dtype):
                columns[name] = pd.to_datetime(values, utc=True, format="ISO8601").astype(dtype)
            elif isinstance(dtype, pd.CategoricalDtype):
                columns[name] = values.astype("category")
            elif isinstance(dtype, pd.StringDtype):
                columns[name] = values.astype(dtype)
            else:
                numbers = pd.to_numeric(values)
                columns[name] = numbers.round().astype(dtype) if dtype == "Int16" else numbers.astype(dtype)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{path}: column {name!r} does not hold {dtype} values ({exc})") from None
    return pd.DataFrame(columns, index=frame.index)


def read_jobs_file(path: PathInput) -> pd.DataFrame:
    """One file of jobs: ``.parquet``/``.csv`` as written by ``ddsjobs fetch``, or API records in
    ``.json``/``.jsonl`` (optionally ``.gz``). A file without any recognisable job raises NoJobsError.
    """
    path = Path(path)
    name = path.name.lower()
    if name.endswith(_JSON_SUFFIXES):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            frame = jobs_frame(path)
        if not frame["job_id"].notna().any():
            what = (
                f"{len(frame):,} record{'s' if len(frame) != 1 else ''}, none with a job id"
                if len(frame)
                else "empty"
            )
            raise NoJobsError(f"{path}: no DDS job found ({what})", path=path)
        for warning in caught:  # the file's problems, now that the file is known to hold jobs
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno, source=warning.source
            )
    elif name.endswith(".parquet"):
        frame = pd.read_parquet(path)
    elif name.endswith(".csv"):
        frame = _csv_frame(path)
    else:
        raise ValueError(f"{path}: expected .parquet, .csv, .json or .jsonl (optionally .gz)")
    missing = [
        column for column in ("job_id", "created", "status", "job_type") if column not in frame.columns
    ]
    if missing:
        raise NoJobsError(f"{path}: not a jobs frame (no {', '.join(missing)} column)", path=path)
    if frame.empty:
        raise NoJobsError(f"{path}: no DDS job found (no rows)", path=path)
    return _conform(frame, path)


def read_files(paths: Sequence[PathInput]) -> pd.DataFrame:
    frames = [read_jobs_file(path) for path in paths]
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
