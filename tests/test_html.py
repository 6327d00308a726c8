"""``table_html`` formats each column as its producer declared, never by the column's name."""

from __future__ import annotations

import pandas as pd

from ddsjobs_analytics._render._html import table_html


def cells(page: str) -> list[str]:
    return [part.split(">", 1)[1].split("<", 1)[0] for part in page.split("<td")[1:]]


def test_declared_formats_are_used() -> None:
    frame = pd.DataFrame({"wait": [120.0], "share": [0.125], "speedup": [1.8], "n": [12345.0]})
    formats = {"wait": "duration", "share": "percent", "speedup": "ratio", "n": "count"}
    assert cells(table_html(frame, formats=formats)) == ["2m", "12.5%", "1.80×", "12,345"]  # type: ignore[arg-type]


def test_names_alone_do_not_pick_a_format() -> None:
    # Before, "_s" meant a duration and "failure_rate" a percentage, whatever the table was.
    frame = pd.DataFrame(
        {"p50_s": [120.0], "failure_rate": [0.25], "when": pd.to_datetime(["2026-11-01"], utc=True)}
    )
    assert cells(table_html(frame)) == ["120", "0.25", "2026-11-01 00:00:00"]
