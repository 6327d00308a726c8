"""Absolute rules: Wilson lower bounds and Kaplan–Meier lower confidence bounds against hand computation."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pytest

import ddsjobs_analytics as dj
from ddsjobs_analytics._frame import jobs_frame
from ddsjobs_analytics._rules._check import check_rules
from ddsjobs_analytics._rules._result import SUMMARY_COLUMNS, RuleResult
from ddsjobs_analytics._rules._rule import Rule

Z_95 = 1.959963984540054  # published two-sided 95 % normal quantile
OBSERVED = "2026-12-01T00:00:00Z"
START = pd.Timestamp("2026-11-01T00:00:00Z")


def jobs(rows: Sequence[tuple[str, str, float]], region: str = "cn-north-4") -> pd.DataFrame:
    """A jobs frame from ``(job_type, status, seconds)``: the duration of a finished job, the age of a
    Running one; each job created an hour after the previous one from 2026-11-01."""
    records = []
    for i, (job_type, status, seconds) in enumerate(rows):
        created = START + pd.Timedelta(hours=i)
        record = {
            "id": f"{region}-{i}",
            "name": job_type,
            "status": status,
            "instance_id": f"inst-{i % 3}",
            "instance_name": f"db-{i % 3}",
            "region": region,
            "project_id": "p1",
            "created_at": created.isoformat(),
        }
        if status == "Running":
            record["created_at"] = (pd.Timestamp(OBSERVED) - pd.Timedelta(seconds=seconds)).isoformat()
        else:
            record["ended_at"] = (created + pd.Timedelta(seconds=seconds)).isoformat()
        records.append(record)
    return jobs_frame(records, observed_at=OBSERVED)


def failures(job_type: str, failed: int, total: int, region: str = "cn-north-4") -> pd.DataFrame:
    return jobs([(job_type, "Failed" if i < failed else "Completed", 60.0) for i in range(total)], region)


# --- failure rate: the Wilson lower bound -------------------------------------------------------------


def test_one_failure_in_two_is_above_five_percent_by_wilson_alone() -> None:
    # Hand computation: p = 1/2, n = 2, z² = 3.8415: (0.5 + 0.9604 − 1.9600·√(0.125 + 0.2401)) / 1.9207+1
    # = 0.27614 / 2.92073 = 0.09455. Above 5 %: Wilson alone does not keep 1-in-2 quiet at 5 %.
    result = check_rules(failures("Backup", 1, 2), [Rule(job_type="Backup", max_failure_rate=0.05)])
    (row,) = result.summary.to_dict("records")
    assert row["bound"] == pytest.approx(0.09455, abs=5e-5)
    assert row["verdict"] == "breached"
    # At 10 % it is not a breach, and with min_jobs = 20 (the documented example) it is not judged.
    assert not check_rules(
        failures("Backup", 1, 2), [{"job_type": "Backup", "max_failure_rate": 0.10}]
    ).breached
    gated = check_rules(failures("Backup", 1, 2), [Rule("Backup", max_failure_rate=0.05, min_jobs=20)])
    assert gated.summary["verdict"].tolist() == ["insufficient"] and not gated.breached


@pytest.mark.parametrize(
    ("failed", "total", "low", "limit", "breached"),
    [
        # 1/20: center (0.05 + 0.09604) / 1.19207 = 0.12251, half 1.64418·√(0.002375 + 0.002401) = 0.11363
        (1, 20, 0.00888, 0.05, False),
        # 10/20: center 0.5, half 1.64418·√(0.0125 + 0.002401) = 0.20071
        (10, 20, 0.29929, 0.25, True),
        (10, 20, 0.29929, 0.30, False),
    ],
)
def test_wilson_lower_bound_by_hand(
    failed: int, total: int, low: float, limit: float, breached: bool
) -> None:
    result = check_rules(failures("Backup", failed, total), [Rule("Backup", max_failure_rate=limit)])
    (row,) = result.summary.to_dict("records")
    assert row["bound"] == pytest.approx(low, abs=5e-5)
    assert row["value"] == pytest.approx(failed / total)
    assert row["n"] == total and row["breached"] is breached


def test_globs_pick_job_types_and_each_type_is_judged_on_its_own() -> None:
    df = pd.concat(
        [
            failures("MongodbSnapshot", 10, 20),
            failures("MongodbSnapshotCopy", 0, 20),
            failures("Resize", 20, 20),
        ],
        ignore_index=True,
    )
    result = check_rules(df, [Rule("MongodbSnapshot*", max_failure_rate=0.05)])
    verdicts = dict(zip(result.summary["job_type"], result.summary["verdict"], strict=True))
    assert verdicts == {"MongodbSnapshot": "breached", "MongodbSnapshotCopy": "ok"}


def test_a_region_glob_judges_per_region() -> None:
    df = pd.concat([failures("Backup", 10, 20, "cn-north-4"), failures("Backup", 10, 20, "ap-southeast-1")])
    result = check_rules(df, [Rule("Backup", region="cn-*", max_failure_rate=0.05)])
    assert result.summary[["job_type", "region", "verdict"]].values.tolist() == [
        ["Backup", "cn-north-4", "breached"]
    ]


def test_the_window_keeps_the_jobs_created_in_it() -> None:
    df = failures("Backup", 10, 20)  # failures are the first 10 hours
    window = (START + pd.Timedelta(hours=10), START + pd.Timedelta(days=1))
    result = check_rules(df, [Rule("Backup", max_failure_rate=0.05)], window=window)
    assert result.summary.loc[0, "n"] == 10 and result.summary.loc[0, "value"] == 0.0


# --- durations: the Kaplan–Meier quantile's lower confidence bound --------------------------------------


def km_lower_bound_by_hand(durations: Sequence[float], q: float) -> float:
    """Brookmeyer–Crowley low end for an uncensored sample of distinct times, written out anew:
    S_i = (n − i)/n, Greenwood V_i = Σ_{j≤i} 1/((n−j+1)(n−j)), the log(−log) lower band
    S_i^exp(z√V_i/|log S_i|), and the first time where that band reaches 1 − q."""
    times = sorted(durations)
    n = len(times)
    greenwood = 0.0
    for i, t in enumerate(times, start=1):
        survival = (n - i) / n
        if survival == 0:
            return t
        greenwood += 1.0 / ((n - i + 1) * (n - i))
        lower = survival ** math.exp(Z_95 * math.sqrt(greenwood) / abs(math.log(survival)))
        if lower <= 1 - q + 1e-10:
            return t
    return math.nan


@pytest.mark.parametrize(("limit_name", "q"), [("max_p50", 0.5), ("max_p95", 0.95)])
def test_duration_rules_compare_the_km_lower_bound(limit_name: str, q: float) -> None:
    durations = [100.0 * (i + 1) for i in range(40)]
    df = jobs([("Resize", "Completed", d) for d in durations])
    bound = km_lower_bound_by_hand(durations, q)
    assert math.isfinite(bound) and bound < np.quantile(durations, q)
    just_below, at = Rule("Resize", **{limit_name: bound - 1}), Rule("Resize", **{limit_name: bound})
    result = check_rules(df, [just_below, at])
    assert result.summary["bound"].tolist() == [bound, bound]
    assert result.summary["breached"].tolist() == [True, False]
    expected = dj.km_quantile(durations, np.ones(len(durations), dtype=bool), q)
    assert result.summary["value"].tolist() == [expected, expected]


def test_running_jobs_are_censored_not_dropped() -> None:
    finished = [("Resize", "Completed", 100.0 * (i + 1)) for i in range(10)]
    running = [("Resize", "Running", 50_000.0)] * 10
    result = check_rules(jobs(finished + running), [Rule("Resize", max_p50=100_000)])
    # S falls by 1/20 at each of the 10 finished jobs: 0.5 at 1000 s. Without the Running jobs the median
    # of the finished ones alone would be 550 s.
    assert result.summary.loc[0, "value"] == 1000.0 and result.summary.loc[0, "n"] == 10
    # Three in four still running: neither the median nor its lower bound is estimable, and that is said.
    many = check_rules(jobs(finished + running * 3), [Rule("Resize", max_p50=100_000)])
    assert many.summary.loc[0, "verdict"] == "not estimable" and not many.breached


# --- stuck jobs -----------------------------------------------------------------------------------------


def test_max_stuck_counts_stuck_jobs_per_type() -> None:
    history = [("Backup", "Completed", 100.0)] * 20  # P95 100 s → stuck after 300 s
    df = jobs([*history, ("Backup", "Running", 1000.0), ("Backup", "Running", 200.0)])
    assert len(dj.stuck_jobs(df)) == 1
    result = check_rules(df, [Rule("Backup", max_stuck=0), Rule("Backup", max_stuck=1)])
    assert result.summary[["metric", "value", "breached"]].values.tolist() == [
        ["stuck", 1.0, True],
        ["stuck", 1.0, False],
    ]


# --- the result object ----------------------------------------------------------------------------------


def test_the_result_renders_like_a_statistical_result() -> None:
    result = check_rules(failures("Backup", 10, 20), [Rule("Backup", max_failure_rate=0.05)])
    assert isinstance(result, RuleResult) and tuple(result.summary.columns) == SUMMARY_COLUMNS
    (line,) = result.findings()
    assert line == "job_type=Backup: failure_rate 50.0% (CI low 29.9%) > max 5.0%, n=20"
    assert f"BREACH  {line}" in result.to_text()
    assert "| job_type=Backup | failure_rate 50.0% (CI low 29.9%) > max 5.0%, n=20 |" in result.to_markdown()
    assert "<table>" in result._repr_html_() and "breached" in result.to_html()
    assert result.to_records()[0]["text"] == line and "1 breach" in repr(result)


def test_bad_rules_are_errors_naming_the_rule() -> None:
    with pytest.raises(ValueError, match=r"rules\[1\]: max_failure_rate is a share"):
        check_rules(failures("Backup", 1, 2), [Rule("Backup", max_p50=1), {"max_failure_rate": 5}])
    with pytest.raises(ValueError, match="at least one limit"):
        Rule("Backup", min_jobs=20)


def test_no_rules_no_rows() -> None:
    result = check_rules(failures("Backup", 1, 2), [])
    assert result.summary.empty and not result.breached and result.findings() == []


def test_the_readme_example_prints_what_it_says() -> None:
    import contextlib
    import io
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    (example,) = [
        b for b in re.findall(r"```python\n(.*?)```", readme, flags=re.DOTALL) if "check_rules" in b
    ]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(example, "README.md", "exec"), {})
    promised = [line.removeprefix("# ") for line in example.splitlines() if line.startswith("# ")]
    assert printed.getvalue().splitlines() == promised
