"""Reading ``jobs_frame``'s input: records in memory, or ``.json``/``.jsonl`` files (``.gz`` too).

A ``.jsonl`` file goes through Arrow's JSON reader with an all-string schema: one C++ pass, no Python
object per value. Lines Arrow rejects (not JSON, not UTF-8, a number where text belongs, a wrapped
response) are found by bisection and read one by one in Python, so one bad line is counted and never costs
the file. A file that cannot be read at all (bad or truncated gzip, a ``.json`` document that is not JSON
or not UTF-8) raises an error naming it, and the line where that is known.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from ._ahead import read_ahead
from ._document import document_parts
from ._extract import RECORD_SCHEMA, Part, Unreadable, unwrap
from ._stream import MAX_LINE_BYTES, blocks, open_binary, reading

__all__ = ["RecordsInput", "as_record_list", "read_parts"]

RecordsInput = Iterable[Any] | Mapping[str, Any] | str | os.PathLike[str]

_PARSE = pj.ParseOptions(explicit_schema=RECORD_SCHEMA, unexpected_field_behavior="ignore")
# Threads (benchmarks/README.md, "Reading speed, round 2"): each 16 MiB batch is parsed as two Arrow blocks on
# Arrow's threads, while the batch before is turned into fields on this thread (``READ_AHEAD``). Since the
# repeating fields are dictionary codes per batch (``_codes``), that peaks at 6.9x the frame (300k
# outside-shaped jobs; one thread: 5.9x), under the 8x target, for the same CPU time within noise.
_READ = pj.ReadOptions(use_threads=False, block_size=16 << 20)  # ranges of lines while bisecting
# The next batch is read and parsed on a second thread while this one is turned into fields (``_ahead``).
READ_AHEAD = True
_PER_LINE = 16  # ranges of at most this many lines are read line by line in Python once Arrow rejects them
_BLANK_FIRST = np.array([ord(c) for c in " \t\r\f\v"], dtype=np.uint8)


def read_parts(records: RecordsInput) -> Iterable[Part]:
    """``records`` as parts for :func:`~._extract.extract`: a ``.jsonl`` file lazily, block by block (so
    only one block's raw text is held at a time), anything else as given."""
    if isinstance(records, (str, os.PathLike)):
        path = Path(records)
        if _kind(path) == ".json":
            return document_parts(path)
        return read_ahead(_read_lines(path)) if READ_AHEAD else _read_lines(path)
    return [Part(items=as_record_list(records))]


def as_record_list(records: RecordsInput) -> list[object]:
    """``records`` as a list of Python values (files: every job record, unwrapped, bad lines as
    :class:`~._extract.Unreadable`); in-memory lists are returned as they are."""
    if isinstance(records, (str, os.PathLike)):
        path = Path(records)
        if _kind(path) == ".json":
            return [item for part in document_parts(path) for item in part.items or ()]
        data = _read_bytes(path)
        items: list[object] = []
        for number, line in enumerate(data.split(b"\n"), start=1):
            if line.strip():
                items.extend(_python_line(line, f"{path}:{number}"))
        return items
    if isinstance(records, Mapping):
        return unwrap([records])
    if isinstance(records, (bytes, pd.DataFrame)):
        raise TypeError(f"jobs_frame() takes job records or a file path, not {type(records).__name__}")
    return records if isinstance(records, list) else list(records)


def _kind(path: Path) -> str:
    kind = Path(path.stem).suffix if path.suffix == ".gz" else path.suffix
    if kind not in (".json", ".jsonl", ".ndjson"):
        raise ValueError(f"{path}: expected a .json or .jsonl file (optionally .gz), not {path.name!r}")
    return kind


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, decompressed; a damaged gzip stream raises a ``ValueError`` naming the file."""
    with reading(path), open_binary(path) as fh:
        return fh.read()


def _python_line(raw: bytes, where: str) -> list[object]:
    """One line's records (a response line holds several), or one :class:`Unreadable` saying why not."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return [Unreadable(where, f"not valid UTF-8 (byte {exc.start + 1} of the line)")]
    try:
        item = json.loads(text)
    except json.JSONDecodeError as exc:
        return [Unreadable(where, f"not JSON ({exc.msg})")]
    except RecursionError:
        return [Unreadable(where, "not JSON (nested too deeply)")]
    return unwrap([item])


def _arrow_table(source: Any, options: pj.ReadOptions = _READ) -> pa.Table | None:
    """All rows of ``source`` by Arrow's reader; None when it rejects a line or any text is not UTF-8."""
    try:
        table = pj.read_json(source, read_options=options, parse_options=_PARSE)
        table.validate(full=True)
    except pa.ArrowInvalid:
        return None
    return table


class _Known:
    """The record fields a file holds, learnt from its first batch, so later batches are parsed for those
    alone: each absent field in Arrow's explicit schema still costs a null column per batch (the
    ShowJobDetail spellings, ``instance``, ``observed_at``, ``utc_offset`` in a ListTasks file: 10-17 % of
    the parse). Other keys are inferred, not ignored, so a field absent from the first batch and present
    later is seen: that batch is read again with every field. The table always has every field."""

    def __init__(self) -> None:
        self.parse: pj.ParseOptions | None = None  # None: every field (the first batch, or no savings)
        self.names: set[str] = set()

    def read(self, data: bytes) -> pa.Table | None:
        # Two Arrow blocks per batch, parsed on Arrow's threads (see ``_READ``).
        options = pj.ReadOptions(use_threads=True, block_size=max(len(data) // 2 + 1, 1 << 20))
        table = None if self.parse is None else self._narrow(data, options)
        if table is None:
            table = _arrow_table(pa.BufferReader(data), options)
            if table is not None and self.parse is None:
                self._learn(table)
        return table

    def _learn(self, table: pa.Table) -> None:
        seen = {field.name for field in RECORD_SCHEMA if table.column(field.name).null_count < table.num_rows}
        if len(seen) < len(RECORD_SCHEMA):
            self._narrow_to(seen)

    def _narrow_to(self, names: set[str]) -> None:
        self.names = names
        schema = pa.schema([field for field in RECORD_SCHEMA if field.name in names])
        self.parse = pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="infer")

    def _narrow(self, data: bytes, options: pj.ReadOptions) -> pa.Table | None:
        """The batch parsed for the known fields; None when it must be read with every field (Arrow
        rejects it, or a record field not seen before holds a value)."""
        try:
            table = pj.read_json(pa.BufferReader(data), read_options=options, parse_options=self.parse)
        except pa.ArrowInvalid:
            return None
        columns = []
        for field in RECORD_SCHEMA:
            if field.name in self.names:
                columns.append(table.column(field.name))
            elif field.name in table.column_names and table.column(field.name).type != pa.null():
                self._narrow_to(self.names | {field.name})  # present after all: read from now on
                return None
            else:
                columns.append(pa.nulls(table.num_rows, field.type))
        table = pa.Table.from_arrays(columns, schema=RECORD_SCHEMA)
        try:
            table.validate(full=True)
        except pa.ArrowInvalid:
            return None
        return table


def _ids_present(table: pa.Table) -> np.ndarray:
    ids = table.column("id")
    present = pc.not_equal(ids, "").fill_null(False)
    return np.asarray(present.to_numpy(zero_copy_only=False), dtype=bool)


def _read_lines(path: Path) -> Iterator[Part]:
    """A ``.jsonl`` file block by block (``_stream``): each block through Arrow when it is clean (the usual
    case), else in line ranges; blank and over-long lines are counted, never held."""
    source = str(path)
    known = _Known()
    for block in blocks(path):
        if block.too_long:
            items: list[object] = [
                Unreadable(f"{source}:{n}", f"line longer than {MAX_LINE_BYTES >> 20} MiB, not read")
                for n in block.too_long
            ]
            yield Part(items=items, lines=list(block.too_long), source=source)
        if block.blank:
            yield Part(items=[], lines=[], source=source, blank=block.blank)
        if not block.data:
            continue
        table = known.read(block.data)
        if table is not None and table.num_rows == len(block.numbers) and _ids_present(table).all():
            yield Part(table=table, lines=block.numbers, source=source)
        else:
            yield from _Lines(block.data, source, np.asarray(block.numbers)).parts()


class _Lines:
    """The non-blank lines of a file, read in ranges through Arrow; bisects down to the lines it rejects."""

    def __init__(self, data: bytes, source: str, numbers: np.ndarray) -> None:
        self.data, self.source = data, source
        buf = np.frombuffer(data, dtype=np.uint8)
        newlines = np.flatnonzero(buf == ord("\n"))
        starts = np.concatenate(([0], newlines + 1))
        ends = np.concatenate((newlines, [len(data)]))
        lengths = ends - starts
        first = buf[np.minimum(starts, max(len(buf) - 1, 0))] if len(buf) else np.zeros(len(starts), np.uint8)
        maybe_blank = np.flatnonzero((lengths == 0) | np.isin(first, _BLANK_FIRST))
        blank = [i for i in maybe_blank.tolist() if not data[starts[i] : ends[i]].strip()]
        keep = np.ones(len(starts), dtype=bool)
        keep[blank] = False
        self.starts, self.ends = starts[keep], ends[keep]
        self.numbers = numbers[keep]  # the file's line number of each line kept
        self.out: list[Part] = []

    def parts(self) -> list[Part]:
        self._visit(0, len(self.starts))
        return self.out

    def _visit(self, lo: int, hi: int) -> None:
        if hi <= lo:
            return
        if hi - lo <= _PER_LINE:
            for line in range(lo, hi):
                self._python(line)
            return
        view = pa.py_buffer(memoryview(self.data)[self.starts[lo] : self.ends[hi - 1]])
        options = pj.ReadOptions(use_threads=False, block_size=max(len(view) + 1, 1 << 20))
        table = _arrow_table(pa.BufferReader(view), options)
        if table is None or table.num_rows != hi - lo:  # rejected, or a line holding two objects
            mid = (lo + hi) // 2
            self._visit(lo, mid)
            self._visit(mid, hi)
            return
        present = _ids_present(table)
        run_start = 0
        for row in [*np.flatnonzero(~present).tolist(), hi - lo]:
            if row > run_start:  # rows with an id: kept as Arrow read them
                lines = self.numbers[lo + run_start : lo + row]
                self.out.append(
                    Part(table=table.slice(run_start, row - run_start), lines=lines, source=self.source)
                )
            if row < hi - lo:  # no id: maybe a wrapped response, maybe junk; Python tells
                self._python(lo + row)
            run_start = row + 1

    def _python(self, line: int) -> None:
        raw = self.data[self.starts[line] : self.ends[line]]
        number = int(self.numbers[line])
        items = _python_line(raw, f"{self.source}:{number}")
        last = self.out[-1] if self.out else None
        if last is None or last.items is None:
            last = Part(items=[], lines=[], source=self.source)
            self.out.append(last)
        assert last.items is not None and isinstance(last.lines, list)
        last.items.extend(items)
        last.lines.extend([number] * len(items))
