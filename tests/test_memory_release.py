"""``release_memory`` hands freed memory back between the steps of a large read (``_core/_memory.py``)."""

from __future__ import annotations

import platform

import pytest

import ddsjobs_analytics as dj
from ddsjobs_analytics import _load
from ddsjobs_analytics._core import _memory


def test_release_memory_trims_malloc_with_zero_padding(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    monkeypatch.setattr(_memory, "_MALLOC_TRIM", lambda pad: calls.append(pad) or 1)
    _memory.release_memory()
    assert calls == [0]


def test_without_malloc_trim_only_arrow_is_released(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_memory, "_MALLOC_TRIM", None)
    _memory.release_memory()  # no error where the C library has no malloc_trim


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc only")
def test_glibc_malloc_trim_is_found() -> None:
    trim = _memory._find_malloc_trim()
    assert trim is not None and trim(0) in (0, 1)


def test_load_jobs_releases_what_reading_freed(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(_load, "release_memory", lambda: calls.append("released"))
    frame = dj.load_jobs("sample")
    assert len(frame) and calls == ["released"]
