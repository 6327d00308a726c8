"""Batches after a file's first are parsed for the record fields the first one held (``_read._Known``): a
field that turns up later, a field of another type, unknown keys of any type — the frame is the one its
records give, and every problem is still counted."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pandas as pd
import pytest

from ddsjobs_analytics import jobs_frame
from ddsjobs_analytics._frame import _read, _stream

OBSERVED = "2026-12-01T00:00:00+00:00"


def _record(i: int) -> dict[str, object]:
    return {
        "id": f"job-{i}",
        "name": "RestartInstance",
        "status": "Completed",
        "created_at": "2026-11-01T00:00:00+0800",
        "ended_at": "2026-11-01T00:02:00+0800",
        "instance_id": f"inst-{i % 5}",
    }


def _both(tmp_path: Path, records: list[dict[str, object]], **kwargs: object) -> tuple[pd.DataFrame, ...]:
    path = tmp_path / "jobs.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from_file = jobs_frame(path, observed_at=OBSERVED, **kwargs)
        return from_file, jobs_frame(records, observed_at=OBSERVED, **kwargs)


@pytest.fixture(autouse=True)
def _small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_stream, "BLOCK_BYTES", 1024)
    monkeypatch.setattr(_stream, "BATCH_BYTES", 2048)


def _later(records: list[dict[str, object]], start: int, **fields: object) -> None:
    for record in records[start:]:
        record.update(fields)


def test_a_field_first_seen_in_a_later_batch_is_read(tmp_path: Path) -> None:
    records = [_record(i) for i in range(200)]
    _later(records, 150, observed_at="2026-11-20T00:00:00+00:00", fail_reason="disk full", region="eu")
    records[180]["instance"] = {"id": "nested", "name": "n"}
    del records[180]["instance_id"]
    got, expected = _both(tmp_path, records)
    pd.testing.assert_frame_equal(got, expected)
    assert got["observed_at"].iloc[150:].eq(pd.Timestamp("2026-11-20", tz="UTC")).all()
    assert got["instance_id"].iloc[180] == "nested" and got["region"].iloc[160] == "eu"


def test_unknown_keys_of_any_type_are_ignored(tmp_path: Path) -> None:
    records = [_record(i) for i in range(200)]
    for i, record in enumerate(records):
        record["extra"] = [1, "two", {"x": None}, None, 3.5][i % 5]  # no single Arrow type
        record["nested"] = {"deep": [i]} if i > 120 else None
    got, expected = _both(tmp_path, records)
    pd.testing.assert_frame_equal(got, expected)


def test_a_later_field_of_the_wrong_type_is_counted_as_in_records(tmp_path: Path) -> None:
    records = [_record(i) for i in range(200)]
    _later(records, 170, progress=37, utc_offset=480, created="x")
    records[190]["project_id"] = {"not": "text"}
    got, expected = _both(tmp_path, records)
    pd.testing.assert_frame_equal(got, expected)
    assert got.attrs["quality"] == expected.attrs["quality"]
    assert got.attrs["quality"]["project_id"] == 1 and "progress" not in got.attrs["quality"]
    assert got["progress"].iloc[175] == 0.37 and got["utc_offset"].iloc[175] == 480  # numbers are read
    with pytest.raises(Exception, match=r"job-190: field .project_id. has an unusable value"):
        _both(tmp_path, records, errors="raise")


def test_the_first_batch_decides_and_later_batches_are_narrower(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The saving is real: after the first batch, Arrow is asked for the fields seen, not all 16."""
    asked: list[int] = []
    real = _read.pj.read_json

    def spy(source: object, **kwargs: object) -> object:
        schema = kwargs["parse_options"].explicit_schema  # type: ignore[attr-defined]
        asked.append(len(schema))
        return real(source, **kwargs)

    monkeypatch.setattr(_read.pj, "read_json", spy)
    monkeypatch.setattr(_read, "READ_AHEAD", False)
    got, expected = _both(tmp_path, [_record(i) for i in range(200)])
    pd.testing.assert_frame_equal(got, expected)
    assert asked[0] == 16 and len(asked) > 3 and set(asked[1:]) == {6}
