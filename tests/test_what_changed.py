"""The report's "What changed" section: the last 7 days against the 28 before, when the data spans both."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pandas as pd
import pytest
from compare_fleet import END, NEW_REASON, fleet
from report_scenario import frame

import ddsjobs_analytics as dj
from ddsjobs_analytics._compare._periods import compare_periods
from ddsjobs_analytics._compare._reasons import new_fail_reasons
from ddsjobs_analytics._render._report import write_report

CURRENT = (pd.Timestamp(END) - pd.Timedelta(days=7), pd.Timestamp(END))
BASELINE = (pd.Timestamp(END) - pd.Timedelta(days=35), CURRENT[0])


@pytest.fixture(scope="module")
def spanning() -> pd.DataFrame:
    # 36 days observed at END: reaches back over the 35 days of both periods. Injected: type-00 fails 4× as
    # often, type-01 is 1.7× slower, type-02 1.7× faster, and a new failure message in the last week.
    return fleet(3, types=4, jobs_per_type_day=20, days=36)


@pytest.fixture(scope="module")
def report(spanning: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> tuple[dj.ReportPaths, str]:
    paths = write_report(spanning, tmp_path_factory.mktemp("changed"), html=True)
    assert paths.html is not None
    return paths, paths.html.read_text(encoding="utf-8")


def section(page: str) -> str:
    found = re.search(r'<section id="what-changed">(.*?)</section>', page, re.S)
    assert found is not None
    return found.group(1)


def test_the_comparison_is_compare_periods_of_the_default_periods(spanning: pd.DataFrame) -> None:
    changed = dj.analyse(spanning).what_changed
    assert (changed.current, changed.baseline) == (CURRENT, BASELINE)
    assert changed.comparison is not None and changed.new_reasons is not None
    expected = compare_periods(spanning, current=CURRENT, baseline=BASELINE)
    pd.testing.assert_frame_equal(changed.comparison, expected)
    verdicts = {(row.job_type, row.metric): row.verdict for row in changed.changes.itertuples()}
    assert verdicts[("type-00", "failure_rate")] == "regressed"
    assert verdicts[("type-01", "duration_p50")] == "regressed"
    assert verdicts[("type-02", "duration_p50")] == "improved"
    assert set(changed.changes["verdict"]) == {"regressed", "improved"}
    # The analysis' templates (learned over the whole frame) find the same new reason as a fresh call.
    fresh = new_fail_reasons(spanning, current=CURRENT, baseline=BASELINE)
    assert changed.new_reasons["template"].tolist() == fresh["template"].tolist()
    assert changed.new_reasons["count"].tolist() == fresh["count"].tolist()
    assert changed.new_reasons["template"].str.startswith(NEW_REASON.split(" at ")[0]).all()
    assert changed.why.startswith("Compared the last 7 days (2026-10-25 00:00 – 2026-11-01 00:00)")


def test_the_section_shows_chart_changes_and_new_reasons(report: tuple[dj.ReportPaths, str]) -> None:
    paths, page = report
    part = section(page)
    assert part.count('<img src="data:image/png;base64,') == 1 and "what_changed" in paths.charts
    rates, durations = part.split("Durations (change as a ratio)")
    assert "Failure rates (change in points)" in rates and ">type-00<" in rates
    assert ">type-01<" in durations and ">type-02<" in durations and "×<" in durations
    assert "Failure reasons new in the last 7 days" in part and "Backup storage unreachable at" in part
    assert '<a href="#what-changed">What changed</a>' in page


def test_the_csv_holds_every_row(report: tuple[dj.ReportPaths, str], spanning: pd.DataFrame) -> None:
    paths, _ = report
    table = pd.read_csv(paths.tables["what_changed"])
    expected = compare_periods(spanning, current=CURRENT, baseline=BASELINE)
    assert len(table) == len(expected) == 4 * 3  # every (type, metric), not only the changes
    assert table["verdict"].tolist() == expected["verdict"].tolist()
    assert table["n_current"].tolist() == expected["n_current"].tolist()
    new = pd.read_csv(paths.tables["new_fail_reasons"])
    assert new["template"].str.startswith("Backup storage unreachable").all()


def test_without_both_periods_the_section_says_why_in_one_line(tmp_path: Path) -> None:
    df = frame()  # two days of jobs
    paths = write_report(df, tmp_path, html=True, charts=False)
    assert paths.html is not None
    part = section(paths.html.read_text(encoding="utf-8"))
    lines = re.findall(r'<p class="note">(.*?)</p>', part)
    assert len(lines) == 1 and "<table" not in part and "<img" not in part
    assert lines[0].startswith("Not compared: the jobs start 2026-11-01 01:00 – 2026-11-02 10:00 UTC")
    assert "what_changed" not in paths.tables and not (tmp_path / "what_changed.csv").exists()


def test_a_fleet_just_short_of_35_days_is_not_compared(spanning: pd.DataFrame) -> None:
    short = spanning[spanning["created"] >= BASELINE[0] + pd.Timedelta(minutes=1)]
    assert dj.analyse(short).what_changed.comparison is None
    assert dj.analyse(short.iloc[:0]).what_changed.why == "Not compared: there are no jobs with a start time."


def test_periods_are_shown_in_tz(spanning: pd.DataFrame) -> None:
    why = dj.analyse(spanning, tz="Asia/Shanghai").what_changed.why
    assert "(2026-10-25 08:00 – 2026-11-01 08:00)" in why and "Asia/Shanghai" in why
