"""Issue 17 §14, the input side: by= takes column names, a saved or plain frame is re-typed, the summary's top
failing type needs enough finished jobs, and fail_reason_template takes a list."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import ddsjobs_analytics as dj
from ddsjobs_analytics._analysis._analyse import TOP_FAILING_MIN_FINISHED
from ddsjobs_analytics.simulator._sample import sample_records


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return dj.load_jobs("sample")


def test_analyse_by_a_series_is_a_short_type_error(sample: pd.DataFrame):
    with pytest.raises(
        TypeError, match=r"^analyse: by= takes a column name \(e\.g\. 'job_type'\), not a Series$"
    ):
        dj.analyse(sample, by=sample["job_type"])  # type: ignore[arg-type]


def test_fail_reason_groups_by_a_series_is_a_short_type_error(sample: pd.DataFrame):
    with pytest.raises(TypeError, match=r"^fail_reason_groups: by= takes a column name .*, not a Series$"):
        dj.fail_reason_groups(sample, by=sample["job_type"])  # type: ignore[arg-type]


def test_analyse_reads_the_reports_own_jobs_csv(sample: pd.DataFrame, tmp_path: Path):
    dj.write_report(sample, tmp_path / "report", charts=False)
    text = pd.read_csv(tmp_path / "report" / "jobs.csv")
    assert text["created"].dtype == object or str(text["created"].dtype) == "str"  # plain text, as read
    analysis = dj.analyse(text)
    assert analysis.summary == dj.analyse(sample).summary
    retyped = dj.jobs_frame(text)
    assert retyped.dtypes.astype(str).to_dict() == dj.empty_jobs_frame().dtypes.astype(str).to_dict()
    # Derived columns are recomputed from the times, not read back rounded to 0.1 s.
    np.testing.assert_array_equal(retyped["duration_s"].to_numpy(), sample["duration_s"].to_numpy())
    assert retyped["job_id"].tolist() == sample["job_id"].tolist()


def test_jobs_frame_of_a_plain_frame_of_records_equals_jobs_frame_of_the_records():
    records = sample_records()[:200]
    at = "2026-11-01T00:00:00Z"
    expected = dj.jobs_frame(records, observed_at=at)
    got = dj.jobs_frame(pd.DataFrame(records), observed_at=at)
    pd.testing.assert_frame_equal(got, expected, check_categorical=False)


def test_a_frame_without_ids_counts_the_rows_and_keeps_them():
    frame = pd.DataFrame(
        {"job_id": ["a", None], "status": ["Running", "Running"], "created": ["2026-11-01T00:00:00Z"] * 2}
    )
    with pytest.warns(dj.DataQualityWarning, match="record lacks an id"):
        got = dj.jobs_frame(frame, observed_at="2026-11-02T00:00:00Z")
    assert len(got) == 2 and got["age_s"].tolist() == [86400.0, 86400.0]


def _rates_frame() -> pd.DataFrame:
    """A: 1 of 1 failed; B: 10 of 100; C: 2 of 50 (all finished)."""
    rows = []
    for job_type, failed, total in (("A", 1, 1), ("B", 10, 100), ("C", 2, 50)):
        for i in range(total):
            status = "Failed" if i < failed else "Completed"
            rows.append(
                {
                    "id": f"{job_type}{i}",
                    "name": job_type,
                    "status": status,
                    "created_at": "2026-11-01T00:00:00+0000",
                    "ended_at": "2026-11-01T00:10:00+0000",
                    "fail_reason": "boom" if status == "Failed" else None,
                    "instance_id": "i1",
                }
            )
    return dj.jobs_frame(rows, observed_at="2026-11-02T00:00:00Z")


def test_top_failing_type_needs_enough_finished_jobs():
    df = _rates_frame()
    rates = dj.failure_rates(df)
    assert rates.index[0] == "A"  # 1/1 has the highest Wilson lower bound (0.207)
    low_b, _ = dj.wilson_interval(10, 100)
    low_c, _ = dj.wilson_interval(2, 50)
    assert low_b > low_c  # so B is the worst among the types with ≥ 20 finished jobs
    facts = dict(dj.analyse(df).facts)
    assert TOP_FAILING_MIN_FINISHED == 20
    assert facts["Top failing type"].startswith(
        "B 10.0% (10/100; ranked by the CI's lower bound, ≥ 20 finished)"
    )


def test_top_failing_type_says_when_no_type_has_enough_jobs():
    df = _rates_frame()
    small = df[df["job_type"].isin(["A"]) | (df["job_id"].isin(["C0", "C1", "C2"]))]
    facts = dict(dj.analyse(small).facts)
    assert facts["Top failing type"] == "none with 20 finished jobs or more"


def test_fail_reason_template_takes_a_list():
    messages = ["disk 1 full", "disk 22 full", None, "timeout after 5 ms"]
    got = dj.fail_reason_template(messages)
    assert isinstance(got, list)
    expected = dj.fail_reason_template(pd.Series(messages, dtype=object))
    assert got == [None if pd.isna(v) else v for v in expected.astype(object)]
    assert got[0] == got[1] and got[2] is None


def test_the_frame_order_does_not_depend_on_the_format(sample: pd.DataFrame, tmp_path: Path):
    shuffled = sample.sample(frac=1, random_state=1)
    shuffled.to_parquet(tmp_path / "jobs.parquet", index=False)
    dj.write_csv(sample, tmp_path / "jobs.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dj.DataQualityWarning)
        a, b = dj.load_jobs(tmp_path / "jobs.parquet"), dj.load_jobs(tmp_path / "jobs.csv")
    assert a["job_id"].tolist() == b["job_id"].tolist()
    assert dj.analyse(a).fail_reason_groups.equals(dj.analyse(b).fail_reason_groups)
