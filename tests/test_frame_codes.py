"""Repeating text read as dictionary codes batch by batch (``_frame/_codes``) gives exactly what the plain
string column gives: the same codes, the same categories in the same order, the same blanks missing."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ddsjobs_analytics import jobs_frame
from ddsjobs_analytics._frame import _stream, _times
from ddsjobs_analytics._frame._codes import categories, encode, join

# A small vocabulary with every kind of blank, and the default itself as text.
_WORDS = ["a", "b", "", " ", "\t ", "eu", "cn-north-4", "DEFAULT", " a", "é"]
# Times of every form: the fast widths, the slow path, naive (placed by utc_offset or assume_tz), junk.
_CREATED = [
    "2026-11-01T00:00:00+0800",
    "2026-11-01T00:00:00Z",
    "2026-11-01T00:00:00+05:45",
    "2026-11-01T00:00:00.250-0930",
    "2026-11-01 00:00:00",
    "2026-02-30T00:00:00+0800",
    "9999-11-01T00:00:00+0800",
    "soon",
    "",
]
_values = st.lists(st.one_of(st.none(), st.sampled_from(_WORDS)), max_size=30)


@settings(max_examples=300, deadline=None)
@given(
    batches=st.lists(_values, min_size=1, max_size=5),
    strip=st.booleans(),
    default=st.sampled_from([None, "DEFAULT", "a", "new"]),
)
def test_codes_of_batches_equal_codes_of_the_whole_column(
    batches: list[list[str | None]], strip: bool, default: str | None
) -> None:
    whole = pa.array([v for batch in batches for v in batch], type=pa.large_string())
    expected_codes, expected = categories(whole, strip=strip, default=default)
    joined = join([encode(pa.array(batch, type=pa.large_string())) for batch in batches])
    codes, got = categories(joined, strip=strip, default=default)
    assert got == expected
    assert codes.tolist() == expected_codes.tolist()


def test_plain_categories_by_hand() -> None:
    strings = pa.array(["b", "", None, " ", "a", "b"], type=pa.large_string())
    codes, names = categories(strings)
    assert (codes.tolist(), names) == ([0, -1, -1, 1, 2, 0], ["b", " ", "a"])
    codes, names = categories(strings, strip=True, default="z")
    assert (codes.tolist(), names) == ([0, 1, 1, 1, 2, 0], ["b", "z", "a"])


def test_a_file_in_several_batches_gives_the_frame_of_its_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file read in many small batches (blank lines cut more) gives the frame of its records: categories
    unified across batches, in the same order, blanks and the default the same."""
    monkeypatch.setattr(_stream, "BLOCK_BYTES", 1024)
    monkeypatch.setattr(_stream, "BATCH_BYTES", 2048)
    monkeypatch.setattr(_times, "_SLICE_ROWS", 3)  # time fields parsed a few rows at a time
    records = []
    for i in range(60):
        records.append(
            {
                "id": f"j{i}",
                "name": ["Restart", "Backup", "Resize"][i % 3 if i > 20 else 1],
                "status": "Completed" if i % 4 else "Failed",
                "created_at": _CREATED[i % len(_CREATED)],
                "ended_at": [None, "", "2026-11-01T00:01:00+0800", "2026-11-01T00:09:00Z"][i % 4],
                "instance_id": f"inst-{(i * 7) % 11}",
                "instance_name": "" if i % 9 == 0 else f"name-{(i * 7) % 11}",
                "region": ["", " ", None, "eu", "cn"][i % 5] if i > 10 else "cn",
                "progress": ["", "50%", "100"][i % 3],
                "utc_offset": [None, "480", "+0530", "bad"][i % 4],
            }
        )
    lines = [json.dumps(r) for r in records]
    path = tmp_path / "jobs.jsonl"
    path.write_text("".join(line + ("\n" if i % 13 else "\n\n") for i, line in enumerate(lines)))
    kwargs = {"observed_at": "2026-12-01T00:00:00+00:00", "region": "eu", "errors": "ignore"}
    kwargs["assume_tz"] = "UTC"
    from_file = jobs_frame(path, **kwargs)
    from_records = jobs_frame(records, **kwargs)
    pd.testing.assert_frame_equal(from_file, from_records)
    for column in ("job_name", "status", "instance_id", "instance_name", "region"):
        assert list(from_file[column].cat.categories) == list(from_records[column].cat.categories)
    assert list(from_file["region"].cat.categories) == ["cn", "eu"]
    assert from_file.attrs["quality"] == from_records.attrs["quality"] | {"blank lines": 5}
    # Feb 30, the year 9999, junk and "": NaT.
    assert from_file["created"].isna().sum() == sum(1 for i in range(60) if i % 9 >= 5)
    assert len(list(_stream.blocks(path))) > 5


@pytest.mark.parametrize("default", [None, "eu"])
def test_empty_input_keeps_the_column_types(default: str | None) -> None:
    frame = jobs_frame([], observed_at="2026-12-01T00:00:00+00:00", region=default)
    assert len(frame) == 0 and isinstance(frame["region"].dtype, pd.CategoricalDtype)
