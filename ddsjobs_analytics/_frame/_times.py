"""The frame's time columns: API strings → UTC instants, with unusable and implausible times counted.

Parsing itself is :func:`~ddsjobs_analytics._core._time.parse_api_times`; this module applies the frame's
rules.
A time outside 1970–2100 (a sentinel like 9999, a typo'd year) is a counted data problem and NaT for
analysis: no duration, no chart axis stretched to year 1 or 9999. The archive keeps the record's raw text.
"""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pyarrow as pa

from .._core._time import FIRST_YEAR, LAST_YEAR, ParsedTimes, parse_api_times, parse_instant, plausible
from ._codes import categories
from ._naive import NaiveTimeError, Zone, localize, slash_order, wall_times
from ._quality import Problems

__all__ = ["NAT", "YEARS", "observed_at_argument", "observed_at_column", "time_column", "time_columns"]

NAT = np.iinfo(np.int64).min  # datetime64's NaT as an int64
YEARS = f"{FIRST_YEAR}–{LAST_YEAR}"


def time_columns(
    columns: dict[str, pa.Array], problems: Problems, zone: Zone | None
) -> dict[str, ParsedTimes]:
    """``created``/``ended`` (frame names → strings) parsed, naive times placed by ``zone`` (the rule of
    ``_naive``; None: refused as before, counted unparseable); unusable values are NaT and counted."""
    parsed = {field: _parse(strings) for field, strings in columns.items()}
    if zone is not None:
        naive = {field: np.flatnonzero(times.bad) for field, times in parsed.items()}
        texts = {field: columns[field].take(pa.array(rows)).to_pylist() for field, rows in naive.items()}
        if any(len(rows) for rows in naive.values()):
            order = slash_order(
                (text for values in texts.values() for text in values), what="/".join(columns)
            )
            for field, times in parsed.items():
                _place_naive(times, naive[field], texts[field], order, zone, field, problems, columns[field])
    return {field: time_column(columns[field], field, problems, parsed[field]) for field in columns}


_SLICE_ROWS = 1 << 16  # rows parsed at a time: temporaries of ~1 MB each, in cache, not 40 MB fresh pages


def _parse(strings: pa.Array | pa.ChunkedArray) -> ParsedTimes:
    """:func:`parse_api_times` of ``strings`` (one array or a file's batches), a slice at a time: the same
    result, at ~60 % of the CPU of one call over a million rows (its two dozen full-length temporaries
    each cost fresh pages)."""
    n = len(strings)
    chunks = strings.chunks if isinstance(strings, pa.ChunkedArray) else [strings]
    if n <= _SLICE_ROWS and len(chunks) == 1:
        return parse_api_times(chunks[0])
    out = ParsedTimes(
        np.full(n, NAT, dtype=np.int64).view("datetime64[us]"),
        np.zeros(n, dtype=np.int16),
        np.zeros(n, dtype=bool),
        np.zeros(n, dtype=bool),
    )
    start = 0
    for chunk in chunks:
        for offset in range(0, len(chunk), _SLICE_ROWS):
            part = parse_api_times(chunk.slice(offset, _SLICE_ROWS))
            stop = start + len(part.bad)
            out.utc[start:stop] = part.utc
            out.offset_minutes[start:stop] = part.offset_minutes
            out.missing[start:stop] = part.missing
            out.bad[start:stop] = part.bad
            start = stop
    return out


def _place_naive(
    times: ParsedTimes,
    rows: np.ndarray,
    texts: list[str | None],
    order: str | None,
    zone: Zone,
    field: str,
    problems: Problems,
    strings: pa.Array,
) -> None:
    """Naive times among ``rows`` (rejected by the API parser) → UTC by the row's offset, else ``zone.tz``."""
    wall = wall_times(texts, order)  # type: ignore[arg-type]
    naive = wall != NAT
    if not naive.any():
        return
    rows, wall = rows[naive], wall[naive]
    known = zone.known[rows]
    utc = np.where(known, wall - zone.minutes[rows] * 60_000_000, NAT)
    minutes = np.where(known, zone.minutes[rows], 0)
    if not known.all():
        if zone.tz is None:
            unplaced = rows[~known]
            example = texts[int(np.flatnonzero(naive)[np.flatnonzero(~known)[0]])]
            many = len(unplaced) > 1
            raise NaiveTimeError(
                f"{len(unplaced):,} {field} time{'s' if many else ''} without a UTC offset "
                f"(first: {example!r}, {problems.label(int(unplaced[0]))}) and no utc_offset on "
                f"{'their rows' if many else 'its row'}: name the zone with assume_tz='Asia/Shanghai' "
                "(CLI: --assume-tz ZONE); a zone is never guessed"
            )
        placed, offsets = localize(wall[~known], zone.tz)
        utc[~known], minutes[~known] = placed, offsets
        problems.add("not in zone", field, rows[~known][placed == NAT], strings)
    times.utc.view(np.int64)[rows] = utc
    times.offset_minutes[rows] = minutes
    times.bad[rows] = False


def time_column(
    strings: pa.Array, field: str, problems: Problems, times: ParsedTimes | None = None
) -> ParsedTimes:
    """``created``/``ended`` strings parsed; unparseable and out-of-range values are NaT and counted."""
    times = _parse(strings) if times is None else times
    problems.add("unparseable", field, np.flatnonzero(times.bad), strings)
    micros = times.utc.view(np.int64)  # a view: writing NaT here writes it in ``times.utc``
    outside = (micros != NAT) & ~plausible(micros)
    if outside.any():
        rows = np.flatnonzero(outside)
        problems.add("out of range", field, rows, strings)
        micros[rows] = NAT
        times.offset_minutes[rows] = 0
    return times


def observed_at_argument(observed_at: object) -> int:
    """The call's ``observed_at`` (default: now) as UTC microseconds; naive, unparseable or implausible:
    an error."""
    if observed_at is None:
        observed_at = datetime.now(timezone.utc)
    micros = parse_instant(observed_at)
    if micros is None:
        raise ValueError(
            "observed_at must be a timezone-aware datetime or an ISO time with a UTC offset, "
            f"got {observed_at!r}"
        )
    if not plausible(np.array([micros]))[0]:
        raise ValueError(f"observed_at must fall in {YEARS}, got {observed_at!r}")
    return micros


def observed_at_column(strings: pa.Array, default_us: int, problems: Problems) -> np.ndarray:
    """Per-record ``observed_at`` (few distinct values, parsed once each), else the call's value."""
    if strings.null_count == len(strings):
        return np.full(len(strings), default_us, dtype=np.int64)
    codes, uniques = categories(strings, strip=True)
    table = np.full(len(uniques) + 1, default_us, dtype=np.int64)  # last slot: code −1 (no value)
    junk, outside = [], []
    for i, unique in enumerate(uniques):
        micros = parse_instant(unique)
        table[i] = NAT if micros is None else micros
        if micros is None:
            junk.append(i)
        elif not plausible(np.array([micros]))[0]:
            table[i] = NAT
            outside.append(i)
    if junk:
        problems.add("unparseable", "observed_at", np.flatnonzero(np.isin(codes, junk)), strings)
    if outside:
        problems.add("out of range", "observed_at", np.flatnonzero(np.isin(codes, outside)), strings)
    return table[codes]
