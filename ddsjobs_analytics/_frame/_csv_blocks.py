"""A CSV file as blocks of whole rows, read with bounded buffers (``_stream`` does it for ``.jsonl``).

A newline ends a row only outside quotes. Which newlines those are is found with numpy, a chunk at a time:
a newline is outside quotes when an even number of quotes come before it (``""`` inside a quoted field adds
two, so the parity holds). That rule is exactly pandas' when every quote opens or closes a quoted field; a
file with other quotes (``ab"c``, ``"a"b``, which pandas reads as literal text) raises
:class:`IrregularQuotes`, and the caller reads it another way.

A row longer than ``max_row_bytes`` is skipped as it streams past (its line number kept), never held whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

import numpy as np

from ._stream import BOM, LONG_LINE_BYTES, MAX_LINE_BYTES

__all__ = ["BLOCK_BYTES", "CHUNK_BYTES", "MAX_ROW_BYTES", "IrregularQuotes", "Rows", "csv_rows"]

CHUNK_BYTES = 1 << 20  # bytes read and scanned at a time
BLOCK_BYTES = 16 << 20  # whole rows handed to the parser at a time (fewer when rows are long)
# The block when its rows are long: on 1 MB rows a 4 MiB block cost +77 MB at peak, 1 MiB +25 MB.
LONG_ROWS_BLOCK_BYTES = 1 << 20
LONG_ROW_BYTES = LONG_LINE_BYTES  # a job row is a few hundred bytes; 8 KiB on average is not one
MAX_ROW_BYTES = MAX_LINE_BYTES  # a longer row is not a job: skipped while streaming, counted (as a line)
_QUOTE, _NEWLINE, _CR, _COMMA = 34, 10, 13, 44
# The bytes a quote that opens or closes a field may follow or precede: a separator, a line end, or the other
# quote of a ``""`` pair.
_AROUND_QUOTE = np.zeros(256, dtype=bool)
_AROUND_QUOTE[[_COMMA, _NEWLINE, _CR, _QUOTE]] = True
_NONE = np.empty(0, dtype=np.intp)
_BLANK = np.zeros(256, dtype=bool)  # the bytes of a line pandas skips as blank
_BLANK[[32, 9, _CR, _NEWLINE]] = True


class IrregularQuotes(ValueError):
    """A quote that neither opens nor closes a field (pandas reads it as text): the parity rule cannot
    split this file into rows. ``offset``: the quote's byte offset in the file."""

    def __init__(self, offset: int) -> None:
        super().__init__(f"a quote inside an unquoted field at byte {offset}")
        self.offset = offset


@dataclass
class Rows:
    """Whole rows of a file (``data``; the last ends in a newline unless it ends the file).

    ``offset``: byte offset of ``data`` in the file; ``line``: the logical line number of its first row as
    pandas counts lines (a row with quoted newlines is one line; the header is line 1); ``lines``: how many
    logical lines it holds; ``longest``: bytes of its longest row; ``too_long``: the (physical, as an editor
    counts) line numbers of the rows skipped before it for being longer than ``max_row_bytes``."""

    data: bytes
    offset: int
    line: int
    lines: int
    longest: int
    too_long: list[int] = field(default_factory=list)


class _Scanner:
    """Row ends in consecutive chunks: the quote parity, the byte before the chunk and a closing quote at
    the end of the previous chunk still to check carry over."""

    def __init__(self) -> None:
        self.inside = 0  # 1 inside a quoted field
        self.previous = _NEWLINE  # the byte before the next chunk (a file starts a row)
        self.check_first = False  # the previous chunk ended in a closing quote: its next byte is checked
        self.offset = 0  # file offset of the next chunk
        self.newlines = 0  # newlines scanned, inside quotes or not (an editor's line count)

    def ends(self, chunk: bytes) -> np.ndarray:
        """Positions in ``chunk`` of the newlines that end a row."""
        buf = np.frombuffer(chunk, dtype=np.uint8)
        offset, self.offset = self.offset, self.offset + len(buf)
        if self.check_first and not _AROUND_QUOTE[buf[0]]:
            raise IrregularQuotes(offset - 1)
        # Most chunks of a job file hold no quote at all: one memchr-speed search instead of a scan.
        quotes = np.flatnonzero(buf == _QUOTE) if b'"' in chunk else _NONE
        newlines = np.flatnonzero(buf == _NEWLINE)
        self.newlines += len(newlines)
        inside = self.inside
        self.check_first = False
        if quotes.size:
            # By parity, every other quote opens a field (the first does unless the chunk starts inside
            # one): it must follow a separator or a line end (or close a ``""`` pair); one that closes
            # must precede them (or open the pair's second half).
            opening, closing = quotes[inside::2], quotes[1 - inside :: 2]
            before = buf[opening - 1]  # the byte before each (for one at 0: the previous chunk's last)
            if opening.size and opening[0] == 0:
                before[0] = self.previous
            last = len(buf) - 1
            after = buf[np.minimum(closing + 1, last)]  # a quote ending the chunk: checked with the next
            if closing.size and closing[-1] == last:
                after[-1] = _COMMA
            if not (_AROUND_QUOTE[before].all() and _AROUND_QUOTE[after].all()):
                bad = np.concatenate((opening[~_AROUND_QUOTE[before]], closing[~_AROUND_QUOTE[after]]))
                raise IrregularQuotes(offset + int(bad.min()))
            self.check_first = bool(closing.size and closing[-1] == len(buf) - 1)
            self.inside = (inside + quotes.size) & 1
            newlines = newlines[((np.searchsorted(quotes, newlines) + inside) & 1) == 0]
        elif inside:
            newlines = newlines[:0]
        self.previous = int(buf[-1])
        return newlines


def csv_rows(
    fh: BinaryIO,
    *,
    block_bytes: int = BLOCK_BYTES,
    max_row_bytes: int = MAX_ROW_BYTES,
    chunk_bytes: int = CHUNK_BYTES,
) -> Iterator[Rows]:
    """The file's rows in blocks: first the header row alone (blank lines before it skipped), then blocks of
    about ``block_bytes``, each of whole rows. A byte-order mark is left out (``offset`` still counts it).
    If the header itself is too long, one empty block with ``too_long`` is the last."""
    state = _State()
    scanner = _Scanner()
    head = fh.read(len(BOM))
    if head == BOM:
        head, state.start, scanner.offset = b"", len(BOM), len(BOM)
    while True:
        chunk = head + fh.read(chunk_bytes) if head else fh.read(chunk_bytes)
        head = b""
        if not chunk:
            break
        ends = scanner.ends(chunk)
        if state.skipping:
            if not ends.size:
                state.skip(chunk)
                continue
            cut = int(ends[0]) + 1
            state.skip(chunk[:cut])
            state.line += 1
            state.skipping = False
            chunk, ends = chunk[cut:], ends[1:] - cut
        base = len(state.pending)
        state.pending += chunk
        if ends.size:
            yield from state.add(ends + base + 1)
        if state.whole >= state.limit(block_bytes) and not state.header:
            yield state.flush()
        if len(state.pending) - state.whole > max_row_bytes:
            if state.whole and not state.header:
                yield state.flush()
            # The row's line: newlines scanned but those of the row itself (all inside quotes).
            state.too_long.append(scanner.newlines - state.pending.count(b"\n", state.whole) + 1)
            state.skipping = True
            state.skip(bytes(state.pending))
            state.pending.clear()
            if state.header:
                yield Rows(b"", state.start, state.line, 0, 0, state.too_long)
                return
    if state.skipping:  # the over-long row ran to the end of the file
        state.line += 1
    rest = len(state.pending) - state.whole
    if state.header:
        if state.pending:  # the header row is the file's last line (or the file holds blank lines only)
            yield Rows(bytes(state.pending), state.start, state.line, 1, rest)
        return
    if state.pending or state.too_long:
        state.longest = max(state.longest, rest)
        state.lines += 1 if rest else 0
        state.whole = len(state.pending)
        yield state.flush()


class _State:
    """What :func:`csv_rows` holds between chunks."""

    def __init__(self) -> None:
        self.pending = bytearray()  # whole rows not yet handed out, then the start of a row not yet ended
        self.whole = 0  # bytes of ``pending`` that are whole rows
        self.start = 0  # file offset of ``pending``
        self.line = 1  # logical line of the first row in ``pending``
        self.lines = 0  # logical lines in ``pending[:whole]``
        self.longest = 0  # bytes of the longest row in ``pending[:whole]``
        self.too_long: list[int] = []
        self.skipping = False  # inside a row longer than max_row_bytes: dropped up to its end
        self.header = True  # the header row not yet handed out

    def skip(self, data: bytes) -> None:
        self.start += len(data)

    def limit(self, block_bytes: int) -> int:
        long_rows = self.whole > LONG_ROW_BYTES * max(self.lines, 1)
        return min(block_bytes, LONG_ROWS_BLOCK_BYTES) if long_rows else block_bytes

    def add(self, row_ends: np.ndarray) -> Iterator[Rows]:
        """Rows ending at ``row_ends`` (positions in ``pending`` after their newline) are whole."""
        lengths = np.diff(row_ends, prepend=self.whole)
        if self.header:
            # The header is the first row that is not blank (pandas skips lines of spaces, tabs and CRs);
            # the blank rows before it are dropped as they come (a bomb of them is never held).
            data = np.frombuffer(self.pending, dtype=np.uint8)[: row_ends[-1]]
            filled = np.add.reduceat(~_BLANK[data], row_ends - lengths, dtype=np.int64)
            del data  # a bytearray cannot be resized while a view of it exists
            found = np.flatnonzero(filled)
            at = int(found[0]) if found.size else len(row_ends)
            if at:  # blank rows: counted as lines, not kept
                cut = int(row_ends[at - 1])
                del self.pending[:cut]
                self.start, self.line = self.start + cut, self.line + at
                row_ends, lengths = row_ends[at:] - cut, lengths[at:]
            if not found.size:
                return
            self.whole, self.lines, self.longest = int(row_ends[0]), 1, int(lengths[0])
            yield self.flush()
            self.header = False
            row_ends, lengths = row_ends[1:] - row_ends[0], lengths[1:]
            if not row_ends.size:
                return
        self.longest = max(self.longest, int(lengths.max()))
        self.lines += len(row_ends)
        self.whole = int(row_ends[-1])

    def flush(self) -> Rows:
        """``pending[:whole]`` as a block, taken out of ``pending``."""
        with memoryview(self.pending) as view:
            data = bytes(view[: self.whole])  # one copy (a slice of a bytearray would be two)
        rows = Rows(data, self.start, self.line, self.lines, self.longest, self.too_long)
        del self.pending[: self.whole]
        self.start += self.whole
        self.line += self.lines
        self.whole, self.lines, self.longest, self.too_long = 0, 0, 0, []
        return rows
