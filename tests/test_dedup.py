"""One row per job (issue 17 §4): the rule that picks a job's record, on hand-built records, in jobs_frame,
across files in ``load_jobs`` and in ``ddsjobs report``; the frame's order is the same for every format."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pandas as pd
import pytest

import ddsjobs_analytics as dj
from ddsjobs_analytics import _cli as cli
from ddsjobs_analytics._frame._dedup import canonical_order, one_row_per_job
from ddsjobs_analytics.simulator._sample import sample_records


def _job(job_id: str, status: str, *, observed: str | None = None, reason: str | None = None) -> dict:
    record = {
        "id": job_id,
        "name": "Create_MongoDB",
        "status": status,
        "created": "2026-11-01T08:00:00+0800",
        "ended": "2026-11-01T08:10:00+0800",
        "fail_reason": reason,
    }
    if observed is not None:
        record["observed_at"] = observed
    return record


def _frame(records: list[dict]) -> tuple[pd.DataFrame, list[warnings.WarningMessage]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = dj.jobs_frame(records, observed_at="2026-11-02T00:00:00Z")
    return frame, [w for w in caught if issubclass(w.category, dj.DataQualityWarning)]


def test_finished_beats_running_even_when_running_was_observed_later():
    frame, caught = _frame(
        [
            _job("a", "Completed", observed="2026-11-01T01:00:00Z"),
            _job("a", "Running", observed="2026-11-01T05:00:00Z"),
        ]
    )
    assert frame["status"].tolist() == ["Completed"]
    assert frame.attrs["quality"] == {"duplicate job_id": 1}
    assert caught and caught[0].message.counts == {"duplicate job_id": 1}  # type: ignore[union-attr]


def test_among_finished_records_the_latest_observed_wins_whatever_the_order():
    later_failed = [
        _job("a", "Failed", observed="2026-11-01T05:00:00Z", reason="disk full"),
        _job("a", "Completed", observed="2026-11-01T01:00:00Z"),
    ]
    frame, _ = _frame(later_failed)
    assert frame["status"].tolist() == ["Failed"] and frame["fail_reason"].tolist() == ["disk full"]
    frame, _ = _frame(later_failed[::-1])
    assert frame["status"].tolist() == ["Failed"]


def test_equal_observation_times_keep_the_later_record():
    frame, _ = _frame([_job("a", "Completed"), _job("a", "Failed", reason="x")])  # both: the call's time
    assert frame["status"].tolist() == ["Failed"]
    frame, _ = _frame([_job("a", "Failed", reason="x"), _job("a", "Completed")])
    assert frame["status"].tolist() == ["Completed"]


def test_running_records_keep_the_latest_observed():
    frame, _ = _frame(
        [
            {**_job("a", "Running", observed="2026-11-01T03:00:00Z"), "progress": "70%"},
            {**_job("a", "Running", observed="2026-11-01T01:00:00Z"), "progress": "10%"},
        ]
    )
    assert frame["progress"].tolist() == [0.7]


def test_rows_without_an_id_are_never_merged_and_other_jobs_keep_their_order():
    records = [_job("b", "Completed"), {"name": "X", "status": "Failed"}, _job("a", "Running")]
    records += [{"name": "X", "status": "Failed"}, _job("b", "Running")]
    frame, _ = _frame(records)
    assert frame["job_id"].fillna("?").tolist() == ["b", "?", "a", "?"]
    assert frame.attrs["quality"]["duplicate job_id"] == 1


def test_each_id_completed_and_failed_counts_each_job_once():
    # 40 jobs: 5 really failed (their Failed record observed last), 35 completed (Completed observed last).
    records = []
    for i in range(40):
        first, last = ("Completed", "Failed") if i < 5 else ("Failed", "Completed")
        records.append(
            _job(f"j{i}", first, observed="2026-11-01T01:00:00Z", reason="r" if first == "Failed" else None)
        )
        records.append(
            _job(f"j{i}", last, observed="2026-11-01T02:00:00Z", reason="r" if last == "Failed" else None)
        )
    frame, _ = _frame(records)
    assert len(frame) == 40
    assert int((frame["status"] == "Failed").sum()) == 5
    assert frame.attrs["quality"] == {"duplicate job_id": 40}


def _fetched(tmp_path: Path) -> pd.DataFrame:
    frame = dj.jobs_frame(sample_records()[:400], observed_at="2026-11-01T00:00:00Z")
    frame.to_parquet(tmp_path / "a.parquet", index=False)
    dj.write_csv(frame, tmp_path / "a.csv")
    return frame


def test_the_same_jobs_as_parquet_and_csv_are_counted_once(tmp_path: Path):
    frame = _fetched(tmp_path)
    with pytest.warns(dj.DataQualityWarning, match=r"400 rows of 2 files repeat a job already read"):
        both = dj.load_jobs([tmp_path / "a.parquet", tmp_path / "a.csv"])
    assert len(both) == 400 and both["job_id"].is_unique
    assert both.attrs["quality"] == {"duplicate job_id": 400}
    assert set(both["job_id"]) == set(frame["job_id"])


def test_overlapping_fetches_keep_the_finished_later_record(tmp_path: Path):
    records = sample_records()[:300]
    early = [{**r, "status": "Running", "observed_at": "2026-10-20T00:00:00+0000"} for r in records[:200]]
    late = [{**r, "observed_at": "2026-10-25T00:00:00+0000"} for r in records[100:]]
    for name, rows in (("early.jsonl", early), ("late.jsonl", late)):
        (tmp_path / name).write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    with pytest.warns(dj.DataQualityWarning):
        both = dj.load_jobs([tmp_path / "late.jsonl", tmp_path / "early.jsonl"])
    assert len(both) == 300  # not 400
    truth = {r["id"]: r["status"] for r in records}
    expected = {i: ("Running" if n < 100 else truth[i]) for n, i in enumerate(r["id"] for r in records)}
    assert dict(zip(both["job_id"], both["status"].astype(str), strict=True)) == expected


def test_the_report_counts_each_job_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    _fetched(tmp_path)
    out = tmp_path / "r"
    code = cli.main(
        ["report", str(tmp_path / "a.parquet"), str(tmp_path / "a.csv"), "--out", str(out), "--no-charts"]
    )
    assert code == 0
    assert len(pd.read_csv(out / "jobs.csv")) == 400
    console = capsys.readouterr()
    assert "Jobs:               400 (" in console.out
    assert "warning: 400 rows of 2 files repeat a job already read" in console.err


def test_parquet_and_csv_give_the_same_rows_in_the_same_order(tmp_path: Path):
    frame = _fetched(tmp_path)
    shuffled = frame.sample(frac=1, random_state=3)
    shuffled.to_parquet(tmp_path / "b.parquet", index=False)
    from_parquet = dj.load_jobs(tmp_path / "b.parquet")
    from_csv = dj.load_jobs(tmp_path / "a.csv")
    pd.testing.assert_frame_equal(from_parquet, from_csv, check_categorical=False)
    created = from_csv["created"]
    assert created.is_monotonic_increasing
    ties = from_csv[created.duplicated(keep=False)]
    for _, group in ties.groupby("created"):
        assert group["job_id"].is_monotonic_increasing


def test_canonical_order_puts_unknown_times_last():
    frame = pd.DataFrame(
        {
            "job_id": ["c", "b", "a", "d"],
            "created": pd.to_datetime([None, "2026-01-02", "2026-01-02", "2026-01-01"], utc=True),
        }
    )
    assert canonical_order(frame)["job_id"].tolist() == ["d", "a", "b", "c"]


def test_one_row_per_job_reports_the_positions_dropped():
    frame = pd.DataFrame(
        {
            "job_id": ["a", "a", "b"],
            "status": ["Running", "Completed", "Failed"],
            "observed_at": pd.to_datetime(["2026-01-03", "2026-01-01", "2026-01-01"], utc=True),
        }
    )
    kept, dropped = one_row_per_job(frame)
    assert kept.index.tolist() == [1, 2] and dropped.tolist() == [0]


def test_the_archive_still_pairs_each_record_with_its_row():
    # The archive keeps a record's raw JSON beside its row and merges jobs by its own rule (the same one).
    from ddsjobs_analytics.archive import _records

    batch = [_job("a", "Completed"), _job("a", "Running"), _job("b", "Failed", reason="x")]
    table = _records.table_from_records(
        batch, observed_at="2026-11-02T00:00:00+00:00", region="r", project_id="p"
    )
    assert table.column("status").to_pylist() == ["Completed", "Running", "Failed"]
    assert [json.loads(raw)["status"] for raw in table.column("raw").to_pylist()] == [
        "Completed",
        "Running",
        "Failed",
    ]
