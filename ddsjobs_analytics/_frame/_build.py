"""Assembly of the jobs frame: the string fields of every record → the typed columns of
:data:`JOB_COLUMNS`."""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import datetime, timezone

import numpy as np
import pandas as pd
import pyarrow as pa

from .._core._calendar import TzLike, resolve_tz
from .._core._names import TERMINAL_STATUSES, canonical_job_type
from .._core._schema import JOB_COLUMNS
from ._codes import categories, dictionary, null_blanks
from ._dedup import one_row_per_job
from ._extract import MAX_TEXT_CHARS, extract
from ._from_frame import frame_part
from ._naive import AmbiguousDateError, NaiveTimeError, Zone, offset_minutes
from ._quality import ErrorMode, Problems
from ._read import RecordsInput, read_parts
from ._times import NAT, YEARS, observed_at_argument, observed_at_column, time_columns

__all__ = ["JOB_COLUMNS", "empty_jobs_frame", "jobs_frame", "require_columns"]

_RUNNING = "Running"


def jobs_frame(
    records: RecordsInput | pd.DataFrame,
    *,
    observed_at: datetime | str | None = None,
    region: str | None = None,
    project_id: str | None = None,
    errors: ErrorMode = "warn",
    max_chars: int = MAX_TEXT_CHARS,
    assume_tz: TzLike = None,
    per_record: bool = False,
) -> pd.DataFrame:
    """One row per job, with the columns and dtypes of :data:`JOB_COLUMNS` (see the frame contract).

    ``records``: job dicts of either API shape, wrapped responses (``{"job": …}``/``{"jobs": […]}``), or a
    path to a ``.json``/``.jsonl`` file (``.gz`` too), or a DataFrame (a jobs frame, the report's ``jobs.csv``
    read by ``pd.read_csv``, ``pd.DataFrame(records)``): its columns are re-typed and the derived ones
    (``job_type``, ``duration_s``, ``age_s``) recomputed. ``observed_at`` (when the records were read; default
    now), ``region`` and ``project_id`` apply to records that do not carry those keys themselves.
    ``errors``: ``"warn"`` turns unusable values into NA and reports all of them in one
    :class:`DataQualityWarning`; ``"raise"`` raises :class:`RecordError` at the first; ``"ignore"`` is silent.
    No mode ever drops a record silently: a job listed more than once keeps one row (finished over Running,
    then the latest ``observed_at``, then the later record), and the rows merged are counted
    (``"duplicate job_id"``). ``df.attrs["quality"]`` holds the warning's counts. Text longer than
    ``max_chars`` characters is truncated (counted); times outside 1970–2100 are NaT (counted).
    ``per_record=True`` keeps one row per record instead, in input order (the archive pairs each row with
    its record's raw JSON and merges jobs by its own rule).
    A time without a UTC offset is read in the ``utc_offset`` of its record (minutes east of UTC), else in
    ``assume_tz`` (an IANA name, ``"+08:00"``, ``"UTC"``); with neither it is refused (``NaiveTimeError``).
    """
    if errors not in ("warn", "raise", "ignore"):
        raise ValueError(f"errors must be 'warn', 'raise' or 'ignore', not {errors!r}")
    default_observed = observed_at_argument(observed_at)
    tz = None if assume_tz is None else resolve_tz(assume_tz)
    framed = isinstance(records, pd.DataFrame)
    parts = [frame_part(records)] if isinstance(records, pd.DataFrame) else read_parts(records)
    fields, problems = extract(parts, errors, max_chars=max_chars, years=YEARS)
    if framed:  # records in memory and files count these on the way in
        problems.add(
            "missing id", "id", np.flatnonzero(fields["id"].is_null().to_numpy(zero_copy_only=False))
        )
    minutes, known, bad = offset_minutes(fields["utc_offset"])
    problems.add("unparseable", "utc_offset", np.flatnonzero(bad), fields.pop("utc_offset"))
    try:
        times = time_columns(
            {"created": fields.pop("created_at"), "ended": fields.pop("ended_at")},
            problems,
            Zone(minutes, known, tz),
        )
    except (NaiveTimeError, AmbiguousDateError) as exc:
        if isinstance(records, (str, os.PathLike)):
            raise type(exc)(f"{records}: {exc}") from None
        raise
    created, ended = times["created"], times["ended"]

    names = _categorical(fields.pop("name"), "name", problems, required=True)
    status = _categorical(fields.pop("status"), "status", problems, required=True)
    running = _code_mask(status, [_RUNNING])
    terminal = _code_mask(status, TERMINAL_STATUSES)

    problems.add("missing", "created", np.flatnonzero(created.missing))
    problems.add("missing", "ended", np.flatnonzero(terminal & ended.missing))

    created_us = created.utc.view(np.int64)
    # The API fills `ended` even while a job runs (ShowJobDetail's own example): it means nothing there.
    ended_us = np.where(running, NAT, ended.utc.view(np.int64))
    duration = _seconds_between(ended_us, created_us, terminal)
    negative = np.flatnonzero(duration < 0)
    duration[negative] = np.nan
    problems.add("ended < created", "ended", negative)

    observed_us = observed_at_column(fields.pop("observed_at"), default_observed, problems)
    frame = pd.DataFrame(
        {
            "job_id": pd.arrays.ArrowStringArray(null_blanks(fields["id"])),
            "job_name": names,
            "job_type": _job_types(names),
            "status": status,
            "created": _utc_array(created_us),
            "ended": _utc_array(ended_us),
            # The record's own utc_offset when it has one (a saved frame: times in UTC, offset beside), else
            # the offset the `created` string was written in.
            "utc_offset": pd.arrays.IntegerArray(
                np.where(known, minutes, created.offset_minutes).astype(np.int16), created_us == NAT
            ),
            "duration_s": duration,
            "age_s": _seconds_between(observed_us, created_us, running),
            "progress": _progress(fields["progress"], problems),
            "fail_reason": pd.arrays.ArrowStringArray(null_blanks(fields["fail_reason"], strip=True)),
            "instance_id": _categorical(fields["instance_id"], "instance_id", problems),
            "instance_name": _categorical(fields["instance_name"], "instance_name", problems),
            "region": _annotation(fields["region"], region, "region", problems),
            "project_id": _annotation(fields["project_id"], project_id, "project_id", problems),
            "observed_at": _utc_array(observed_us),
        },
        copy=False,
    )
    frame, dropped = (frame, np.empty(0, dtype=np.int64)) if per_record else one_row_per_job(frame)
    if dropped.size:
        problems.add("duplicate", "job_id", dropped)
        frame = frame.reset_index(drop=True)
    frame.attrs["quality"] = problems.counts
    problems.emit()
    return frame


def empty_jobs_frame() -> pd.DataFrame:
    """A frame with no rows and exactly the columns and dtypes of :func:`jobs_frame`."""
    return jobs_frame([], observed_at=datetime(1970, 1, 1, tzinfo=timezone.utc), errors="raise")


def require_columns(df: object, columns: Iterable[str], *, func: str) -> None:
    """Raise a ``ValueError`` naming ``func`` and every missing column, so wrong input fails early."""
    if not isinstance(df, pd.DataFrame):
        raise TypeError(
            f"{func}() needs a pandas DataFrame of jobs (see jobs_frame), not {type(df).__name__}"
        )
    missing = [column for column in columns if column not in df.columns]
    if missing:
        raise ValueError(
            f"{func}() needs column{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}, "
            f"missing from the frame given (has: {', '.join(map(str, df.columns)) or 'no columns'}); "
            "build it with jobs_frame(records)"
        )


# --------------------------------------------------------------------------------------------- columns


def _progress(strings: pa.Array, problems: Problems) -> np.ndarray:
    """``"37%"``, ``"37"`` or 37 → 0.37; ``""``/None → NaN; other values or outside 0–100 %: NaN, counted."""
    codes, uniques = dictionary(strings)
    parsed = np.full(len(uniques) + 1, np.nan)  # last slot: code −1 (null)
    junk = []
    for i, unique in enumerate(uniques):
        fraction = _percent(unique)
        if fraction is not None:
            parsed[i] = fraction
        elif unique.strip():
            junk.append(i)
    if junk:
        problems.add("unparseable", "progress", np.flatnonzero(np.isin(codes, junk)), strings)
    return parsed[codes]


def _percent(text: str) -> float | None:
    try:
        number = float(text.strip().removesuffix("%"))
    except ValueError:
        return None
    return number / 100 if 0 <= number <= 100 else None


def _annotation(strings: pa.Array, default: str | None, field: str, problems: Problems) -> pd.Categorical:
    """``region``/``project_id``: the record's own key when present, else the call's argument."""
    codes, uniques = categories(strings, strip=True, default=default)
    return pd.Categorical.from_codes(codes, categories=_categories(uniques))


def _categorical(
    strings: pa.Array, field: str, problems: Problems, *, required: bool = False
) -> pd.Categorical:
    """Repeating strings (or their codes) as a categorical; ``""`` → NA, counted as missing when
    ``required``."""
    codes, uniques = categories(strings)
    if required:
        problems.add("missing", field, np.flatnonzero(codes == -1))
    return pd.Categorical.from_codes(codes, categories=_categories(uniques))


def _categories(names: list[str]) -> pd.Index:
    """String categories with the same dtype whether empty or not (``str`` in pandas 3, object in 2.2)."""
    return pd.Index(names, dtype=str)


def _job_types(names: pd.Categorical) -> pd.Categorical:
    """``canonical_job_type`` per category, merging spellings (``Create_MongoDB`` → ``CreateMongoDB``)."""
    mapped = [canonical_job_type(name) for name in names.categories]
    uniques = list(dict.fromkeys(mapped))
    position = {name: i for i, name in enumerate(uniques)}
    table = np.array([position[name] for name in mapped] + [-1], dtype=np.int64)
    return pd.Categorical.from_codes(table[names.codes], categories=_categories(uniques))


def _code_mask(column: pd.Categorical, wanted: Iterable[str]) -> np.ndarray:
    wanted = set(wanted)
    codes = [i for i, name in enumerate(column.categories) if name in wanted]
    return np.isin(column.codes, codes)


def _utc_array(micros: np.ndarray) -> pd.arrays.DatetimeArray:
    return pd.array(micros.view("datetime64[us]"), dtype=pd.DatetimeTZDtype(unit="us", tz="UTC"))


def _seconds_between(later: np.ndarray, earlier: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``later − earlier`` in seconds where ``rows`` and both are set; NaN elsewhere."""
    valid = rows & (later != NAT) & (earlier != NAT)
    out = np.full(len(later), np.nan)
    out[valid] = (later[valid] - earlier[valid]) / 1e6
    return out
