"""Helpers shared by several test modules."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import pytest

from ddsjobs_analytics.simulator import serve


@contextmanager
def _serving(**options: Any) -> Iterator[str]:
    """Run ``simulator.serve`` on a free port in a thread; yield what it printed (URL, exports, token) once
    it has printed it; then stop it and check that it stopped."""
    out, stop = io.StringIO(), threading.Event()
    thread = threading.Thread(target=serve, args=(0,), kwargs={"out": out, "stop": stop, **options})
    thread.start()
    try:
        for _ in range(200):
            if "# IAM password login" in out.getvalue():  # the last line; all of it is printed at once
                break
            stop.wait(0.05)
        yield out.getvalue()
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()


@pytest.fixture
def serving() -> Callable[..., AbstractContextManager[str]]:
    """``with serving(jobs=50) as printed:`` — ``ddsjobs simulate`` in a thread, for the block."""
    return _serving


@pytest.fixture
def ax() -> Any:
    """A fresh Axes on a figure pyplot does not track (closed with the test)."""
    from matplotlib.figure import Figure

    return Figure().add_subplot()


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    """Charts drawn through pyplot in a test are closed after it (only when pyplot was imported)."""
    yield
    import sys

    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
