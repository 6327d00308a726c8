"""Handing memory that was freed back to the operating system, between the steps of a large read.

Reading a file of long lines frees most of what it allocates, but freed memory stays in the process:
Arrow's pool keeps its pages, and glibc's malloc keeps freed heap (1 MB strings come from the heap once
malloc's mmap threshold has risen past them). A report that then imports matplotlib and draws would add
its own peak on top (2 GB of 1 MB reasons: 28 MiB held after reading, benchmarks/README.md).
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable

import pyarrow as pa

__all__ = ["release_memory"]


def _find_malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc (macOS, musl, Windows): nothing to call
        return None


_MALLOC_TRIM = _find_malloc_trim()


def release_memory() -> None:
    """Return freed memory to the OS: Arrow's unused pool pages and, on glibc, malloc's free heap."""
    pa.default_memory_pool().release_unused()
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)
