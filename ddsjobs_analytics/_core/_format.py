"""How a value is shown to a person: durations as "1h 05m", and the per-column formats tables declare.

The producer of a table says what each column means (:data:`ColumnFormat`); renderers (HTML, later Excel)
format by that declaration and never guess from a column's name. Plain module: no matplotlib, no pandas.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Literal

__all__ = ["DEFUSED_STARTS", "FORMULA_TRIGGERS", "ColumnFormat", "Formats", "format_duration"]

# A cell starting with one of these is run as a formula by Excel/LibreOffice/Sheets (OWASP "CSV injection").
# A line feed counts too: some spreadsheets drop it and read the rest.
FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r", "\n")
# Text the CSV writer defuses with a leading ``'``: the triggers, and text that already starts with a quote.
# Quoting the quote makes the guard reversible: a reader takes exactly one quote off (``''=SUM(A1)`` →
# ``'=SUM(A1)``), so a value that arrived as ``'=SUM(A1)`` never comes back as the live ``=SUM(A1)``. The
# writer (``_render/_csv``) and the reader (``_frame/_csv_read``) both take it from here.
DEFUSED_STARTS: tuple[str, ...] = (*FORMULA_TRIGGERS, "'")

# duration: seconds shown as "1h 05m"; percent: a share 0–1 shown as "12.5%"; ratio: "1.80×"; count: an
# integer with thousands separators; number: a plain float; time: a UTC instant; text: as is.
ColumnFormat = Literal["duration", "percent", "ratio", "count", "number", "time", "text"]
Formats = Mapping[str, ColumnFormat]


def format_duration(seconds: float) -> str:
    """``59`` → ``59s``, ``3900`` → ``1h 05m``, ``190000`` → ``2d 04h``; NaN → ``–``."""
    if seconds is None or not math.isfinite(seconds):
        return "–"
    sign = "-" if seconds < 0 else ""
    seconds = abs(float(seconds))
    if seconds < 59.5:
        return f"{sign}{seconds:.3g}s"
    whole = round(seconds)
    if whole < 3600:
        minutes, secs = divmod(whole, 60)
        return f"{sign}{minutes}m {secs:02d}s" if secs else f"{sign}{minutes}m"
    if whole < 86400:
        hours, rest = divmod(whole, 3600)
        minutes = rest // 60
        return f"{sign}{hours}h {minutes:02d}m" if minutes else f"{sign}{hours}h"
    days, rest = divmod(whole, 86400)
    hours = rest // 3600
    return f"{sign}{days}d {hours:02d}h" if hours else f"{sign}{days}d"
