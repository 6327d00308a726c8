"""What the ``ddsjobs`` command prints: terminal-safe text, one-line warnings, log lines and progress bars.

Job fields come from a server (``fail_reason`` is free text), so nothing from the data reaches the terminal
raw: control characters and escape sequences are shown as visible ``\\x1b``-style escapes. Standard
library only, so the command answers ``--help`` quickly.
"""

from __future__ import annotations

import logging
import re
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

__all__ = ["console", "show_progress", "terminal_safe"]

# C0 controls except tab and newline, DEL, C1 controls, bidi overrides/isolates (which reorder what a
# terminal shows), and lone surrogates (which cannot be encoded for output).
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match[0])
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: object, *, one_line: bool = False) -> str:
    """``text`` with every control character, escape sequence and bidi override made visible.

    ``one_line``: newlines and tabs become ``\\n``/``\\t`` too, so the text stays on one line.
    """
    safe = _UNSAFE.sub(_escape, str(text))
    if one_line:
        safe = safe.replace("\n", "\\n").replace("\t", "\\t")
    return safe


class _SafeFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return terminal_safe(super().format(record), one_line=True)


class _VerboseFilter(logging.Filter):
    """At ``-v``: info and above, plus the client's per-retry lines (libraries log those at debug)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.INFO or "retry" in str(record.msg).lower()


@contextmanager
def console(verbosity: int, stream: TextIO | None = None) -> Iterator[None]:
    """For one command: warnings as one clean ``warning: …`` line (no source line), and the package's log
    lines on stderr (warnings by default, ``-v`` info and retries, ``-vv`` debug, ``-q`` errors only).

    Everything is put back afterwards, so calling the command in-process leaves logging as it was.
    """
    stream = stream or sys.stderr

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        print(f"warning: {terminal_safe(message, one_line=True)}", file=stream)

    handler = logging.StreamHandler(stream)
    handler.setFormatter(_SafeFormatter("%(levelname)s %(name)s: %(message)s"))
    if verbosity == 1:
        handler.addFilter(_VerboseFilter())
    level = logging.ERROR if verbosity < 0 else logging.WARNING if verbosity == 0 else logging.DEBUG
    logger = logging.getLogger("ddsjobs_analytics")
    saved = logger.level, logger.propagate, warnings.showwarning
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    warnings.showwarning = show
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate, warnings.showwarning = saved[1], saved[2]


def show_progress(verbosity: int, wanted: bool = True, stream: Any = None) -> bool:
    """Progress bars (tqdm, on stderr): on a terminal or at -v, never with -q or ``--no-progress``."""
    if not wanted or verbosity < 0:
        return False
    stream = stream or sys.stderr
    return verbosity > 0 or bool(getattr(stream, "isatty", lambda: False)())
