"""Select jobs by status, job type and instance with glob patterns: the ``--status``, ``--job-type`` and
``--instance`` filters of the command line, also usable on any jobs frame.

Patterns are case-sensitive shell globs (``*``, ``?``, ``[...]``). Several values of one filter are
alternatives; different filters must all hold. A missing value never matches.
"""

from __future__ import annotations

from collections.abc import Sequence
from fnmatch import fnmatchcase

import pandas as pd

from ._build import require_columns

__all__ = ["Patterns", "filter_jobs", "is_glob", "matching"]

Patterns = str | Sequence[str] | None


def is_glob(pattern: str) -> bool:
    return any(char in pattern for char in "*?[")


def _patterns(value: Patterns) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def matching(values: pd.Series, patterns: Sequence[str]) -> pd.Series:
    """Rows whose value matches any of the patterns (each distinct value is matched once)."""
    distinct = [
        value for value in pd.unique(values.dropna()) if any(fnmatchcase(str(value), p) for p in patterns)
    ]
    return values.isin(distinct).fillna(False).astype(bool)


def filter_jobs(
    df: pd.DataFrame, *, status: Patterns = None, job_type: Patterns = None, instance: Patterns = None
) -> pd.DataFrame:
    """The rows of ``df`` whose ``status`` and ``job_type`` match, and whose ``instance_id`` *or*
    ``instance_name`` matches ``instance``; ``None`` (or an empty list) does not filter. Keeps the index."""
    statuses, types, instances = _patterns(status), _patterns(job_type), _patterns(instance)
    needed = [
        *(["status"] if statuses else []),
        *(["job_type"] if types else []),
        *(["instance_id", "instance_name"] if instances else []),
    ]
    require_columns(df, needed, func="filter_jobs")
    keep = pd.Series(True, index=df.index)
    if statuses:
        keep &= matching(df["status"], statuses)
    if types:
        keep &= matching(df["job_type"], types)
    if instances:
        keep &= matching(df["instance_id"], instances) | matching(df["instance_name"], instances)
    return df.loc[keep]
