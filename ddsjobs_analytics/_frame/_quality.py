"""Data-quality counting for ``jobs_frame``: every unusable value is counted, named, and never drops a row.

One :class:`DataQualityWarning` per call sums the problems up (``errors="warn"``); ``errors="raise"`` raises
:class:`RecordError` at the first one, naming the job (or the file and line) and the field.
"""

from __future__ import annotations

import bisect
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

import pyarrow as pa

__all__ = ["DataQualityWarning", "ErrorMode", "RecordError"]

ErrorMode = Literal["warn", "raise", "ignore"]
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


@dataclass
class _Problem:
    count: int = 0
    examples: list[str] = field(default_factory=list)


# Problems other than unparseable values, as their counts key and their text in the warning
# (one row, several rows); ``{field}`` is the frame's column name.
_KIND_KEY: dict[str, str] = {
    "missing": "missing {field}",
    "out of range": "{field} out of range",
    "truncated": "{field} truncated",
    "invalid unicode": "{field} invalid unicode",
    "duplicate": "duplicate {field}",
    "not in zone": "{field} not in assume_tz",
}
_KIND_TEXT: dict[str, tuple[str, str]] = {
    "not a record": ("record is not a job object", "records are not job objects"),
    "bad line": ("line could not be read", "lines could not be read"),
    "missing id": ("record lacks an id", "records lack an id"),
    "missing": ("job lacks {field}", "jobs lack {field}"),
    "ended < created": ("job has ended < created", "jobs have ended < created"),
    "out of range": ("{field} outside {years} (set to NaT)", "{field}s outside {years} (set to NaT)"),
    "truncated": (
        "{field} longer than {cap} characters, truncated",
        "{field}s longer than {cap} characters, truncated",
    ),
    "invalid unicode": (
        "{field} with a lone surrogate, replaced by U+FFFD",
        "{field}s with lone surrogates, replaced by U+FFFD",
    ),
    "not in zone": (
        "naive {field} skipped or repeated by a daylight-saving change of assume_tz (set to NaT)",
        "naive {field}s skipped or repeated by a daylight-saving change of assume_tz (set to NaT)",
    ),
    "duplicate": (
        "record repeats a job id (one row kept per job: finished over Running, then the latest observed)",
        "records repeat job ids (one row kept per job: finished over Running, then the latest observed)",
    ),
}
# Problems resolved by a documented rule rather than by NA: counted, never raised, never "kept as NA".
_RESOLVED = ("truncated", "invalid unicode", "duplicate")

RowValues: TypeAlias = "Sequence[object] | Mapping[int, object] | pa.Array"


class Labels:
    """Names row ``i`` of a call in messages: its job id, else its file and line, else its position."""

    def __init__(self, job_id: Callable[[int], object], where: Callable[[int], str | None] | None = None):
        self._job_id = job_id
        self._where = where

    def job_id(self, row: int) -> str | None:
        value = self._job_id(row)
        return value if isinstance(value, str) and value else None

    def __call__(self, row: int) -> str:
        job_id = self.job_id(row)
        if job_id:
            return f"job {printable(job_id)}"
        where = self._where(row) if self._where else None
        return where or f"record #{row}"


def record_labels(
    parts: Sequence[tuple[int, Callable[[int], object], Callable[[int], str | None]]],
) -> Labels:
    """Labels over consecutive parts, each ``(first row, job id of a local row, where of a local row)``;
    ``parts`` may grow after the call (parts read lazily)."""

    def find(row: int) -> tuple[int, int]:
        starts = [start for start, _, _ in parts]
        index = max(bisect.bisect_right(starts, row) - 1, 0)
        return index, row - starts[index]

    def job_id(row: int) -> object:
        if not parts:
            return None
        index, local = find(row)
        return parts[index][1](local)

    def where(row: int) -> str | None:
        if not parts:
            return None
        index, local = find(row)
        return parts[index][2](local)

    return Labels(job_id, where)


def printable(text: str) -> str:
    """``text`` safe to print: a lone surrogate would make writing a warning or an error fail."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


class Problems:
    """Collects every problem of one ``jobs_frame`` call; raises at the first in ``errors="raise"`` mode.

    ``add`` takes rows of the whole call, or of the part being read inside :meth:`rows_from`.
    """

    def __init__(self, errors: ErrorMode, label: Labels, **context: object) -> None:
        self.errors = errors
        self.label = label
        self.context = context  # values the warning text refers to: ``cap``, ``years``
        self.offset = 0
        # Rows already reported, as junk or as an unusable value, are not reported again as missing a field.
        self.not_records: set[int] = set()
        self.bad_rows: dict[str, set[int]] = {}
        self.unparseable: dict[str, _Problem] = {}
        self.other: dict[str, tuple[str, str, _Problem]] = {}  # counts key → (kind, field, problem)
        self.notes: dict[str, int] = {}  # counts key → count, not warned about

    @contextmanager
    def rows_from(self, offset: int) -> Iterator[None]:
        """Rows passed to ``add`` inside are counted from ``offset`` (one part of a file)."""
        self.offset = offset
        try:
            yield
        finally:
            self.offset = 0

    def add(self, kind: str, field: str, rows: Iterable[int], values: RowValues | None = None) -> None:
        """Note ``rows`` with a problem: ``kind`` is ``"unparseable"`` or a ``_KIND_TEXT`` key."""
        local = [int(row) for row in rows]
        rows = [row + self.offset for row in local]
        if kind == "missing":
            seen = self.not_records | self.bad_rows.get(field, set())
            keep = [i for i, row in enumerate(rows) if row not in seen]
            rows, local = [rows[i] for i in keep], [local[i] for i in keep]
        elif kind in ("not a record", "bad line"):
            self.not_records.update(rows)
        elif kind in ("unparseable", "out of range"):
            self.bad_rows.setdefault(field, set()).update(rows)
        if not rows:
            return
        if self.errors == "raise" and kind != "duplicate":
            self._raise(kind, field, rows[0], None if values is None else _value_at(values, local[0]))
        if kind == "unparseable":
            problem = self.unparseable.setdefault(field, _Problem())
        else:
            key = _KIND_KEY.get(kind, kind).format(field=field)
            problem = self.other.setdefault(key, (kind, field, _Problem()))[2]
        problem.count += len(rows)
        room = _EXAMPLES - len(problem.examples)
        problem.examples.extend(self.label(row) for row in rows[:room])

    def _raise(self, kind: str, field: str, row: int, value: object) -> None:
        what = {
            "unparseable": f"field {field!r} has an unusable value {short_repr(value)}",
            "missing": f"field {field!r} is missing",
            "not a record": f"is not a job object: {short_repr(value)}",
            "bad line": f"{getattr(value, 'reason', 'unreadable')}",
            "missing id": "has no 'id'",
            "out of range": f"field {field!r} has a time outside {self.context.get('years')}: "
            f"{short_repr(value)}",
            "not in zone": f"field {field!r} has a naive time that a daylight-saving change of assume_tz "
            f"skips or repeats: {short_repr(value)}",
            "truncated": f"field {field!r} is longer than {self._cap(field)} characters",
            "invalid unicode": f"field {field!r} has a lone surrogate (not valid Unicode): "
            f"{short_repr(value)}",
        }.get(kind, kind)
        label = self.label(row)
        raise RecordError(f"{label}: {what}", job_id=self.label.job_id(row), position=row, field=field)

    def _cap(self, field: str) -> object:
        caps = self.context.get("caps") or {}
        return caps.get(field, self.context.get("cap")) if isinstance(caps, dict) else self.context.get("cap")

    def note(self, key: str, count: int) -> None:
        """Count ``count`` of something harmless that has no row (the blank lines of a file): in
        :attr:`counts` (``df.attrs["quality"]``), never raised and never warned about."""
        self.notes[key] = self.notes.get(key, 0) + count

    @property
    def counts(self) -> dict[str, int]:
        counts = {key: problem.count for key, problem in self.unparseable.items()}
        counts.update({key: problem.count for key, (_, _, problem) in self.other.items()})
        counts.update(self.notes)
        return counts

    def message(self) -> str:
        parts = []
        kept_as_na = bool(self.unparseable)
        if self.unparseable:
            total = sum(p.count for p in self.unparseable.values())
            fields = ", ".join(
                f"{name} ×{p.count} ({', '.join(p.examples)})" for name, p in self.unparseable.items()
            )
            parts.append(f"{total} {'value' if total == 1 else 'values'} could not be parsed: {fields}")
        for kind, field_name, p in self.other.values():
            one, many = _KIND_TEXT[kind]
            context = {**self.context, "cap": self._cap(field_name)}
            text = (one if p.count == 1 else many).format(field=field_name, **context)
            parts.append(f"{p.count} {text}" + (f" ({', '.join(p.examples)})" if p.examples else ""))
            kept_as_na |= kind not in _RESOLVED
        return "; ".join(parts) + ("; kept as NA" if kept_as_na else "")

    def emit(self) -> None:
        if self.errors == "warn" and (self.unparseable or self.other):
            counts = {key: count for key, count in self.counts.items() if key not in self.notes}
            warnings.warn(DataQualityWarning(self.message(), counts), stacklevel=3)


def short_repr(value: object, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters (a 10 MB string is not repr'd whole)."""
    if isinstance(value, str) and len(value) > limit:
        value = value[:limit]
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _value_at(values: RowValues, row: int) -> object:
    value = values[row]
    return value.as_py() if isinstance(value, pa.Scalar) else value
