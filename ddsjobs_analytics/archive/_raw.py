"""The archive's ``raw`` column: each record's JSON, as the standard library writes it, at orjson's speed.

``raw`` is ``json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str)``, byte for byte;
text that UTF-8 cannot hold (a lone surrogate) is written with ``ensure_ascii=True`` instead, so it stays
JSON-escaped and the same value. Encoding that with the standard library cost about 5 µs a record, twice
``jobs_frame`` + ``write_table`` of the whole batch (#16 §6), so records made only of what orjson writes
exactly as the standard library does — dicts with string keys, lists, ``str``, ``int``, ``bool`` and
``None``, of exactly those types — go to ``orjson.dumps``. Anything else (a float, whose spelling differs,
e.g. ``1e-05``/``0.00001``, NaN, which orjson writes as ``null``, enums, datetimes, subclasses) and
anything orjson refuses (an int beyond 64 bits, a lone surrogate, a non-string key) goes to the standard
library, so the bytes never depend on which encoder wrote them.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from itertools import chain
from typing import Any

import numpy as np
import orjson
import pyarrow as pa

__all__ = ["raw_json"]

_SCALARS = frozenset({str, int, bool, type(None)})
_CONTAINERS = frozenset({dict, list})
_PLAIN = _SCALARS | _CONTAINERS
# Deeper than this is left to the standard library (orjson's own limit is 255 levels).
_MAX_DEPTH = 200
# One Arrow string array addresses at most this many bytes (32-bit offsets); beyond, more chunks.
MAX_CHUNK_BYTES = 2**31 - 1

# One encoder for every record: json.dumps with options builds a new JSONEncoder per call.
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode


def _stdlib(item: Any) -> bytes:
    text = _ENCODE(item)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: keep it JSON-escaped (still the same JSON value)
        return json.dumps(item, ensure_ascii=True, separators=(",", ":"), default=str).encode("ascii")


def _children(containers: list[Any], only_dicts: bool) -> Iterator[Any]:
    """The values of dicts and the items of lists; for dicts alone, one C-level pass (no Python call)."""
    if only_dicts:
        return chain.from_iterable(map(dict.values, containers))
    return chain.from_iterable(each.values() if type(each) is dict else each for each in containers)


def _all_plain(items: list[Any]) -> bool:
    """Every item is plain (see :func:`_plain`), checked level by level over all items at once.

    A type test per value costs about as much as orjson's encoding of it; over a flat batch of ListTasks
    records this is one pass of ``type`` over every value, without a Python call per record.
    """
    containers = items
    for _ in range(_MAX_DEPTH):
        if not containers:
            return True
        outer = set(map(type, containers))
        if not outer <= _CONTAINERS:
            return False
        kinds = set(map(type, _children(containers, outer == {dict})))
        if not kinds <= _PLAIN:
            return False
        if not kinds & _CONTAINERS:
            return True
        containers = [value for value in _children(containers, outer == {dict}) if type(value) in _CONTAINERS]
    return False


def _plain(value: Any, depth: int = 0) -> bool:
    """JSON made of exactly dict/list/str/int/bool/None: what orjson writes as the standard library does."""
    kind = type(value)
    if kind in _SCALARS:
        return True
    if depth >= _MAX_DEPTH:
        return False
    if kind is dict:
        return all(_plain(each, depth + 1) for each in value.values())
    if kind is list:
        return all(_plain(each, depth + 1) for each in value)
    return False


def _orjson_or_stdlib(item: Any) -> bytes:
    try:
        return orjson.dumps(item)
    except orjson.JSONEncodeError:  # an int beyond 64 bits, a lone surrogate, a non-string key
        return _stdlib(item)


def _any_item(item: Any) -> bytes:
    return _orjson_or_stdlib(item) if _plain(item) else _stdlib(item)


def _written(items: list[Any], encode: Callable[[Any], bytes]) -> tuple[bytes, np.ndarray]:
    """Every item's JSON, end to end in one buffer, and each one's length in bytes.

    Each encoded record is written and released at once (a C-level pipeline, no list of a million bytes
    objects): orjson sizes each result's buffer generously, so keeping them all alive took a fresh memory
    page per record — one page fault per record, more than the encoding itself.
    """
    sink = io.BytesIO()
    lengths = np.fromiter(map(sink.write, map(encode, items)), dtype=np.int64, count=len(items))
    return sink.getvalue(), lengths


def _encoded(items: list[Any]) -> tuple[bytes, np.ndarray]:
    if _all_plain(items):
        try:
            return _written(items, orjson.dumps)
        except orjson.JSONEncodeError:
            return _written(items, _orjson_or_stdlib)
    return _written(items, _any_item)


def raw_json(items: list[Any]) -> pa.Array | pa.ChunkedArray:
    """Each item's JSON (see the module's docstring) as Arrow strings, in order.

    One chunk unless the JSON exceeds what 32-bit offsets address (2 GiB), as ``pa.array`` would.
    """
    data, lengths = _encoded(items)
    buffer = pa.py_buffer(data)
    ends = np.cumsum(lengths)
    chunks: list[pa.Array] = []
    row, byte = 0, 0
    while row < len(items) or not chunks:
        stop = max(int(np.searchsorted(ends, byte + MAX_CHUNK_BYTES, side="right")), row + 1)
        stop = min(stop, len(items))
        offsets = np.concatenate([[0], ends[row:stop] - byte]).astype(np.int32)
        size = int(offsets[-1])
        chunk = pa.StringArray.from_buffers(stop - row, pa.py_buffer(offsets), buffer.slice(byte, size))
        chunk.validate(full=True)  # UTF-8 and offsets checked: no invalid string reaches a file
        chunks.append(chunk)
        row, byte = stop, byte + size
    return chunks[0] if len(chunks) == 1 else pa.chunked_array(chunks, type=pa.string())
