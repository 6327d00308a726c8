"""Reading one batch ahead: a file's next batch is read and parsed on a second thread while this one turns
the current batch into fields.

Arrow's JSON reader releases the GIL, so on two cores the file's parsing overlaps the rest of the work;
the CPU spent is the same. Only one batch is read ahead, so at most two batches' tables are held at once
(benchmarks/README.md, "Reading speed": the peak stays under 8x the frame).
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

__all__ = ["read_ahead"]

T = TypeVar("T")
_END = object()


def read_ahead(items: Iterator[T]) -> Iterator[T]:
    """The items of ``items``, in order, each produced on a worker thread while the caller works on the one
    before. Errors come out of the call that would have produced them, as they were raised; closing this
    iterator waits for the item in production, then closes ``items``."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ddsjobs-read") as pool:
        try:
            pending = pool.submit(next, items, _END)
            while True:
                item = pending.result()
                if item is _END:
                    return
                pending = pool.submit(next, items, _END)
                yield item  # type: ignore[misc]
        finally:
            if not pending.cancel():  # running or done: wait, ``items`` is never resumed on two threads
                pending.exception()
            close = getattr(items, "close", None)
            if close is not None:
                close()
