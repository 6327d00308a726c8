"""``.json`` documents read value by value (``_frame/_document.py``): what ``json.loads`` of the whole file
says, with bounded memory, at any chunk size."""

from __future__ import annotations

import gzip
import json
import re
import tracemalloc
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ddsjobs_analytics._frame import _document, jobs_frame
from ddsjobs_analytics._frame._document import document_parts
from ddsjobs_analytics._frame._extract import MAX_REASON_CHARS, Unreadable, unwrap
from ddsjobs_analytics.simulator._sample import sample_records

KEYS = st.sampled_from(["id", "jobs", "job", "name", "fail_reason", "x", 'q"\\', "ü"])
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=12,
)
DOCUMENTS = st.lists(VALUES, max_size=6) | st.dictionaries(KEYS, VALUES, max_size=5) | SCALARS


def _items(path: Path) -> list[object]:
    return [item for part in document_parts(path, part_chars=64) for item in part.items or ()]


def _write(tmp_path: Path, text: str, name: str = "doc.json") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _stream_rule_differs(document: object) -> bool:
    """The documented exception: a top-level object with a ``jobs`` list is streamed as a response even
    when an ``id`` or a ``job`` object comes after the list."""
    return (
        isinstance(document, dict)
        and isinstance(document.get("jobs"), list)
        and ("id" in document or isinstance(document.get("job"), dict))
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    document=DOCUMENTS,
    indent=st.sampled_from([None, 0, 2]),
    chunk=st.sampled_from([1, 3, 7, 64, 1 << 20]),
    batch=st.sampled_from([1, 16, 1 << 20]),
)
def test_every_document_reads_as_json_loads_would(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    document: object,
    indent: int | None,
    chunk: int,
    batch: int,
) -> None:
    assume(not _stream_rule_differs(document))
    monkeypatch.setattr(_document, "CHUNK_BYTES", chunk)
    monkeypatch.setattr(_document, "BATCH_CHARS", batch)
    path = _write(tmp_path, json.dumps(document, indent=indent, ensure_ascii=False))
    assert _items(path) == unwrap(document if isinstance(document, list) else [document])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=DOCUMENTS, data=st.data(), chunk=st.sampled_from([1, 5, 64, 1 << 20]))
def test_a_broken_document_fails_where_json_loads_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, document: object, data: st.DataObject, chunk: int
) -> None:
    monkeypatch.setattr(_document, "CHUNK_BYTES", chunk)
    monkeypatch.setattr(_document, "BATCH_CHARS", data.draw(st.sampled_from([1, 16, 1 << 20])))
    text = json.dumps(document, indent=1, ensure_ascii=False)
    cut = data.draw(st.integers(0, len(text)))
    junk = data.draw(st.sampled_from(["", "}", "]", ",", "x", '"', "\n:"]))
    broken = text[:cut] + junk + text[cut + data.draw(st.integers(0, 3)) :]
    try:
        expected = json.loads(broken)
    except json.JSONDecodeError as exc:
        with pytest.raises(ValueError, match=rf"doc\.json:{exc.lineno}: not valid JSON"):
            _items(_write(tmp_path, broken))
    else:
        assume(not _stream_rule_differs(expected))
        assert _items(_write(tmp_path, broken)) == unwrap(
            expected if isinstance(expected, list) else [expected]
        )


def test_a_response_document_streams_its_jobs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_document, "BATCH_CHARS", 1)  # one element at a time
    records = sample_records()[:5]
    path = _write(tmp_path, json.dumps({"total_count": 5, "jobs": records, "after": {"a": [1]}}))
    parts = list(document_parts(path, part_chars=1))
    assert len(parts) == 5  # one part per job: the list is never decoded whole
    assert [item for part in parts for item in part.items or ()] == records


@pytest.mark.parametrize("batch", [40, 100, 300, 1 << 20])
def test_a_cut_inside_a_string_or_a_nested_object_is_never_taken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    monkeypatch.setattr(_document, "BATCH_CHARS", batch)
    tricky = [
        {"id": "a", "fail_reason": 'x"}, {"id": "fake"}, {'},
        {"id": "b", "instance": {"id": "i"}, "name": "},"},
        {"id": "c", "n": [{"k": 1}, {"k": 2}], "s": "\\},"},
    ]
    document = tricky * 7
    path = _write(tmp_path, json.dumps(document))
    assert _items(path) == document


def test_one_detail_response_and_one_record(tmp_path: Path) -> None:
    record = sample_records()[0]
    assert _items(_write(tmp_path, json.dumps({"job": record}))) == [record]
    assert _items(_write(tmp_path, json.dumps(record))) == [record]


def test_a_bom_and_surrounding_whitespace_are_accepted(tmp_path: Path) -> None:
    record = sample_records()[0]
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf \n\t" + json.dumps([record]).encode() + b"\r\n\n")
    assert _items(path) == [record]


def test_invalid_utf8_names_the_line_and_byte_across_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(_document, "CHUNK_BYTES", 4)
    path = tmp_path / "bad.json"
    data = b'[\n{"id": "a"},\n{"id": "\xe4x"}]'
    path.write_bytes(data)
    where = data.index(0xE4)
    with pytest.raises(ValueError, match=rf"bad\.json:3: not valid UTF-8 \(byte {where}\)"):
        _items(path)


def test_a_newline_bomb_is_dropped_as_it_streams(tmp_path: Path) -> None:
    path = tmp_path / "bomb.json.gz"
    with gzip.open(path, "wb") as fh:
        block = b"\n" * (1 << 20)
        for _ in range(40):
            fh.write(block)
        fh.write(b'[{"id": "a"}, ]')  # a trailing comma: the error must give the right line
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=rf"bomb\.json\.gz:{40 * (1 << 20) + 1}: not valid JSON"):
            _items(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 12 << 20


def test_long_reasons_are_held_one_part_at_a_time(tmp_path: Path) -> None:
    records = sample_records()[:20]
    path = tmp_path / "long.json"
    with path.open("w") as fh:
        fh.write("[")
        for i, record in enumerate(records):
            big = dict(
                record, id=f"big-{i}", status="Failed", fail_reason=f"Backup failed {i}: " + "x" * (1 << 20)
            )
            fh.write(("," if i else "") + json.dumps(big))
        fh.write("]")
    tracemalloc.start()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            frame = jobs_frame(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(frame) == 20 and frame["fail_reason"].str.len().max() == MAX_REASON_CHARS
    assert any("20 fail_reasons longer than 2,048 characters, truncated" in str(w.message) for w in caught)
    assert peak < 16 << 20  # the document is 21 MB; the whole of it decoded would be over 40 MB


@pytest.mark.parametrize(
    "element",
    [
        '{"id": "huge", "fail_reason": "' + "y" * 3000 + '"}',
        '{"id": "huge", "n": [[1, 2], {"a": "]}\\"[{"}], "s": "' + "\\\\" * 1500 + '"}',
        '"' + "z\\n" * 1500 + '"',
        "1" * 3000,
    ],
    ids=["string", "brackets-in-strings", "bare-string", "bare-number"],
)
def test_an_overlong_value_is_skipped_counted_and_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, element: str
) -> None:
    monkeypatch.setattr(_document, "MAX_ELEMENT_CHARS", 1000)
    monkeypatch.setattr(_document, "CHUNK_BYTES", 16)
    monkeypatch.setattr(_document, "BATCH_CHARS", 64)
    first, last = sample_records()[:2]
    path = _write(tmp_path, f"[{json.dumps(first)},\n{element}\n, {json.dumps(last)}]")
    items = _items(path)
    assert items[0] == first and items[2] == last
    assert isinstance(items[1], Unreadable) and items[1].where == f"{path}:2"
    assert "longer than" in items[1].reason


def test_jobs_frame_counts_a_skipped_value_as_a_bad_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(_document, "MAX_ELEMENT_CHARS", 1000)
    records = sample_records()[:3]
    huge = dict(records[1], fail_reason="w" * 5000)
    path = _write(tmp_path, json.dumps([records[0], huge, records[2]]))
    where = re.escape(f"{path}:1")
    with pytest.warns(UserWarning, match=rf"1 line could not be read \({where}\); kept as NA"):
        frame = jobs_frame(path)
    assert len(frame) == 3 and list(frame["job_id"].dropna()) == [records[0]["id"], records[2]["id"]]
