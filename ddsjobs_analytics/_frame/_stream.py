"""A ``.jsonl`` file (``.gz`` too) as blocks of whole, non-blank lines, read with bounded buffers.

Memory does not grow with what the file holds besides records: blank lines (a gzip of newlines decompresses
a thousandfold) are dropped block by block and only counted, and a line longer than :data:`MAX_LINE_BYTES`
is skipped as it streams past (counted as a bad line), never held whole. Each block is at most
:data:`BLOCK_BYTES` plus one line; the caller parses one block at a time and keeps only the (capped) fields.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np

__all__ = ["BATCH_BYTES", "BLOCK_BYTES", "MAX_LINE_BYTES", "Block", "blocks"]

BATCH_BYTES = 8 << 20  # clean blocks joined up to this size for one Arrow read
BLOCK_BYTES = 1 << 20  # bytes read at a time (a block of blank-heavy lines costs ~50 bytes per line)
MAX_LINE_BYTES = 64 << 20  # a longer line is not a job record: skipped while streaming, counted
_WHITESPACE = b" \t\r\f\v"
_IS_SPACE = np.zeros(256, dtype=bool)
_IS_SPACE[list(_WHITESPACE + b"\n")] = True
_BOM = b"\xef\xbb\xbf"


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
    read of 8 MiB costs less than eight of 1 MiB."""
    try:
        with _open(path) as fh:
            pending: list[Block] = []
            size = 0
            for block in _blocks(fh):
                numbers = block.numbers
                clean = (
                    isinstance(numbers, range) and len(numbers) > 0 and not (block.blank or block.too_long)
                )
                if pending and not (clean and pending[-1].numbers[-1] + 1 == numbers[0]):
                    yield _joined(pending)
                    pending, size = [], 0
                if not clean:
                    yield block
                    continue
                pending.append(block)
                size += len(block.data)
                if size >= BATCH_BYTES:
                    yield _joined(pending)
                    pending, size = [], 0
            if pending:
                yield _joined(pending)
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


def _open(path: Path) -> BinaryIO:
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
            chunk, first = chunk.removeprefix(_BOM), False
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
        whole = bytes(carry) + chunk[:end] if carry else chunk[:end]
        carry = bytearray(chunk[end + 1 :])
        block = _non_blank(whole, line)
        line += block.lines
        block.too_long, too_long = too_long, []
        yield block


def _non_blank(data: bytes, first_line: int) -> Block:
    """``data`` (whole lines, no final newline) without its blank lines; their number in ``blank``."""
    if not data:
        return Block(b"", [], blank=1, lines=1)
    buf = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(buf == 10)
    starts = np.concatenate(([0], newlines + 1))
    ends = np.concatenate((newlines, [len(data)]))
    lengths = ends - starts
    # Only an empty line or one starting with whitespace can be blank: usually there is none (no copy).
    maybe = (lengths == 0) | _IS_SPACE[buf[np.minimum(starts, len(data) - 1)]]
    if not maybe.any():
        return Block(data, range(first_line, first_line + len(starts)), lines=len(starts))
    rows = np.flatnonzero(maybe)
    # Non-space bytes per candidate line: prefix sums over the candidates' bytes only would need a gather;
    # reduceat over the whole block is one pass (the newline ending each line counts as space).
    solid = ~_IS_SPACE[buf]
    counts = np.add.reduceat(solid, np.minimum(starts, len(data) - 1), dtype=np.int64)
    blank = np.zeros(len(starts), dtype=bool)
    blank[rows] = (lengths[rows] == 0) | (counts[rows] == 0)
    if not blank.any():
        return Block(data, range(first_line, first_line + len(starts)), lines=len(starts))
    keep = np.flatnonzero(~blank)
    if keep.size == 0:
        return Block(b"", [], blank=int(blank.sum()), lines=len(starts))
    byte_keep = np.repeat(~blank, lengths + 1)[: len(data) + 1]
    kept = np.append(buf, np.uint8(10))[byte_keep].tobytes()[:-1]  # each kept line with its newline
    return Block(kept, keep + first_line, blank=int(blank.sum()), lines=len(starts))
