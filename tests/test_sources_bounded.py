""".csv and .parquet job files read in bounded blocks (``_csv_blocks``, ``_csv_read``, ``_parquet_read``):
the same frames, warnings and errors as reading the whole file, at any block size."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ddsjobs_analytics as dj
from ddsjobs_analytics._frame import _csv_blocks, _csv_read, _sources
from ddsjobs_analytics._frame._csv_blocks import csv_rows
from ddsjobs_analytics._frame._csv_read import read_csv_text
from ddsjobs_analytics._frame._parquet_read import read_parquet_capped
from ddsjobs_analytics._frame._sources import NoJobsError, _retyped, read_jobs_file

_DEFUSED = r"^'[=+\-@\t\r\n']"


def _whole_file_text(path: Path) -> pd.DataFrame:
    """The reader before blocks: the whole file by one ``pd.read_csv``, the defusing quote taken off."""
    text = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig")
    for name in text.columns:  # write_csv defuses every text column: one quote comes off each
        values = text[name]
        text[name] = values.mask(values.str.match(_DEFUSED).eq(True), values.str[1:])
    return text


def _caught(call, *args, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = call(*args, **kwargs)
    return result, [str(w.message) for w in caught if issubclass(w.category, dj.DataQualityWarning)]


def _not_whole(path: object, *args: object) -> pd.DataFrame:
    raise AssertionError(f"{path}: the path not meant to be taken")


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return dj.load_sample()


# --------------------------------------------------------------------------------------------- CSV


@pytest.mark.parametrize(
    ("rows", "block", "chunk"), [(200, 1, 1), (200, 7, 3), (None, 4096, 1000), (None, None, None)]
)
def test_csv_blocks_give_the_whole_file_frame(sample, tmp_path: Path, rows, block, chunk, monkeypatch):
    monkeypatch.setattr(_csv_read, "_pandas_chunks", _not_whole)
    path = dj.write_csv(sample.head(rows), tmp_path / "jobs.csv", bom=True)
    text, skipped = read_csv_text(path, block_bytes=block, chunk_bytes=chunk)
    pd.testing.assert_frame_equal(text, _whole_file_text(path))
    assert skipped == 0
    pd.testing.assert_frame_equal(read_jobs_file(path), _retyped(_whole_file_text(path), path, None))


@pytest.mark.parametrize("group", [1, 3, 64])
def test_blocks_joined_in_groups_give_the_whole_file_frame(sample, tmp_path: Path, group, monkeypatch):
    """Per-block frames are joined every ``_GROUP_BLOCKS`` blocks (2,000 one-row frames held apart cost
    ~90 MB on a 2 GB file of 1 MB reasons); the grouping never changes the frame."""
    monkeypatch.setattr(_csv_read, "_pandas_chunks", _not_whole)
    monkeypatch.setattr(_csv_read, "_GROUP_BLOCKS", group)
    path = dj.write_csv(sample.head(100), tmp_path / "jobs.csv", bom=True)
    text, _ = read_csv_text(path, block_bytes=700, chunk_bytes=300)
    pd.testing.assert_frame_equal(text, _whole_file_text(path))


def test_quoted_newlines_and_escaped_quotes_across_block_boundaries(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(_csv_read, "_pandas_chunks", _not_whole)
    path = tmp_path / "q.csv"
    path.write_bytes(
        b'\n\njob_id,fail_reason,status\r\n"a,1","line one\nline ""two""\r\nthree",Failed\r\n'
        b'b,"""quoted"" start",Failed\r\n\r\nc,"",Completed\r\nd,"ends in quote""",Failed\r\n'
        b'e,"=1+2",Failed\r\nf,last'
    )
    expected = _whole_file_text(path)
    assert expected["fail_reason"].tolist()[0] == 'line one\nline "two"\r\nthree'
    for block in (1, 2, 5, 17, 1000):
        for chunk in (1, 2, 3, 8, 64):
            text, _ = read_csv_text(path, block_bytes=block, chunk_bytes=chunk)
            pd.testing.assert_frame_equal(text, expected)


def test_blank_lines_of_spaces_tabs_and_crs_are_skipped_before_the_header_too(tmp_path: Path):
    blank = b"  \n\t\r\n\n" * 50
    path = tmp_path / "blank.csv"
    path.write_bytes(blank + b"job_id,status\n1,Completed\n \t\n2,Failed\n\r\n3,x,y,z\n4,w\n")
    with pytest.raises(pd.errors.ParserError) as whole:
        pd.read_csv(path, dtype=str)  # pandas skips those lines, and counts them
    good = tmp_path / "good.csv"
    good.write_bytes(path.read_bytes().replace(b"3,x,y,z", b"3,x"))
    for block, chunk in ((1, 1), (3, 2), (1000, 7), (1000, 1000)):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(_csv_read, "_pandas_chunks", _not_whole)  # read in blocks, not by the fallback
            text, _ = read_csv_text(good, block_bytes=block, chunk_bytes=chunk)
        pd.testing.assert_frame_equal(text, _whole_file_text(good))
        assert text["job_id"].tolist() == ["1", "2", "3", "4"]
        # (a block starting with a row of extra fields is pandas' implicit index: that file is read whole)
        with pytest.raises(ValueError) as blocked:
            read_csv_text(path, block_bytes=block, chunk_bytes=chunk)
        assert str(blocked.value) == f"{path}: not a readable CSV ({str(whole.value).strip()})"


def test_csv_rows_split_only_at_row_ends():
    data = b'h1,h2\n1,"a\nb"\n"c""\n",2\n3,4'
    row_starts = [0, 6, 14, 23]  # a newline inside quotes ends no row
    for chunk in range(1, len(data) + 1):
        rows = list(csv_rows(io.BytesIO(data), block_bytes=1, chunk_bytes=chunk))
        assert b"".join(r.data for r in rows) == data and rows[0].data == b"h1,h2\n"
        for r in rows:
            assert r.offset in row_starts
            assert (
                r.line == row_starts.index(r.offset) + 1
            )  # pandas' lines: a row with quoted newlines is one
            assert r.lines == sum(r.offset <= s < r.offset + len(r.data) for s in row_starts)
        if chunk == 1:
            assert [r.offset for r in rows] == row_starts


_TEXT = st.text(alphabet=st.sampled_from(list("ab ,\"\n\r'=é中\t")), max_size=12)


@settings(max_examples=60, deadline=None)
@given(
    cells=st.lists(st.tuples(_TEXT, _TEXT, st.one_of(st.none(), _TEXT)), min_size=1, max_size=12),
    block=st.integers(1, 64),
    chunk=st.integers(1, 32),
)
def test_any_frame_round_trips_through_write_csv_at_any_block_size(tmp_path_factory, cells, block, chunk):
    frame = pd.DataFrame(cells, columns=["job_id", "fail_reason", "instance_name"]).astype("string")
    path = dj.write_csv(frame, tmp_path_factory.mktemp("rt") / "f.csv")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_csv_read, "_pandas_chunks", _not_whole)  # write_csv's quoting is always regular
        text, _ = read_csv_text(path, block_bytes=block, chunk_bytes=chunk)
    pd.testing.assert_frame_equal(text, _whole_file_text(path))
    # And the values are the frame's own, every column (an empty cell reads back as missing).
    pd.testing.assert_frame_equal(text, frame.replace("", pd.NA), check_dtype=False)


def test_long_text_is_counted_and_warned_as_a_whole_file_read(sample, tmp_path: Path):
    frame = sample.head(40).copy()
    frame["fail_reason"] = ["r" * 3000 + str(i) for i in range(40)]
    frame["instance_name"] = ["n" * 70_000 if i % 2 else "short" for i in range(40)]
    path = dj.write_csv(frame, tmp_path / "long.csv")
    read, messages = _caught(read_jobs_file, path)
    expected, expected_messages = _caught(_retyped, _whole_file_text(path), path, None)
    pd.testing.assert_frame_equal(read, expected)
    assert messages == expected_messages
    assert "40 fail_reasons longer than 2,048 characters, truncated" in messages[0]
    assert read.attrs["quality"] == {"fail_reason truncated": 40, "instance_name truncated": 20}
    text, _ = read_csv_text(path, block_bytes=10_000, chunk_bytes=4096)
    assert text["fail_reason"].str.len().max() == 2049  # cut to the cap + 1 as read: still counted
    assert text["instance_name"].str.len().max() == 65_537


def test_a_row_longer_than_the_limit_is_skipped_with_a_warning_naming_its_line(sample, tmp_path: Path):
    frame = sample.head(6).copy()
    frame["fail_reason"] = frame["fail_reason"].astype(object)
    frame.loc[3, "fail_reason"] = "line\n" * 400  # row 4, from line 5: 2,000 bytes, newlines quoted
    path = dj.write_csv(frame, tmp_path / "big.csv")
    (text, skipped), messages = _caught(read_csv_text, path, max_row_bytes=1000, chunk_bytes=64)
    assert skipped == 1 and text["job_id"].tolist() == frame["job_id"].drop(index=3).tolist()
    assert messages == [f"{path}: 1 line could not be read ({path}:5: longer than 1000 bytes, not read)"]


def test_read_jobs_file_counts_the_skipped_row(sample, tmp_path: Path, monkeypatch):
    frame = sample.head(5).copy()
    frame["fail_reason"] = frame["fail_reason"].astype(object)
    frame.loc[0, "fail_reason"] = "x" * 5000
    path = dj.write_csv(frame, tmp_path / "big.csv")
    monkeypatch.setattr(_csv_blocks, "MAX_ROW_BYTES", 2000)
    monkeypatch.setattr(_csv_blocks, "CHUNK_BYTES", 100)
    read, messages = _caught(read_jobs_file, path)
    assert len(read) == 4 and read.attrs["quality"]["bad line"] == 1
    assert any(f"{path}:2: longer than 2000 bytes" in m for m in messages)


def test_a_too_long_header_is_an_error(tmp_path: Path):
    path = tmp_path / "h.csv"
    path.write_bytes(b"job_id," + b"x" * 500 + b"\n1,2\n")
    with pytest.raises(ValueError, match=r"h\.csv: the header row \(line 1\) is longer than 100 bytes"):
        read_csv_text(path, max_row_bytes=100, chunk_bytes=16)


@pytest.mark.parametrize(
    "data",
    [
        b"job_id,status\n1,Completed\n2,Completed,extra\n3,Failed\n",  # too many fields
        b'job_id,status\n1,Completed\n\n2,"a\nb"\n3,"unterminated\n4,x\n',  # EOF inside a string
    ],
)
def test_parse_errors_name_the_same_line_as_a_whole_file_read(tmp_path: Path, data: bytes):
    path = tmp_path / "bad.csv"
    path.write_bytes(data)
    with pytest.raises(pd.errors.ParserError) as whole:
        pd.read_csv(path, dtype=str)
    for block, chunk in ((1, 1), (4, 3), (1000, 1000)):
        with pytest.raises(ValueError) as blocked:
            read_csv_text(path, block_bytes=block, chunk_bytes=chunk)
        assert str(blocked.value) == f"{path}: not a readable CSV ({str(whole.value).strip()})"


def test_bad_utf8_names_the_byte_of_the_file(tmp_path: Path):
    path = tmp_path / "latin.csv"
    data = b"job_id,status\n" + b"a,Completed\n" * 50 + b"b,Compl\xe9ted\n"
    path.write_bytes(data)
    at = data.index(b"\xe9")
    with pytest.raises(ValueError, match=rf"not UTF-8 text \(byte {at}\)"):
        read_csv_text(path, block_bytes=64, chunk_bytes=32)


def test_quotes_inside_unquoted_fields_are_read_as_before(tmp_path: Path):
    path = tmp_path / "odd.csv"
    path.write_bytes(b'job_id,fail_reason\n1,say "hi\n2,"a"b\n3,"x""y"\n')
    text, _ = read_csv_text(path, block_bytes=1, chunk_bytes=2)
    pd.testing.assert_frame_equal(text, _whole_file_text(path))
    assert text["fail_reason"].tolist() == ['say "hi', "ab", 'x"y']


@pytest.mark.parametrize(
    "data",
    [
        b"job_id,fail_reason\n" + b"".join(b'%d,say "hi %d\n' % (i, i) for i in range(300)),
        b"job_id,fail_reason\n" + b"".join(b"x%d,%d,r %d\n" % (i, i, i) for i in range(300)),  # an index
        b"job_id,fail_reason\r" + b"".join(b"%d,r\r" % i for i in range(300)),
    ],
)
def test_what_the_splitter_cannot_follow_is_read_in_pandas_chunks(tmp_path: Path, data: bytes):
    path = tmp_path / "odd.csv"
    path.write_bytes(data)
    text, _ = read_csv_text(path, block_bytes=64, chunk_bytes=64)
    pd.testing.assert_frame_equal(text, _whole_file_text(path))
    assert len(text) == 300


def test_rows_ending_in_cr_alone_are_read_as_before(sample, tmp_path: Path):
    path = dj.write_csv(sample.head(50), tmp_path / "mac.csv")
    path.write_bytes(path.read_bytes().replace(b"\r\n", b"\r"))
    # One "row" of the whole file to the block splitter: over a 1,000-byte cap it would be skipped.
    text, skipped = read_csv_text(path, block_bytes=1, chunk_bytes=4096, max_row_bytes=1000)
    pd.testing.assert_frame_equal(text, _whole_file_text(path))
    assert len(text) == 50 and skipped == 0


def test_empty_and_header_only_files_fail_as_before(tmp_path: Path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(pd.errors.EmptyDataError):
        read_jobs_file(empty)
    header = tmp_path / "header.csv"
    header.write_bytes(b"job_id,created,status,job_type\n")
    with pytest.raises(NoJobsError, match="no rows"):
        read_jobs_file(header)


# ------------------------------------------------------------------------------------------ Parquet


@pytest.mark.parametrize("batch_bytes", [1, 4096, None])
def test_parquet_batches_give_pd_read_parquet_frame(sample, tmp_path: Path, batch_bytes):
    path = tmp_path / "jobs.parquet"
    sample.to_parquet(path, index=False)  # as ddsjobs fetch writes it
    frame, cut = read_parquet_capped(path, **({"batch_bytes": batch_bytes} if batch_bytes else {}))
    pd.testing.assert_frame_equal(frame, pd.read_parquet(path))
    assert not cut
    # A conforming frame takes the fast path, no re-typing (pandas 2.2 reads string[pyarrow] back as
    # string[python]: not conforming there, before as now).
    conforms = _sources._conforms(pd.read_parquet(path))
    assert conforms or pd.__version__.startswith("2.")
    with pytest.MonkeyPatch.context() as patch:
        if conforms:
            patch.setattr(_sources, "_retyped", _not_whole)
        read = read_jobs_file(path)
    pd.testing.assert_frame_equal(read, sample)


def test_parquet_of_the_reports_jobs_csv_frame(sample, tmp_path: Path):
    text = _whole_file_text(dj.write_csv(sample, tmp_path / "jobs.csv"))
    path = tmp_path / "text.parquet"
    text.to_parquet(path)
    frame, cut = read_parquet_capped(path, batch_bytes=10_000)
    pd.testing.assert_frame_equal(frame, pd.read_parquet(path))
    assert not cut


def test_parquet_long_text_is_counted_as_a_whole_file_read(sample, tmp_path: Path):
    frame = sample.head(30).copy()
    frame["fail_reason"] = ["r" * 3000 + str(i) for i in range(30)]  # object: not the contract's dtype
    frame["instance_name"] = pd.Categorical(["n" * 70_000 + str(i % 2) for i in range(30)])
    path = tmp_path / "long.parquet"
    frame.to_parquet(path)
    read, messages = _caught(read_jobs_file, path)
    expected, expected_messages = _caught(_retyped, pd.read_parquet(path), path, None)
    pd.testing.assert_frame_equal(read, expected)
    assert messages == expected_messages
    assert read.attrs["quality"] == {"fail_reason truncated": 30, "instance_name truncated": 30}
    assert pq.ParquetFile(path).metadata.num_rows == 30


def test_a_conforming_parquet_with_long_reasons_is_capped_too(sample, tmp_path: Path):
    frame = sample.head(10).copy()
    frame["fail_reason"] = pd.array(["r" * 5000] * 10, dtype="string[pyarrow]")  # still the contract
    path = tmp_path / "conforming.parquet"
    frame.to_parquet(path, index=False)
    read, messages = _caught(read_jobs_file, path)
    assert read["fail_reason"].str.len().max() == 2048
    assert read.attrs["quality"] == {"fail_reason truncated": 10}
    assert "10 fail_reasons longer than 2,048 characters, truncated" in messages[0]


@pytest.mark.parametrize(("blank", "line"), [(b"", 32), (b"\n \t\r\n", 34)])
def test_a_parse_error_inside_a_later_block_names_the_files_line(tmp_path: Path, blank: bytes, line: int):
    rows = [b"%d,Completed\n" % i for i in range(10, 60)]
    rows[20] = b'"q\nq",Failed\n'  # a row with a quoted newline is one line to pandas
    path = tmp_path / "bad.csv"
    bad = blank + b"60,Completed,extra\n"  # blank lines before it count as lines too
    path.write_bytes(b"job_id,status\n" + b"".join(rows[:30]) + bad + b"".join(rows[30:]))
    with pytest.raises(pd.errors.ParserError) as whole:
        pd.read_csv(path, dtype=str)
    assert f"in line {line}, saw 3" in str(whole.value)  # the header, 30 rows, blank lines, the bad one
    for block in range(20, 80, 3):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(_csv_read, "_pandas_chunks", _not_whole)  # never read whole: bounded even then
            with pytest.raises(ValueError) as blocked:
                read_csv_text(path, block_bytes=block, chunk_bytes=11)
        assert str(blocked.value) == f"{path}: not a readable CSV ({str(whole.value).strip()})"


def test_the_reports_own_jobs_csv_reads_as_a_whole_file_read(sample, tmp_path: Path, monkeypatch):
    dj.write_report(sample.head(2000), tmp_path / "report", charts=False, bom=True, tz="Asia/Shanghai")
    path = tmp_path / "report" / "jobs.csv"
    monkeypatch.setattr(_csv_read, "_pandas_chunks", _not_whole)
    monkeypatch.setattr(_csv_blocks, "BLOCK_BYTES", 4096)  # many blocks
    monkeypatch.setattr(_csv_blocks, "CHUNK_BYTES", 1000)
    text, _ = read_csv_text(path)
    pd.testing.assert_frame_equal(text, _whole_file_text(path))
    read, messages = _caught(read_jobs_file, path)
    expected, expected_messages = _caught(_retyped, _whole_file_text(path), path, None)
    pd.testing.assert_frame_equal(read, expected)
    assert messages == expected_messages and len(read) == 2000


def test_a_parquet_dataset_folder_reads_as_before(sample, tmp_path: Path):
    folder = tmp_path / "jobs.parquet"  # a folder of part files, as Spark writes them
    folder.mkdir()
    sample.head(100).to_parquet(folder / "part-0.parquet", index=False)
    sample.iloc[100:200].to_parquet(folder / "part-1.parquet", index=False)
    frame, cut = read_parquet_capped(folder)
    pd.testing.assert_frame_equal(frame, pd.read_parquet(folder))
    assert not cut and len(read_jobs_file(folder)) == 200
