"""Turn DDS task-center job records into one typed, compact DataFrame: the input of every analysis.

Both API shapes are accepted (ShowJobDetail v3: ``created``/``ended``/nested ``instance``; ListTasks v3.1:
``created_at``/``ended_at``/flat ``instance_id``), bare or wrapped in their responses, in memory or in
``.json``/``.jsonl`` files (optionally gzipped), or a DataFrame. Bad values never drop a row: they become NA
and are counted in one :class:`DataQualityWarning` per call, or raise :class:`RecordError` with
``errors="raise"``. A job listed twice keeps one row (``_dedup``), counted.

The package reads in steps, one module each: ``_stream``/``_read`` (files in bounded blocks through Arrow's
JSON reader, the next batch on a second thread by ``_ahead``, records in memory; ``_from_frame`` for
DataFrames) → ``_extract`` (records → one string column per field, capped; repeating fields as dictionary
codes by ``_codes``) → ``_times``/``_naive`` (time columns: the plausible-years rule, times without an
offset) → ``_build`` (the typed frame) → ``_dedup`` (one row per job); ``_quality`` counts problems all
along. ``_sources`` reads saved files of every format.
"""

from __future__ import annotations

from .._core._time import ParsedTimes
from .._core._time import parse_api_times as parse_times
from ._build import JOB_COLUMNS, empty_jobs_frame, jobs_frame, require_columns
from ._extract import MAX_REASON_CHARS, MAX_TEXT_CHARS
from ._extract import unwrap as _unwrap  # noqa: F401
from ._instances import instances_frame, nodes_frame, scheduled_frame
from ._join import per_availability_zone, with_instances
from ._naive import AmbiguousDateError, NaiveTimeError
from ._quality import DataQualityWarning, ErrorMode, RecordError
from ._read import RecordsInput
from ._read import as_record_list as _as_record_list  # noqa: F401

__all__ = [
    "JOB_COLUMNS",
    "MAX_REASON_CHARS",
    "MAX_TEXT_CHARS",
    "AmbiguousDateError",
    "DataQualityWarning",
    "ErrorMode",
    "NaiveTimeError",
    "ParsedTimes",
    "RecordError",
    "RecordsInput",
    "empty_jobs_frame",
    "instances_frame",
    "jobs_frame",
    "nodes_frame",
    "parse_times",
    "per_availability_zone",
    "require_columns",
    "scheduled_frame",
    "with_instances",
]
# ``_as_record_list`` and ``_unwrap`` stay importable for archive/_store.py until it stops using them.
