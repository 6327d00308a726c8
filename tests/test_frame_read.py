"""Reading job files: Arrow's JSON reader for ``.jsonl``, per-line fallback, damaged files named."""

from __future__ import annotations

import gzip
import json
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from test_frame import listtasks

from ddsjobs_analytics._frame import DataQualityWarning, RecordError, jobs_frame
from ddsjobs_analytics._frame._read import read_parts

OBSERVED = "2026-11-02T12:00:00+0000"


record = listtasks  # a Completed CreateMongoDB ListTasks record unless overridden


def write_lines(path: Path, lines: list[str | bytes]) -> Path:
    data = b"\n".join(line if isinstance(line, bytes) else line.encode() for line in lines) + b"\n"
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
    return path


def quiet(source: Any, **kwargs: Any) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)
        return jobs_frame(source, observed_at=OBSERVED, **kwargs)


def warned(source: Any, **kwargs: Any) -> tuple[pd.DataFrame, DataQualityWarning]:
    with pytest.warns(DataQualityWarning) as caught:
        df = jobs_frame(source, observed_at=OBSERVED, **kwargs)
    quality = [w.message for w in caught if isinstance(w.message, DataQualityWarning)]
    assert len(quality) == 1
    return df, quality[0]


VARIED = [
    record("a"),
    record("b", status="Running", progress="37%", region="la-south-2"),
    record(
        "c", status="Failed", fail_reason="Failed to upgrade the DB Agent.", created_at="2026-11-02T02:00:00Z"
    ),
    {
        "id": "d",
        "name": "Create_MongoDB",
        "status": "Completed",
        "progress": "",
        "created": "2026-11-02T10:00:00+0800",
        "ended": "2026-11-02T10:05:00+0800",
        "instance": {"id": "in02", "name": "dds-b"},
        "extra": {"x": [1, 2]},
    },
    record(
        "e", created_at="2026-11-02T10:00:00.5+08:00", observed_at="2026-11-02T13:00:00Z", project_id="p9"
    ),
]


@pytest.mark.parametrize("name", ["jobs.jsonl", "jobs.ndjson", "jobs.jsonl.gz"])
def test_arrow_reader_gives_the_in_memory_frame(tmp_path: Path, name: str) -> None:
    path = write_lines(tmp_path / name, [json.dumps(r) for r in VARIED])
    pd.testing.assert_frame_equal(quiet(path), quiet(VARIED))
    parts = list(read_parts(path))  # a clean block is read by Arrow in one go, no Python object per record
    assert len(parts) == 1 and parts[0].table is not None and parts[0].items is None


@pytest.mark.parametrize("content", [b"", b"\n  \n", b"\r\n"])
def test_empty_files_give_an_empty_frame(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "jobs.jsonl"
    path.write_bytes(content)
    df = quiet(path)
    assert len(df) == 0
    pd.testing.assert_frame_equal(df, quiet([]))


def test_one_bad_line_is_counted_and_the_rest_kept(tmp_path: Path) -> None:
    # Before: one line that was not UTF-8 failed the whole file with a UnicodeDecodeError naming nothing.
    lines: list[str | bytes] = [json.dumps(record(f"j{i}")) for i in range(1000)]
    lines[499] = b'{"id": "bad\xff", "name": "x"}'
    path = write_lines(tmp_path / "jobs.jsonl", lines)
    df, warning = warned(path)
    assert len(df) == 1000 and df["job_id"].isna().sum() == 1 and pd.isna(df["job_id"].iloc[499])
    assert df["job_id"].iloc[500] == "j500" and df["created"].notna().sum() == 999
    assert warning.counts == {"bad line": 1}
    assert f"{path}:500" in str(warning)
    with pytest.raises(RecordError, match=rf"{path.name}:500: not valid UTF-8"):
        jobs_frame(path, errors="raise")


def test_lines_arrow_rejects_are_read_by_python(tmp_path: Path) -> None:
    lines = [json.dumps(record(f"j{i}")) for i in range(100)]
    lines[10] = json.dumps(record("num", status="Running", progress=37))  # a number where text belongs
    lines[20] = json.dumps({"jobs": [record("w1"), record("w2")]})  # a wrapped response
    lines[30] = json.dumps(record("sur", instance_name="x\ud800"))  # a JSON escape of a lone surrogate
    lines[40] = json.dumps(record("p")) + json.dumps(record("q"))  # two objects on one line
    lines[50] = "   "  # blank lines are skipped
    lines[60] = "42"
    path = write_lines(tmp_path / "jobs.jsonl", lines)
    df, warning = warned(path)
    ids = df["job_id"].tolist()
    assert ids[10] == "num" and df["progress"].iloc[10] == pytest.approx(0.37)
    assert ids[20:22] == ["w1", "w2"] and ids[22] == "j21"
    assert ids[31] == "sur" and df["instance_name"].iloc[31] == "x\ufffd"
    assert pd.isna(ids[41]) and ids[42] == "j41"  # the two-object line is one bad line
    assert len(df) == 100 + 1 - 1  # +1 wrapped, −1 blank
    assert warning.counts == {"instance_name invalid unicode": 1, "bad line": 1, "not a record": 1}
    assert f"{path}:41" in str(warning) and f"{path}:61" in str(warning)


def test_invalid_utf8_in_a_json_document_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "jobs.json"
    path.write_bytes(b'[\n{"id": "a"},\n{"id": "b\xff"}\n]')
    with pytest.raises(ValueError, match=rf"{path.name}:3: not valid UTF-8"):
        jobs_frame(path)


def test_bad_gzip_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "jobs.jsonl.gz"
    path.write_bytes(b"this is not gzip at all\n")
    with pytest.raises(ValueError, match=rf"{path.name}: not a valid gzip file"):
        jobs_frame(path)


@pytest.mark.parametrize("name", ["jobs.jsonl.gz", "jobs.json.gz"])
def test_truncated_gzip_names_the_file(tmp_path: Path, name: str) -> None:
    body = "\n".join(json.dumps(record(f"j{i}")) for i in range(2000)).encode()
    if name.startswith("jobs.json."):
        body = b"[" + body.replace(b"\n", b",") + b"]"
    path = tmp_path / name
    path.write_bytes(gzip.compress(body)[:-200])
    with pytest.raises(ValueError, match=rf"{path.name}: truncated gzip file"):
        jobs_frame(path)


def test_unreadable_files_name_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.jsonl"
    with pytest.raises(FileNotFoundError, match=r"missing\.jsonl"):
        jobs_frame(missing)
    directory = tmp_path / "dir.jsonl"
    directory.mkdir()
    with pytest.raises(IsADirectoryError, match=r"dir\.jsonl"):
        jobs_frame(directory)


def test_bad_json_document_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "jobs.json"
    path.write_text('[\n{"id": "a"},\n{oops}\n]', encoding="utf-8")
    with pytest.raises(ValueError, match=rf"{path.name}:3: not valid JSON"):
        jobs_frame(path)


def test_deeply_nested_line_is_one_bad_line(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "jobs.jsonl", [json.dumps(record("a")), "[" * 100_000 + "]" * 100_000])
    df, warning = warned(path)
    assert len(df) == 2 and warning.counts == {"bad line": 1}


def test_huge_value_in_a_file_is_truncated(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "jobs.jsonl", [json.dumps(record("a", instance_name="n" * 5_000_000))])
    df, warning = warned(path)
    assert len(df["instance_name"].iloc[0]) == 65_536 and warning.counts == {"instance_name truncated": 1}


def test_report_command_survives_absurd_years_and_bad_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before: "Matplotlib dates must be between year 0001 and 9999" (and one bad line failed the file).
    import matplotlib

    matplotlib.use("Agg")
    from ddsjobs_analytics._cli import _main as cli

    lines: list[str | bytes] = [json.dumps(record(f"j{i}")) for i in range(30)]
    lines += [
        json.dumps(
            record("late", created_at="9999-12-31T23:59:59+0000", ended_at="9999-12-31T23:59:59+0000")
        ),
        json.dumps(record("early", created_at="0001-01-01T00:00:00+0000", status="Running")),
        b"{not json",
    ]
    path = write_lines(tmp_path / "jobs.jsonl", lines)
    assert cli.main(["report", str(path), "--out", str(tmp_path / "r"), "--html"]) == 0
    assert (tmp_path / "r" / "report.html").exists()
    # The command prints the DataQualityWarning as one line on stderr.
    warning = capsys.readouterr().err
    assert "2 createds outside 1970–2100" in warning and "jobs.jsonl:33" in warning
