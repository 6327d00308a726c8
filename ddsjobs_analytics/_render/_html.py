"""Self-contained HTML: escaped, sortable tables and a one-file report page.

The page makes no external request: charts are ``data:`` PNGs, style and script are inline, and a
Content-Security-Policy allows only those (by hash), so even a fail_reason that slipped through escaping
could not run a script or load anything.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd

from .._core._calendar import tz_label
from .._core._format import ColumnFormat, Formats, format_duration

__all__ = ["Section", "data_uri_png", "render_page", "table_html", "with_index_columns"]

TEXT_CELL_LIMIT = 120  # longer text is cut with "…"; the whole text (up to TITLE_LIMIT) is in its title
TITLE_LIMIT = 2000
SHORT_TEXT = 40

CSS = """
*{box-sizing:border-box}
body{margin:0 auto;max-width:1100px;padding:12px;
font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
color:#1f2328;background:#fff;overflow-wrap:anywhere}
h1{font-size:1.5rem;margin:.4em 0}h2{font-size:1.2rem;margin:1.6em 0 .5em;border-bottom:1px solid #d0d7de}
nav a{margin-right:.8em;white-space:nowrap}
dl.summary{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em;margin:0}
dl.summary dt{font-weight:600}dl.summary dd{margin:0}
figure{margin:.5em 0}figure img{max-width:100%;height:auto;display:block}
figcaption,.note{color:#57606a;font-size:.85rem}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;max-width:100%}
table{border-collapse:collapse;font-size:.85rem;margin:.3em 0;overflow-wrap:normal}
caption{text-align:left;padding:.2em 0}
th,td{padding:.3em .55em;border-bottom:1px solid #eaeef2;vertical-align:top;text-align:left}
th{background:#f6f8fa;position:sticky;top:0}
th button{all:inherit;cursor:pointer;padding:0;white-space:nowrap}
th[aria-sort=ascending] button::after{content:" \\25B2"}
th[aria-sort=descending] button::after{content:" \\25BC"}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.text{min-width:16em;max-width:32em;overflow-wrap:anywhere;word-break:break-word}
td a{color:#0969da}
details.jobs{margin:.3em 0}details.jobs summary{cursor:pointer;overflow-wrap:anywhere}
details.jobs:target summary{background:#fff8c5}
td.short{white-space:nowrap}
td.time{white-space:nowrap}
tr.failed td:first-child{border-left:3px solid #C44E52}
ol.notes{font-size:.85rem;color:#3d444d}
@media (max-width:600px){body{padding:8px;font-size:14px}
dl.summary{grid-template-columns:1fr}dl.summary dd{margin-bottom:.4em}
td.text{min-width:19em;max-width:22em}}
"""

# Click a header to sort by that column; again to reverse. Cells sort by data-sort when present (raw numbers
# behind formatted text), numerically when both values are numbers, empty cells always last.
SORT_JS = """
(function () {
  function key(row, col) {
    var cell = row.cells[col];
    if (!cell) { return ""; }
    return cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent.trim();
  }
  function isNumber(text) { return text !== "" && isFinite(Number(text)); }
  function compare(a, b) {
    if (a === "" || b === "") { return (a === "") - (b === ""); }
    if (isNumber(a) && isNumber(b)) { return Number(a) - Number(b); }
    return a.localeCompare(b, undefined, {numeric: true, sensitivity: "base"});
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
    heads.forEach(function (th, col) {
      th.querySelector("button").addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        heads.forEach(function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (r1, r2) {
          var a = key(r1, col), b = key(r2, col);
          if (a === "" || b === "") { return compare(a, b); }
          return ascending ? compare(a, b) : compare(b, a);
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  });
  // A link to a drill-down (#jobs-…) opens its <details>.
  function openTarget() {
    var target = location.hash ? document.getElementById(location.hash.slice(1)) : null;
    if (target && target.tagName === "DETAILS") { target.open = true; }
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();
})();
"""


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; img-src data:; style-src {_csp_hash(CSS)}; script-src {_csp_hash(SORT_JS)}; "
    "base-uri 'none'; form-action 'none'"
)


def data_uri_png(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _cell_text(value: object) -> str:
    if isinstance(value, (list, tuple, np.ndarray)):
        return ", ".join(map(str, value))
    text = "" if value is None else str(value)
    return "" if text in ("nan", "NaT", "<NA>", "None") and not isinstance(value, str) else text


def _dtype_format(values: pd.Series) -> ColumnFormat:
    """What a column without a declared format is, by its dtype alone (never by its name)."""
    if isinstance(values.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(values.dtype):
        return "time"
    if pd.api.types.is_bool_dtype(values.dtype):
        return "text"
    if pd.api.types.is_numeric_dtype(values.dtype):
        return "number"
    return "text"


def _numbers(numbers: np.ndarray, fmt: ColumnFormat, integer: bool) -> list[str]:
    if fmt == "duration":
        return [format_duration(v) if not np.isnan(v) else "" for v in numbers]
    if fmt == "percent":
        return [f"{v:.1%}" if not np.isnan(v) else "" for v in numbers]
    if fmt == "ratio":
        return [f"{v:.2f}×" if not np.isnan(v) else "" for v in numbers]
    if fmt == "count" or integer or np.all(np.isnan(numbers) | (numbers == np.round(numbers))):
        return [f"{v:,.0f}" if not np.isnan(v) else "" for v in numbers]
    return [f"{v:,.3g}" if not np.isnan(v) else "" for v in numbers]


class _Cells(NamedTuple):
    """One column, ready to render: display texts, raw sort keys (None when the text sorts right), a CSS
    class, and the full texts of cells that were cut (None when none was)."""

    texts: list[str]
    keys: list[str] | None
    css: str
    titles: list[str] | None = None


def _column_cells(values: pd.Series, fmt: ColumnFormat | None, tz: dt.tzinfo | None = None) -> _Cells:
    fmt = fmt or _dtype_format(values)
    if fmt == "time":
        stamps = pd.to_datetime(values, utc=True)
        if tz is not None:
            stamps = stamps.dt.tz_convert(tz)
        shown = stamps.dt.strftime("%Y-%m-%d %H:%M:%S").fillna("").tolist()
        keys = stamps.dt.tz_convert("UTC").dt.strftime("%Y-%m-%dT%H:%M:%S.%f").fillna("").tolist()
        return _Cells(shown, keys, "time")
    if pd.api.types.is_bool_dtype(values.dtype):
        return _Cells(
            ["yes" if v is True else "no" if v is False else "" for v in values.tolist()], None, "text"
        )
    if fmt != "text" and pd.api.types.is_numeric_dtype(values.dtype):
        numbers = values.to_numpy(dtype=np.float64, na_value=np.nan)
        keys = ["" if np.isnan(v) else repr(float(v)) for v in numbers]
        return _Cells(_numbers(numbers, fmt, pd.api.types.is_integer_dtype(values.dtype)), keys, "num")
    texts = [_cell_text(v) for v in values.tolist()]
    cut = [t if len(t) <= TEXT_CELL_LIMIT else t[: TEXT_CELL_LIMIT - 1] + "…" for t in texts]
    titles = [t[:TITLE_LIMIT] if len(t) > TEXT_CELL_LIMIT else "" for t in texts]
    # Names and ids stay on one line; only prose (reasons, templates) wraps.
    css = "text" if max(map(len, cut), default=0) > SHORT_TEXT else "short"
    return _Cells(cut, None, css, titles if any(titles) else None)


def with_index_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Named index levels (``job_type``, ``period``) as leading columns; an unnamed index is dropped."""
    if any(name is not None for name in frame.index.names):
        return frame.reset_index()
    return frame.reset_index(drop=True)


def table_html(
    frame: pd.DataFrame,
    *,
    formats: Formats | None = None,
    caption: str | None = None,
    max_rows: int | None = 500,
    tz: dt.tzinfo | None = None,
    links: Mapping[str, Sequence[str | None]] | None = None,
) -> str:
    """A sortable, horizontally scrollable HTML table; every header and cell is HTML-escaped.

    Named index levels are shown as leading columns. ``formats`` (column → ``ColumnFormat``, declared by the
    table's producer) says how to show each column: durations as "1h 05m", shares as percentages, …;
    columns it does not name are shown by dtype. Numbers keep their raw value for sorting. With ``tz``,
    times are shown in that zone and their headers name it (``created (Asia/Shanghai)``); else UTC. Text
    longer than ``TEXT_CELL_LIMIT`` is cut, the whole text in the cell's title. ``links`` maps a column to
    one in-page fragment (``"#id"``) or None per row: that cell becomes a link.
    """
    formats = formats or {}
    links = links or {}
    if any(href is not None and not href.startswith("#") for hrefs in links.values() for href in hrefs):
        raise ValueError("table_html: links must be in-page fragments starting with '#'")
    shown = with_index_columns(frame)
    total = len(shown)
    if max_rows is not None and total > max_rows:
        shown = shown.head(max_rows)
    if shown.empty:
        return f'<p class="note">{html.escape(caption or "Table")}: none.</p>'
    columns = [str(c) for c in shown.columns]
    cells = [_column_cells(shown.iloc[:, i], formats.get(name), tz) for i, name in enumerate(columns)]
    headers = [
        f"{name} ({tz_label(tz)})" if tz is not None and column.css == "time" else name
        for name, column in zip(columns, cells, strict=True)
    ]
    failed_rows = (
        (shown["status"].astype("string") == "Failed").fillna(False).tolist() if "status" in shown else None
    )
    head = "".join(
        f'<th scope="col"><button type="button">{html.escape(name)}</button></th>' for name in headers
    )
    hrefs = [links.get(name) for name in columns]
    rows = []
    for r in range(len(shown)):
        tds = []
        for column, href in zip(cells, hrefs, strict=True):
            attrs = f' data-sort="{html.escape(column.keys[r])}"' if column.keys is not None else ""
            if column.titles is not None and column.titles[r]:
                attrs += f' title="{html.escape(column.titles[r])}"'
            text = html.escape(column.texts[r])
            target = href[r] if href is not None and r < len(href) else None
            if target is not None:
                text = f'<a href="{html.escape(target)}">{text}</a>'
            tds.append(f'<td class="{column.css}"{attrs}>{text}</td>')
        row_class = ' class="failed"' if failed_rows and failed_rows[r] else ""
        rows.append(f"<tr{row_class}>{''.join(tds)}</tr>")
    cap = f'<caption class="note">{html.escape(caption)}</caption>' if caption else ""
    more = (
        f'<p class="note">Showing the first {len(shown):,} of {total:,} rows; the CSV has all.</p>'
        if len(shown) < total
        else ""
    )
    return (
        f'<div class="scroll"><table class="sortable">{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>{more}"
    )


def definition_list(facts: Iterable[tuple[str, str]]) -> str:
    items = "".join(f"<dt>{html.escape(label)}</dt><dd>{html.escape(value)}</dd>" for label, value in facts)
    return f'<dl class="summary">{items}</dl>'


def figure_html(png: bytes, alt: str, caption: str | None = None) -> str:
    cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return f'<figure><img src="{data_uri_png(png)}" alt="{html.escape(alt)}">{cap}</figure>'


@dataclass
class Section:
    """One report section: an id for the table of contents, a heading and already-safe HTML parts."""

    anchor: str
    heading: str
    parts: list[str] = field(default_factory=list)


def render_page(title: str, sections: Sequence[Section], notes: Sequence[str], *, generated: str) -> str:
    """The whole page. ``sections`` hold HTML built by this module; ``title``, ``notes`` are plain text."""
    nav = "".join(f'<a href="#{s.anchor}">{html.escape(s.heading)}</a>' for s in sections)
    body = "".join(
        f'<section id="{s.anchor}"><h2>{html.escape(s.heading)}</h2>{"".join(s.parts)}</section>'
        for s in sections
    )
    footnotes = "".join(f'<li id="note-{i}">{html.escape(text)}</li>' for i, text in enumerate(notes, 1))
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head>"
        f'<body><header><h1>{html.escape(title)}</h1><p class="note">Generated {html.escape(generated)}</p>'
        f"<nav>{nav}</nav></header><main>{body}</main>"
        f'<footer><h2 id="notes">Definitions</h2><ol class="notes">{footnotes}</ol></footer>'
        f"<script>{SORT_JS}</script></body></html>\n"
    )
