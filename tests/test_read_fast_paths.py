"""The reader's fast paths give the answers of the plain definitions they replace (issue 16 §4).

``_stream._scan`` (lines of a block, and whether one may be blank) against a line-by-line reading, and the
dedup check's hashed path against a Python set (a forced hash clash included), and the batch sizes of
``_stream.blocks`` for short and long lines.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ddsjobs_analytics._frame import _dedup, _stream
from ddsjobs_analytics._frame._stream import _scan


def _plain(data: bytes) -> tuple[int, bool]:
    lines = data.split(b"\n")
    return len(lines), any(not line or line[:1] in b" \t\r\f\v" for line in lines)


@pytest.mark.parametrize(
    "data",
    [
        b'{"id":"a"}',
        b'{"id":"a"}\n{"id":"b"}',
        b'{"id":"a"}\n\n{"id":"b"}',
        b'{"id":"a"}\n {"id":"b"}',
        b'{"id":"a"}\n\t{"id":"b"}',
        b'{"id":"a"}\n\r',
        b'{"id":"a"}\n',  # the block ends in a newline: an empty last line
        b' {"id":"a"}',
        b"\n\n\n",
        b"",
        b"x\n" * 1000,  # short lines: the careful path
    ],
)
def test_scan_counts_lines_and_flags_every_blank_line(data: bytes) -> None:
    lines, maybe_blank = _scan(data)
    expected_lines, blank = _plain(data)
    assert lines == expected_lines
    assert maybe_blank or not blank  # never misses a blank line
    if len(data) >= 32 * data.count(b"\n"):  # long lines: exact
        assert maybe_blank == blank


def test_scan_agrees_with_the_plain_reading_on_random_blocks() -> None:
    rng = random.Random(16)
    for _ in range(300):
        choices = [b'{"id":"%d","name":"backup"}', b"", b" ", b"\t{}", b"{}"]
        pieces = [rng.choice(choices).replace(b"%d", b"%d" % i) for i in range(40)]
        data = b"\n".join(pieces)
        lines, maybe_blank = _scan(data)
        expected_lines, blank = _plain(data)
        assert lines == expected_lines
        assert maybe_blank or not blank


def _ids(values: list[str]) -> pd.Series:
    return pd.Series(pd.array(values, dtype=pd.StringDtype("pyarrow")))


def test_hashed_distinct_check_matches_a_set() -> None:
    rng = random.Random(17)
    for size in (2, 10, 1000):
        for pool in (3, 50, 10**9):
            values = [f"{rng.randrange(pool):036d}" for _ in range(size)]
            assert _dedup._hashes(_dedup._arrow_ids(_ids(values))) is not None  # short ids: hashed
            assert _dedup._all_distinct(_ids(values)) == (len(set(values)) == len(values))


def test_hashed_check_of_ids_of_different_lengths_matches_a_set() -> None:
    rng = random.Random(18)
    for size in (2, 10, 1000, 40_000):  # 40,000: more than one batch of hashed rows
        values = [f"job-{rng.randrange(size * 2)}-{rng.randrange(3)}" for _ in range(size)]
        values += ["", "x" * 64, "job-1-1\u00e9"]
        assert _dedup._hashes(_dedup._arrow_ids(_ids(values))) is not None
        assert _dedup._all_distinct(_ids(values)) == (len(set(values)) == len(values))
        distinct = list(dict.fromkeys(values))
        assert _dedup._all_distinct(_ids(distinct))


def test_a_prefix_is_not_the_same_id() -> None:
    assert _dedup._all_distinct(_ids(["job-1", "job-1\x00", "job-10", "job-1" + "\x00" * 3]))


def test_equal_hashes_are_checked_byte_by_byte(monkeypatch: pytest.MonkeyPatch) -> None:
    real = _dedup._hashes

    def clashing(ids):  # every id the same hash: only the byte comparison can tell them apart
        hashes, text = real(ids)
        return np.zeros_like(hashes), text

    monkeypatch.setattr(_dedup, "_hashes", clashing)
    assert _dedup._all_distinct(_ids(["job-0001", "job-0002", "job-0003"]))
    assert not _dedup._all_distinct(_ids(["job-0001", "job-0002", "job-0001"]))


def test_long_ids_take_the_sorted_path() -> None:
    values = ["a" * 65, "b" * 70, "c", "b" * 70]
    assert _dedup._hashes(_dedup._arrow_ids(_ids(values))) is None
    assert not _dedup._all_distinct(_ids(values))
    assert _dedup._all_distinct(_ids(values[:3]))


def test_missing_ids_never_count_as_duplicates() -> None:
    assert _dedup._all_distinct(_ids(["a1", None, None, "b2"]))
    assert not _dedup._all_distinct(_ids(["a1", None, "a1"]))


def _batches(tmp_path: Path, line: bytes, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    monkeypatch.setattr(_stream, "BLOCK_BYTES", 1024)
    monkeypatch.setattr(_stream, "BATCH_BYTES", 16 * 1024)
    monkeypatch.setattr(_stream, "LONG_LINES_BATCH_BYTES", 2048)
    monkeypatch.setattr(_stream, "LONG_LINE_BYTES", 200)
    path = tmp_path / "jobs.jsonl"
    path.write_bytes(line * 400)
    got = list(_stream.blocks(path))
    assert b"\n".join(block.data for block in got) + b"\n" == line * 400  # every line, in order
    assert [n for block in got for n in block.numbers] == list(range(1, 401))
    return [len(block.data) for block in got]


def test_short_lines_are_read_in_big_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sizes = _batches(tmp_path, b'{"id":"%s"}\n' % (b"a" * 40), monkeypatch)
    assert max(sizes) >= 16 * 1024


def test_long_lines_are_read_in_small_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sizes = _batches(tmp_path, b'{"id":"%s"}\n' % (b"a" * 900), monkeypatch)
    assert max(sizes) < 2048 + 2 * 1024  # the small batch, plus at most one block
