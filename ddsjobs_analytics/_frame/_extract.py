"""Job records → one Arrow string column per field, both API shapes merged, values bounded.

Input comes in parts: rows Arrow's JSON reader already read (a file's clean lines) or Python values
(records in memory, or the lines Arrow rejected). Clean records go through one C++ pass; anything else
goes value by value, where non-strings are counted, lone surrogates replaced and counted, and nothing is
dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import repeat
from typing import Any, TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ._codes import CHUNKED_FIELDS, CODED_FIELDS, STRING_TYPE, encode, join
from ._quality import ErrorMode, Problems, record_labels

__all__ = [
    "MAX_REASON_CHARS",
    "MAX_TEXT_CHARS",
    "RECORD_SCHEMA",
    "Fields",
    "Part",
    "Unreadable",
    "extract",
    "unwrap",
]

# Longest text kept per field: a 10 MB instance name is an accident or an attack, and every chart label,
# table cell and CSV row downstream would carry it. Longer values are truncated and counted.
MAX_TEXT_CHARS = 65_536
# A failure reason is one message (the longest in the bundled sample: 98 characters). Capped lower than other
# text because every reason is tokenised into templates and shown in tables: a file of 1 MB reasons would
# otherwise cost the analysis ~0.3 MB per failed job (benchmarks/bench_memory.py).
MAX_REASON_CHARS = 2_048

_INSTANCE_TYPE = pa.struct([("id", STRING_TYPE), ("name", STRING_TYPE)])
# Every key jobs_frame reads, of either API shape or our own annotations, as one Arrow struct.
_RECORD_TYPE = pa.struct(
    [
        (key, STRING_TYPE)
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
            "utc_offset",
        )
    ]
    + [("instance", _INSTANCE_TYPE)]
)
RECORD_SCHEMA = pa.schema(list(_RECORD_TYPE))
# The string fields of all records (ListTasks names, shapes merged); the time fields may stay in batches.
Fields = dict[str, pa.Array | pa.ChunkedArray]
# Problems are reported under the frame's column names, whichever API spelling the value came in.
FRAME_FIELD = {"created_at": "created", "ended_at": "ended"}


@dataclass(frozen=True)
class Unreadable:
    """Stands in for a line of a ``.jsonl`` file that is not JSON, so it still gets a row and a count."""

    where: str
    reason: str

    def __repr__(self) -> str:
        return f"<{self.where}: {self.reason}>"


@dataclass
class Part:
    """Consecutive rows of one call: ``table`` (clean rows from Arrow's reader, every id present) or
    ``items`` (Python values, already unwrapped when ``lines`` is set); ``lines`` numbers each row's line
    in ``source``."""

    table: pa.Table | None = None
    items: list[object] | None = None
    lines: Sequence[int] | np.ndarray | None = None
    source: str | None = None
    ids: pa.Array | None = None  # the table's ids, once the table itself is released
    blank: int = 0  # blank lines of the file left out before these rows (counted, no row)

    def __len__(self) -> int:
        if self.table is not None:
            return self.table.num_rows
        return len(self.ids) if self.ids is not None else len(self.items or ())

    def take_table(self) -> pa.Table:
        """The table, no longer held here: its columns can be freed one by one as they are copied."""
        table, self.table = self.table, None
        assert table is not None
        return table

    def job_id(self, row: int) -> object:
        if self.ids is not None:
            return self.ids[row].as_py()
        if self.table is not None:
            return self.table.column("id")[row].as_py()
        item = (self.items or [])[row]
        return item.get("id") if isinstance(item, Mapping) else None

    def where(self, row: int) -> str | None:
        return None if self.lines is None else f"{self.source}:{self.lines[row]}"


def _is_wrapped(item: object) -> bool:
    """``{"job": {...}}`` (ShowJobDetail) or ``{"jobs": [...]}`` (ListTasks) rather than a job itself."""
    return (
        isinstance(item, Mapping)
        and "id" not in item
        and (isinstance(item.get("job"), Mapping) or isinstance(item.get("jobs"), list))
    )


def unwrap(items: Sequence[object]) -> list[object]:
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


def extract(
    parts: Iterable[Part], errors: ErrorMode, *, max_chars: int = MAX_TEXT_CHARS, years: str = ""
) -> tuple[Fields, Problems]:
    """The string fields of every row of ``parts``, in order, and the problems noted on the way.

    ``parts`` is consumed lazily and each part's text is capped at ``max_chars`` as soon as it is read, so
    a file of 1 MB reasons never holds more than one block of them uncapped.
    """
    labelled: list[tuple[int, Callable[[int], object], Callable[[int], str | None]]] = []
    caps = {"fail_reason": min(max_chars, MAX_REASON_CHARS)} if max_chars > 0 else {}
    problems = Problems(
        errors,
        record_labels(labelled),
        cap=f"{max_chars:,}",
        caps={field: f"{cap:,}" for field, cap in caps.items()},
        years=years,
    )
    pieces = []
    start = blank = 0
    for part in parts:
        blank += part.blank
        if not len(part):
            continue
        labelled.append((start, part.job_id, part.where))
        with problems.rows_from(start):
            if part.table is not None:
                piece = _table_fields(part.take_table())
                part.ids = piece["id"]
            else:
                piece = _items_fields(part, problems)
                # Labels need only the ids: the records themselves (uncapped text) can go now.
                part.ids, part.items = piece["id"], None
            _truncate(piece, max_chars, problems, caps)
            for key in CODED_FIELDS & piece.keys():  # repeating text: codes from now on (``_codes``)
                piece[key] = encode(piece[key])
            # The block's raw text is garbage now: hand it back so RSS tracks the capped fields, not the file.
            pa.default_memory_pool().release_unused()
        pieces.append(piece)
        start += len(part)
    if blank:
        problems.note("blank lines", blank)
    if not pieces:
        empty = _items_fields(Part(items=[]), problems)
        pieces.append({key: encode(v) if key in CODED_FIELDS else v for key, v in empty.items()})
    if len(pieces) == 1:
        return pieces[0], problems
    # Field by field, each field's pieces let go as soon as it is joined: the peak is the pieces plus one
    # field, not twice everything.
    fields: Fields = {}
    for key in list(pieces[0]):
        fields[key] = join([piece.pop(key) for piece in pieces], chunked=key in CHUNKED_FIELDS)
        pa.default_memory_pool().release_unused()
    return fields, problems


def _table_fields(table: pa.Table) -> Fields:
    """The reader's columns as contiguous arrays, each column's chunks released as soon as it is copied."""
    columns: Fields = {}
    for name in table.column_names:
        columns[name] = table.column(name).combine_chunks()
        table = table.drop_columns([name])
    instance = dict(zip(_INSTANCE_TYPE.names, columns.pop("instance").flatten(), strict=True))
    return _merge_shapes(columns, instance)


def _items_fields(part: Part, problems: Problems) -> Fields:
    """Fields of Python records: one Arrow pass when they are clean dicts, else value by value."""
    items = part.items or []
    fields = _arrow_fields(items)
    if fields is not None and _all_present(fields["id"]):
        return fields
    if part.lines is None:  # lines of a file come unwrapped already
        items = part.items = unwrap(items)
    records: list[Mapping[str, Any]] = []
    for position, item in enumerate(items):
        if isinstance(item, Mapping):
            if item.get("id") in (None, ""):
                problems.add("missing id", "id", [position], {position: item})
            records.append(item)
        else:
            kind = "bad line" if isinstance(item, Unreadable) else "not a record"
            problems.add(kind, "record", [position], {position: item})
            records.append({})
    fields = _arrow_fields(records)
    return fields if fields is not None else _python_fields(records, problems)


def _arrow_fields(items: Sequence[object]) -> Fields | None:
    """Every field of every record in one C++ pass over the dicts; None if any value is not a string.

    With a million dicts scattered in memory, each Python-level pass costs a cache miss per record;
    Arrow's converter visits each dict once and leaves the strings in contiguous buffers.
    """
    try:
        records = pa.array(items, type=_RECORD_TYPE)
    except (pa.ArrowTypeError, pa.ArrowInvalid, UnicodeEncodeError):  # the last: a lone surrogate
        return None
    if records.null_count:  # None among the records: junk, left to the per-record path to report
        return None
    columns = dict(zip(_RECORD_TYPE.names, records.flatten(), strict=True))
    instance = dict(zip(_INSTANCE_TYPE.names, columns.pop("instance").flatten(), strict=True))
    return _merge_shapes(columns, instance)


def _merge_shapes(columns: Fields, instance: Fields) -> Fields:
    """ListTasks' field where present, else ShowJobDetail's (``created``, ``instance.id``, …)."""
    for key, alias in (("created_at", "created"), ("ended_at", "ended")):
        columns[key] = _coalesce(columns[key], columns.pop(alias))
    for key in ("id", "name"):
        columns[f"instance_{key}"] = _coalesce(columns[f"instance_{key}"], instance[key])
    return columns


def _coalesce(first: pa.Array, second: pa.Array) -> pa.Array:
    """``pc.coalesce`` without its copy when one side is all null (one API shape per file, usually)."""
    if second.null_count == len(second):
        return first
    if first.null_count == len(first):
        return second
    return pc.coalesce(first, second)


def _all_present(strings: pa.Array) -> bool:
    """No null and no ``""``: wrapped responses and records without an id fail this."""
    return strings.null_count == 0 and not (len(strings) and pc.any(pc.equal(strings, "")).as_py())


def _python_fields(records: Sequence[Mapping[str, Any]], problems: Problems) -> Fields:
    """Like :func:`_arrow_fields`, value by value: non-strings become null and are counted (numbers are
    accepted for ``progress``, aware datetimes for ``observed_at``)."""
    columns = {key: _column(records, key) for key in _RECORD_TYPE.names if key != "instance"}
    instances = _column(records, "instance")
    nested = [value if isinstance(value, Mapping) else {} for value in instances]
    bad_instance = [row for row, v in enumerate(instances) if not isinstance(v, Mapping | None)]
    problems.add("unparseable", "instance", bad_instance, instances)
    instance = {key: _column(nested, key) for key in _INSTANCE_TYPE.names}
    text = {
        key: _strings(values, FRAME_FIELD.get(key, key), problems, _TEXT_OF.get(key, _no_text))
        for key, values in columns.items()
    }
    nested_text = {
        key: _strings(values, f"instance_{key}", problems, _no_text) for key, values in instance.items()
    }
    return _merge_shapes(text, nested_text)


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
_TEXT_OF: dict[str, TextOf] = {
    "progress": _number_text,
    "observed_at": _datetime_text,
    "utc_offset": _number_text,
}
_SURROGATE = re.compile("[\ud800-\udfff]")


def _is_missing(value: object) -> bool:
    return value is None or value == "" or (isinstance(value, float) and value != value)


def _strings(values: list[Any], field: str, problems: Problems, text_of: TextOf) -> pa.Array:
    """Values as an Arrow string array; ``text_of`` may turn a non-string into text, else it is counted.

    A lone surrogate (``"\\ud800"``: valid in a Python str and in JSON escapes, not in UTF-8) becomes U+FFFD,
    counted: one such value must not fail the whole batch.
    """
    try:
        return pa.array(values, type=STRING_TYPE)
    except (pa.ArrowTypeError, pa.ArrowInvalid, UnicodeEncodeError):
        pass
    texts: list[str | None] = []
    bad, surrogates = [], []
    for row, value in enumerate(values):
        if isinstance(value, str) or value is None:
            text = value
        else:
            text = text_of(value)
            if text is None and not _is_missing(value):
                bad.append(row)
        if text is not None and not text.isascii() and _SURROGATE.search(text):
            surrogates.append(row)
            text = _SURROGATE.sub("\ufffd", text)
        texts.append(text)
    problems.add("unparseable", field, bad, values)
    problems.add("invalid unicode", field, surrogates, values)
    return pa.array(texts, type=STRING_TYPE)


def _truncate(fields: Fields, max_chars: int, problems: Problems, caps: dict[str, int]) -> None:
    """Cut every value longer than ``max_chars`` characters (``caps``: other limits per field), counted per
    field (bounded work downstream)."""
    for key, strings in fields.items():
        limit = caps.get(key, max_chars)
        if len(strings) == 0 or limit <= 0:
            continue
        strings = strings.cast(STRING_TYPE)
        offsets = np.frombuffer(
            strings.buffers()[1], dtype=np.int64, count=len(strings) + 1, offset=strings.offset * 8
        )
        if int(np.diff(offsets).max()) <= limit:  # bytes ≥ characters: nothing can be too long
            continue
        long = pc.greater(pc.utf8_length(strings), limit).fill_null(False)
        rows = np.flatnonzero(long.to_numpy(zero_copy_only=False))
        if rows.size:
            problems.add("truncated", FRAME_FIELD.get(key, key), rows)
            fields[key] = pc.if_else(long, pc.utf8_slice_codeunits(strings, 0, limit), strings)
