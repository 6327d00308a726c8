"""Turn DDS task-center job records into one typed, compact DataFrame: the input of every analysis.

Both API shapes are accepted (ShowJobDetail v3: ``created``/``ended``/nested ``instance``; ListTasks v3.1:
``created_at``/``ended_at``/flat ``instance_id``), bare or wrapped in their responses, in memory or in
``.json``/``.jsonl`` files (optionally gzipped). Times in the documented ``yyyy-mm-ddThh:mm:ss+hhmm`` form are
parsed by vectorised byte arithmetic; anything else ISO-like (``Z``, ``+hh:mm``, fractional seconds) goes
through a per-value fallback. Bad values never drop a row: they become NA and are counted in one
:class:`DataQualityWarning` per call, or raise :class:`RecordError` with ``errors="raise"``.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from itertools import repeat
from pathlib import Path
from typing import Any, Literal, TypeAlias

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ._names import TERMINAL_STATUSES, canonical_job_type
from ._schema import JOB_COLUMNS

__all__ = [
    "JOB_COLUMNS",
    "DataQualityWarning",
    "RecordError",
    "empty_jobs_frame",
    "jobs_frame",
    "parse_times",
    "require_columns",
]


ErrorMode = Literal["warn", "raise", "ignore"]
RecordsInput = Iterable[Any] | Mapping[str, Any] | str | os.PathLike[str]

_NAT = np.iinfo(np.int64).min  # datetime64's NaT as an int64
_RUNNING = "Running"
_STRING_TYPE = pa.large_string()  # int64 offsets: never chunks, whatever the volume
_EXAMPLES = 3  # job ids named per problem in a warning


class DataQualityWarning(UserWarning):
    """Values that could not be used, counted per problem; ``counts`` maps problem key → number of rows."""

    def __init__(self, message: str, counts: Mapping[str, int]) -> None:
        super().__init__(message)
        self.counts: dict[str, int] = dict(counts)


class RecordError(ValueError):
    """A job record with an unusable value (``errors="raise"``); names the record, the field and the value."""

    def __init__(self, message: str, *, job_id: str | None, position: int | None, field: str) -> None:
        super().__init__(message)
        self.job_id = job_id
        self.position = position
        self.field = field


# --------------------------------------------------------------------------------------------- problems


@dataclass
class _Problem:
    count: int = 0
    examples: list[str] = field(default_factory=list)


# How the problems other than unparseable values read in the warning: (one row, several rows).
_KIND_TEXT: dict[str, tuple[str, str]] = {
    "not a record": ("record is not a job object", "records are not job objects"),
    "missing id": ("record lacks an id", "records lack an id"),
    "missing": ("job lacks {field}", "jobs lack {field}"),
    "ended < created": ("job has ended < created", "jobs have ended < created"),
}

RowValues: TypeAlias = "Sequence[object] | Mapping[int, object] | pa.Array"


class _Problems:
    """Collects every problem of one ``jobs_frame`` call; raises at the first in ``errors="raise"`` mode."""

    def __init__(self, errors: ErrorMode, records: Sequence[object]) -> None:
        self.errors = errors
        self.records = records  # row i is records[i]: looked up only to name a job in a message
        # Rows already reported, as junk or as an unusable value, are not reported again as missing a field.
        self.not_records: set[int] = set()
        self.bad_rows: dict[str, set[int]] = {}
        self.unparseable: dict[str, _Problem] = {}
        self.other: dict[str, tuple[str, _Problem]] = {}  # counts key → (text template key, problem)

    def _job_id(self, row: int) -> str | None:
        record = self.records[row] if row < len(self.records) else None
        job_id = record.get("id") if isinstance(record, Mapping) else None
        return job_id if isinstance(job_id, str) and job_id else None

    def label(self, row: int) -> str:
        job_id = self._job_id(row)
        return f"job {job_id}" if job_id else f"record #{row}"

    def add(self, kind: str, field: str, rows: Iterable[int], values: RowValues | None = None) -> None:
        """Note ``rows`` with a problem: ``kind`` is ``"unparseable"`` or a ``_KIND_TEXT`` key."""
        rows = [int(row) for row in rows]
        if kind == "missing":
            seen = self.not_records | self.bad_rows.get(field, set())
            rows = [row for row in rows if row not in seen]
        elif kind == "not a record":
            self.not_records.update(rows)
        elif kind == "unparseable":
            self.bad_rows.setdefault(field, set()).update(rows)
        if not rows:
            return
        if self.errors == "raise":
            self._raise(kind, field, rows[0], None if values is None else _value_at(values, rows[0]))
        if kind == "unparseable":
            problem = self.unparseable.setdefault(field, _Problem())
        else:
            key = f"missing {field}" if kind == "missing" else kind
            problem = self.other.setdefault(key, (kind, _Problem()))[1]
        problem.count += len(rows)
        room = _EXAMPLES - len(problem.examples)
        problem.examples.extend(self.label(row) for row in rows[:room])

    def _raise(self, kind: str, field: str, row: int, value: object) -> None:
        what = {
            "unparseable": f"field {field!r} has an unusable value {_short_repr(value)}",
            "missing": f"field {field!r} is missing",
            "not a record": f"is not a job object: {_short_repr(value)}",
            "missing id": "has no 'id'",
        }.get(kind, kind)
        raise RecordError(f"{self.label(row)}: {what}", job_id=self._job_id(row), position=row, field=field)

    @property
    def counts(self) -> dict[str, int]:
        counts = {key: problem.count for key, problem in self.unparseable.items()}
        counts.update({key: problem.count for key, (_, problem) in self.other.items()})
        return counts

    def message(self) -> str:
        parts = []
        if self.unparseable:
            total = sum(p.count for p in self.unparseable.values())
            fields = ", ".join(
                f"{name} ×{p.count} ({', '.join(p.examples)})" for name, p in self.unparseable.items()
            )
            parts.append(f"{total} {'value' if total == 1 else 'values'} could not be parsed: {fields}")
        for key, (kind, p) in self.other.items():
            one, many = _KIND_TEXT[kind]
            text = (one if p.count == 1 else many).format(field=key.removeprefix("missing "))
            parts.append(f"{p.count} {text} ({', '.join(p.examples)})")
        return "; ".join(parts) + "; kept as NA"

    def emit(self) -> None:
        if self.errors == "warn" and (self.unparseable or self.other):
            warnings.warn(DataQualityWarning(self.message(), self.counts), stacklevel=3)


def _short_repr(value: object, limit: int = 60) -> str:
    text = repr(value)
    if len(text) <= limit or isinstance(value, _Unreadable):  # that one names a file and line: keep it whole
        return text
    return text[: limit - 1] + "…"


# --------------------------------------------------------------------------------------------- loading


@dataclass(frozen=True)
class _Unreadable:
    """Stands in for a line of a ``.jsonl`` file that is not JSON, so it still gets a row and a count."""

    where: str
    reason: str

    def __repr__(self) -> str:
        return f"<{self.where}: {self.reason}>"


def _is_wrapped(item: object) -> bool:
    """``{"job": {...}}`` (ShowJobDetail) or ``{"jobs": [...]}`` (ListTasks) rather than a job itself."""
    return (
        isinstance(item, Mapping)
        and "id" not in item
        and (isinstance(item.get("job"), Mapping) or isinstance(item.get("jobs"), list))
    )


def _unwrap(items: Iterable[object]) -> list[object]:
    """Flatten wrapped responses into their job records, keeping everything else (even junk) in order."""
    out: list[object] = []
    for item in items:
        if _is_wrapped(item):
            assert isinstance(item, Mapping)
            if isinstance(item.get("job"), Mapping):
                out.append(item["job"])
            else:
                out.extend(item["jobs"])
        else:
            out.append(item)
    return out


def _open_text(path: Path) -> Any:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return path.open(encoding="utf-8")


def _read_file(path: Path) -> list[object]:
    """Records of a ``.json`` (list or response) or ``.jsonl`` (record or response per line) file, or .gz."""
    kind = Path(path.stem).suffix if path.suffix == ".gz" else path.suffix
    if kind not in (".json", ".jsonl", ".ndjson"):
        raise ValueError(f"{path}: expected a .json or .jsonl file (optionally .gz), not {path.name!r}")
    with _open_text(path) as fh:
        if kind == ".json":
            try:
                document = json.load(fh)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}: not valid JSON: {exc}") from exc
            return _unwrap(document if isinstance(document, list) else [document])
        items: list[object] = []
        for number, line in enumerate(fh, start=1):
            if line.strip():
                try:
                    items.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    items.append(_Unreadable(f"{path.name} line {number}", f"not JSON ({exc.msg})"))
        return _unwrap(items)


def _as_record_list(records: RecordsInput) -> list[object]:
    if isinstance(records, (str, os.PathLike)):
        return _read_file(Path(records))
    if isinstance(records, Mapping):
        return _unwrap([records])
    if isinstance(records, (bytes, pd.DataFrame)):
        raise TypeError(f"jobs_frame() takes job records or a file path, not {type(records).__name__}")
    return records if isinstance(records, list) else list(records)


def _normalise(items: list[object], problems_sink: list[tuple[str, int, object]]) -> list[Mapping[str, Any]]:
    """Unwrap responses and make every item a mapping (junk → ``{}``), noting junk and missing ids."""
    records: list[Mapping[str, Any]] = []
    for position, item in enumerate(_unwrap(items)):
        if isinstance(item, Mapping):
            if item.get("id") in (None, ""):
                problems_sink.append(("missing id", position, item))
            records.append(item)
        else:
            problems_sink.append(("not a record", position, item))
            records.append({})
    return records


# --------------------------------------------------------------------------------------------- extraction

_INSTANCE_TYPE = pa.struct([("id", _STRING_TYPE), ("name", _STRING_TYPE)])
# Every key jobs_frame reads, of either API shape or our own annotations, as one Arrow struct.
_RECORD_TYPE = pa.struct(
    [
        (key, _STRING_TYPE)
        for key in (
            "id",
            "name",
            "status",
            "progress",
            "fail_reason",
            "created_at",
            "created",
            "ended_at",
            "ended",
            "instance_id",
            "instance_name",
            "region",
            "project_id",
            "observed_at",
        )
    ]
    + [("instance", _INSTANCE_TYPE)]
)
Fields = dict[str, pa.Array]  # the string fields of all records, ListTasks names, shapes merged


def _arrow_fields(items: Sequence[object]) -> Fields | None:
    """Every field of every record in one C++ pass over the dicts; None if any value is not a string.

    With a million dicts scattered in memory, each Python-level pass costs a cache miss per record;
    Arrow's converter visits each dict once and leaves the strings in contiguous buffers.
    """
    try:
        records = pa.array(items, type=_RECORD_TYPE)
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        return None
    if records.null_count:  # None among the records: junk, left to the per-record path to report
        return None
    columns = dict(zip(_RECORD_TYPE.names, records.flatten(), strict=True))
    instance = dict(zip(_INSTANCE_TYPE.names, columns.pop("instance").flatten(), strict=True))
    return _merge_shapes(columns, instance)


def _merge_shapes(columns: Fields, instance: Fields) -> Fields:
    """ListTasks' field where present, else ShowJobDetail's (``created``, ``instance.id``, …)."""
    for key, alias in (("created_at", "created"), ("ended_at", "ended")):
        columns[key] = pc.coalesce(columns[key], columns.pop(alias))
    for key in ("id", "name"):
        columns[f"instance_{key}"] = pc.coalesce(columns[f"instance_{key}"], instance[key])
    return columns


def _python_fields(records: Sequence[Mapping[str, Any]], problems: _Problems) -> Fields:
    """Like :func:`_arrow_fields`, value by value: non-strings become null and are counted (numbers are
    accepted for ``progress``, aware datetimes for ``observed_at``)."""
    columns = {key: _column(records, key) for key in _RECORD_TYPE.names if key != "instance"}
    instances = _column(records, "instance")
    nested = [value if isinstance(value, Mapping) else {} for value in instances]
    problems.add(
        "unparseable", "instance", _rows(lambda v: not isinstance(v, Mapping | None), instances), instances
    )
    instance = {key: _column(nested, key) for key in _INSTANCE_TYPE.names}
    text = {
        key: _strings(values, _FRAME_FIELD.get(key, key), problems, _TEXT_OF.get(key, _no_text))
        for key, values in columns.items()
    }
    nested_text = {
        key: _strings(values, f"instance_{key}", problems, _no_text) for key, values in instance.items()
    }
    return _merge_shapes(text, nested_text)


# Problems are reported under the frame's column names, whichever API spelling the value came in.
_FRAME_FIELD = {"created_at": "created", "ended_at": "ended"}


def _rows(predicate: Callable[[object], bool], values: Sequence[object]) -> list[int]:
    return [row for row, value in enumerate(values) if predicate(value)]


def _column(records: Sequence[Mapping[str, Any]], key: str) -> list[Any]:
    """``[r.get(key) for r in records]``, through C-level iteration when the records allow it."""
    try:
        return list(map(dict.get, records, repeat(key)))  # type: ignore[arg-type]
    except TypeError:  # a Mapping that is not a dict
        return [r.get(key) for r in records]


def _no_text(value: object) -> str | None:
    return None


def _number_text(value: object) -> str | None:
    """``progress`` may come as a number: 37 means 37 %."""
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _datetime_text(value: object) -> str | None:
    """``observed_at`` may come as an aware datetime (naive ones are ambiguous)."""
    if isinstance(value, datetime) and value.utcoffset() is not None:
        return value.isoformat()
    return None


TextOf: TypeAlias = Callable[[object], "str | None"]
_TEXT_OF: dict[str, TextOf] = {"progress": _number_text, "observed_at": _datetime_text}


def _is_missing(value: object) -> bool:
    return value is None or value == "" or (isinstance(value, float) and value != value)


def _strings(values: list[Any], field: str, problems: _Problems, text_of: TextOf) -> pa.Array:
    """Values as an Arrow string array; ``text_of`` may turn a non-string into text, else it is counted."""
    try:
        return pa.array(values, type=_STRING_TYPE)
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        pass
    texts: list[str | None] = []
    bad = []
    for row, value in enumerate(values):
        if isinstance(value, str) or value is None:
            texts.append(value)
        else:
            texts.append(text_of(value))
            if texts[-1] is None and not _is_missing(value):
                bad.append(row)
    problems.add("unparseable", field, bad, values)
    return pa.array(texts, type=_STRING_TYPE)


def _null_blanks(strings: pa.Array, *, strip: bool = False) -> pa.Array:
    """``""`` (and, with ``strip``, whitespace-only strings) → null."""
    if len(strings) == 0:
        return strings
    blank = pc.equal(pc.utf8_trim_whitespace(strings) if strip else strings, "")
    if not pc.any(blank).as_py():
        return strings
    return pc.if_else(blank, pa.scalar(None, _STRING_TYPE), strings)


def _dictionary(strings: pa.Array) -> tuple[np.ndarray, list[str]]:
    """Codes (−1 for null) and the distinct strings."""
    encoded = strings.dictionary_encode()
    return encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False), encoded.dictionary.to_pylist()


def _categorical(
    strings: pa.Array, field: str, problems: _Problems, *, required: bool = False
) -> pd.Categorical:
    """Repeating strings as a categorical; ``""`` → NA, counted as missing when ``required``."""
    codes, uniques = _dictionary(_null_blanks(strings))
    if required:
        problems.add("missing", field, np.flatnonzero(codes == -1))
    return pd.Categorical.from_codes(codes, categories=_categories(uniques))


def _categories(names: list[str]) -> pd.Index:
    """String categories with the same dtype whether empty or not (``str`` in pandas 3, object in 2.2)."""
    return pd.Index(names, dtype=str)


def _value_at(values: RowValues, row: int) -> object:
    value = values[row]
    return value.as_py() if isinstance(value, pa.Scalar) else value


# --------------------------------------------------------------------------------------------- times


@dataclass
class ParsedTimes:
    """Result of :func:`parse_times`: UTC instants, the offsets as written, and which values were unusable."""

    utc: np.ndarray  # datetime64[us], NaT where missing or bad
    offset_minutes: np.ndarray  # int16 minutes east of UTC; 0 where utc is NaT
    missing: np.ndarray  # bool: value absent, None or ""
    bad: np.ndarray  # bool: value present but not an ISO time with a UTC offset


# Fast forms by length: 24 = documented "2026-11-02T10:00:00+0800", 25 = "+08:00", 20 = "Z".
_FAST_LENGTHS = (24, 25, 20)
_DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
_SLOW_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
    r"\s*(Z|z|[+-]\d{2}(?::?\d{2})?)"
)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_EPOCH_ORDINAL = _EPOCH.toordinal()


def parse_times(values: Sequence[object] | pa.Array) -> ParsedTimes:
    """Parse ISO-8601 times with a UTC offset to UTC microseconds, vectorised for the fixed-width forms.

    Times without an offset are rejected (``bad``): the task center always sends one, and guessing a zone
    would silently shift every duration computed against a correctly zoned time.
    """
    n = len(values)
    utc = np.full(n, _NAT, dtype=np.int64)
    offsets = np.zeros(n, dtype=np.int16)
    bad = np.zeros(n, dtype=bool)
    if isinstance(values, pa.Array):
        strings = values.cast(_STRING_TYPE)
    else:
        not_text = _rows(lambda v: not (isinstance(v, str) or _is_missing(v)), values)
        bad[not_text] = True
        strings = pa.array([v if isinstance(v, str) else None for v in values], type=_STRING_TYPE)
    ends = np.frombuffer(strings.buffers()[1], dtype=np.int64, count=n + 1, offset=strings.offset * 8)
    lengths = np.diff(ends)
    todo = lengths > 0  # null and "" have length 0
    missing = ~todo & ~bad
    data = strings.buffers()[2]
    for width in _FAST_LENGTHS:
        rows = np.flatnonzero(lengths == width)
        if rows.size == 0:
            continue
        if rows.size == n:  # all one width: the data buffer is already an (n, width) matrix
            matrix = np.frombuffer(data, dtype=np.uint8, count=n * width, offset=int(ends[0])).reshape(
                n, width
            )
        else:
            taken = strings.take(pa.array(rows))
            start = int(
                np.frombuffer(taken.buffers()[1], dtype=np.int64, count=1, offset=taken.offset * 8)[0]
            )
            matrix = np.frombuffer(
                taken.buffers()[2], dtype=np.uint8, count=rows.size * width, offset=start
            ).reshape(rows.size, width)
        ok, micros, minutes = _parse_fixed_width(matrix)
        good = rows[ok]
        utc[good] = micros[ok]
        offsets[good] = minutes[ok]
        todo[good] = False
    for row in np.flatnonzero(todo).tolist():
        text = strings[row].as_py().strip()
        parsed = _parse_one(text)
        if parsed is None:
            bad[row] = bool(text)
            missing[row] = not text
        else:
            utc[row], offsets[row] = parsed
    return ParsedTimes(utc.view("datetime64[us]"), offsets, missing, bad)


def _fixed_width_layout(width: int) -> tuple[list[int], list[int], bytes]:
    """Digit columns, separator columns and separator bytes of one fixed-width form (``_FAST_LENGTHS``)."""
    digits = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]
    separators, expected = [4, 7, 10, 13, 16], b"--T::"
    if width == 24:  # +hhmm
        digits += [20, 21, 22, 23]
    elif width == 25:  # +hh:mm
        digits += [20, 21, 23, 24]
        separators, expected = [*separators, 22], expected + b":"
    else:  # Z
        separators, expected = [*separators, 19], expected + b"Z"
    return digits, separators, expected


_LAYOUTS = {width: _fixed_width_layout(width) for width in _FAST_LENGTHS}


def _parse_fixed_width(b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate and convert an (n, width) byte matrix of one fixed-width time form.

    Returns (ok, UTC microseconds, offset minutes). Checks every separator, digit and range the way
    ``datetime.strptime(s, "%Y-%m-%dT%H:%M:%S%z")`` does, so rejected rows can go to the slow path.
    """
    digit_columns, separator_columns, separators = _LAYOUTS[b.shape[1]]
    digits = b[:, digit_columns] - np.uint8(48)  # bytes below '0' wrap around to > 9
    ok = (digits <= 9).all(axis=1)
    ok &= (b[:, separator_columns] == np.frombuffer(separators, dtype=np.uint8)).all(axis=1)
    # Two-digit groups: century, year in century, month, day, hour, minute, second[, tz hours, tz minutes].
    pairs = digits[:, 0::2].astype(np.int32) * 10 + digits[:, 1::2]
    year = pairs[:, 0] * 100 + pairs[:, 1]
    month, day, hour, minute, second = (pairs[:, i] for i in range(2, 7))
    if pairs.shape[1] == 9:
        sign = b[:, 19]
        ok &= (sign == ord("+")) | (sign == ord("-"))
        ok &= (pairs[:, 7] <= 23) & (pairs[:, 8] <= 59)
        tz_minutes = np.where(sign == ord("-"), -1, 1) * (pairs[:, 7] * 60 + pairs[:, 8])
    else:
        tz_minutes = np.zeros(len(b), dtype=np.int32)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_days = _DAYS_IN_MONTH[np.clip(month, 1, 12) - 1] + (leap & (month == 2))
    ok &= (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= month_days)
    ok &= (hour <= 23) & (minute <= 59) & (second <= 59)
    seconds = _days_from_civil(year, month, day).astype(np.int64) * 86400
    seconds += hour * 3600 + minute * 60 + second - tz_minutes * 60
    return ok, seconds * 1_000_000, tz_minutes.astype(np.int16)


def _days_from_civil(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm), for years ≥ 1."""
    y = year - (month <= 2)
    era = y // 400
    year_of_era = y - era * 400
    day_of_year = (153 * (month + np.where(month > 2, -3, 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


def _parse_one(text: str) -> tuple[int, int] | None:
    """(UTC microseconds, offset minutes) of one ISO time with an offset, or None; the slow path."""
    match = _SLOW_TIME.fullmatch(text.strip())
    if match is None:
        return None
    year, month, day, hour, minute = (int(match[i]) for i in range(1, 6))
    second = int(match[6] or 0)
    micros = int((match[7] or "")[:6].ljust(6, "0"))
    zone = match[8]
    tz_minutes = 0
    if zone not in ("Z", "z"):
        tz_hours, tz_mins = int(zone[1:3]), int(zone[-2:]) if len(zone) > 3 else 0
        if tz_hours > 23 or tz_mins > 59:
            return None
        tz_minutes = (-1 if zone[0] == "-" else 1) * (tz_hours * 60 + tz_mins)
    if hour > 23 or minute > 59 or second > 59:
        return None
    try:
        days = date(year, month, day).toordinal() - _EPOCH_ORDINAL
    except ValueError:
        return None
    seconds = days * 86400 + hour * 3600 + minute * 60 + second - tz_minutes * 60
    return seconds * 1_000_000 + micros, tz_minutes


def _instant_us(value: object) -> int | None:
    """One instant (ISO string with offset, aware datetime/Timestamp) as UTC microseconds, or None."""
    if isinstance(value, str):
        parsed = _parse_one(value)
        return None if parsed is None else parsed[0]
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            return None
        delta = value - _EPOCH  # a timedelta, or a pandas Timedelta for a Timestamp: same attributes
        return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
    return None


def _observed_at_argument(observed_at: object) -> int:
    """The call's ``observed_at`` (default: now) as UTC microseconds; naive or unparseable: an error."""
    if observed_at is None:
        observed_at = datetime.now(timezone.utc)
    micros = _instant_us(observed_at)
    if micros is None:
        raise ValueError(
            "observed_at must be a timezone-aware datetime or an ISO time with a UTC offset, "
            f"got {observed_at!r}"
        )
    return micros


# --------------------------------------------------------------------------------------------- columns


def _progress(strings: pa.Array, problems: _Problems) -> np.ndarray:
    """``"37%"``, ``"37"`` or 37 → 0.37; ``""``/None → NaN; other values or outside 0–100 %: NaN, counted."""
    codes, uniques = _dictionary(strings)
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


def _observed_at_column(strings: pa.Array, default_us: int, problems: _Problems) -> np.ndarray:
    """Per-record ``observed_at`` (few distinct values, parsed once each), else the call's value."""
    if strings.null_count == len(strings):
        return np.full(len(strings), default_us, dtype=np.int64)
    codes, uniques = _dictionary(_null_blanks(strings, strip=True))
    table = np.full(len(uniques) + 1, default_us, dtype=np.int64)  # last slot: code −1 (no value)
    junk = []
    for i, unique in enumerate(uniques):
        micros = _instant_us(unique)
        table[i] = _NAT if micros is None else micros
        if micros is None:
            junk.append(i)
    if junk:
        problems.add("unparseable", "observed_at", np.flatnonzero(np.isin(codes, junk)), strings)
    return table[codes]


def _annotation(strings: pa.Array, default: str | None, field: str, problems: _Problems) -> pd.Categorical:
    """``region``/``project_id``: the record's own key when present, else the call's argument."""
    strings = _null_blanks(strings, strip=True)
    if default is not None:
        strings = strings.fill_null(default)
    return _categorical(strings, field, problems)


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
    valid = rows & (later != _NAT) & (earlier != _NAT)
    out = np.full(len(later), np.nan)
    out[valid] = (later[valid] - earlier[valid]) / 1e6
    return out


# --------------------------------------------------------------------------------------------- public


def jobs_frame(
    records: RecordsInput,
    *,
    observed_at: datetime | str | None = None,
    region: str | None = None,
    project_id: str | None = None,
    errors: ErrorMode = "warn",
) -> pd.DataFrame:
    """One row per job record, with the columns and dtypes of :data:`JOB_COLUMNS` (see the frame contract).

    ``records``: job dicts of either API shape, wrapped responses (``{"job": …}``/``{"jobs": […]}``), or a
    path to a ``.json``/``.jsonl`` file (``.gz`` too). ``observed_at`` (when the records were read; default
    now), ``region`` and ``project_id`` apply to records that do not carry those keys themselves.
    ``errors``: ``"warn"`` turns unusable values into NA and reports all of them in one
    :class:`DataQualityWarning`; ``"raise"`` raises :class:`RecordError` at the first; ``"ignore"`` is silent.
    No mode ever drops a record.
    """
    if errors not in ("warn", "raise", "ignore"):
        raise ValueError(f"errors must be 'warn', 'raise' or 'ignore', not {errors!r}")
    default_observed = _observed_at_argument(observed_at)
    fields, problems = _extract(_as_record_list(records), errors)

    names = _categorical(fields["name"], "name", problems, required=True)
    status = _categorical(fields["status"], "status", problems, required=True)
    running = _code_mask(status, [_RUNNING])
    terminal = _code_mask(status, TERMINAL_STATUSES)

    created = parse_times(fields["created_at"])
    problems.add("unparseable", "created", np.flatnonzero(created.bad), fields["created_at"])
    problems.add("missing", "created", np.flatnonzero(created.missing))
    ended = parse_times(fields["ended_at"])
    problems.add("unparseable", "ended", np.flatnonzero(ended.bad), fields["ended_at"])
    problems.add("missing", "ended", np.flatnonzero(terminal & ended.missing))

    created_us = created.utc.view(np.int64)
    # The API fills `ended` even while a job runs (ShowJobDetail's own example): it means nothing there.
    ended_us = np.where(running, _NAT, ended.utc.view(np.int64))
    duration = _seconds_between(ended_us, created_us, terminal)
    negative = np.flatnonzero(duration < 0)
    duration[negative] = np.nan
    problems.add("ended < created", "ended", negative)

    observed_us = _observed_at_column(fields["observed_at"], default_observed, problems)
    frame = pd.DataFrame(
        {
            "job_id": pd.arrays.ArrowStringArray(_null_blanks(fields["id"])),
            "job_name": names,
            "job_type": _job_types(names),
            "status": status,
            "created": _utc_array(created_us),
            "ended": _utc_array(ended_us),
            "utc_offset": pd.arrays.IntegerArray(created.offset_minutes, created_us == _NAT),
            "duration_s": duration,
            "age_s": _seconds_between(observed_us, created_us, running),
            "progress": _progress(fields["progress"], problems),
            "fail_reason": pd.arrays.ArrowStringArray(_null_blanks(fields["fail_reason"], strip=True)),
            "instance_id": _categorical(fields["instance_id"], "instance_id", problems),
            "instance_name": _categorical(fields["instance_name"], "instance_name", problems),
            "region": _annotation(fields["region"], region, "region", problems),
            "project_id": _annotation(fields["project_id"], project_id, "project_id", problems),
            "observed_at": _utc_array(observed_us),
        },
        copy=False,
    )
    problems.emit()
    return frame


def _extract(items: list[object], errors: ErrorMode) -> tuple[Fields, _Problems]:
    """The string fields of every record, through Arrow when the records are clean (the usual case)."""
    fields = _arrow_fields(items)
    if fields is not None and _all_present(fields["id"]):
        return fields, _Problems(errors, items)
    record_problems: list[tuple[str, int, object]] = []
    records = _normalise(items, record_problems)
    problems = _Problems(errors, records)
    for kind, position, item in record_problems:
        problems.add(kind, "record" if kind == "not a record" else "id", [position], {position: item})
    fields = _arrow_fields(records)
    return (fields if fields is not None else _python_fields(records, problems)), problems


def _all_present(strings: pa.Array) -> bool:
    """No null and no ``""``: wrapped responses and records without an id fail this."""
    return strings.null_count == 0 and not (len(strings) and pc.any(pc.equal(strings, "")).as_py())


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
