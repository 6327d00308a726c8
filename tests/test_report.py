from __future__ import annotations

import base64
import csv
import hashlib
import json
import math
import os
import re
import struct
import subprocess
import sys
from pathlib import Path
from statistics import NormalDist

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from report_scenario import FORMULA_REASON, HOSTILE_REASON, JOBS, NODE_DOWN_A, frame

from ddsjobs_analytics._frame import empty_jobs_frame, jobs_frame
from ddsjobs_analytics._render._plots import plot_failure_rates
from ddsjobs_analytics._render._report import (
    ReportPaths,
    _focus,
    spreadsheet_safe,
    summary_text,
    write_csv,
    write_report,
)
from ddsjobs_analytics._render._report_charts import _png
from ddsjobs_analytics._stats._durations import duration_stats
from ddsjobs_analytics.simulator._sample import sample_fleet, sample_records

TABLES = ["jobs", "duration_stats", "failure_rates", "fail_reasons", "stuck_jobs"]
CHARTS = ["durations", "duration_trend", "failure_rates", "fail_reasons", "timeline"]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    return frame()


@pytest.fixture(scope="module")
def report(df: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> ReportPaths:
    return write_report(df, tmp_path_factory.mktemp("report") / "out", html=True, title="Jobs <b>report</b>")


@pytest.fixture(scope="module")
def page(report: ReportPaths) -> str:
    assert report.html is not None
    return report.html.read_text(encoding="utf-8")


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def wilson(successes: int, n: int) -> tuple[float, float]:
    """The Wilson score interval written out from its textbook formula."""
    z = NormalDist().inv_cdf(0.975)
    p = successes / n
    center = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return center - half, center + half


def test_writes_every_table_and_chart(report: ReportPaths) -> None:
    assert sorted(report.tables) == sorted(TABLES) and sorted(report.charts) == sorted(CHARTS)
    assert [p.name for p in report.tables.values()] == [f"{name}.csv" for name in report.tables]
    for path in report.charts.values():
        assert path.read_bytes().startswith(PNG_SIGNATURE)
    assert report.html is not None and report.html.name == "report.html"
    assert set(report) == {*report.tables.values(), *report.charts.values(), report.html}
    assert all(path.parent == report.out_dir for path in report)


def test_jobs_csv_has_iso_utc_times_and_every_row(report: ReportPaths, df: pd.DataFrame) -> None:
    jobs = read_csv(report.tables["jobs"])
    assert list(jobs.columns) == list(df.columns)
    assert len(jobs) == len(JOBS)
    by_id = jobs.set_index("job_id")
    for job_id, _instance, _type, status, created, ended, _reason in JOBS:
        assert by_id.loc[job_id, "created"] == created.replace(" ", "T") + "+00:00"
        # A running job's ended stays empty although the API sent an ended_at.
        assert by_id.loc[job_id, "ended"] == (
            "" if status == "Running" else f"{ended}+00:00".replace(" ", "T")
        )
    assert by_id.loc["a1", "duration_s"] == "120"  # Arrow writes floats in their shortest form


def test_formula_like_text_is_neutralised_in_the_csv(report: ReportPaths) -> None:
    jobs = read_csv(report.tables["jobs"]).set_index("job_id")
    assert jobs.loc["b3", "fail_reason"] == "'" + FORMULA_REASON
    assert jobs.loc["a3", "fail_reason"] == NODE_DOWN_A
    assert jobs.loc["c2", "fail_reason"] == HOSTILE_REASON
    reasons = read_csv(report.tables["fail_reasons"])
    assert reasons["example"].str.startswith("=").sum() == 0
    assert reasons["template"].str.startswith("'=").sum() == 1


def test_spreadsheet_safe_touches_text_only() -> None:
    frame_in = pd.DataFrame(
        {
            "delta": [-5.0, 2.0, np.nan, 1.0, 0.0, 3.0],
            "note": ["-5", "+1 more", "@admin", "\tTab", "\rCR", "plain = fine"],
            "name": pd.Categorical(["=1+1", "ok", "ok", "ok", "ok", None]),
        }
    )
    safe = spreadsheet_safe(frame_in)
    assert safe["delta"].tolist()[:2] == [-5.0, 2.0] and pd.api.types.is_float_dtype(safe["delta"])
    assert safe["note"].tolist() == ["'-5", "'+1 more", "'@admin", "'\tTab", "'\rCR", "plain = fine"]
    assert safe["name"].tolist()[:2] == ["'=1+1", "ok"] and safe["name"].isna().tolist()[-1]


def test_a_carriage_return_inside_a_cell_cannot_start_a_row(tmp_path: Path) -> None:
    # A bare CR is a row break to spreadsheets and to the csv module: the cell after it must stay quoted.
    frame_in = pd.DataFrame(
        {"fail_reason": ["ok\r=HYPERLINK(1)", "\r=1+1", "two\nlines", "-3"], "delta": [-1.5, 2, 3, 4]}
    )
    path = write_csv(frame_in, tmp_path / "x.csv")
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows == [
        ["fail_reason", "delta"],
        ["ok\r=HYPERLINK(1)", "-1.5"],
        ["'\r=1+1", "2"],
        ["two\nlines", "3"],
        ["'-3", "4"],
    ]


def test_named_index_becomes_a_column_and_row_numbers_are_dropped() -> None:
    named = pd.DataFrame({"n": [1]}, index=pd.Index(["x"], name="job_type"))
    assert list(spreadsheet_safe(named).columns) == ["job_type", "n"]
    unnamed = pd.DataFrame({"n": [1]}, index=[17])
    assert list(spreadsheet_safe(unnamed).columns) == ["n"]


def test_stat_tables_match_the_functions(report: ReportPaths, df: pd.DataFrame) -> None:
    written = pd.read_csv(report.tables["duration_stats"]).set_index("job_type")
    expected = duration_stats(df)
    expected.index = expected.index.astype(str)
    pd.testing.assert_frame_equal(
        written, expected, check_dtype=False, check_names=False, check_index_type=False
    )
    rates = read_csv(report.tables["failure_rates"]).set_index("job_type")
    assert rates.loc["RestartInstance", ["failed", "total"]].tolist() == ["1", "6"]
    reasons = read_csv(report.tables["fail_reasons"])
    node_down = reasons[reasons["count"] == "2"].iloc[0]
    assert node_down["sample_job_ids"] == "b5; a3"  # newest first, joined for a spreadsheet


def test_bom_only_when_asked(df: pd.DataFrame, tmp_path: Path) -> None:
    plain = write_report(df, tmp_path / "plain", charts=False)
    excel = write_report(df, tmp_path / "excel", charts=False, bom=True)
    assert not plain.tables["jobs"].read_bytes().startswith(b"\xef\xbb\xbf")
    assert excel.tables["jobs"].read_bytes().startswith(b"\xef\xbb\xbf")
    assert excel.tables["jobs"].read_text(encoding="utf-8-sig") == plain.tables["jobs"].read_text(
        encoding="utf-8"
    )
    assert not plain.charts and plain.html is None


def test_stuck_kwargs_reach_stuck_jobs(df: pd.DataFrame, tmp_path: Path) -> None:
    paths = write_report(df, tmp_path, charts=False, stuck_kwargs={"k": 1.0, "min_history": 1})
    stuck = read_csv(paths.tables["stuck_jobs"])
    # a4 has run 2 h; the p95 of completed resizes (1200 s, 2400 s) is 2340 s.
    assert stuck["job_id"].tolist() == ["a4"]
    assert float(stuck["threshold_s"].iloc[0]) == pytest.approx(2340)
    default = read_csv(write_report(df, tmp_path / "d", charts=False).tables["stuck_jobs"])
    assert default.empty and "job_id" in default.columns


def test_summary_text(df: pd.DataFrame) -> None:
    text = summary_text(df)
    low, high = wilson(4, 11)
    assert "Jobs:" in text and "12 (7 completed, 4 failed, 1 running) on 3 instances" in text
    assert "2026-11-01 01:00 – 2026-11-02 10:00 UTC" in text
    assert "cn-north-4 (9), ap-southeast-1 (3)" in text
    assert f"36.4% (95% CI {low:.1%}–{high:.1%}) of 11 finished jobs" in text
    # No type has the 20 finished jobs a ranking needs (a 1/1 type used to top it: issue 17 §14).
    assert re.search(r"Top failing type:\s+none with 20 finished jobs or more", text)
    assert "(2 jobs, 50%)" in text
    assert "Stuck jobs:" in text and "0 running" in text
    assert "1 running far longer" in summary_text(df, stuck_kwargs={"k": 1.0, "min_history": 1})


def test_report_carries_the_same_summary(report: ReportPaths, df: pd.DataFrame) -> None:
    assert report.summary == summary_text(df)


def test_summary_of_nothing() -> None:
    assert summary_text(empty_jobs_frame()).split() == ["Jobs:", "none"]


def test_html_escapes_user_text_and_runs_only_its_own_script(page: str) -> None:
    assert HOSTILE_REASON not in page
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in page
    assert (
        page.count("<script") == 1
        and "<b>report</b>" not in page
        and "Jobs &lt;b&gt;report&lt;/b&gt;" in page
    )
    # The CSP pins the one inline script and style by hash: nothing injected could run or load.
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert csp is not None and "default-src 'none'" in csp.group(1)
    script = re.search(r"<script>(.*?)</script>", page, re.S)
    assert script is not None
    digest = base64.b64encode(hashlib.sha256(script.group(1).encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp.group(1)


def test_html_is_self_contained(page: str) -> None:
    sources = re.findall(r'\b(?:src|href)="([^"]*)"', page)
    assert sources and all(s.startswith(("data:image/png;base64,", "#")) for s in sources)
    assert len(re.findall(r'<img src="data:image/png;base64,', page)) == len(CHARTS)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    for anchor in ("summary", "durations", "failure-rates", "fail-reasons", "stuck", "timeline"):
        assert f'<section id="{anchor}">' in page
    assert "Wilson" in page and "right-censored" in page
    assert "Busiest failure day: cn-north-4, 2026-11-01 UTC" in page  # a3, b3, b5 failed there that day


def test_html_tables_carry_raw_values_for_sorting(page: str) -> None:
    # RestartInstance p50: 120 s, shown as "2m", sorted by the number.
    assert '<td class="num" data-sort="120.0">2m</td>' in page
    assert '<th scope="col"><button type="button">failure_rate</button></th>' in page


def test_html_without_charts(df: pd.DataFrame, tmp_path: Path) -> None:
    paths = write_report(df, tmp_path, html=True, charts=False)
    assert paths.html is not None and "<img" not in paths.html.read_text(encoding="utf-8")


def test_report_without_charts_never_loads_matplotlib(tmp_path: Path) -> None:
    """The memory promise of a ``--no-charts`` report rests on this: matplotlib (~30 MB) is not imported."""
    sample = tmp_path / "jobs.jsonl"
    sample.write_text("".join(json.dumps(record) + "\n" for record in sample_records()[:50]))
    script = (
        "import sys; from ddsjobs_analytics._cli import main; "
        f"code = main(['-q', 'report', {str(sample)!r}, '--out', {str(tmp_path / 'out')!r}, '--no-charts']); "
        "print(code, sorted(m for m in sys.modules if m.split('.')[0] in ('matplotlib', 'mpl_toolkits')))"
    )
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=str(root))
    env.pop("MPLBACKEND", None)
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.split(None, 1) == ["0", "[]\n"], done.stdout + done.stderr
    assert (tmp_path / "out" / "failure_rates.csv").exists()


def test_row_charts_grow_with_their_rows(df: pd.DataFrame) -> None:
    def height(png: bytes) -> int:
        return struct.unpack(">II", png[16:24])[1]

    one = _png(lambda ax: plot_failure_rates(df, top=1, ax=ax), 9, row_height=0.4)
    all_types = _png(lambda ax: plot_failure_rates(df, ax=ax), 9, row_height=0.4)
    assert height(all_types) > height(one) >= 160


def test_empty_frame_still_makes_a_report(tmp_path: Path) -> None:
    paths = write_report(empty_jobs_frame(), tmp_path, html=True)
    assert read_csv(paths.tables["jobs"]).empty
    assert "timeline" not in paths.charts and set(paths.charts) == set(CHARTS) - {"timeline"}
    assert paths.html is not None and "Jobs</dt><dd>none" in paths.html.read_text(encoding="utf-8")


def test_missing_columns_are_named(df: pd.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="'region'"):
        write_report(df.drop(columns="region"), tmp_path)


def test_timeline_focus_finds_the_incident_in_the_sample() -> None:
    incident = sample_fleet().incident
    focus = _focus(jobs_frame(sample_records()))
    assert focus is not None
    assert (focus.region, focus.start, focus.end) == (
        incident["region"],
        pd.Timestamp(incident["start"]),
        pd.Timestamp(incident["end"]),
    )
