"""ddsjobs_analytics — how long Huawei Cloud DDS operations take, how often each kind fails, and why.

Every public name is imported on first use (``dj.failure_rates``, ``dj.TaskCenter``): importing the package
costs nothing, so the ``ddsjobs`` command answers ``--help`` without loading pandas, and analysing a saved
frame never imports httpx. ``df.ddsjobs`` is registered as soon as pandas is imported. The simulator lives
in :mod:`ddsjobs_analytics.simulator`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._pandas_hook import register_accessor_with_pandas

if TYPE_CHECKING:
    from ._analysis._analyse import Analysis, analyse
    from ._analysis._postmortem import PostMortem, postmortem
    from ._compare._incident import IncidentComparison, incident_comparison
    from ._compare._periods import compare_periods, default_periods, spans_periods
    from ._compare._reasons import new_fail_reasons
    from ._core._names import JOB_NAMES, canonical_job_type
    from ._frame import (
        JOB_COLUMNS,
        AmbiguousDateError,
        DataQualityWarning,
        NaiveTimeError,
        RecordError,
        empty_jobs_frame,
        instances_frame,
        jobs_frame,
        nodes_frame,
        per_availability_zone,
        require_columns,
        scheduled_frame,
        with_instances,
    )
    from ._frame._filter import filter_jobs
    from ._load import load_instances, load_jobs
    from ._reasons import (
        PLACEHOLDER_RULES,
        PlaceholderRule,
        explain_template,
        fail_reason_groups,
        fail_reason_template,
        jobs_in_group,
        with_templates,
    )
    from ._render._outdir import ReportFolderError
    from ._render._plots import (
        plot_compare,
        plot_duration_trend,
        plot_durations,
        plot_fail_reasons,
        plot_failure_rates,
        plot_timeline,
    )
    from ._render._report import ReportPaths, render, summary_text, write_csv, write_report
    from ._rules._check import check_rules
    from ._rules._result import RuleResult
    from ._rules._rule import Rule
    from ._stats._durations import duration_stats, kaplan_meier, km_quantile, km_survival_at, stuck_jobs
    from ._stats._failures import failure_rates, wilson_interval
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
    from .config import load_config
    from .simulator._sample import load_sample, sample_records
    from .simulator._sample_inventory import load_sample_instances

__version__ = "0.1.0"

__all__ = [
    "JOB_COLUMNS",
    "JOB_NAMES",
    "PLACEHOLDER_RULES",
    "AkSkAuth",
    "AmbiguousDateError",
    "Analysis",
    "ArchiveCorruptError",
    "ArchiveError",
    "ArchiveLockedError",
    "ArchiveVersionError",
    "AsyncTaskCenter",
    "AuthError",
    "DataQualityWarning",
    "IncidentComparison",
    "InvalidRequestError",
    "JobArchive",
    "NaiveTimeError",
    "NotFoundError",
    "PartialResultWarning",
    "PasswordAuth",
    "PlaceholderRule",
    "PostMortem",
    "RecordError",
    "ReportFolderError",
    "ReportPaths",
    "Rule",
    "RuleResult",
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
    "check_rules",
    "compare_periods",
    "default_periods",
    "duration_stats",
    "empty_jobs_frame",
    "explain_template",
    "fail_reason_groups",
    "fail_reason_template",
    "failure_rates",
    "filter_jobs",
    "incident_comparison",
    "instances_frame",
    "jobs_frame",
    "jobs_in_group",
    "kaplan_meier",
    "km_quantile",
    "km_survival_at",
    "load_config",
    "load_instances",
    "load_jobs",
    "load_sample",
    "load_sample_instances",
    "new_fail_reasons",
    "nodes_frame",
    "per_availability_zone",
    "plot_compare",
    "plot_duration_trend",
    "plot_durations",
    "plot_fail_reasons",
    "plot_failure_rates",
    "plot_timeline",
    "postmortem",
    "render",
    "require_columns",
    "sample_records",
    "scheduled_frame",
    "spans_periods",
    "stuck_jobs",
    "summary_text",
    "sync",
    "wilson_interval",
    "with_instances",
    "with_templates",
    "write_csv",
    "write_report",
]

# Where each public name lives (module relative to this package), imported on first access.
_LAZY = {
    **dict.fromkeys(
        ("duration_stats", "kaplan_meier", "km_quantile", "km_survival_at", "stuck_jobs"), "_stats._durations"
    ),
    **dict.fromkeys(("failure_rates", "wilson_interval"), "_stats._failures"),
    **dict.fromkeys(
        (
            "JOB_COLUMNS",
            "AmbiguousDateError",
            "DataQualityWarning",
            "NaiveTimeError",
            "RecordError",
            "empty_jobs_frame",
            "instances_frame",
            "jobs_frame",
            "nodes_frame",
            "per_availability_zone",
            "require_columns",
            "scheduled_frame",
            "with_instances",
        ),
        "_frame",
    ),
    **dict.fromkeys(("JOB_NAMES", "canonical_job_type"), "_core._names"),
    **dict.fromkeys(
        (
            "plot_compare",
            "plot_duration_trend",
            "plot_durations",
            "plot_fail_reasons",
            "plot_failure_rates",
            "plot_timeline",
        ),
        "_render._plots",
    ),
    **dict.fromkeys(("PostMortem", "postmortem"), "_analysis._postmortem"),
    **dict.fromkeys(
        (
            "PLACEHOLDER_RULES",
            "PlaceholderRule",
            "explain_template",
            "fail_reason_groups",
            "fail_reason_template",
            "jobs_in_group",
            "with_templates",
        ),
        "_reasons",
    ),
    **dict.fromkeys(
        ("ReportPaths", "render", "summary_text", "write_csv", "write_report"), "_render._report"
    ),
    "ReportFolderError": "_render._outdir",
    **dict.fromkeys(("Analysis", "analyse"), "_analysis._analyse"),
    **dict.fromkeys(("load_sample", "sample_records"), "simulator._sample"),
    "load_jobs": "_load",
    "load_config": "config",
    "filter_jobs": "_frame._filter",
    "check_rules": "_rules._check",
    "Rule": "_rules._rule",
    "RuleResult": "_rules._result",
    "load_instances": "_load",
    "load_sample_instances": "simulator._sample_inventory",
    **dict.fromkeys(("compare_periods", "default_periods", "spans_periods"), "_compare._periods"),
    "new_fail_reasons": "_compare._reasons",
    **dict.fromkeys(("IncidentComparison", "incident_comparison"), "_compare._incident"),
    **dict.fromkeys(
        (
            "AkSkAuth",
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

register_accessor_with_pandas()


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
