"""``load_jobs``/``read_jobs_file``: every source and file format, windows, and inputs with no job in them."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pytest

import ddsjobs_analytics as dj
from ddsjobs_analytics._frame._sources import NoJobsError, read_jobs_file, within
from ddsjobs_analytics.simulator._sample import SAMPLE_END, sample_records, write_jsonl


def _created(record: dict) -> datetime:
    return datetime.strptime(record["created_at"], "%Y-%m-%dT%H:%M:%S%z")


def _ids_created(start: datetime, end: datetime) -> set[str]:
    """The sample's ids created in [start, end), read straight from the records (not through pandas)."""
    return {record["id"] for record in sample_records() if start <= _created(record) < end}


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HUAWEICLOUD_SDK_AK", "DDSJOBS_ARCHIVE"):
        monkeypatch.delenv(name, raising=False)


def test_auto_falls_back_to_the_sample(no_credentials, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    df = dj.load_jobs()
    assert df.attrs["source"] == "sample" and len(df) == 5000
    with pytest.raises(ValueError, match="needs archive"):
        dj.load_jobs("archive")
    with pytest.raises(ValueError, match=r"s3: expected \.parquet, \.csv"):  # not a source: a file name
        dj.load_jobs("s3")
    monkeypatch.setenv("DDSJOBS_ARCHIVE", str(tmp_path / "empty"))
    with pytest.raises(Exception, match=r"no job archive at .*empty"):  # "auto" took $DDSJOBS_ARCHIVE
        dj.load_jobs()


def test_since_on_the_sample_counts_back_from_its_end(no_credentials):
    """The notebooks' SINCE_DAYS applies to the sample: ages count back from the sample's own end."""
    df = dj.load_jobs("sample", since="30d")
    expected = _ids_created(SAMPLE_END - timedelta(days=30), SAMPLE_END + timedelta(days=1))
    assert 0 < len(expected) < 5000
    assert set(df["job_id"]) == expected and len(df) == len(expected)


def test_since_until_and_region_on_files(tmp_path: Path):
    path = tmp_path / "jobs.jsonl"
    write_jsonl(sample_records(), path)
    start = datetime(2026, 10, 10, tzinfo=timezone.utc)
    end = datetime(2026, 10, 17, 6, tzinfo=timezone.utc)
    df = dj.load_jobs(path, since="2026-10-10", until="2026-10-17T14:00:00+08:00", region="eu-west-101")
    expected = {
        record["id"]
        for record in sample_records()
        if start <= _created(record) < end and record["region"] == "eu-west-101"
    }
    assert expected and set(df["job_id"]) == expected and len(df) == len(expected)
    assert df.attrs["source"] == str(path)


def test_within_is_half_open_and_leaves_out_unknown_times():
    times = pd.to_datetime(["2026-01-01", "2026-01-02", None, "2026-01-03"], utc=True)
    df = pd.DataFrame({"job_id": list("abcd"), "created": times})
    assert list(within(df, "2026-01-02", "2026-01-03")["job_id"]) == ["b"]
    assert list(within(df)["job_id"]) == list("abcd")  # no range: everything, unknown times included
    assert list(within(df, "1d", now="2026-01-03T12:00:00Z")["job_id"]) == ["d"]


def _contract_frame() -> pd.DataFrame:
    """300 sample jobs, with text a spreadsheet would run as a formula in the free-text column."""
    df = dj.jobs_frame(sample_records()[:300])
    reasons = df["fail_reason"].copy()
    reasons.iloc[0] = "=HYPERLINK('x')"
    reasons.iloc[1] = "-1 replicas left"
    reasons.iloc[2] = "'quoted' already"
    df["fail_reason"] = reasons
    return df


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl", ".jsonl.gz", ".json"])
def test_every_format_fetch_writes_reads_back_with_the_contract_dtypes(tmp_path: Path, suffix: str):
    expected = _contract_frame() if suffix in (".csv", ".parquet") else dj.jobs_frame(sample_records()[:300])
    path = tmp_path / f"jobs{suffix}"
    if suffix == ".csv":
        dj.write_csv(expected, path, bom=True)
    elif suffix == ".parquet":
        expected.to_parquet(path, index=False)
    else:
        records = sample_records()[:300]
        text = json.dumps(records) if suffix == ".json" else "\n".join(map(json.dumps, records)) + "\n"
        if suffix.endswith(".gz"):
            path.write_bytes(gzip.compress(text.encode()))
        else:
            path.write_text(text, encoding="utf-8")
    got = read_jobs_file(path)
    assert list(got.columns) == list(dj.JOB_COLUMNS)
    assert got.dtypes.astype(str).to_dict() == dj.empty_jobs_frame().dtypes.astype(str).to_dict()
    if suffix in (".jsonl", ".jsonl.gz", ".json"):  # observed_at: when the file was read
        got, expected = got.drop(columns="observed_at"), expected.drop(columns="observed_at")
    pd.testing.assert_frame_equal(got, expected, check_categorical=False)


def test_a_csv_with_a_bad_time_names_the_file_and_column(tmp_path: Path):
    path = tmp_path / "jobs.csv"
    dj.write_csv(dj.jobs_frame(sample_records()[:3]), path)
    path.write_text(path.read_text().replace("2026-", "20X6-", 1), encoding="utf-8")
    # Counted like a bad time in API records (one rule for every format), and the warning names the file.
    with pytest.warns(dj.DataQualityWarning, match=r"jobs\.csv: 1 value could not be parsed: created ×1"):
        frame = read_jobs_file(path)
    assert frame["created"].isna().sum() == 1 and len(frame) == 3


@pytest.mark.parametrize(
    ("name", "content", "why"),
    [
        ("bad.json", '{"not": "a job"}', r"1 record, none with a job id"),
        ("empty.json", "[]", r"\(empty\)"),
        ("many.jsonl", '{"a": 1}\n{"b": 2}\n', r"2 records, none with a job id"),
        ("table.csv", "x,y\n1,2\n", r"not a jobs frame \(no job_id, created, status, job_type column\)"),
    ],
)
def test_input_without_a_job_is_an_error_naming_the_file(tmp_path: Path, name: str, content: str, why: str):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(NoJobsError, match=why) as info:
        read_jobs_file(path)
    assert str(info.value).startswith(f"{path}: ") and info.value.path == path


def test_an_empty_parquet_frame_is_no_job(tmp_path: Path):
    path = tmp_path / "none.parquet"
    dj.empty_jobs_frame().to_parquet(path)
    with pytest.raises(NoJobsError, match="no rows"):
        read_jobs_file(path)


def _fresh_interpreter(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return result.stdout.strip()


def test_the_loader_never_imports_the_client_until_asked():
    loaded = _fresh_interpreter(
        "import sys\nimport ddsjobs_analytics._frame._sources\n"
        "print(','.join(sorted(m for m in sys.modules if m == 'httpx' or m.startswith("
        "('ddsjobs_analytics.client', 'ddsjobs_analytics.archive')))))"
    )
    assert loaded == ""


def test_importing_the_package_loads_nothing_heavy_and_the_accessor_still_works():
    # The package first, pandas later: df.ddsjobs is there anyway.
    printed = _fresh_interpreter(
        "import sys\nimport ddsjobs_analytics as dj\n"
        "heavy = ('pandas', 'numpy', 'matplotlib', 'pyarrow', 'httpx')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
        "import pandas as pd\n"
        "df = pd.DataFrame(dj.load_sample())\n"
        "print(type(df.ddsjobs).__name__, len(df.ddsjobs.failure_rates()) > 0)"
    )
    assert printed.splitlines() == ["[]", "JobsAccessor True"]
