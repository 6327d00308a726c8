"""A ``.csv`` of jobs (``ddsjobs fetch``, the report's ``jobs.csv``) as text, read in bounded blocks.

The file is split into blocks of whole rows (``_csv_blocks``) and each is parsed by ``pd.read_csv`` after the
header, with the options of a whole-file read, so the frame is the same. Text longer than its cap is cut to
one character more as soon as a block is parsed: ``jobs_frame`` still sees it is too long (and counts and
warns exactly as for a whole-file read), while what is held stays bounded. Errors name the file and the
line of the whole file. What the block splitter cannot follow (a quote inside an unquoted field, rows
ending in a carriage return alone, pandas' implicit index) goes to pandas' own chunked reader instead.
"""

from __future__ import annotations

import io
import re
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from .._core._format import DEFUSED_STARTS
from . import DataQualityWarning, _csv_blocks
from ._csv_blocks import IrregularQuotes, Rows, csv_rows
from ._extract import MAX_REASON_CHARS, MAX_TEXT_CHARS

__all__ = ["TOO_LONG_KEY", "read_csv_text", "text_caps"]

TOO_LONG_KEY = "bad line"  # the counts key of the rows skipped as too long (as the .jsonl reader counts them)
# The leading quote write_csv adds to every text column's formula-like values and to text starting with a
# quote (exactly one comes off).
_FORMULA_DEFUSED = "^'[" + re.escape("".join(DEFUSED_STARTS)) + "]"
# Text, as a whole-file read always did: ``dtype=str``, ``""`` → NA, a byte-order mark dropped.
_TEXT: dict[str, Any] = {"dtype": str, "keep_default_na": False, "na_values": [""], "encoding": "utf-8-sig"}
_NUMBERED = re.compile(r"\b(line|row) (\d+)")
_FIRST_ROWS = 16  # rows of the first chunk pandas' chunked reader is asked for (they may be 1 MB each)
_BLANK_LINES = re.compile(rb"(?:[ \t\r]*\n)*")  # the lines pandas skips at the start of a block


class _ReadWhole(Exception):  # (by pandas, in chunks)
    """The file is read by pandas' chunked reader (:func:`_pandas_chunks`): the splitter cannot follow it,
    or it has no header (pandas' own error then)."""


_GROUP_BLOCKS = 64  # blocks of 1 MB rows (one row each) held as separate frames at most


def text_caps(name: object) -> int:
    """Characters kept of a text column's values: one more than ``jobs_frame``'s cap, so it still counts
    (and cuts) the values that are too long."""
    return (MAX_REASON_CHARS if name == "fail_reason" else MAX_TEXT_CHARS) + 1


def read_csv_text(
    path: Path,
    *,
    block_bytes: int | None = None,
    max_row_bytes: int | None = None,
    chunk_bytes: int | None = None,
) -> tuple[pd.DataFrame, int]:
    """The CSV as text columns (``dtype=str``, ``""`` → NA), formula defusing undone, long text capped;
    and the number of rows skipped for being longer than ``max_row_bytes`` (while streaming, never held),
    which one :class:`DataQualityWarning` names by line. Sizes default to ``_csv_blocks``' constants."""
    block_bytes = block_bytes or _csv_blocks.BLOCK_BYTES
    max_row_bytes = max_row_bytes or _csv_blocks.MAX_ROW_BYTES
    chunk_bytes = chunk_bytes or _csv_blocks.CHUNK_BYTES
    try:
        with open(path, "rb") as fh:
            frame, too_long = _blocks_frame(path, fh, block_bytes, max_row_bytes, chunk_bytes)
    except (_ReadWhole, IrregularQuotes):
        frame, too_long = _undefused(_pandas_chunks(path)), []
    if too_long:
        count = len(too_long)
        where = ", ".join(f"{path}:{line}" for line in too_long[:3])
        warnings.warn(
            DataQualityWarning(
                f"{path}: {count:,} line{'s' if count != 1 else ''} could not be read ({where}: "
                f"longer than {max_row_bytes >> 20 or max_row_bytes} "
                f"{'MiB' if max_row_bytes >> 20 else 'bytes'}, not read)",
                {TOO_LONG_KEY: count},
            ),
            stacklevel=3,
        )
    return frame, len(too_long)


def _read(source: Path | io.BytesIO) -> pd.DataFrame:
    """The CSV as text (:data:`_TEXT`)."""
    return pd.read_csv(source, **_TEXT)


def _pandas_chunks(path: Path) -> pd.DataFrame:
    """The file by pandas' own chunked reader, for what the block splitter cannot follow: the same frame
    and errors as one ``pd.read_csv``, text capped chunk by chunk. Chunks of :data:`_FIRST_ROWS` rows, then
    as many as make about ``BLOCK_BYTES`` at the rows' size so far (a single row is still held whole)."""
    frames = []
    try:
        with pd.read_csv(path, **_TEXT, chunksize=_FIRST_ROWS) as reader:
            rows, seen, size = _FIRST_ROWS, 0, 0
            while True:
                try:
                    chunk = reader.get_chunk(rows)
                except StopIteration:
                    break
                seen += len(chunk)
                size += int(chunk.memory_usage(deep=True, index=False).sum())
                frames.append(_capped(chunk, None))
                rows = int(min(max(_csv_blocks.BLOCK_BYTES * seen / max(size, 1), _FIRST_ROWS), 1 << 20))
        if not frames:  # no rows: the columns of the header (a file without rows is small)
            frames.append(_read(path))
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 text (byte {exc.start}); save the CSV as UTF-8") from None
    except pd.errors.ParserError as exc:
        raise ValueError(f"{path}: not a readable CSV ({str(exc).strip()})") from None
    return frames[0] if len(frames) == 1 else pd.concat(frames)


def _blocks_frame(
    path: Path, fh: io.BufferedReader, block_bytes: int, max_row_bytes: int, chunk_bytes: int
) -> tuple[pd.DataFrame, list[int]]:
    head = fh.read(chunk_bytes)
    if b"\r" in head and b"\n" not in head:
        raise _ReadWhole  # rows end in CR alone (old Mac): pandas splits them, the block splitter does not
    fh.seek(0)
    rows = csv_rows(fh, block_bytes=block_bytes, max_row_bytes=max_row_bytes, chunk_bytes=chunk_bytes)
    header = next(rows, None)
    if header is not None and header.too_long:
        raise ValueError(
            f"{path}: the header row (line {header.too_long[0]}) is longer than {max_row_bytes:,} bytes"
        )
    if header is None or not header.data.strip():
        raise _ReadWhole  # no columns: pandas' own error, as before
    frames: list[pd.DataFrame] = []
    groups: list[pd.DataFrame] = []  # every _GROUP_BLOCKS blocks joined: a frame per block costs ~45 KB
    too_long: list[int] = []
    first = True
    for block in rows:
        too_long.extend(block.too_long)
        if block.data:
            frames.append(_capped(_parsed(path, header, block, first=first), block.longest))
            first = False
            if len(frames) == _GROUP_BLOCKS:
                groups.append(pd.concat(frames, ignore_index=True))
                frames = []
    frames = groups + frames
    if not frames:
        frames.append(_parsed(path, header, Rows(b"", header.offset, header.line, 0, 0)))
    frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    return _undefused(frame), too_long


def _parsed(path: Path, header: Rows, block: Rows, *, first: bool = True) -> pd.DataFrame:
    """One block, parsed after the header; errors renumbered to the whole file's lines and bytes."""
    try:
        frame = _read(io.BytesIO(header.data + block.data))
    except UnicodeDecodeError as exc:
        at = _first_bad_byte(header) or _first_bad_byte(block) or exc.start
        raise ValueError(f"{path}: not UTF-8 text (byte {at}); save the CSV as UTF-8") from None
    except pd.errors.ParserError as exc:
        shift = block.line - 1 - header.lines

        def renumbered(match: re.Match[str]) -> str:
            return f"{match[1]} {int(match[2]) + shift}"

        message = _NUMBERED.sub(renumbered, str(exc).strip())
        raise ValueError(f"{path}: not a readable CSV ({message})") from None
    if not isinstance(frame.index, pd.RangeIndex):
        # The block's first row has more fields than the header: pandas takes the extra ones as the index.
        # In the first block so does a whole-file read (read it so); later, the whole-file read fails there.
        if first:
            raise _ReadWhole
        line = block.line + _BLANK_LINES.match(block.data).group().count(b"\n")  # type: ignore[union-attr]
        fields = len(frame.columns) + frame.index.nlevels
        raise ValueError(
            f"{path}: not a readable CSV (Error tokenizing data. C error: Expected {len(frame.columns)} "
            f"fields in line {line}, saw {fields})"
        )
    return frame


def _first_bad_byte(rows: Rows) -> int | None:
    try:
        rows.data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return rows.offset + exc.start
    return None


def _capped(frame: pd.DataFrame, longest: int | None) -> pd.DataFrame:
    """Text longer than :func:`text_caps` cut to it (``longest``: bytes of the longest row, when known: no
    value of a shorter row can be too long, so nothing is looked at)."""
    if longest is not None and longest <= MAX_REASON_CHARS + 1:
        return frame
    for name in frame.columns:
        cap = text_caps(name)
        values = frame[name]
        if (longest is not None and longest <= cap) or not _is_text(values):
            continue
        long = values.str.len().gt(cap).fillna(False).astype(bool)
        if long.any():
            frame[name] = values.mask(long, values.str.slice(0, cap))
    return frame


def _is_text(values: pd.Series) -> bool:
    return values.dtype == object or isinstance(values.dtype, pd.StringDtype)


def _undefused(text: pd.DataFrame) -> pd.DataFrame:
    """The quote that defused formula-like cells taken off, in every text column (the writer defuses them
    all: ``region``, ``project_id`` and ``job_id`` too, which must come back as they were)."""
    for name in text.columns:
        values = text[name]
        if _is_text(values):
            defused = values.str.match(_FORMULA_DEFUSED).eq(True)
            if defused.any():
                text[name] = values.mask(defused, values.str[1:])
    return text
