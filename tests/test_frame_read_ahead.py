"""Reading one batch ahead on a second thread (``_frame/_ahead``): same items, same errors, no thread left
behind when the reader stops early."""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from ddsjobs_analytics import RecordError, jobs_frame
from ddsjobs_analytics._frame import _stream
from ddsjobs_analytics._frame._ahead import read_ahead


def _readers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("ddsjobs-read")]


def test_items_come_in_order_and_errors_where_they_happened() -> None:
    threads: set[str] = set()

    def items() -> Iterator[int]:
        for i in range(5):
            threads.add(threading.current_thread().name)
            yield i
        raise ValueError("broken at 5")

    got = []
    with pytest.raises(ValueError, match="broken at 5"):
        for item in read_ahead(items()):
            got.append(item)
    assert got == [0, 1, 2, 3, 4]
    assert threads and all(name.startswith("ddsjobs-read") for name in threads)  # produced off this thread
    assert not _readers()


def test_stopping_early_closes_the_source_and_the_thread() -> None:
    closed = []

    def items() -> Iterator[int]:
        try:
            yield from range(100)
        finally:
            closed.append(True)

    ahead = read_ahead(items())
    assert [next(ahead), next(ahead)] == [0, 1]
    ahead.close()  # type: ignore[attr-defined]
    assert closed == [True]
    assert not _readers()


def _lines(tmp_path: Path, bad_at: int, name: str = "jobs.jsonl") -> Path:
    records = [
        {"id": f"j{i}", "name": "Restart", "status": "Completed", "created_at": "2026-11-01T00:00:00+0800",
         "ended_at": "2026-11-01T00:00:30+0800" if i != bad_at else "not a time"}
        for i in range(300)
    ]  # fmt: skip
    path = tmp_path / name
    data = "".join(json.dumps(r) + "\n" for r in records).encode()
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    return path


def test_a_strict_error_in_a_later_batch_stops_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_stream, "BLOCK_BYTES", 1024)
    monkeypatch.setattr(_stream, "BATCH_BYTES", 2048)
    with pytest.raises(RecordError, match=r"j250.*'ended'"):
        jobs_frame(_lines(tmp_path, 250), errors="raise", observed_at="2026-12-01T00:00:00+00:00")
    assert not _readers()


def test_a_damaged_gzip_is_named_from_the_reading_thread(tmp_path: Path) -> None:
    path = _lines(tmp_path, -1, "jobs.jsonl.gz")
    path.write_bytes(path.read_bytes()[:-30])  # truncated
    with pytest.raises(ValueError, match=r"jobs\.jsonl\.gz: truncated gzip file"):
        jobs_frame(path)
    assert not _readers()
