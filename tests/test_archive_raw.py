"""The archive's ``raw`` column (#16 §6): orjson where it writes what the standard library writes, the
standard library elsewhere; byte for byte the same JSON either way, and the same records read back."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import math
import uuid
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from ddsjobs_analytics._frame import JOB_COLUMNS, jobs_frame
from ddsjobs_analytics.archive import JobArchive, _raw

T1 = "2026-11-02T12:00:00+0000"


class Colour(enum.Enum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


class Tag(str):
    pass


@dataclasses.dataclass
class Point:
    x: int


def stdlib(value: Any) -> str:
    """What the archive always wrote: compact JSON, UTF-8; ASCII-escaped where UTF-8 cannot hold the text."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value, ensure_ascii=True, separators=(",", ":"), default=str)
    return text


EVERY_CHARACTER = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
PLAIN_VALUES: list[Any] = [
    "",
    '\x00\x01\x1f\x7f\u2028\u2029"\\/\ufeff',
    "échec: disque plein 磁盘已满 😀 \U0010ffff",
    EVERY_CHARACTER,
    0,
    -1,
    2**63 - 1,
    -(2**63),
    2**64 - 1,
    True,
    False,
    None,
    {"nested": {"deeper": [1, "two", None, [True, {"k": "v"}]]}},
    [],
    {},
]
# Values orjson writes differently (or not at all): each must take the standard library's path.
ODD_VALUES: list[Any] = [
    2**64,
    -(2**63) - 1,
    10**40,
    1e-05,
    0.00001234,
    1e16,
    1e22,
    0.1,
    -0.0,
    5e-324,
    1.7976931348623157e308,
    float("nan"),
    float("inf"),
    float("-inf"),
    Colour.RED,
    Level.HIGH,
    Tag("tagged"),
    uuid.UUID(int=5),
    dt.datetime(2026, 11, 2, 12, 0, tzinfo=dt.timezone.utc),
    dt.date(2026, 11, 2),
    Point(1),
    (1, 2),
    {1: "int key"},
    {None: "null key"},
    "x\ud800 lone surrogate",
    {"deep": json.loads("[" * 300 + "]" * 300)},
]


def job(job_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": job_id,
        "name": "CreateMongoDB",
        "instance_id": "in01",
        "instance_name": "dds-in01",
        "status": "Completed",
        "progress": "",
        "fail_reason": None,
        "created_at": "2026-11-02T10:00:00+0800",
        "ended_at": "2026-11-02T10:10:00+0800",
        **extra,
    }


def raw_of(items: list[Any]) -> list[str]:
    return _raw.raw_json(items).to_pylist()


def test_plain_records_take_orjson_and_match_the_standard_library() -> None:
    items = [job(f"j{n}", value=value) for n, value in enumerate(PLAIN_VALUES)]
    assert _raw._all_plain(items)
    assert raw_of(items) == [stdlib(item) for item in items]


@pytest.mark.parametrize("value", ODD_VALUES, ids=repr)
def test_every_odd_value_is_written_as_the_standard_library_writes_it(value: Any) -> None:
    items = [job("plain"), job("odd", value=value), job("plain-too", n=7)]
    assert raw_of(items) == [stdlib(item) for item in items]
    assert raw_of([items[1]]) == [stdlib(items[1])]  # alone, and among plain records


def test_values_orjson_refuses_in_an_all_plain_batch_fall_back_per_record() -> None:
    # Exactly str/int types, so the batch looks plain, but orjson refuses a 65-bit int and a lone surrogate.
    items = [job("a"), job("big", n=2**70), job("b"), job("surrogate", fail_reason="x\udc00"), job("c")]
    assert _raw._all_plain(items)
    got = raw_of(items)
    assert got == [stdlib(item) for item in items]
    assert "\\udc00" in got[3] and json.loads(got[3]) == items[3]


def test_junk_items_are_written_as_they_are() -> None:
    items: list[Any] = [None, "text", 5, [1, 2], job("a"), {"job": job("b")}]
    assert not _raw._all_plain(items)
    assert raw_of(items) == [stdlib(item) for item in items]


def test_more_than_one_chunk_when_the_json_outgrows_one_array(monkeypatch: pytest.MonkeyPatch) -> None:
    items = [job(f"j{n}", n=n, text="é" * n) for n in range(50)]
    monkeypatch.setattr(_raw, "MAX_CHUNK_BYTES", 1_000)
    array = _raw.raw_json(items)
    assert array.num_chunks > 10
    assert array.to_pylist() == [stdlib(item) for item in items]
    monkeypatch.setattr(_raw, "MAX_CHUNK_BYTES", 1)  # each record alone is over the limit
    assert _raw.raw_json(items[:3]).to_pylist() == [stdlib(item) for item in items[:3]]
    assert _raw.raw_json([]).to_pylist() == []


def same_json(left: Any, right: Any) -> bool:
    """Equality where NaN equals NaN (the standard library reads NaN back as a float NaN)."""
    if isinstance(left, float) and isinstance(right, float) and math.isnan(left):
        return math.isnan(right)
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(same_json(left[k], right[k]) for k in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(same_json, left, right))
    return type(left) is type(right) and left == right


def test_the_archive_gives_back_hostile_records_and_their_frame(tmp_path: Path) -> None:
    hostile: list[Any] = [v for v in PLAIN_VALUES + ODD_VALUES if json.loads(stdlib(v)) == v or v != v]
    hostile = [v for v in hostile if not isinstance(v, (enum.Enum, tuple, str)) or type(v) is str]
    records = [job(f"h{n:03d}", value=value) for n, value in enumerate(hostile)]
    records += [
        job("unicode", instance_name="实例 😀", fail_reason="échec\u2028\x00"),
        job("float-progress", status="Running", progress=40.5),
        job("nested", extra={"a": [1, 2.5, {"b": None}], "big": 2**80, "small": -(2**80)}),
    ]
    archive = JobArchive(tmp_path / "archive")
    archive.upsert_records(records, observed_at=T1, region="r1", project_id="p1")
    raw = archive.load(columns=["job_id", "raw"]).set_index("job_id")["raw"]
    assert len(raw) == len(records)
    for record in records:
        assert same_json(json.loads(raw[record["id"]]), record), record["id"]
        assert raw[record["id"]] == stdlib(record)
    expected = jobs_frame(records, observed_at=T1, region="r1", project_id="p1")
    loaded = archive.load().set_index("job_id").loc[expected["job_id"]].reset_index()
    columns = [c for c in JOB_COLUMNS if c in loaded.columns]
    pd.testing.assert_frame_equal(
        loaded[columns].astype(object), expected[columns].reset_index(drop=True).astype(object)
    )
