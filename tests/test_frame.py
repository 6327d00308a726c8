"""Tests for ``jobs_frame``: shapes, time parsing, derived columns, data-quality reporting, dtypes."""

from __future__ import annotations

import gzip
import json
import random
import warnings
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from ddsjobs_analytics._frame import (
    JOB_COLUMNS,
    DataQualityWarning,
    RecordError,
    empty_jobs_frame,
    jobs_frame,
    parse_times,
    require_columns,
)

OBSERVED = "2026-11-02T12:00:00+0000"
UTC = timezone.utc


def listtasks(job_id: str = "j1", **overrides: Any) -> dict[str, Any]:
    """A ListTasks (v3.1) record; a Completed CreateMongoDB job of five minutes unless overridden."""
    record = {
        "id": job_id,
        "name": "CreateMongoDB",
        "instance_id": "in01",
        "instance_name": "dds-a",
        "status": "Completed",
        "progress": "",
        "fail_reason": None,
        "created_at": "2026-11-02T10:00:00+0800",
        "ended_at": "2026-11-02T10:05:00+0800",
    }
    record.update(overrides)
    return record


def showjob(job_id: str = "j1", **overrides: Any) -> dict[str, Any]:
    """The same job as :func:`listtasks`, as ShowJobDetail (v3) spells it."""
    flat = listtasks(job_id)
    record = {key: flat[key] for key in ("id", "name", "status", "progress", "fail_reason")}
    record |= {"created": flat["created_at"], "ended": flat["ended_at"]}
    record["instance"] = {"id": flat["instance_id"], "name": flat["instance_name"]}
    record.update(overrides)
    return record


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def frame(records: Any, **kwargs: Any) -> pd.DataFrame:
    """``jobs_frame`` that fails the test on any data-quality warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)
        return jobs_frame(records, observed_at=kwargs.pop("observed_at", OBSERVED), **kwargs)


def one_warning(records: Any, **kwargs: Any) -> tuple[pd.DataFrame, DataQualityWarning]:
    with pytest.warns(DataQualityWarning) as caught:
        df = jobs_frame(records, observed_at=OBSERVED, **kwargs)
    quality = [w.message for w in caught if isinstance(w.message, DataQualityWarning)]
    assert len(quality) == 1, [str(w) for w in quality]
    return df, quality[0]


# ------------------------------------------------------------------------------------- times


@pytest.mark.parametrize(
    ("text", "expected_utc", "offset"),
    [
        ("2026-11-02T10:00:00+0800", "2026-11-02T02:00:00", 480),
        ("2026-11-02T10:00:00-0330", "2026-11-02T13:30:00", -210),
        ("2026-11-02T10:00:00+0545", "2026-11-02T04:15:00", 345),
        ("2026-11-02T10:00:00+0000", "2026-11-02T10:00:00", 0),
        ("2026-11-02T10:00:00Z", "2026-11-02T10:00:00", 0),
        ("2026-11-02T10:00:00+05:30", "2026-11-02T04:30:00", 330),
        ("2026-11-02T10:00:00.25+0800", "2026-11-02T02:00:00.25", 480),
        ("2026-11-02T10:00:00.123456789Z", "2026-11-02T10:00:00.123456", 0),
        ("2026-01-01T02:00:00+0300", "2025-12-31T23:00:00", 180),  # crosses a year backwards
        ("2024-02-29T23:30:00-0100", "2024-03-01T00:30:00", -60),  # leap day, forwards
    ],
)
def test_created_is_utc_and_offset_is_as_written(text: str, expected_utc: str, offset: int) -> None:
    df = frame([listtasks(created_at=text, ended_at=None, status="Running")])
    assert df["created"].iloc[0] == utc(expected_utc)
    assert df["utc_offset"].iloc[0] == offset


def test_fast_path_agrees_with_strptime_on_random_times() -> None:
    rng = random.Random(7)
    texts, expected = [], []
    for _ in range(1000):
        moment = datetime(1, 1, 1) + timedelta(seconds=rng.randrange(int(9998.9 * 365.2425 * 86400)))
        hours, minutes = rng.randrange(24), rng.choice([0, 0, 15, 30, 45, rng.randrange(60)])
        sign = rng.choice("+-")
        text = f"{moment.year:04d}-{moment:%m-%dT%H:%M:%S}{sign}{hours:02d}{minutes:02d}"
        texts.append(text)
        parsed = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z")
        expected.append((parsed - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1))
    times = parse_times(texts)
    assert times.utc.view(np.int64).tolist() == expected
    assert not times.bad.any()


def _strptime_or_none(text: str) -> int | None:
    try:
        parsed = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        return None
    return (parsed - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def test_fast_path_rejects_exactly_what_strptime_rejects() -> None:
    rng = random.Random(11)
    texts = []
    for _ in range(3000):
        text = list(
            f"20{rng.randrange(100):02d}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}T12:00:00+0800"
        )
        for _ in range(rng.randrange(1, 3)):  # corrupt one or two characters (same length: the fast path)
            text[rng.randrange(24)] = rng.choice("0123456789-+:TZx")
        texts.append("".join(text))
    texts += ["2026-02-29T00:00:00+0000", "2024-02-29T00:00:00+0000", "2026-04-31T00:00:00+0000"]
    texts += ["2026-11-02T24:00:00+0000", "2026-11-02T23:60:00+0000", "2026-11-02T23:59:60+0000"]
    texts += [
        "2026-11-02T10:00:00+2400",
        "2026-11-02T10:00:00+2359",
        "2026-11-02T10:00:00+0060",
        "0000-01-01T00:00:00+0000",
    ]
    expected = [_strptime_or_none(text) for text in texts]
    times = parse_times(texts)
    got = [None if bad else int(us) for bad, us in zip(times.bad, times.utc.view(np.int64), strict=True)]
    mismatches = [(t, e, g) for t, e, g in zip(texts, expected, got, strict=True) if e != g]
    assert not mismatches, mismatches[:5]
    assert 0 < sum(e is None for e in expected) < len(texts)  # the sample has both kinds


def test_fast_and_fallback_forms_mixed_in_one_column() -> None:
    texts = [
        "2026-11-02T10:00:00+0800",
        "2026-11-02T10:00:00.5+0800",
        "2026-11-02T10:00:00-03:00",
        "2026-11-02T10:00:00.000001Z",
        "2026-11-02 10:00:00+0800",
        "2026-11-02T10:00Z",
        "2026-11-02T10:00:00",  # no offset: ambiguous, rejected
        "yesterday",
        "",
        None,
    ]
    formats = ["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z"]
    formats += ["%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%d %H:%M:%S%z", "%Y-%m-%dT%H:%M%z"]
    expected = [datetime.strptime(text, fmt) for text, fmt in zip(texts[:6], formats, strict=True)]
    times = parse_times(texts)
    got = pd.DatetimeIndex(times.utc).tz_localize("UTC")
    assert list(got[:6]) == [pd.Timestamp(e) for e in expected]
    assert times.offset_minutes[:6].tolist() == [480, 480, -180, 0, 480, 0]
    assert times.bad.tolist() == [False] * 6 + [True, True, False, False]
    assert times.missing.tolist() == [False] * 8 + [True, True]


# ------------------------------------------------------------------------------------- derived columns


def test_running_job_ignores_the_filled_ended_and_gets_an_age() -> None:
    # ShowJobDetail's own example: a Running job whose `ended` is created + 10 s.
    df = frame([showjob(status="Running", progress="9%", ended="2026-11-02T10:00:10+0800")])
    row = df.iloc[0]
    assert pd.isna(row["ended"]) and np.isnan(row["duration_s"])
    assert row["age_s"] == 10 * 3600  # 12:00Z observed − 02:00Z created
    assert row["progress"] == pytest.approx(0.09)


def test_duration_only_for_completed_and_failed() -> None:
    df = frame(
        [
            listtasks("done"),
            listtasks("failed", status="Failed", fail_reason="Failed to upgrade the DB Agent."),
            listtasks("odd", status="Canceled"),
        ]
    )
    assert df["duration_s"].tolist()[:2] == [300.0, 300.0]
    assert np.isnan(df["duration_s"].iloc[2]) and df["age_s"].isna().all()
    assert df["ended"].iloc[2] == utc("2026-11-02T02:05:00")  # unknown status: ended kept as given
    assert df["status"].tolist() == ["Completed", "Failed", "Canceled"]


def test_duration_across_offsets_uses_instants() -> None:
    df = frame([listtasks(created_at="2026-11-02T10:00:00+0800", ended_at="2026-11-02T02:30:00+0000")])
    assert df["duration_s"].iloc[0] == 1800.0


def test_ended_before_created_is_nan_and_counted() -> None:
    df, warning = one_warning([listtasks("back", ended_at="2026-11-02T09:59:59+0800"), listtasks("ok")])
    assert np.isnan(df["duration_s"].iloc[0]) and df["duration_s"].iloc[1] == 300.0
    assert warning.counts == {"ended < created": 1}
    assert "1 job has ended < created (job back)" in str(warning)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("37%", 0.37),
        ("37", 0.37),
        (37, 0.37),
        (12.5, 0.125),
        ("100%", 1.0),
        (" 9% ", 0.09),
        ("", None),
        (None, None),
    ],
)
def test_progress(value: object, expected: float | None) -> None:
    got = frame([listtasks(status="Running", progress=value)])["progress"].iloc[0]
    assert np.isnan(got) if expected is None else got == pytest.approx(expected)


@pytest.mark.parametrize("value", ["abc", "150%", "-1%", True, [3]])
def test_unparseable_progress_is_nan_and_counted(value: object) -> None:
    df, warning = one_warning([listtasks("p", progress=value)])
    assert np.isnan(df["progress"].iloc[0])
    assert warning.counts == {"progress": 1}


def test_fail_reason_blank_is_na() -> None:
    reasons = [None, "", "   ", "Failed to upgrade the DB Agent."]
    df = frame([listtasks(str(i), status="Failed", fail_reason=r) for i, r in enumerate(reasons)])
    assert df["fail_reason"].isna().tolist() == [True, True, True, False]
    assert df["fail_reason"].iloc[3] == "Failed to upgrade the DB Agent."


def test_job_type_merges_spellings_and_keeps_unknown_names() -> None:
    df = frame([listtasks("a"), showjob("b", name="Create_MongoDB"), listtasks("c", name="FrobnicateMongo")])
    assert df["job_name"].tolist() == ["CreateMongoDB", "Create_MongoDB", "FrobnicateMongo"]
    assert df["job_type"].tolist() == ["CreateMongoDB", "CreateMongoDB", "FrobnicateMongo"]
    assert sorted(df["job_type"].cat.categories) == ["CreateMongoDB", "FrobnicateMongo"]


# ------------------------------------------------------------------------------------- shapes and sources


def test_both_api_shapes_give_identical_frames() -> None:
    variants = [{}, {"status": "Running", "progress": "60%"}, {"status": "Failed", "fail_reason": "boom"}]
    v31 = frame([listtasks(f"j{i}", **extra) for i, extra in enumerate(variants)])
    v3 = frame([showjob(f"j{i}", **extra) for i, extra in enumerate(variants)])
    pd.testing.assert_frame_equal(v3, v31)
    assert v3["instance_id"].tolist() == ["in01"] * 3 and v3["instance_name"].tolist() == ["dds-a"] * 3


def test_shapes_mixed_in_one_call() -> None:
    df = frame([listtasks("a"), showjob("b", instance={"id": "in02", "name": "dds-b"})])
    assert df["instance_id"].tolist() == ["in01", "in02"]
    assert df["created"].tolist() == [utc("2026-11-02T02:00:00")] * 2


def test_per_value_path_matches_the_arrow_path() -> None:
    # One numeric progress sends the whole call down the per-value path; the frame must not change.
    variants = [{}, {"status": "Running", "progress": "60%"}, {"status": "Failed", "fail_reason": "boom"}]
    records = [listtasks(f"j{i}", **extra) for i, extra in enumerate(variants)]
    records += [showjob("v3", status="Running", progress="7%"), listtasks("r", region="ap-southeast-1")]
    by_arrow = frame(records, region="cn-north-4")
    records[1]["progress"] = 60
    by_python = frame(records, region="cn-north-4")
    pd.testing.assert_frame_equal(by_python, by_arrow)
    assert by_arrow["progress"].iloc[1] == 0.6 and by_arrow["region"].iloc[-1] == "ap-southeast-1"


def test_wrapped_responses() -> None:
    records = [
        {"job": showjob("a")},
        {"total_count": 2, "jobs": [listtasks("b"), listtasks("c")]},
        listtasks("d"),
    ]
    assert frame(records)["job_id"].tolist() == ["a", "b", "c", "d"]
    assert frame({"jobs": [listtasks("x")]})["job_id"].tolist() == ["x"]
    assert frame({"job": showjob("y")})["job_id"].tolist() == ["y"]
    assert frame(iter([listtasks("z")]))["job_id"].tolist() == ["z"]


@pytest.mark.parametrize("name", ["jobs.json", "jobs.json.gz", "jobs.jsonl", "jobs.jsonl.gz"])
def test_files(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    opener: Any = gzip.open if name.endswith(".gz") else open
    with opener(path, "wt", encoding="utf-8") as fh:
        if ".jsonl" in name:
            fh.write(json.dumps(listtasks("a")) + "\n\n")
            fh.write(json.dumps({"jobs": [listtasks("b"), listtasks("c")]}) + "\n")
            fh.write(json.dumps({"job": showjob("d")}) + "\n")
        else:
            json.dump([listtasks("a"), {"jobs": [listtasks("b"), listtasks("c")]}, {"job": showjob("d")}], fh)
    expected = frame([listtasks(i) for i in "abcd"])
    pd.testing.assert_frame_equal(frame(path), expected)
    pd.testing.assert_frame_equal(frame(str(path)), expected)


def test_json_file_holding_one_response(tmp_path: Path) -> None:
    path = tmp_path / "page.json"
    path.write_text(json.dumps({"total_count": 1, "jobs": [listtasks("a")]}), encoding="utf-8")
    assert frame(path)["job_id"].tolist() == ["a"]


def test_jsonl_line_that_is_not_json_keeps_a_row(tmp_path: Path) -> None:
    path = tmp_path / "jobs.jsonl"
    path.write_text(
        json.dumps(listtasks("a")) + "\n{oops\n" + json.dumps(listtasks("b")) + "\n", encoding="utf-8"
    )
    df, warning = one_warning(path)
    assert len(df) == 3 and df["job_id"].isna().tolist() == [False, True, False]
    assert warning.counts == {"bad line": 1}
    assert f"1 line could not be read ({path}:2)" in str(warning)
    with pytest.raises(RecordError, match=r"jobs\.jsonl:2: not JSON"):
        jobs_frame(path, errors="raise")


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.json or \.jsonl"):
        jobs_frame(tmp_path / "jobs.csv")
    broken = tmp_path / "broken.json"
    broken.write_text("[{", encoding="utf-8")
    with pytest.raises(ValueError, match="not valid JSON"):
        jobs_frame(broken)


# ------------------------------------------------------------------------------------- annotations


def test_region_project_and_observed_at_from_record_override_arguments() -> None:
    records = [
        listtasks("a", region="la-south-2", project_id="p2", observed_at="2026-11-02T13:00:00Z"),
        listtasks("b", status="Running"),
        listtasks("c", status="Running", observed_at="2026-11-02T09:00:00-0300"),
    ]
    df = frame(
        records, region="cn-north-4", project_id="p1", observed_at=datetime(2026, 11, 2, 12, tzinfo=UTC)
    )
    assert df["region"].tolist() == ["la-south-2", "cn-north-4", "cn-north-4"]
    assert df["project_id"].tolist() == ["p2", "p1", "p1"]
    assert df["observed_at"].tolist() == [
        utc("2026-11-02T13:00"),
        utc("2026-11-02T12:00"),
        utc("2026-11-02T12:00"),
    ]
    assert df["age_s"].tolist()[1:] == [36000.0, 36000.0]  # 12:00Z − 02:00Z for both


def test_region_absent_everywhere_is_na() -> None:
    df = frame([listtasks("a"), listtasks("b")])
    assert df["region"].isna().all() and df["project_id"].isna().all()


def test_observed_at_defaults_to_now() -> None:
    before = pd.Timestamp.now(tz="UTC")
    df = jobs_frame([listtasks(status="Running")])
    after = pd.Timestamp.now(tz="UTC")
    assert before.floor("us") <= df["observed_at"].iloc[0] <= after
    assert df["age_s"].iloc[0] == (df["observed_at"].iloc[0] - df["created"].iloc[0]).total_seconds()


@pytest.mark.parametrize("value", [datetime(2026, 11, 2, 12), "2026-11-02T12:00:00", "noon"])
def test_observed_at_argument_must_be_zoned(value: object) -> None:
    with pytest.raises(ValueError, match="observed_at"):
        jobs_frame([listtasks()], observed_at=value)  # type: ignore[arg-type]


def test_observed_at_accepts_timestamp() -> None:
    df = frame([listtasks(status="Running")], observed_at=pd.Timestamp("2026-11-02T03:00:00", tz="UTC"))
    assert df["age_s"].iloc[0] == 3600.0


def test_keys_differ_between_records_of_equal_size() -> None:
    # Same number of keys, different key sets: the per-record lookups must still find everything.
    second = listtasks("b", region="eu-west-101")
    del second["fail_reason"]
    third = listtasks("c", created="2026-11-02T02:00:00+0000")
    del third["created_at"]
    df = frame([listtasks("a"), second, third])
    assert df["region"].isna().tolist() == [True, False, True] and df["region"].iloc[1] == "eu-west-101"
    assert df["created"].iloc[2] == utc("2026-11-02T02:00:00")


# ------------------------------------------------------------------------------------- data quality


def test_one_warning_counts_every_problem() -> None:
    records = [
        listtasks("a", created_at="not a time"),
        listtasks("b", created_at="2026-13-01T00:00:00+0800"),
        listtasks("c", progress="lots"),
        listtasks("d", ended_at="2026-11-02T09:00:00+0800"),
        listtasks("e", created_at=None),
        42,
        {"name": "CreateMongoDB"},
        listtasks("f", name=7),
    ]
    df, warning = one_warning(records)
    assert len(df) == len(records)
    assert warning.counts == {
        "not a record": 1,
        "missing id": 1,
        "name": 1,
        "missing status": 1,  # the record without an id has no status either
        "created": 2,
        "missing created": 2,
        "progress": 1,
        "ended < created": 1,
    }
    message = str(warning)
    assert "created ×2 (job a, job b)" in message and "progress ×1 (job c)" in message
    assert "1 record is not a job object (record #5)" in message
    assert "1 record lacks an id (record #6)" in message
    assert df["created"].isna().tolist() == [True, True, False, False, True, True, True, False]


def test_errors_raise_names_job_field_and_value() -> None:
    with pytest.raises(
        RecordError, match=r"job b: field 'created' has an unusable value '2026-13-01T00:00:00\+0800'"
    ):
        jobs_frame([listtasks("a"), listtasks("b", created_at="2026-13-01T00:00:00+0800")], errors="raise")
    with pytest.raises(RecordError, match="record #1: has no 'id'") as info:
        jobs_frame([listtasks("a"), {"name": "x"}], errors="raise")
    assert info.value.position == 1 and info.value.job_id is None
    with pytest.raises(RecordError, match="record #0: is not a job object: 'text'"):
        jobs_frame(["text"], errors="raise")
    with pytest.raises(RecordError, match=r"job p: field 'progress' has an unusable value '150%'") as info:
        jobs_frame([listtasks("p", progress="150%")], errors="raise")
    assert info.value.job_id == "p" and info.value.field == "progress"


def test_errors_ignore_is_silent_and_keeps_rows() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        df = jobs_frame([listtasks("a", created_at="bad"), 3], errors="ignore", observed_at=OBSERVED)
    assert len(df) == 2


def test_errors_argument_is_checked() -> None:
    with pytest.raises(ValueError, match="errors must be"):
        jobs_frame([], errors="loud")  # type: ignore[arg-type]


def test_non_string_values_are_counted() -> None:
    df, warning = one_warning([listtasks("a", created_at=1730000000, status=["Completed"], instance_id=5)])
    assert warning.counts == {"status": 1, "created": 1, "instance_id": 1}
    assert df["created"].isna().all() and df["status"].isna().all() and df["instance_id"].isna().all()


def test_data_quality_types() -> None:
    assert issubclass(DataQualityWarning, UserWarning) and issubclass(RecordError, ValueError)


# ------------------------------------------------------------------------------------- dtypes


def _assert_contract_dtypes(df: pd.DataFrame) -> None:
    assert tuple(df.columns) == JOB_COLUMNS
    for name in ("job_id", "fail_reason"):
        assert df[name].dtype == pd.StringDtype("pyarrow"), name
    for name in ("job_name", "job_type", "status", "instance_id", "instance_name", "region", "project_id"):
        assert isinstance(df[name].dtype, pd.CategoricalDtype), name
    for name in ("created", "ended", "observed_at"):
        assert df[name].dtype == pd.DatetimeTZDtype(unit="us", tz="UTC"), name
    assert df["utc_offset"].dtype == pd.Int16Dtype()
    for name in ("duration_s", "age_s", "progress"):
        assert df[name].dtype == np.float64, name


def test_dtypes_follow_the_contract() -> None:
    _assert_contract_dtypes(
        frame([listtasks("a"), showjob("b", status="Running")], region="r", project_id="p")
    )


def test_empty_input_gives_every_column() -> None:
    for df in (frame([]), frame({"jobs": []}), empty_jobs_frame()):
        assert len(df) == 0
        _assert_contract_dtypes(df)


def test_require_columns() -> None:
    df = frame([listtasks()])
    require_columns(df, ["job_type", "duration_s"], func="duration_stats")
    with pytest.raises(ValueError, match=r"duration_stats\(\) needs columns 'x', 'y'"):
        require_columns(df, ["job_type", "x", "y"], func="duration_stats")
    with pytest.raises(ValueError, match=r"needs column 'status'"):
        require_columns(df.drop(columns="status"), ["status"], func="failure_rates")
    with pytest.raises(TypeError, match="DataFrame"):
        require_columns([1, 2], ["status"], func="failure_rates")


def test_records_are_not_modified() -> None:
    records = [listtasks("a", created_at=None, created="2026-11-02T10:00:00+0800"), showjob("b")]
    snapshot = json.dumps(records, sort_keys=True)
    frame(records)
    assert json.dumps(records, sort_keys=True) == snapshot


# ------------------------------------------------------------------------------------- hardening (issue #9)


def test_lone_surrogate_is_replaced_counted_and_named() -> None:
    # Before: pa.array raised UnicodeEncodeError for the whole batch, naming no job.
    records = [
        listtasks("a", instance_name="x\ud800"),
        showjob("b", instance={"id": "in01", "name": "ok"}, fail_reason="boom \udfff", status="Failed"),
        listtasks("c"),
    ]
    df, warning = one_warning(records)
    assert len(df) == 3
    assert df["instance_name"].tolist() == ["x\ufffd", "ok", "dds-a"]
    assert df["fail_reason"].iloc[1] == "boom \ufffd"
    assert warning.counts == {"instance_name invalid unicode": 1, "fail_reason invalid unicode": 1}
    assert "1 instance_name with a lone surrogate, replaced by U+FFFD (job a)" in str(warning)
    str(warning).encode("utf-8")  # the warning itself can be printed


def test_lone_surrogate_in_the_job_id_is_printable_in_the_warning() -> None:
    df, warning = one_warning([listtasks("j\ud800", created_at="bad")])
    assert df["job_id"].iloc[0] == "j\ufffd"
    assert warning.counts == {"id invalid unicode": 1, "created": 1}
    assert "job j\\ud800" in str(warning)
    str(warning).encode("utf-8")


def test_lone_surrogate_with_errors_raise_names_job_and_field() -> None:
    with pytest.raises(RecordError, match=r"job a: field 'instance_name' has a lone surrogate") as info:
        jobs_frame([listtasks("ok"), listtasks("a", instance_name="x\ud800")], errors="raise")
    assert info.value.job_id == "a" and info.value.field == "instance_name" and info.value.position == 1


def test_huge_strings_are_truncated_and_counted() -> None:
    from ddsjobs_analytics._frame import MAX_REASON_CHARS, MAX_TEXT_CHARS

    assert MAX_TEXT_CHARS == 65_536 and MAX_REASON_CHARS == 2_048
    huge = "n" * 10_000_000
    df, warning = one_warning([listtasks("a", instance_name=huge), listtasks("b", fail_reason="é" * 70_000)])
    assert len(df["instance_name"].iloc[0]) == MAX_TEXT_CHARS
    assert df["instance_name"].iloc[0] == huge[:MAX_TEXT_CHARS]
    assert df["fail_reason"].iloc[1] == "é" * MAX_REASON_CHARS  # characters, not bytes: no split character
    assert warning.counts == {"instance_name truncated": 1, "fail_reason truncated": 1}
    assert "instance_name longer than 65,536 characters, truncated (job a)" in str(warning)
    assert "fail_reason longer than 2,048 characters, truncated (job b)" in str(warning)
    assert df["instance_name"].memory_usage(deep=True) < 2 * MAX_TEXT_CHARS + 10_000


def test_text_cap_is_configurable_and_raises_in_raise_mode() -> None:
    name = "dds-" + "x" * 40
    df, warning = one_warning([listtasks("a", instance_name=name)], max_chars=30)
    assert df["instance_name"].iloc[0] == name[:30] and warning.counts == {"instance_name truncated": 1}
    with pytest.raises(RecordError, match="job a: field 'instance_name' is longer than 30 characters"):
        jobs_frame([listtasks("a", instance_name=name)], errors="raise", max_chars=30)


@pytest.mark.parametrize("year", ["9999", "0001", "1969", "2101"])
def test_times_outside_1970_2100_are_nat_and_counted(year: str) -> None:
    records = [
        listtasks("a", created_at=f"{year}-06-01T00:00:00+0000"),
        listtasks("b", ended_at=f"{year}-06-01T00:00:00+0000"),
        listtasks("c", status="Running", observed_at=f"{year}-06-01T00:00:00Z"),
        listtasks("d"),
    ]
    df, warning = one_warning(records)
    assert df["created"].isna().tolist() == [True, False, False, False]
    assert df["ended"].isna().tolist() == [False, True, True, False]  # c is Running: ended ignored
    assert df["observed_at"].isna().tolist() == [False, False, True, False]
    assert pd.isna(df["utc_offset"].iloc[0]) and df["duration_s"].isna().tolist() == [True, True, True, False]
    assert warning.counts == {
        "created out of range": 1,
        "ended out of range": 1,
        "observed_at out of range": 1,
    }
    assert "1 created outside 1970–2100 (set to NaT) (job a)" in str(warning)


def test_edges_of_the_plausible_years_are_kept() -> None:
    df = frame(
        [
            listtasks("a", created_at="1970-01-01T00:00:00+0000", ended_at="1970-01-01T00:00:01+0000"),
            listtasks("b", created_at="2100-12-31T23:59:58+0000", ended_at="2100-12-31T23:59:59+0000"),
        ]
    )
    assert df["duration_s"].tolist() == [1.0, 1.0]
    df, warning = one_warning([listtasks("c", created_at="1970-01-01T07:59:59+0800")])  # 1969 in UTC
    assert warning.counts == {"created out of range": 1} and df["created"].isna().all()


def test_out_of_range_time_raises_naming_job_and_field() -> None:
    with pytest.raises(RecordError, match=r"job z: field 'created' has a time outside 1970–2100: '9999"):
        jobs_frame([listtasks("z", created_at="9999-12-31T00:00:00+0000")], errors="raise")
    with pytest.raises(ValueError, match="observed_at must fall in 1970–2100"):
        jobs_frame([listtasks()], observed_at="9999-01-01T00:00:00Z")


def test_absurd_years_do_not_break_the_report(tmp_path: Path) -> None:
    # Before: matplotlib raised "dates must be between year 0001 and 9999" from write_report.
    import matplotlib

    matplotlib.use("Agg")
    from ddsjobs_analytics._render._report import write_report

    records = [listtasks(f"n{i}", created_at=f"2026-11-0{1 + i % 5}T10:00:00+0800") for i in range(20)]
    records += [
        listtasks("late", created_at="9999-12-31T23:59:59+0000", ended_at="9999-12-31T23:59:59+0000"),
        listtasks("early", created_at="0001-01-01T00:00:00+0000", status="Running", ended_at=None),
        listtasks("f", status="Failed", fail_reason="boom", ended_at="0001-01-01T00:00:00+0000"),
    ]
    with pytest.warns(DataQualityWarning):
        df = jobs_frame(records, observed_at=OBSERVED)
    paths = write_report(df, tmp_path, html=True)
    assert (tmp_path / "report.html").exists() and paths is not None
