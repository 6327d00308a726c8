"""CSV through Arrow: ISO UTC times built as bytes, floats rounded by meaning; formula guard."""

from __future__ import annotations

import csv
import datetime as dt
import zoneinfo
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ddsjobs_analytics._render._csv import iso_utc, local_header, local_times, spreadsheet_safe, write_csv


def rows(path: Path, encoding: str = "utf-8") -> list[list[str]]:
    with path.open(newline="", encoding=encoding) as handle:
        return list(csv.reader(handle))


@pytest.mark.parametrize(
    "text",
    [
        "1970-01-01T00:00:00",
        "2026-11-01T01:00:00",
        "2000-02-29T23:59:59",
        "1900-03-01T12:34:56",
        "2100-12-31T00:00:01",
        "1969-12-31T23:59:59",
        "9999-12-31T23:59:59",
    ],
)
def test_iso_utc_matches_strftime(text: str) -> None:
    stamps = pd.Series(pd.DatetimeIndex(np.array([text], dtype="datetime64[us]")).tz_localize("UTC"))
    assert iso_utc(stamps).to_pylist() == [text + "+00:00"]


def test_iso_utc_random_instants_match_pandas() -> None:
    rng = np.random.default_rng(5)
    micros = rng.integers(-2_000_000_000, 4_000_000_000, 2000) * 1_000_000
    stamps = pd.Series(pd.to_datetime(micros, unit="us", utc=True))
    assert iso_utc(stamps).to_pylist() == stamps.dt.strftime("%Y-%m-%dT%H:%M:%S+00:00").tolist()


def test_iso_utc_microseconds_only_when_present_and_missing_is_null() -> None:
    stamps = pd.Series(
        pd.to_datetime(["2026-11-01 01:00:00.25", None, "2026-11-01 01:00:01"], utc=True, format="ISO8601")
    )
    assert iso_utc(stamps).to_pylist() == [
        "2026-11-01T01:00:00.250000+00:00",
        None,
        "2026-11-01T01:00:01.000000+00:00",
    ]
    # Other zones are written as the same instant in UTC.
    beijing = pd.Series(pd.to_datetime(["2026-11-01 09:00:00"]).tz_localize("Asia/Shanghai"))
    assert iso_utc(beijing).to_pylist() == ["2026-11-01T01:00:00+00:00"]


def test_floats_are_rounded_to_what_they_mean(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "duration_s": [2544.6000000000004, 0.04, np.nan],
            "rate": [1 / 3, 0.1 + 0.2, 1.0],
            "count": [3.0, 4.0, np.nan],
            "plain": [0.1 + 0.2, 1e-9, 2.5],
            "n": pd.array([1, None, 3], dtype="Int64"),
        }
    )
    formats = {"duration_s": "duration", "rate": "percent", "count": "count"}
    path = write_csv(frame, tmp_path / "x.csv", formats=formats)  # type: ignore[arg-type]
    assert rows(path) == [
        ["duration_s", "rate", "count", "plain", "n"],
        ["2544.6", "0.333333", "3", "0.3", "1"],
        ["0", "0.3", "4", "0", ""],
        ["", "1", "", "2.5", "3"],
    ]


def test_formula_guard_on_categories_strings_and_lists(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "kind": pd.Categorical(["=cmd", "ok", None, "=cmd"]),
            "note": pd.array(["+1", "@x", None, "a=b"], dtype="string"),
            "ids": pd.Series([["-a", "b"], [], None, ["c"]], dtype=object),
        }
    )
    path = write_csv(frame, tmp_path / "x.csv")
    assert rows(path) == [
        ["kind", "note", "ids"],
        ["'=cmd", "'+1", "'-a; b"],
        ["ok", "'@x", ""],
        ["", "", ""],
        ["'=cmd", "a=b", "c"],
    ]
    # Every row, the header included, ends in CRLF.
    assert path.read_bytes().count(b"\r\n") == 5 and path.read_bytes().endswith(b"\r\n")


def test_bom_and_unicode(tmp_path: Path) -> None:
    frame = pd.DataFrame({"reason": ["节点不可达", "ünïcode"]})
    path = write_csv(frame, tmp_path / "x.csv", bom=True)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert rows(path, "utf-8-sig") == [["reason"], ["节点不可达"], ["ünïcode"]]


def test_timedeltas_are_seconds_and_empty_frames_have_a_header(tmp_path: Path) -> None:
    frame = pd.DataFrame({"wait": pd.to_timedelta([1.26, None], unit="s"), "n": [1, 2]})
    assert rows(write_csv(frame, tmp_path / "x.csv")) == [["wait", "n"], ["1.3", "1"], ["", "2"]]
    empty = pd.DataFrame(
        {"a": pd.Series([], dtype="string"), "t": pd.Series([], dtype="datetime64[us, UTC]")}
    )
    assert rows(write_csv(empty, tmp_path / "e.csv")) == [["a", "t"]]
    assert spreadsheet_safe(empty).empty


def test_local_times_match_the_standard_library_across_dst() -> None:
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    rng = np.random.default_rng(11)
    # Around the 2026 spring-forward (29 March) and fall-back (25 October) in Berlin, to the microsecond.
    micros = np.concatenate(
        [rng.integers(1_774_742_400, 1_774_828_800, 500), rng.integers(1_792_540_800, 1_792_627_200, 500)]
    ) * 1_000_000 + rng.integers(0, 1_000_000, 1000)
    stamps = pd.Series(pd.to_datetime(micros, unit="us", utc=True))
    expected = [
        dt.datetime.fromtimestamp(int(m) // 1_000_000, dt.timezone.utc)
        .replace(microsecond=int(m) % 1_000_000)
        .astimezone(berlin)
        .strftime("%Y-%m-%d %H:%M:%S.%f")
        for m in micros
    ]
    assert local_times(stamps, berlin).to_pylist() == expected
    assert local_header("created", berlin) == "created_local (Europe/Berlin)"


def test_csv_local_columns_follow_each_time_column(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "job_id": ["a", "b"],
            "created": pd.to_datetime(["2026-11-01 17:30:00", "2026-11-02 00:00:00"], utc=True),
            "ended": pd.to_datetime(["2026-11-01 18:00:00", None], utc=True),
        }
    )
    plus8 = dt.timezone(dt.timedelta(hours=8))
    got = rows(write_csv(frame, tmp_path / "t.csv", tz=plus8))
    assert got == [
        ["job_id", "created", "created_local (UTC+08:00)", "ended", "ended_local (UTC+08:00)"],
        [
            "a",
            "2026-11-01T17:30:00+00:00",
            "2026-11-02 01:30:00",
            "2026-11-01T18:00:00+00:00",
            "2026-11-02 02:00:00",
        ],
        ["b", "2026-11-02T00:00:00+00:00", "2026-11-02 08:00:00", "", ""],
    ]
    assert rows(write_csv(frame, tmp_path / "u.csv"))[0] == ["job_id", "created", "ended"]
