from __future__ import annotations

import datetime as dt
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import ddsjobs_analytics as dj
from ddsjobs_analytics._compare._periods import period_masks
from ddsjobs_analytics._compare._stats import fisher_exact, newcombe_interval
from ddsjobs_analytics._core._calendar import resolve_tz

sys.path.insert(0, str(Path(__file__).parent))
from compare_fleet import END, NEW_REASON, fleet

T0 = pd.Timestamp("2026-10-01", tz="UTC")
BASELINE = ("2026-09-01", "2026-10-01")
CURRENT = ("2026-10-01", "2026-10-08")


def jobs(rows: list[tuple[str, str, str, float]], *, reason: str | None = "boom") -> pd.DataFrame:
    """Jobs from ``(job_type, status, created, seconds)``: a duration if finished, an age if Running."""
    frame = pd.DataFrame(rows, columns=["job_type", "status", "created", "seconds"])
    running = frame["status"] == "Running"
    return pd.DataFrame(
        {
            "job_id": pd.array([f"j{i}" for i in range(len(frame))], dtype="string"),
            "job_type": frame["job_type"].astype("category"),
            "status": frame["status"].astype("category"),
            "created": pd.to_datetime(frame["created"], utc=True).astype("datetime64[us, UTC]"),
            "duration_s": frame["seconds"].where(~running),
            "age_s": frame["seconds"].where(running),
            "fail_reason": pd.array(
                [reason if s == "Failed" else None for s in frame["status"]], dtype="string"
            ),
            "instance_id": pd.Categorical([f"inst-{i % 4}" for i in range(len(frame))]),
            "instance_name": pd.Categorical([f"db-{i % 4}" for i in range(len(frame))]),
            "region": pd.Categorical(["cn-north-4"] * len(frame)),
        }
    )


def spread(job_type: str, statuses: list[str], start: str, days: float, seconds: float = 60.0) -> list:
    """Jobs of one type created evenly over ``days`` from ``start``."""
    begin = pd.Timestamp(start, tz="UTC")
    step = pd.Timedelta(days=days) / max(len(statuses), 1)
    return [(job_type, s, (begin + i * step).isoformat(), seconds) for i, s in enumerate(statuses)]


def rate_frame() -> pd.DataFrame:
    # "a": 2/40 failed in the baseline, 12/40 in the current week; "b": only 3 current jobs.
    rows = spread("a", ["Failed"] * 2 + ["Completed"] * 38, "2026-09-02", 28)
    rows += spread("a", ["Failed"] * 12 + ["Completed"] * 28, "2026-10-01", 6.5)
    rows += spread("b", ["Completed"] * 30, "2026-09-02", 28) + spread("b", ["Failed"] * 3, "2026-10-02", 1)
    return jobs(rows)


def test_failure_rate_row_is_newcombe_and_fisher() -> None:
    result = dj.compare_periods(rate_frame(), current=CURRENT, baseline=BASELINE, metrics=["failure_rate"])
    a = result.set_index("job_type").loc["a"]
    assert (a["baseline"], a["current"]) == (2 / 40, 12 / 40)
    assert a["change"] == pytest.approx(0.25)
    low, high = newcombe_interval(12, 40, 2, 40)
    assert (a["ci_low"], a["ci_high"]) == pytest.approx((float(low), float(high)))
    assert a["p_value"] == pytest.approx(float(fisher_exact(12, 40, 2, 40)[0]))
    assert (a["n_baseline"], a["n_current"]) == (40, 40)
    assert a["verdict"] == "regressed"
    b = result.set_index("job_type").loc["b"]
    assert b["verdict"] == "insufficient"  # 3 current jobs, all failed: never a verdict on 3 jobs
    assert math.isnan(b["q_value"])
    # One tested row: its q is its p.
    assert a["q_value"] == pytest.approx(a["p_value"])
    assert list(result.columns) == [
        "job_type", "metric", "baseline", "current", "change", "ci_low", "ci_high", "p_value", "q_value",
        "n_baseline", "n_current", "verdict",
    ]  # fmt: skip


def test_q_values_are_benjamini_hochberg_over_the_tested_rows() -> None:
    df = fleet(1)
    current, baseline = dj.default_periods(df)
    result = dj.compare_periods(df, current=current, baseline=baseline)
    tested = result.loc[result["verdict"] != "insufficient"]
    assert len(tested) == len(result)
    p = tested["p_value"].to_numpy()
    order = np.argsort(p)
    expected = np.minimum.accumulate((p[order] * len(p) / np.arange(1, len(p) + 1))[::-1])[::-1]
    assert tested["q_value"].to_numpy()[order] == pytest.approx(np.minimum(expected, 1.0))
    assert result["verdict"].iloc[0] == "regressed"  # regressions first


def test_verdict_needs_a_minimum_effect() -> None:
    df = rate_frame()
    strict = dj.compare_periods(
        df, current=CURRENT, baseline=BASELINE, metrics=["failure_rate"], min_rate_change=0.30
    )
    assert strict.set_index("job_type").loc["a", "verdict"] == "unchanged"  # +25 pp < 30 pp
    few = dj.compare_periods(df, current=CURRENT, baseline=BASELINE, metrics=["failure_rate"], min_jobs=41)
    assert set(few["verdict"]) == {"insufficient"}


def test_running_jobs_are_censored_not_dropped() -> None:
    # Baseline: 40 jobs of 100 s. Current: 20 finished at 100 s and 20 still running at 1,000 s. Dropping the
    # running ones would show no change at all. With them censored: S(100 s) = 1 − 20/40 = 0.5, so the KM
    # median is still 100 s, but S never falls to 0.05 (P95 not estimable), and the log-rank test sees that
    # half of the current jobs outlast every baseline job.
    rows = spread("a", ["Completed"] * 40, "2026-09-02", 28, 100.0)
    rows += spread("a", ["Completed"] * 20, "2026-10-01", 3, 100.0)
    rows += spread("a", ["Running"] * 20, "2026-10-04", 3, 1000.0)
    result = dj.compare_periods(jobs(rows), current=CURRENT, baseline=BASELINE, min_jobs=10)
    p95 = result.set_index("metric").loc["duration_p95"]
    assert p95["n_current"] == 40  # the running ones are counted
    assert p95["verdict"] == "insufficient" and math.isnan(p95["current"])  # not estimable: S never <= 5 %
    p50 = result.set_index("metric").loc["duration_p50"]
    assert p50["current"] == 100.0 and p50["baseline"] == 100.0
    assert p50["p_value"] < 1e-6  # the log-rank test sees the long-running jobs


def test_duration_ratio_and_its_interval() -> None:
    df = fleet(4)
    current, baseline = dj.default_periods(df)
    result = dj.compare_periods(df, current=current, baseline=baseline).set_index(["job_type", "metric"])
    slower = result.loc[("type-01", "duration_p50")]
    assert slower["change"] == pytest.approx(slower["current"] / slower["baseline"])
    assert slower["ci_low"] < slower["change"] < slower["ci_high"]
    assert 1.4 < slower["change"] < 2.1 and slower["verdict"] == "regressed"
    assert result.loc[("type-02", "duration_p50"), "verdict"] == "improved"


def test_periods_are_half_open_and_naive_times_follow_tz() -> None:
    created = pd.Series(
        pd.to_datetime(["2026-09-30T15:59:59Z", "2026-09-30T16:00:00Z", "2026-10-01T00:00:00Z"])
    )
    # [2026-10-01 00:00, …) in UTC+8 starts at 2026-09-30 16:00 UTC.
    window = [(pd.Timestamp("2026-09-30T16:00Z"), pd.Timestamp("2026-10-01T00:00Z"))]
    assert period_masks(created, window).tolist() == [False, True, False]
    df = jobs([("a", "Completed", t, 1.0) for t in created.astype(str)])
    for tz in ("+08:00", "UTC+8", "Asia/Shanghai", dt.timezone(dt.timedelta(hours=8))):
        result = dj.compare_periods(
            df, current=("2026-10-01", "2026-10-02"), baseline=("2026-09-01", "2026-10-01"), tz=tz, min_jobs=1
        )
        counts = result.set_index("metric").loc["failure_rate", ["n_baseline", "n_current"]].tolist()
        assert counts == [1, 2], tz
    utc = dj.compare_periods(
        df, current=("2026-10-01", "2026-10-02"), baseline=("2026-09-01", "2026-10-01"), min_jobs=1
    )
    assert utc.set_index("metric").loc["failure_rate", ["n_baseline", "n_current"]].tolist() == [2, 1]


@pytest.mark.parametrize(
    ("tz", "hours"),
    [(None, 0), ("UTC", 0), ("+08:00", 8), ("+0800", 8), ("UTC+8", 8), ("GMT-3", -3), ("UTC+05:45", 5.75)],
)
def test_resolve_tz_offsets(tz: str | None, hours: float) -> None:
    assert resolve_tz(tz).utcoffset(dt.datetime(2026, 1, 1)) == dt.timedelta(hours=hours)


def test_bad_arguments_are_named() -> None:
    df = rate_frame()
    with pytest.raises(ValueError, match="overlap"):
        dj.compare_periods(df, current=("2026-09-20", "2026-10-08"), baseline=BASELINE)
    with pytest.raises(ValueError, match="metrics"):
        dj.compare_periods(df, current=CURRENT, baseline=BASELINE, metrics=["latency"])
    with pytest.raises(ValueError, match=r"start .* is not before end"):
        dj.compare_periods(df, current=("2026-10-08", "2026-10-01"), baseline=BASELINE)
    with pytest.raises(ValueError, match="pair"):
        dj.compare_periods(df, current="7d", baseline=BASELINE)
    with pytest.raises(ValueError, match="'nope'"):
        dj.compare_periods(df, current=CURRENT, baseline=BASELINE, by="nope")


def test_several_baseline_windows_and_empty_result() -> None:
    df = rate_frame()
    two = dj.compare_periods(
        df,
        current=CURRENT,
        baseline=[("2026-09-01", "2026-09-15"), ("2026-09-15", "2026-10-01")],
        metrics=["failure_rate"],
    )
    one = dj.compare_periods(df, current=CURRENT, baseline=BASELINE, metrics=["failure_rate"])
    pd.testing.assert_frame_equal(two, one)
    empty = dj.compare_periods(
        df, current=("2030-01-01", "2030-01-02"), baseline=("2029-01-01", "2029-02-01")
    )
    assert empty.empty and "verdict" in empty.columns


def test_by_instance_finds_the_failing_instance() -> None:
    rows = spread("a", ["Completed"] * 200, "2026-09-02", 28) + spread(
        "a", ["Completed"] * 120, "2026-10-01", 6
    )
    df = jobs(rows)
    df["status"] = df["status"].cat.add_categories(["Failed"])
    current = df["created"] >= T0
    bad = current & (df["instance_id"] == "inst-1")
    df.loc[bad, "status"] = "Failed"
    result = dj.compare_periods(
        df, current=CURRENT, baseline=BASELINE, by="instance_id", metrics=["failure_rate"]
    )
    verdicts = result.set_index("instance_id")["verdict"]
    assert verdicts["inst-1"] == "regressed"
    assert (verdicts.drop("inst-1") == "unchanged").all()


def test_default_periods_anchor_on_observed_at() -> None:
    df = fleet(0)
    current, baseline = dj.default_periods(df)
    assert current == (pd.Timestamp(END) - pd.Timedelta(days=7), pd.Timestamp(END))
    assert baseline == (pd.Timestamp(END) - pd.Timedelta(days=35), pd.Timestamp(END) - pd.Timedelta(days=7))
    current, _ = dj.default_periods(df.drop(columns="observed_at"), current="1d")
    assert current[1] == df["created"].max()
    current, baseline = dj.default_periods(df, now="2026-10-01", current="2d", baseline="1w")
    assert current[0] == baseline[1] == pd.Timestamp("2026-09-29", tz="UTC")


def test_new_fail_reasons_lists_templates_never_seen_before() -> None:
    df = fleet(2)
    current, baseline = dj.default_periods(df)
    new = dj.new_fail_reasons(df, current=current, baseline=baseline)
    assert len(new) == 1
    row = new.iloc[0]
    expected = df.loc[df["fail_reason"].str.startswith("Backup storage unreachable").fillna(False)]
    assert row["count"] == len(expected)
    assert row["template"].startswith("Backup storage unreachable at <IP:PORT>")
    assert row["instances"] == expected["instance_id"].nunique() == len(set(row["instance_ids"])) or (
        row["instances"] > 10 and len(row["instance_ids"]) == 10
    )
    assert NEW_REASON.split(" at ")[0] in row["example"]
    # Swapping the periods: nothing of the old weeks is new.
    assert dj.new_fail_reasons(df, current=baseline, baseline=current).shape[0] == 0


def test_incident_comparison_uses_the_same_hours_of_earlier_weeks() -> None:
    df = fleet(3)
    start, end = pd.Timestamp("2026-10-30T02:00Z"), pd.Timestamp("2026-10-30T08:00Z")
    found = dj.incident_comparison(df, start=start, end=end, weeks=3, region="cn-north-4")
    assert found.current == (start, end)
    assert found.baseline == [(start - pd.Timedelta(weeks=k), end - pd.Timedelta(weeks=k)) for k in (1, 2, 3)]
    in_window = (df["region"] == "cn-north-4") & (df["created"] >= start) & (df["created"] < end)
    decided = in_window & df["status"].isin(["Completed", "Failed"])
    rate = found.changes.set_index("metric").loc["failure_rate"]
    assert rate["n_current"] == decided.sum()
    naive = dj.incident_comparison(df, start="2026-10-30 10:00", end="2026-10-30 16:00", tz="+08:00")
    assert naive.current == (start, end)
    one = dj.incident_comparison(df, start=start, end=end, instance="db-07")
    assert one.changes.set_index("metric").loc["failure_rate", "n_current"] == (
        (df["instance_name"] == "db-07") & (df["created"] >= start) & (df["created"] < end)
        & df["status"].isin(["Completed", "Failed"])
    ).sum()  # fmt: skip
    with pytest.raises(ValueError, match="weeks"):
        dj.incident_comparison(df, start=start, end=end, weeks=0)


def test_accessor_methods() -> None:
    df = fleet(5)
    current, baseline = dj.default_periods(df)
    pd.testing.assert_frame_equal(
        df.ddsjobs.compare_periods(current=current, baseline=baseline),
        dj.compare_periods(df, current=current, baseline=baseline),
    )
    assert len(df.ddsjobs.new_fail_reasons(current=current, baseline=baseline)) == 1


def test_the_readme_what_changed_example_runs_on_the_sample() -> None:
    import re

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.DOTALL)
    example = next(block for block in blocks if "dj.compare_periods(" in block)
    namespace: dict[str, object] = {"dj": dj, "df": dj.load_sample()}
    try:
        exec(compile(example, "README.md", "exec"), namespace)
    finally:
        plt.close("all")
    assert set(namespace["changes"]["verdict"]) <= {"regressed", "improved", "unchanged", "insufficient"}


def test_spans_periods() -> None:
    df = fleet(0)  # 35 days before END
    current, baseline = dj.default_periods(df)
    # The first job comes a little after the start of the baseline.
    assert not dj.spans_periods(df, current=current, baseline=baseline)
    assert dj.spans_periods(df, current=current, baseline=(baseline[0] + pd.Timedelta(hours=1), baseline[1]))
    recent = df.loc[df["created"] >= current[0]]
    assert not dj.spans_periods(recent, current=current, baseline=baseline)
    assert not dj.spans_periods(df.iloc[0:0], current=current, baseline=baseline)


def test_several_by_columns() -> None:
    df = fleet(6)
    current, baseline = dj.default_periods(df)
    result = dj.compare_periods(df, current=current, baseline=baseline, by=["region", "job_type"])
    assert list(result.columns[:3]) == ["region", "job_type", "metric"]
    assert len(result) == 3 * len(df.groupby(["region", "job_type"], observed=True))
    row = result.set_index(["region", "job_type", "metric"]).loc[("cn-north-4", "type-00", "failure_rate")]
    in_group = (df["region"] == "cn-north-4") & (df["job_type"] == "type-00")
    decided = in_group & df["status"].isin(["Completed", "Failed"]) & (df["created"] >= current[0])
    assert row["n_current"] == decided.sum()
