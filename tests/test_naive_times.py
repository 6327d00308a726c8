"""Times without a UTC offset (issue 17 §5): one rule for every format. The row's ``utc_offset`` places them,
else ``assume_tz``/``--assume-tz``; with neither the input is refused in one line naming the option."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import pandas as pd
import pytest

import ddsjobs_analytics as dj
from ddsjobs_analytics import _cli as cli

# Beijing wall times as Excel re-saves them, and the instants they stand for (UTC+8).
WALL = [("2026/11/30 21:17", "2026/11/30 21:47"), ("2026/12/1 8:05", "2026/12/1 9:05")]
UTC = [("2026-11-30T13:17:00Z", "2026-11-30T13:47:00Z"), ("2026-12-01T00:05:00Z", "2026-12-01T01:05:00Z")]
HEADER = "job_id,job_name,job_type,status,created,ended,utc_offset,fail_reason\n"


def _csv(tmp_path: Path, *, offset: str = "480", name: str = "excel.csv") -> Path:
    rows = [
        f"j{i},CreateMongoDB,CreateMongoDB,Completed,{created},{ended},{offset},"
        for i, (created, ended) in enumerate(WALL)
    ]
    path = tmp_path / name
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def _records(**extra: object) -> list[dict]:
    return [
        {"id": f"j{i}", "name": "CreateMongoDB", "status": "Completed", "created": c, "ended": e, **extra}
        for i, (c, e) in enumerate(WALL)
    ]


def _expect(frame: pd.DataFrame) -> None:
    assert frame["created"].tolist() == [pd.Timestamp(c) for c, _ in UTC]
    assert frame["ended"].tolist() == [pd.Timestamp(e) for _, e in UTC]
    assert frame["utc_offset"].tolist() == [480, 480]
    assert frame["duration_s"].tolist() == [1800.0, 3600.0]


def test_an_excel_resaved_csv_uses_its_own_utc_offset_column(tmp_path: Path):
    _expect(dj.load_jobs(_csv(tmp_path)))


def test_the_same_strings_in_json_use_the_record_utc_offset(tmp_path: Path):
    path = tmp_path / "jobs.json"
    path.write_text(json.dumps(_records(utc_offset=480)), encoding="utf-8")
    _expect(dj.load_jobs(path))
    _expect(dj.jobs_frame(_records(utc_offset="+0800")))


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "+08:00", "UTC+8"])
def test_without_an_offset_column_assume_tz_decides(zone: str):
    _expect(dj.jobs_frame(_records(), assume_tz=zone))


def test_without_offset_or_zone_the_input_is_refused_naming_the_option(tmp_path: Path):
    with pytest.raises(dj.NaiveTimeError) as info:
        dj.jobs_frame(_records())
    message = str(info.value)
    assert "\n" not in message and "assume_tz=" in message and "--assume-tz" in message
    assert "2 created times without a UTC offset (first: '2026/11/30 21:17', job j0)" in message
    path = _csv(tmp_path, offset="")
    with pytest.raises(dj.NaiveTimeError, match=f"^{re.escape(str(path))}: 2 created times"):
        dj.load_jobs(path)


def test_the_cli_refuses_in_one_line_then_reads_with_assume_tz(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    path = _csv(tmp_path, offset="")
    out = tmp_path / "r"
    assert cli.main(["report", str(path), "--out", str(out), "--no-charts"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--assume-tz" in err and str(path) in err
    assert (
        cli.main(["report", str(path), "--assume-tz", "Asia/Shanghai", "--out", str(out), "--no-charts"]) == 0
    )
    written = pd.read_csv(out / "jobs.csv")
    assert written["created"].tolist()[:2] == ["2026-11-30T13:17:00+00:00", "2026-12-01T00:05:00+00:00"]


def test_a_row_offset_wins_over_assume_tz_and_an_explicit_offset_wins_over_both():
    records = _records(utc_offset=480)
    records[1]["created"] = "2026-12-01T00:05:00+0000"  # its own offset: the instant as written
    frame = dj.jobs_frame(records, assume_tz="America/New_York")
    assert frame["created"].tolist() == [pd.Timestamp(UTC[0][0]), pd.Timestamp(UTC[1][0])]
    assert frame["utc_offset"].tolist() == [480, 480]  # the record's own utc_offset is kept


@pytest.mark.parametrize(
    ("created", "expected"),
    [
        ("30/11/2026 21:17:05", "2026-11-30T21:17:05Z"),  # day > 12 in the first place: day-first
        ("11/30/2026 9:17:05 PM", "2026-11-30T21:17:05Z"),  # day > 12 in the second place: month-first
        ("2026-11-30 21:17", "2026-11-30T21:17:00Z"),
        ("2026-11-30T21:17:05.250", "2026-11-30T21:17:05.250Z"),
        ("2026/11/30", "2026-11-30T00:00:00Z"),
    ],
)
def test_excel_forms_that_say_their_order_are_read(created: str, expected: str):
    frame = dj.jobs_frame(
        [{"id": "a", "name": "X", "status": "Running", "created": created}], assume_tz="UTC"
    )
    assert frame["created"].iloc[0] == pd.Timestamp(expected)


def test_the_slash_order_is_decided_by_the_inputs_own_values():
    records = [
        {"id": "a", "name": "X", "status": "Running", "created": "05/11/2026 10:00"},
        {"id": "b", "name": "X", "status": "Running", "created": "30/11/2026 10:00"},
    ]
    frame = dj.jobs_frame(records, assume_tz="UTC")
    assert frame["created"].tolist() == [pd.Timestamp("2026-11-05T10:00Z"), pd.Timestamp("2026-11-30T10:00Z")]


@pytest.mark.parametrize(
    ("values", "why"),
    [
        (["05/11/2026 10:00", "06/11/2026 10:00"], "ambiguous and no value decides it"),
        (["30/11/2026 10:00", "11/30/2026 10:00"], "both day/month orders"),
    ],
)
def test_an_undecided_or_contradictory_day_month_order_is_refused(values: list[str], why: str):
    records = [{"id": str(i), "name": "X", "status": "Running", "created": v} for i, v in enumerate(values)]
    with pytest.raises(dj.AmbiguousDateError, match=why):
        dj.jobs_frame(records, assume_tz="UTC")


def test_a_wall_time_that_a_dst_change_skips_is_counted_not_guessed():
    records = [
        {
            "id": "gap",
            "name": "X",
            "status": "Running",
            "created": "2026-03-29 02:30",
        },  # Berlin skips 02:00–03:00
        {"id": "ok", "name": "X", "status": "Running", "created": "2026-03-29 04:30"},
    ]
    with pytest.warns(dj.DataQualityWarning, match="daylight-saving") as caught:
        frame = dj.jobs_frame(records, assume_tz="Europe/Berlin")
    assert caught[0].message.counts == {"created not in assume_tz": 1}  # type: ignore[union-attr]
    assert pd.isna(frame["created"].iloc[0])
    assert (
        frame["created"].iloc[1] == pd.Timestamp("2026-03-29T02:30Z") and frame["utc_offset"].iloc[1] == 120
    )


@pytest.mark.parametrize("offset", ["7", "8h", "480.5", "2000"])
def test_an_unusable_utc_offset_is_counted_and_never_used(offset: str):
    records = _records(utc_offset=offset)
    with pytest.raises(dj.NaiveTimeError):
        dj.jobs_frame(records, errors="ignore")
    with pytest.warns(dj.DataQualityWarning, match="utc_offset ×2"):
        _expect(dj.jobs_frame(records, assume_tz="Asia/Shanghai"))


def test_a_parquet_file_with_naive_times_follows_the_same_rule(tmp_path: Path):
    frame = pd.DataFrame(
        {
            "job_id": ["j0", "j1"],
            "job_name": ["CreateMongoDB"] * 2,
            "job_type": ["CreateMongoDB"] * 2,
            "status": ["Completed"] * 2,
            "created": pd.to_datetime([c.replace("/", "-") for c, _ in WALL], format="mixed"),
            "ended": pd.to_datetime([e.replace("/", "-") for _, e in WALL], format="mixed"),
        }
    )
    frame.to_parquet(tmp_path / "naive.parquet")
    with pytest.raises(dj.NaiveTimeError, match=r"naive\.parquet"):
        dj.load_jobs(tmp_path / "naive.parquet")
    _expect(dj.load_jobs(tmp_path / "naive.parquet", assume_tz="Asia/Shanghai"))
    frame["utc_offset"] = 480
    frame.to_parquet(tmp_path / "naive.parquet")
    _expect(dj.load_jobs(tmp_path / "naive.parquet"))


def test_times_with_an_offset_need_no_zone_and_stay_quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        frame = dj.jobs_frame(
            [{"id": "a", "name": "X", "status": "Running", "created": "2026-11-30T21:17:00+0800"}]
        )
    assert frame["created"].iloc[0] == pd.Timestamp("2026-11-30T13:17Z")


def test_check_refuses_naive_times_with_exit_2_naming_the_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    path = _csv(tmp_path, offset="")
    assert cli.main(["check", str(path)]) == 2  # check's usage/input error code (1 means a regression)
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--assume-tz" in err and "NaiveTimeError" in err
    code = cli.main(["check", str(path), "--assume-tz", "Asia/Shanghai"])
    assert code != 2 and "--assume-tz" not in capsys.readouterr().err
