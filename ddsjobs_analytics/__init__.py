"""ddsjobs_analytics — how long Huawei Cloud DDS operations take, how often each kind fails, and why.

The analysis surface (frames, statistics, charts, reports) is imported eagerly; the HTTP client and the
archive are loaded on first use (``dj.TaskCenter``, ``dj.JobArchive``), so analysing a saved frame never
imports httpx. The simulator lives in :mod:`ddsjobs_analytics.simulator`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import _accessor  # noqa: F401  (registers the ``df.ddsjobs`` accessor)
from ._analysis import Analysis, analyse
from ._durations import duration_stats, kaplan_meier, km_quantile, km_survival_at, stuck_jobs
from ._failures import failure_rates, wilson_interval
from ._frame import (
    JOB_COLUMNS,
    DataQualityWarning,
    RecordError,
    empty_jobs_frame,
    jobs_frame,
    require_columns,
)
from ._names import JOB_NAMES, canonical_job_type
from ._plots import plot_duration_trend, plot_durations, plot_fail_reasons, plot_failure_rates, plot_timeline
from ._postmortem import PostMortem, postmortem
from ._reasons import fail_reason_groups, fail_reason_template
from ._report import ReportPaths, render, summary_text, write_csv, write_report
from ._sample import load_sample, sample_records

if TYPE_CHECKING:
    from .archive import (
        ArchiveCorruptError,
        ArchiveError,
        ArchiveLockedError,
        ArchiveVersionError,
        JobArchive,
        SyncStats,
        sync,
    )
    from .client import (
        AkSkAuth,
        AsyncTaskCenter,
        AuthError,
        InvalidRequestError,
        NotFoundError,
        PartialResultWarning,
        PasswordAuth,
        ServerError,
        TaskCenter,
        TaskCenterError,
        ThrottledError,
        TokenAuth,
        TransportError,
    )

__version__ = "0.1.0"

__all__ = [
    "JOB_COLUMNS",
    "JOB_NAMES",
    "AkSkAuth",
    "Analysis",
    "ArchiveCorruptError",
    "ArchiveError",
    "ArchiveLockedError",
    "ArchiveVersionError",
    "AsyncTaskCenter",
    "AuthError",
    "DataQualityWarning",
    "InvalidRequestError",
    "JobArchive",
    "NotFoundError",
    "PartialResultWarning",
    "PasswordAuth",
    "PostMortem",
    "RecordError",
    "ReportPaths",
    "ServerError",
    "SyncStats",
    "TaskCenter",
    "TaskCenterError",
    "ThrottledError",
    "TokenAuth",
    "TransportError",
    "__version__",
    "analyse",
    "canonical_job_type",
    "duration_stats",
    "empty_jobs_frame",
    "fail_reason_groups",
    "fail_reason_template",
    "failure_rates",
    "jobs_frame",
    "kaplan_meier",
    "km_quantile",
    "km_survival_at",
    "load_sample",
    "plot_duration_trend",
    "plot_durations",
    "plot_fail_reasons",
    "plot_failure_rates",
    "plot_timeline",
    "postmortem",
    "render",
    "require_columns",
    "sample_records",
    "stuck_jobs",
    "summary_text",
    "sync",
    "wilson_interval",
    "write_csv",
    "write_report",
]

_LAZY = {
    **dict.fromkeys(
        (
            "AkSkAuth",
            "Analysis",
            "AsyncTaskCenter",
            "AuthError",
            "InvalidRequestError",
            "NotFoundError",
            "PartialResultWarning",
            "PasswordAuth",
            "ServerError",
            "TaskCenter",
            "TaskCenterError",
            "ThrottledError",
            "TokenAuth",
            "TransportError",
        ),
        "client",
    ),
    **dict.fromkeys(
        (
            "ArchiveCorruptError",
            "ArchiveError",
            "ArchiveLockedError",
            "ArchiveVersionError",
            "JobArchive",
            "SyncStats",
            "sync",
        ),
        "archive",
    ),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module = importlib.import_module(f"{__name__}.{_LAZY[name]}")
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
