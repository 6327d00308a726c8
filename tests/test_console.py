"""What the command prints: terminal-safe text, one-line warnings, log routing by verbosity, progress bars."""

from __future__ import annotations

import io
import logging
import warnings

import pytest

from ddsjobs_analytics._cli._console import console, show_progress, terminal_safe


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain text, ümlauts and 日本語", "plain text, ümlauts and 日本語"),
        ("clear\x1b[2Jscreen", "clear\\x1b[2Jscreen"),
        ("title\x1b]0;owned\x07", "title\\x1b]0;owned\\x07"),
        ("back\rspace\x08", "back\\x0dspace\\x08"),
        ("csi\x9b31m", "csi\\x9b31m"),  # the one-byte C1 form of ESC [
        ("rtl \u202eexe.txt", "rtl \\u202eexe.txt"),
        ("lone \ud800 surrogate", "lone \\ud800 surrogate"),
        ("two\nlines\tand a tab", "two\nlines\tand a tab"),
    ],
)
def test_terminal_safe(text: str, shown: str):
    assert terminal_safe(text) == shown
    shown.encode("utf-8")  # printable on any UTF-8 terminal


def test_terminal_safe_one_line():
    assert terminal_safe("a\nb\tc\x1b", one_line=True) == "a\\nb\\tc\\x1b"


def test_warnings_print_as_one_line_and_are_put_back():
    before = warnings.showwarning
    stream = io.StringIO()
    with console(0, stream), warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = warnings.showwarning  # catch_warnings saved ours; keep using it
        warnings.warn("bad value\nin \x1b[31mfield", UserWarning, stacklevel=1)
    assert stream.getvalue() == "warning: bad value\\nin \\x1b[31mfield\n"
    assert warnings.showwarning is before


@pytest.mark.parametrize(
    ("verbosity", "shown"),
    [
        (-1, ["ERROR failed"]),
        (0, ["WARNING careful", "ERROR failed"]),
        (
            1,
            [
                "INFO listing",
                "DEBUG GET /jobs: ServerError on attempt 1, retrying in 0.5 s",
                "WARNING careful",
                "ERROR failed",
            ],
        ),
        (
            2,
            [
                "INFO listing",
                "DEBUG GET /jobs -> 503 (attempt 1)",
                "DEBUG GET /jobs: ServerError on attempt 1, retrying in 0.5 s",
                "WARNING careful",
                "ERROR failed",
            ],
        ),
    ],
)
def test_log_lines_by_verbosity(verbosity: int, shown: list[str]):
    logger = logging.getLogger("ddsjobs_analytics.client")
    stream = io.StringIO()
    with console(verbosity, stream):
        logger.info("listing")
        logger.debug("GET %s -> %s (attempt %d)", "/jobs", 503, 1)
        logger.debug("GET %s: %s on attempt %d, retrying in %.1f s", "/jobs", "ServerError", 1, 0.5)
        logger.warning("careful")
        logger.error("failed")
    lines = [line.replace(" ddsjobs_analytics.client:", "") for line in stream.getvalue().splitlines()]
    assert lines == shown
    assert logging.getLogger("ddsjobs_analytics").propagate  # put back for in-process callers


class _Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


@pytest.mark.parametrize(
    ("verbosity", "wanted", "tty", "bar"),
    [
        (0, True, True, True),  # a person at a terminal
        (0, True, False, False),  # cron, a pipe, a log file
        (1, True, False, True),  # -v: asked for it
        (-1, True, True, False),  # -q: never
        (1, False, True, False),  # --no-progress: never
    ],
)
def test_progress_bars(verbosity: int, wanted: bool, tty: bool, bar: bool):
    assert show_progress(verbosity, wanted, _Stream(tty)) is bar
