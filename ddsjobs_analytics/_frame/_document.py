"""A ``.json`` document (``.gz`` too) read value by value with bounded buffers.

A document is a list of records or responses, or one response (``{"jobs": [...]}``) or record. Its
elements are decoded one at a time from a sliding window of text and handed on in parts of about
:data:`PART_CHARS` characters, which ``extract`` caps as it goes: a 2 GB document of 1 MB reasons never
holds more than one part uncapped, whitespace (a gzip of newlines) is dropped as it streams past, and an
element longer than :data:`MAX_ELEMENT_CHARS` is skipped unread (counted as a bad record, like an over-long
``.jsonl`` line). What the document says is what ``json.loads`` of the whole file would say; an error names
the file and line.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from ._extract import Part, Unreadable, unwrap
from ._stream import MAX_LINE_BYTES, open_binary, reading

__all__ = ["MAX_ELEMENT_CHARS", "PART_CHARS", "document_parts"]

CHUNK_BYTES = 1 << 20
BATCH_CHARS = 1 << 20  # elements decoded by one json.loads call when they are cut cleanly
PART_CHARS = 2 << 20  # elements' text handed on at once (then capped): bounds the uncapped Python objects
MAX_ELEMENT_CHARS = MAX_LINE_BYTES  # the .jsonl limit for one line, here for one element
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_AFTER_NUMBER = " \t\n\r,]}"
_DECODER = json.JSONDecoder()
# Skipping an over-long element without decoding it: runs of bytes that change nothing, outside and
# inside strings.
_PLAIN = re.compile(r'[^"\[\]{},]*')
_IN_STRING = re.compile(r'[^"\\]*')


class _Skipped:
    """An element too long to read, by the line it starts on."""

    def __init__(self, line: int) -> None:
        self.line = line


class _Text:
    """The document's text, decoded on demand; what was consumed is dropped (its lines still counted)."""

    def __init__(self, fh: BinaryIO, path: Path) -> None:
        self.fh, self.path = fh, path
        self.buf, self.pos = "", 0
        self.eof = False
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._line = 1  # the line of buf[0]
        self._dropped = 0  # characters consumed and dropped before buf[0]
        self._bytes = 0  # bytes read before the current chunk
        self._byte_lines = 0  # newlines in those bytes
        self._first = True

    def offset(self) -> int:
        """Characters consumed so far."""
        return self._dropped + self.pos

    def line(self, index: int | None = None) -> int:
        return self._line + self.buf.count("\n", 0, self.pos if index is None else index)

    def more(self, at_least: int = 1) -> bool:
        """Read until ``at_least`` more characters follow ``pos`` than now (or the end); False when nothing
        more came."""
        if self.eof:
            return False
        self._line += self.buf.count("\n", 0, self.pos)
        self._dropped += self.pos
        self.buf, self.pos = self.buf[self.pos :], 0
        held = size = len(self.buf)
        want = size + at_least
        pieces = [self.buf]
        while size < want and not self.eof:
            chunk = self.fh.read(CHUNK_BYTES)
            self.eof = not chunk
            text = self._decode(chunk)
            if self._first and text:
                text, self._first = text.removeprefix("\ufeff"), False
            pieces.append(text)
            size += len(text)
        self.buf = "".join(pieces)
        return size > held

    def _decode(self, chunk: bytes) -> str:
        pending = self._decoder.getstate()[0]
        try:
            text = self._decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            data = pending + chunk
            line = self._byte_lines + data.count(b"\n", 0, exc.start) + 1
            offset = self._bytes - len(pending) + exc.start
            raise ValueError(f"{self.path}:{line}: not valid UTF-8 (byte {offset})") from None
        self._bytes += len(chunk)
        self._byte_lines += chunk.count(b"\n")
        return text

    def peek(self) -> str | None:
        """The next character that is not whitespace (``pos`` moved to it), or None at the end."""
        while True:
            self.pos = _WHITESPACE.match(self.buf, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self.more(CHUNK_BYTES):
                return None

    def invalid(self, message: str, index: int | None = None) -> ValueError:
        return ValueError(f"{self.path}:{self.line(index)}: not valid JSON: {message}")

    def expect(self, allowed: str, what: str) -> str:
        char = self.peek()
        if char is None or char not in allowed:
            raise self.invalid(f"Expecting {what}")
        self.pos += 1
        return char

    def value(self) -> object:
        """The JSON value at ``pos``, decoded, or :class:`_Skipped` when it is longer than the limit."""
        if self.peek() is None:
            raise self.invalid("Expecting value")
        while True:
            try:
                value, end = _DECODER.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                # Cut off by the window's end (or really broken: only the whole file can tell).
                cut = exc.pos >= len(self.buf) - 16 or exc.msg.startswith("Unterminated string")
                if not cut or self.eof:
                    raise self.invalid(exc.msg, exc.pos) from None
            except RecursionError:
                raise ValueError(f"{self.path}: not valid JSON: nested too deeply") from None
            else:
                # A number is whole only where something that cannot continue it follows ("0" may be
                # "0.5" once the next chunk is read); everything else ends with its own last character.
                number = isinstance(value, (int, float)) and not isinstance(value, bool)
                if self.eof or not number or (end < len(self.buf) and self.buf[end] in _AFTER_NUMBER):
                    if end - self.pos > MAX_ELEMENT_CHARS:  # the same limit whether or not it fit the window
                        skipped = _Skipped(self.line())
                        self.pos = end
                        return skipped
                    self.pos = end
                    return value
            held = len(self.buf) - self.pos
            if held > MAX_ELEMENT_CHARS:
                return self._skip()
            self.more(max(held, CHUNK_BYTES))  # doubling: a long element costs linear time, not quadratic

    def _skip(self) -> _Skipped:
        """Move past the value at ``pos`` without decoding it; only a window of it is held at a time."""
        skipped = _Skipped(self.line())
        depth, in_string = 0, False
        while True:
            if self.pos >= len(self.buf) and not self.more(CHUNK_BYTES):
                raise self.invalid("Unterminated value")
            if in_string:
                self.pos = _IN_STRING.match(self.buf, self.pos).end()  # type: ignore[union-attr]
                if self.pos >= len(self.buf):
                    continue
                if self.buf[self.pos] == "\\":
                    if self.pos + 1 >= len(self.buf) and not self.more(1):
                        raise self.invalid("Unterminated string")
                    self.pos += 2
                    continue
                in_string = False
                self.pos += 1
                if depth == 0:
                    return skipped
                continue
            self.pos = _PLAIN.match(self.buf, self.pos).end()  # type: ignore[union-attr]
            if self.pos >= len(self.buf):
                continue
            char = self.buf[self.pos]
            if char == '"':
                in_string = True
            elif char in "[{":
                depth += 1
            elif depth == 0:  # "," or a closing bracket after a bare scalar: the value ended before it
                return skipped
            elif char in "]}":
                depth -= 1
                if depth == 0:
                    self.pos += 1
                    return skipped
            self.pos += 1


def document_parts(path: Path, *, part_chars: int = PART_CHARS) -> Iterator[Part]:
    """The job records of a ``.json`` document, unwrapped, in parts of about ``part_chars`` characters."""
    source = str(path)
    items: list[object] = []
    held = 0
    with reading(path), open_binary(path) as fh:
        text = _Text(fh, path)
        for values, size in _elements(text):
            if isinstance(values, _Skipped):
                if items:
                    yield Part(items=items)
                    items, held = [], 0
                reason = f"value longer than {MAX_ELEMENT_CHARS:,} characters, not read"
                unread = Unreadable(f"{source}:{values.line}", reason)
                yield Part(items=[unread], lines=[values.line], source=source)
                continue
            items.extend(unwrap(values))
            held += size
            if held >= part_chars:
                yield Part(items=items)
                items, held = [], 0
    if items:
        yield Part(items=items)


Values = tuple[list[object] | _Skipped, int]  # values read together (or one skipped), and their characters


def _elements(text: _Text) -> Iterator[Values]:
    """The elements of a top-level list, or the one top-level value; with a streamed ``{"jobs": [...]}``
    response, its jobs."""
    first = text.peek()
    if first == "[":
        text.pos += 1
        yield from _array(text)
    elif first == "{":
        yield from _object(text)
    else:
        yield _one(text.value()), 1
    if text.peek() is not None:
        raise text.invalid("Extra data")


def _one(value: object) -> list[object] | _Skipped:
    return value if isinstance(value, _Skipped) else [value]


def _array(text: _Text) -> Iterator[Values]:
    """The elements of the list whose ``[`` was just read, up to and including its ``]``.

    Fast path: the text up to the last ``},`` of a window, decoded by one ``json.loads`` as a list. If that
    succeeds the cut was between two elements (a cut inside a string or a nested object cannot parse), so
    the values are exactly the next elements. Otherwise (long or unusual elements) one element is read.
    """
    if text.peek() == "]":
        text.pos += 1
        return
    window = min(BATCH_CHARS, MAX_ELEMENT_CHARS)  # no element over the limit comes in through a batch
    while True:
        if len(text.buf) - text.pos < window:
            text.more(window)
        cut = text.buf.rfind("},", text.pos, text.pos + window)
        if cut > text.pos:
            try:
                values = json.loads("[" + text.buf[text.pos : cut + 1] + "]")
            except (json.JSONDecodeError, RecursionError):
                pass
            else:
                yield values, cut + 2 - text.pos
                text.pos = cut + 2
                continue
        text.peek()
        start = text.offset()
        value = text.value()
        yield _one(value), text.offset() - start
        if text.expect(",]", "',' delimiter") == "]":
            return


def _object(text: _Text) -> Iterator[Values]:
    """One top-level object. A ``jobs`` list in it (a ListTasks response) is streamed; any other object is
    decoded whole and unwrapped as ``json.loads`` of the file would be."""
    text.pos += 1
    rest: dict[str, object] = {}
    streamed = False
    if text.peek() == "}":
        text.pos += 1
        yield [rest], 2
        return
    while True:
        if text.peek() != '"':
            raise text.invalid("Expecting property name enclosed in double quotes")
        key = text.value()
        assert isinstance(key, str)
        text.expect(":", "':' delimiter")
        if key == "jobs" and text.peek() == "[" and "id" not in rest:
            text.pos += 1
            streamed = True
            yield from _array(text)
        else:
            value = text.value()
            if isinstance(value, _Skipped):
                raise text.invalid(f"the value of {key!r} is longer than {MAX_ELEMENT_CHARS:,} characters")
            rest[key] = value
        if text.expect(",}", "',' delimiter") == "}":
            break
    if not streamed:
        yield [rest], 1
