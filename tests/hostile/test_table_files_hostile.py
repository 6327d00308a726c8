"""Hostile ``.csv`` and ``.parquet`` job files (issue 17): 1 MB reasons, rows over the cap, newline bombs,
quoted newlines at block boundaries, colliding long categories. Each is read block by block with its jobs
once and its problems counted, or fails with one error naming the file and line."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pandas as pd
import pytest

import ddsjobs_analytics as dj
from ddsjobs_analytics._frame import _csv_blocks

AT = "2026-11-02T00:00:00+0000"


def _frame(n: int = 12) -> pd.DataFrame:
    records = [
        {
            "id": f"j{i}",
            "name": "CreateMongoDB",
            "status": "Failed" if i % 4 == 0 else "Completed",
            "created_at": "2026-11-01T08:00:00+0800",
            "ended_at": "2026-11-01T08:10:00+0800",
            "fail_reason": "disk full" if i % 4 == 0 else "",
        }
        for i in range(n)
    ]
    return dj.jobs_frame(records, observed_at=AT)


def _loaded(path: Path) -> tuple[pd.DataFrame, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        df = dj.load_jobs(path)
    return df, [str(w.message) for w in caught if issubclass(w.category, dj.DataQualityWarning)]


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks, chunks and the row cap small enough for a test file to cross many boundaries."""
    monkeypatch.setattr(_csv_blocks, "CHUNK_BYTES", 64)
    monkeypatch.setattr(_csv_blocks, "BLOCK_BYTES", 256)
    monkeypatch.setattr(_csv_blocks, "LONG_ROWS_BLOCK_BYTES", 256)
    monkeypatch.setattr(_csv_blocks, "MAX_ROW_BYTES", 4096)


def test_csv_of_one_megabyte_reasons_is_capped_and_counted(tmp_path: Path):
    frame = _frame()
    frame["fail_reason"] = [f"r{i} " + "x" * (1 << 20) for i in range(len(frame))]
    path = dj.write_csv(frame, tmp_path / "reasons.csv")
    df, messages = _loaded(path)
    assert len(df) == 12 and df["fail_reason"].str.len().max() == 2048
    assert df.attrs["quality"]["fail_reason truncated"] == 12
    assert any("12 fail_reasons longer than 2,048 characters, truncated" in m for m in messages)


def test_csv_row_over_the_cap_is_skipped_and_named(tmp_path: Path, small_blocks: None):
    frame = _frame()
    frame["fail_reason"] = frame["fail_reason"].astype(object)
    frame.loc[5, "fail_reason"] = "a,b\r\n" * 2000  # quoted, with CRLFs and commas: 10 KB over 2,000 lines
    path = dj.write_csv(frame, tmp_path / "long.csv")
    df, messages = _loaded(path)
    assert sorted(df["job_id"]) == sorted(set(frame["job_id"]) - {"j5"})  # the rest, each once
    assert df.attrs["quality"]["bad line"] == 1
    assert any(re.search(re.escape(f"{path}:7: longer than 4096 bytes, not read"), m) for m in messages)


def test_csv_row_over_the_cap_at_the_end_without_newline(tmp_path: Path, small_blocks: None):
    path = dj.write_csv(_frame(), tmp_path / "tail.csv")
    path.write_bytes(path.read_bytes() + b"j99," + b"z" * 20_000)
    df, messages = _loaded(path)
    assert len(df) == 12 and df.attrs["quality"]["bad line"] == 1
    assert any(f"{path}:14: longer than" in m for m in messages)


def test_csv_newline_bomb_reads_the_jobs(tmp_path: Path):
    path = dj.write_csv(_frame(), tmp_path / "bomb.csv")
    header, rest = path.read_bytes().split(b"\n", 1)
    path.write_bytes(b"\r\n" * 100_000 + header + b"\n" + b"\n" * 2_000_000 + rest + b"\r\n" * 100_000)
    df, _ = _loaded(path)
    pd.testing.assert_frame_equal(df, dj.load_jobs(dj.write_csv(_frame(), tmp_path / "plain.csv")))


def test_csv_unterminated_quote_is_one_error_naming_the_row(tmp_path: Path, small_blocks: None):
    path = dj.write_csv(_frame(), tmp_path / "open.csv")
    path.write_bytes(path.read_bytes() + b'j99,"never closed\n' + b"more\n" * 50)
    with pytest.raises(pd.errors.ParserError) as whole:
        pd.read_csv(path, dtype=str)
    with pytest.raises(
        ValueError, match=re.escape(f"{path}: not a readable CSV ({str(whole.value).strip()})")
    ):
        dj.load_jobs(path)


def test_parquet_of_one_megabyte_reasons_is_capped_and_counted(tmp_path: Path):
    frame = _frame()
    frame["fail_reason"] = [f"r{i} " + "x" * (1 << 20) for i in range(len(frame))]
    path = tmp_path / "reasons.parquet"
    frame.to_parquet(path, index=False)
    df, messages = _loaded(path)
    assert len(df) == 12 and df["fail_reason"].str.len().max() == 2048
    assert df.attrs["quality"]["fail_reason truncated"] == 12
    assert any("12 fail_reasons longer than 2,048 characters, truncated" in m for m in messages)


def test_parquet_long_categories_that_collide_when_cut(tmp_path: Path):
    frame = _frame()
    long = "n" * 70_000
    frame["instance_name"] = pd.Categorical([long + str(i % 3) for i in range(len(frame))])
    path = tmp_path / "names.parquet"
    frame.to_parquet(path, index=False)
    df, _ = _loaded(path)
    assert (df["instance_name"] == long[:65_536]).all()
    assert df.attrs["quality"]["instance_name truncated"] == 12


def test_parquet_text_too_long_to_decode_is_na_warned_and_counted(tmp_path: Path, monkeypatch):
    """A column chunk of over-long text (200 distinct 1 MB reasons make one 200 MB dictionary page, 10 MB
    on disk) is not decoded: Arrow would hold it whole, several times. Its rows keep every other column."""
    from ddsjobs_analytics._frame import _parquet_read

    monkeypatch.setattr(_parquet_read, "MAX_DECODED_BYTES", 64 << 10)
    frame = _frame()
    frame["fail_reason"] = [f"r{i} " + "x" * 20_000 for i in range(len(frame))]  # 120 KB a row group
    path = tmp_path / "reasons.parquet"
    frame.to_parquet(path, index=False, row_group_size=6)
    pq = pytest.importorskip("pyarrow.parquet")
    assert pq.ParquetFile(path).metadata.num_row_groups == 2
    df, messages = _loaded(path)
    assert len(df) == 12 and df["fail_reason"].isna().all()
    assert sorted(df["job_id"]) == sorted(frame["job_id"]) and df["status"].notna().all()
    assert df.attrs["quality"]["fail_reason not read"] == 12
    assert any(f"{path}: fail_reason of 12 rows not read" in m and "kept as NA" in m for m in messages)


def test_parquet_only_the_row_group_too_long_to_decode_is_left_out(tmp_path: Path, monkeypatch):
    from ddsjobs_analytics._frame import _parquet_read

    monkeypatch.setattr(_parquet_read, "MAX_DECODED_BYTES", 64 << 10)
    frame = _frame()
    frame["fail_reason"] = [f"short {i}" if i < 6 else f"r{i} " + "x" * 20_000 for i in range(len(frame))]
    path = tmp_path / "mixed.parquet"
    frame.to_parquet(path, index=False, row_group_size=6)
    df, _ = _loaded(path)
    by_id = df.set_index("job_id")["fail_reason"]
    first, second = frame["job_id"][:6], frame["job_id"][6:]
    assert list(by_id[first]) == [f"short {i}" for i in range(6)]
    assert by_id[second].isna().all() and df.attrs["quality"]["fail_reason not read"] == 6


def test_parquet_large_text_within_the_cap_is_read(tmp_path: Path, monkeypatch):
    """Size alone never leaves text out: many short reasons over the limit are read as they are."""
    from ddsjobs_analytics._frame import _parquet_read

    monkeypatch.setattr(_parquet_read, "MAX_DECODED_BYTES", 1 << 10)
    frame = _frame()
    frame["fail_reason"] = [f"reason {i} " + "y" * 500 for i in range(len(frame))]  # 6 KB, 500 per value
    path = tmp_path / "wide.parquet"
    frame.to_parquet(path, index=False)
    df, _ = _loaded(path)
    assert list(df.set_index("job_id")["fail_reason"][frame["job_id"]]) == list(frame["fail_reason"])
    assert "fail_reason not read" not in df.attrs.get("quality", {})
