"""Hostile input files (issue 17): duplicates across files and formats, naive times, small bombs, odd
encodings, CRLF, NUL bytes, huge lines and deep JSON. Every case either reads the jobs it holds, each once,
with its problems counted, or fails with one error naming the file: never a silent shift, drop or double
count."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

import ddsjobs_analytics as dj
from ddsjobs_analytics._frame import _stream
from ddsjobs_analytics._frame._sources import NoJobsError

AT = "2026-11-02T00:00:00+0000"


def _record(job_id: str, status: str = "Completed", **extra: object) -> dict:
    return {
        "id": job_id,
        "name": "CreateMongoDB",
        "status": status,
        "created_at": "2026-11-01T08:00:00+0800",
        "ended_at": "2026-11-01T08:10:00+0800" if status != "Running" else "",
        "fail_reason": "disk full" if status == "Failed" else "",
        "observed_at": AT,
        **extra,
    }


RECORDS = [_record(f"j{i}", "Failed" if i % 4 == 0 else "Completed") for i in range(12)]


def _jsonl(records: list[dict], *, newline: str = "\n") -> bytes:
    return "".join(json.dumps(r) + newline for r in records).encode()


def _frame() -> pd.DataFrame:
    return dj.jobs_frame(RECORDS, observed_at=AT)


def _load(*paths: Path, **kwargs: object) -> pd.DataFrame:
    with pytest.warns(dj.DataQualityWarning) if len(paths) > 1 else _quiet():
        return dj.load_jobs(list(paths), **kwargs)  # type: ignore[arg-type]


class _quiet:
    def __enter__(self) -> None:
        import warnings

        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("ignore")

    def __exit__(self, *exc: object) -> None:
        self._ctx.__exit__(*exc)


def _one_per_job(df: pd.DataFrame, n: int = len(RECORDS)) -> None:
    assert len(df) == n and df["job_id"].is_unique


# ------------------------------------------------------------------------------------- duplicates


def dup_parquet_and_csv(tmp: Path) -> None:
    _frame().to_parquet(tmp / "a.parquet", index=False)
    dj.write_csv(_frame(), tmp / "a.csv")
    df = _load(tmp / "a.parquet", tmp / "a.csv")
    _one_per_job(df)
    assert df.attrs["quality"]["duplicate job_id"] == len(RECORDS)


def dup_jsonl_and_json(tmp: Path) -> None:
    (tmp / "a.jsonl").write_bytes(_jsonl(RECORDS))
    (tmp / "b.json").write_text(json.dumps({"jobs": RECORDS}), encoding="utf-8")
    _one_per_job(_load(tmp / "a.jsonl", tmp / "b.json"))


def dup_same_file_twice(tmp: Path) -> None:
    (tmp / "a.jsonl.gz").write_bytes(gzip.compress(_jsonl(RECORDS)))
    _one_per_job(_load(tmp / "a.jsonl.gz", tmp / "a.jsonl.gz"))


def dup_within_one_csv(tmp: Path) -> None:
    frame = _frame()
    dj.write_csv(pd.concat([frame, frame.iloc[:5]]), tmp / "a.csv")
    df = _load(tmp / "a.csv", tmp / "a.csv")
    _one_per_job(df)
    assert int((df["status"] == "Failed").sum()) == 3  # j0, j4, j8: each failure once


def dup_running_then_finished_across_files(tmp: Path) -> None:
    running = [_record(r["id"], "Running", observed_at="2026-11-03T00:00:00+0000") for r in RECORDS]
    (tmp / "late_running.jsonl").write_bytes(_jsonl(running))
    (tmp / "finished.jsonl").write_bytes(_jsonl(RECORDS))
    df = _load(tmp / "finished.jsonl", tmp / "late_running.jsonl")
    _one_per_job(df)
    assert (df["status"] != "Running").all()  # finished beats Running, even observed earlier


# ------------------------------------------------------------------------------------- naive times


def naive_excel_csv_with_offset(tmp: Path) -> None:
    csv = "job_id,job_type,status,created,ended,utc_offset\n"
    csv += "j1,CreateMongoDB,Completed,2026/11/30 21:17,2026/11/30 21:47,480\n"
    (tmp / "a.csv").write_text(csv, encoding="utf-8")
    df = _load(tmp / "a.csv")
    assert df["created"].iloc[0] == pd.Timestamp("2026-11-30T13:17Z") and df["duration_s"].iloc[0] == 1800


def naive_json_refused_without_zone(tmp: Path) -> None:
    (tmp / "a.jsonl").write_bytes(_jsonl([_record("j1", created_at="2026-11-30 21:17:00")]))
    with pytest.raises(
        dj.NaiveTimeError, match=r"a\.jsonl: 1 created time without a UTC offset.*--assume-tz"
    ):
        dj.load_jobs(tmp / "a.jsonl")


def naive_json_with_assume_tz(tmp: Path) -> None:
    (tmp / "a.jsonl").write_bytes(_jsonl([_record("j1", "Running", created_at="2026-11-30T21:17:00")]))
    df = dj.load_jobs(tmp / "a.jsonl", assume_tz="Asia/Shanghai")
    assert df["created"].iloc[0] == pd.Timestamp("2026-11-30T13:17Z") and df["utc_offset"].iloc[0] == 480


def naive_ambiguous_day_month(tmp: Path) -> None:
    csv = "job_id,job_type,status,created\nj1,X,Running,05/11/2026 10:00\nj2,X,Running,06/11/2026 10:00\n"
    (tmp / "a.csv").write_text(csv, encoding="utf-8")
    with pytest.raises(dj.AmbiguousDateError, match=r"a\.csv: .*ambiguous"):
        dj.load_jobs(tmp / "a.csv", assume_tz="UTC")


def naive_us_excel_am_pm(tmp: Path) -> None:
    csv = "job_id,job_type,status,created,utc_offset\nj1,X,Running,11/30/2026 9:17 PM,-300\n"
    (tmp / "a.csv").write_text(csv, encoding="utf-8")
    assert _load(tmp / "a.csv")["created"].iloc[0] == pd.Timestamp("2026-12-01T02:17Z")


# ------------------------------------------------------------------------------------- bombs (small)


def bomb_gzip_of_newlines(tmp: Path) -> None:
    path = tmp / "bomb.jsonl.gz"
    with gzip.open(path, "wb") as fh:
        for _ in range(8):
            fh.write(b"\n" * (1 << 20))
        fh.write(_jsonl(RECORDS))
    df = _load(path)
    _one_per_job(df)
    assert df.attrs["quality"]["blank lines"] == 8 * (1 << 20)


def bomb_whitespace_lines(tmp: Path) -> None:
    path = tmp / "spaces.jsonl"
    path.write_bytes(b"   \t \r\n" * 200_000 + _jsonl(RECORDS) + b"\v\f\n" * 1000)
    df = _load(path)
    _one_per_job(df)
    assert df.attrs["quality"]["blank lines"] == 201_000


def bomb_one_megabyte_reason(tmp: Path) -> None:
    path = tmp / "reason.jsonl"
    path.write_bytes(_jsonl([_record("big", "Failed", fail_reason="x" * (1 << 20)), *RECORDS[1:]]))
    with pytest.warns(dj.DataQualityWarning, match="fail_reason longer than 2,048 characters"):
        df = dj.load_jobs(path)
    assert df.set_index("job_id").loc["big", "fail_reason"] == "x" * 2048
    assert df.attrs["quality"]["fail_reason truncated"] == 1


def bomb_line_over_the_cap(tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_stream, "MAX_LINE_BYTES", 4096)
    monkeypatch.setattr(_stream, "BLOCK_BYTES", 1024)
    path = tmp / "long.jsonl"
    path.write_bytes(_jsonl(RECORDS[:3]) + b'{"id": "' + b"y" * 50_000 + b'"}\n' + _jsonl(RECORDS[3:]))
    with pytest.warns(dj.DataQualityWarning, match=re.escape(f"{path}:4")) as caught:
        df = dj.jobs_frame(path, observed_at=AT)
    ids = [r["id"] for r in RECORDS]
    assert df["job_id"].fillna("?").tolist() == [*ids[:3], "?", *ids[3:]]
    assert caught[0].message.counts == {"bad line": 1}  # type: ignore[union-attr]


# ------------------------------------------------------------------------------------- encodings, bytes


def utf8_bom_jsonl(tmp: Path) -> None:
    (tmp / "bom.jsonl").write_bytes(b"\xef\xbb\xbf" + _jsonl(RECORDS))
    _one_per_job(_load(tmp / "bom.jsonl"))


def utf8_bom_csv(tmp: Path) -> None:
    dj.write_csv(_frame(), tmp / "bom.csv", bom=True)
    _one_per_job(_load(tmp / "bom.csv"))


def utf16_csv_is_one_clear_error(tmp: Path) -> None:
    (tmp / "wide.csv").write_bytes(_frame().to_csv(index=False).encode("utf-16"))
    with pytest.raises(ValueError, match=r"wide\.csv: not UTF-8 text"):
        dj.load_jobs(tmp / "wide.csv")


def utf16_jsonl_has_no_job(tmp: Path) -> None:
    (tmp / "wide.jsonl").write_bytes(_jsonl(RECORDS).decode().encode("utf-16"))
    with pytest.raises(NoJobsError, match=r"wide\.jsonl: no DDS job found"):
        dj.load_jobs(tmp / "wide.jsonl")


def latin1_line_is_counted(tmp: Path) -> None:
    bad = json.dumps(_record("café"), ensure_ascii=False).encode("latin-1")  # é as one byte: not UTF-8
    (tmp / "a.jsonl").write_bytes(_jsonl(RECORDS[:5]) + bad + b"\n" + _jsonl(RECORDS[5:]))
    with pytest.warns(dj.DataQualityWarning, match=r"a\.jsonl:6"):
        df = dj.jobs_frame(tmp / "a.jsonl")
    assert df["job_id"].notna().sum() == len(RECORDS) and len(df) == len(RECORDS) + 1


def crlf_jsonl_with_blank_crlf_lines(tmp: Path) -> None:
    (tmp / "a.jsonl").write_bytes(_jsonl(RECORDS, newline="\r\n\r\n"))
    df = _load(tmp / "a.jsonl")
    _one_per_job(df)
    assert df.attrs["quality"]["blank lines"] == len(RECORDS)


def crlf_csv(tmp: Path) -> None:
    (tmp / "a.csv").write_bytes(_frame().to_csv(index=False).replace("\n", "\r\n").encode())
    df = _load(tmp / "a.csv")
    _one_per_job(df)
    assert df["created"].notna().all() and (df["duration_s"] == 600).all()


def nul_bytes_in_a_line(tmp: Path) -> None:
    (tmp / "a.jsonl").write_bytes(
        _jsonl(RECORDS[:2]) + b"\x00\x00{\x00}\n" + b"\x00" * 100 + b"\n" + _jsonl(RECORDS[2:])
    )
    with pytest.warns(dj.DataQualityWarning) as caught:
        df = dj.jobs_frame(tmp / "a.jsonl")
    assert caught[0].message.counts == {"bad line": 2}  # type: ignore[union-attr]
    assert df["job_id"].notna().sum() == len(RECORDS)


def deep_json_line(tmp: Path) -> None:
    (tmp / "a.jsonl").write_bytes(_jsonl(RECORDS) + b"[" * 200_000 + b"]" * 200_000 + b"\n")
    with pytest.warns(dj.DataQualityWarning, match=r"a\.jsonl:13"):
        df = dj.jobs_frame(tmp / "a.jsonl")
    assert len(df) == len(RECORDS) + 1 and df.attrs["quality"]["bad line"] == 1


def deep_json_document(tmp: Path) -> None:
    (tmp / "a.json").write_bytes(b"[" * 200_000 + b"]" * 200_000)
    with pytest.raises(ValueError, match=r"a\.json: not valid JSON: nested too deeply"):
        dj.load_jobs(tmp / "a.json")


def truncated_gzip(tmp: Path) -> None:
    data = gzip.compress(_jsonl(RECORDS * 50))
    (tmp / "cut.jsonl.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"cut\.jsonl\.gz: truncated gzip file"):
        dj.load_jobs(tmp / "cut.jsonl.gz")


CASES: dict[str, Callable[..., None]] = {
    fn.__name__: fn
    for fn in (
        dup_parquet_and_csv,
        dup_jsonl_and_json,
        dup_same_file_twice,
        dup_within_one_csv,
        dup_running_then_finished_across_files,
        naive_excel_csv_with_offset,
        naive_json_refused_without_zone,
        naive_json_with_assume_tz,
        naive_ambiguous_day_month,
        naive_us_excel_am_pm,
        bomb_gzip_of_newlines,
        bomb_whitespace_lines,
        bomb_one_megabyte_reason,
        bomb_line_over_the_cap,
        utf8_bom_jsonl,
        utf8_bom_csv,
        utf16_csv_is_one_clear_error,
        utf16_jsonl_has_no_job,
        latin1_line_is_counted,
        crlf_jsonl_with_blank_crlf_lines,
        crlf_csv,
        nul_bytes_in_a_line,
        deep_json_line,
        deep_json_document,
        truncated_gzip,
    )
}


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_input(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fn = CASES[case]
    if "monkeypatch" in fn.__code__.co_varnames[: fn.__code__.co_argcount]:
        fn(tmp_path, monkeypatch)
    else:
        fn(tmp_path)
