"""The failure-reason drill-down of the report page: each group's row links to a list of its jobs."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pandas as pd
import pytest
from report_scenario import frame

import ddsjobs_analytics as dj
from ddsjobs_analytics._reasons import jobs_in_group
from ddsjobs_analytics._render import _report_sections
from ddsjobs_analytics._render._html import TEXT_CELL_LIMIT, table_html
from ddsjobs_analytics._render._report import write_report
from ddsjobs_analytics._render._report_sections import group_jobs, reason_drilldown


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    return frame()


@pytest.fixture(scope="module")
def page(df: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> str:
    paths = write_report(df, tmp_path_factory.mktemp("drill"), html=True, charts=False)
    assert paths.html is not None
    return paths.html.read_text(encoding="utf-8")


def details(page: str) -> dict[str, str]:
    return dict(re.findall(r'<details class="jobs" id="([^"]+)">(.*?)</details>', page, re.S))


def test_group_jobs_are_the_jobs_in_group(df: pd.DataFrame) -> None:
    analysis = dj.analyse(df)
    for template, group_id in zip(
        analysis.fail_reason_groups["template"], analysis.fail_reason_groups["template_id"], strict=True
    ):
        expected = jobs_in_group(df, str(group_id))["job_id"].tolist()
        assert group_jobs(analysis, str(template))["job_id"].tolist() == expected
    # The two "Node … is unreachable" failures (a3, b5) form one group, newest (b5) first.
    node_down = analysis.fail_reason_groups.loc[analysis.fail_reason_groups["count"] == 2].iloc[0]
    assert group_jobs(analysis, str(node_down["template"]))["job_id"].tolist() == ["b5", "a3"]


def test_each_reason_row_links_to_its_job_list(df: pd.DataFrame, page: str) -> None:
    groups = dj.analyse(df).fail_reason_groups
    reasons = re.search(r'<section id="fail-reasons">(.*?)</section>', page, re.S)
    assert reasons is not None
    links = re.findall(r'<a href="#(jobs-[0-9a-f]{12})">', reasons.group(1))
    blocks = details(page)
    assert links == [f"jobs-{group_id}" for group_id in groups["template_id"]]
    assert set(links) == set(blocks)
    node_down = blocks[f"jobs-{groups.loc[groups['count'] == 2, 'template_id'].iloc[0]}"]
    ids = re.findall(r'<td class="short">([ab]\d)</td>', node_down)
    assert ids == ["b5", "a3"] and "2 jobs" in node_down
    assert (
        "<summary>Node &lt;INSTANCE_ID&gt; (&lt;IP:PORT&gt;) is unreachable. (2 jobs)</summary>" in node_down
    )


def test_only_the_most_frequent_groups_get_a_list(df: pd.DataFrame, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_report_sections, "DRILL_GROUPS", 1)
    analysis = dj.analyse(df)
    links, html = reason_drilldown(analysis)
    assert len(links) == len(analysis.fail_reason_groups) == 3  # a3 and b5 share a template
    assert links[1:] == [None, None] and str(links[0]).startswith("#jobs-")
    assert html.count("<details") == 1 and "The 2 rarer groups are in fail_reasons.csv." in html


def test_long_text_is_cut_with_the_whole_text_in_its_title() -> None:
    long = "x" * 50 + " " + "y" * 400
    cell = table_html(pd.DataFrame({"reason": [long, "short"]}))
    shown = re.search(r'<td class="text" title="([^"]*)">([^<]*)</td>', cell)
    assert shown is not None
    assert shown.group(1) == long and len(shown.group(2)) == TEXT_CELL_LIMIT and shown.group(2).endswith("…")
    assert '<td class="text">short</td>' in cell  # not cut: no title


def test_links_must_stay_in_the_page() -> None:
    frame_ = pd.DataFrame({"a": ["x"]})
    assert '<a href="#here">x</a>' in table_html(frame_, links={"a": ["#here"]})
    with pytest.raises(ValueError, match="in-page fragments"):
        table_html(frame_, links={"a": ["https://evil.example/"]})


def test_no_reasons_no_drilldown(df: pd.DataFrame, tmp_path: Path) -> None:
    calm = df.assign(fail_reason=pd.Series(pd.NA, index=df.index, dtype="string"))
    links, html = reason_drilldown(dj.analyse(calm))
    assert links == [] and html == ""
