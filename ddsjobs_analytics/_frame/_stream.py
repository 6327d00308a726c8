"""A ``.jsonl`` file (``.gz`` too) as blocks of whole, non-blank lines, read with bounded buffers.

Memory does not grow with what the file holds besides records: blank lines (a gzip of newlines decompresses
a thousandfold) are dropped block by block and only counted, and a line longer than :data:`MAX_LINE_BYTES`
is skipped as it streams past (counted as a bad line), never held whole. Each block is at most
:data:`BLOCK_BYTES` plus one line; the caller parses one block at a time and keeps only the (capped) fields.
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np

__all__ = [
    "BATCH_BYTES",
    "BLOCK_BYTES",
    "BOM",
    "LONG_LINE_BYTES",
    "MAX_LINE_BYTES",
    "Block",
    "blocks",
    "open_binary",
    "reading",
]

# Clean blocks are joined up to this size for one Arrow read. 16 MiB rather than 2: 1M outside-shaped jobs
# 3.6 s instead of 4.1-4.8 s, and no more memory at peak (benchmarks/README.md, "Reading speed").
BATCH_BYTES = 16 << 20
LONG_LINES_BATCH_BYTES = 2 << 20  # the batch of blocks whose lines are long on average
LONG_LINE_BYTES = 8 << 10  # job records are a few hundred bytes; 8 KiB on average is not records
BLOCK_BYTES = 1 << 20  # bytes read at a time; blank lines in it cost one vectorised scan, no object each
MAX_LINE_BYTES = 64 << 20  # a longer line is not a job record: skipped while streaming, counted
_WHITESPACE = b" \t\r\f\v"
_BLANK_START = np.zeros(256, dtype=bool)  # bytes a blank line can start with (an empty one: its newline)
_BLANK_START[list(_WHITESPACE + b"\n")] = True
_SHORT_LINE = 32  # bytes: a block whose lines are shorter on average takes the careful path
_LINE = re.compile(rb"^[ \t\r\f\v]*[^\s][^\n]*", re.MULTILINE)  # a line holding a non-space byte
BOM = b"\xef\xbb\xbf"


@dataclass
class Block:
    """Whole non-blank lines of a file joined by newlines (``data``), the line number of each
    (``numbers``), and what was left out before them: ``blank`` lines, ``too_long`` line numbers."""

    data: bytes
    numbers: Sequence[int] | np.ndarray
    blank: int = 0
    too_long: list[int] = field(default_factory=list)
    lines: int = 0  # lines of the file this block covers, kept and blank


def blocks(path: Path) -> Iterator[Block]:
    """The file's blocks, in order; a damaged gzip stream or a read error raises an error naming the file.

    Consecutive clean blocks (no blank or skipped line) are joined up to :data:`BATCH_BYTES`: one Arrow
    read of 16 MiB costs less than sixteen of 1 MiB, and a batch of 1 MB lines stays small
    (:data:`LONG_LINES_BATCH_BYTES`)."""
    with reading(path), open_binary(path) as fh:
        pending: list[Block] = []
        size, limit = 0, BATCH_BYTES
        for block in _blocks(fh):
            numbers = block.numbers
            clean = isinstance(numbers, range) and len(numbers) > 0 and not (block.blank or block.too_long)
            if pending and not (clean and pending[-1].numbers[-1] + 1 == numbers[0]):
                yield _joined(pending)
                pending, size, limit = [], 0, BATCH_BYTES
            if not clean:
                yield block
                continue
            pending.append(block)
            size += len(block.data)
            # Long lines (uncapped 1 MB reasons, say) are joined to a small batch only: what is held at
            # once grows with the batch, and for them one Arrow call per line costs nothing anyway.
            long_lines = len(block.data) > LONG_LINE_BYTES * len(numbers)
            limit = min(limit, LONG_LINES_BATCH_BYTES) if long_lines else limit
            if size >= limit:
                yield _joined(pending)
                pending, size, limit = [], 0, BATCH_BYTES
        if pending:
            yield _joined(pending)


@contextmanager
def reading(path: Path) -> Iterator[None]:
    """Errors while reading ``path`` as errors naming it: a damaged gzip stream is a ``ValueError``."""
    try:
        yield
    except (gzip.BadGzipFile, zlib.error) as exc:
        raise ValueError(f"{path}: not a valid gzip file ({exc})") from exc
    except EOFError as exc:
        raise ValueError(f"{path}: truncated gzip file ({exc})") from exc
    except OSError as exc:
        if exc.filename is None:  # a read error (EIO, …): name the file
            raise OSError(exc.errno, f"{path}: {exc.strerror or exc}") from exc
        raise


def _joined(blocks: list[Block]) -> Block:
    if len(blocks) == 1:
        return blocks[0]
    start, stop = blocks[0].numbers[0], blocks[-1].numbers[-1] + 1
    return Block(b"\n".join(block.data for block in blocks), range(start, stop))


def open_binary(path: Path) -> BinaryIO:
    """The file's bytes, through gzip for a ``.gz``."""
    if path.suffix == ".gz":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def _blocks(fh: BinaryIO) -> Iterator[Block]:
    carry = bytearray()  # the start of a line not yet ended
    skipping = False  # inside a line longer than MAX_LINE_BYTES: dropped up to its newline
    line = 1  # number of the first line in ``carry``
    too_long: list[int] = []
    first = True
    while True:
        chunk = fh.read(BLOCK_BYTES)
        eof = not chunk
        if first:
            chunk, first = chunk.removeprefix(BOM), False
        if skipping and not eof:
            newline = chunk.find(b"\n")
            if newline < 0:
                continue
            line, chunk, skipping = line + 1, chunk[newline + 1 :], False
        if eof:  # the last line has no newline
            if carry.strip():
                yield Block(bytes(carry), [line], too_long=too_long)
            elif carry or too_long:
                yield Block(b"", [], blank=1 if carry else 0, too_long=too_long)
            return
        end = chunk.rfind(b"\n")
        if end < 0:
            carry += chunk
            if len(carry) > MAX_LINE_BYTES:
                too_long.append(line)
                carry, skipping = bytearray(), True
            continue
        whole = b"".join((carry, memoryview(chunk)[:end]))  # one copy
        carry = bytearray(memoryview(chunk)[end + 1 :])
        block = _non_blank(whole, line)
        line += block.lines
        block.too_long, too_long = too_long, []
        yield block


def _scan(data: bytes) -> tuple[int, bool]:
    """The number of lines in ``data`` and whether any of them may be blank (empty, or starting with
    whitespace). One vectorised pass: a quarter of the time of ``bytes.count`` plus a regex search."""
    if not data:
        return 1, True
    buf = np.frombuffer(data, dtype=np.uint8)
    is_newline = buf == 10
    count = int(np.count_nonzero(is_newline))
    if count > len(buf) // _SHORT_LINE:  # short lines on average: no job records, maybe a newline bomb
        return count + 1, True  # (and no array of positions 8 bytes a newline)
    newlines = np.flatnonzero(is_newline)
    # The byte after each newline (a final newline: itself, so an empty last line counts as maybe blank).
    starts = np.minimum(newlines + 1, len(buf) - 1)
    return count + 1, bool(_BLANK_START[buf[0]]) or bool(_BLANK_START[buf[starts]].any())


def _non_blank(data: bytes, first_line: int) -> Block:
    """``data`` (whole lines, no final newline) without its blank lines; their number in ``blank``.

    Usually no line is blank (one vectorised scan, no copy). Otherwise the regex engine walks the block and
    only the kept lines become Python objects, so a block of a million newlines costs no memory."""
    lines, maybe_blank = _scan(data)
    if not maybe_blank:
        return Block(data, range(first_line, first_line + lines), lines=lines)
    if not data.strip():  # only blank lines (a newline bomb)
        return Block(b"", [], blank=lines, lines=lines)
    kept: list[bytes] = []
    numbers: list[int] = []
    line, position = first_line, 0
    for match in _LINE.finditer(data):
        line += data.count(b"\n", position, match.start())
        position = match.start()
        kept.append(match.group())
        numbers.append(line)
    return Block(b"\n".join(kept), np.array(numbers), blank=lines - len(kept), lines=lines)
