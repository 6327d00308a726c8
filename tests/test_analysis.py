"""``analyse``: one object holding every statistic, each computed once and read by every renderer."""

from __future__ import annotations

import ast
import sys
from pathlib import Path
from typing import Any
from unittest import mock

import matplotlib

matplotlib.use("Agg")

import dataclasses

import pandas as pd
import pytest
from matplotlib.container import ErrorbarContainer
from matplotlib.figure import Figure
from report_scenario import frame

import ddsjobs_analytics as dj
from ddsjobs_analytics._analysis import _analyse as _analysis
from ddsjobs_analytics._analysis import _postmortem
from ddsjobs_analytics._reasons import fail_reason_groups, fail_reason_template
from ddsjobs_analytics._render._plots import plot_fail_reasons, plot_failure_rates
from ddsjobs_analytics._render._report import write_report
from ddsjobs_analytics._stats._durations import duration_stats, stuck_jobs
from ddsjobs_analytics._stats._failures import failure_rates

# duration_stats_fit: the duration table and its Kaplan–Meier fit, which stuck_jobs reuses (one per report).
ANALYSES = ("duration_stats_fit", "failure_rates", "fail_reason_groups", "fail_reason_template", "stuck_jobs")
PACKAGE = Path(dj.__file__).parent


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    return frame()


@pytest.fixture
def spies(monkeypatch: pytest.MonkeyPatch) -> dict[str, mock.MagicMock]:
    """Every analysis function wrapped where any module of the package looks it up."""
    found: dict[str, mock.MagicMock] = {}
    modules = [m for name, m in list(sys.modules.items()) if name.startswith("ddsjobs_analytics")]
    for name in ANALYSES:
        original = getattr(_analysis, name)
        spy = mock.MagicMock(side_effect=original)
        found[name] = spy
        # Not inside _reasons itself: fail_reason_groups templates its own rows as part of its one call; and
        # new_fail_reasons groups the current period's rows as part of its one call (with the analysis'
        # templates: fail_reason_template stays spied there).
        own_calls = {"ddsjobs_analytics._reasons"}
        if name == "fail_reason_groups":
            own_calls.add("ddsjobs_analytics._compare._reasons")
        for module in modules:
            if getattr(module, name, None) is original and module.__name__ not in own_calls:
                monkeypatch.setattr(module, name, spy)
    return found


def test_one_write_report_calls_each_analysis_exactly_once(
    df: pd.DataFrame, spies: dict[str, mock.MagicMock], tmp_path: Path
) -> None:
    paths = write_report(df, tmp_path, html=True)
    assert paths.html is not None and "timeline" in paths.charts  # every reader ran: tables, charts, page
    assert {name: spy.call_count for name, spy in spies.items()} == dict.fromkeys(ANALYSES, 1)


def test_a_report_with_what_changed_still_calls_each_analysis_once(
    spies: dict[str, mock.MagicMock], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from compare_fleet import fleet

    from ddsjobs_analytics._compare import _what_changed

    spanning = fleet(1, types=4, jobs_per_type_day=10, days=36)
    compared = {}
    for name in ("compare_periods", "new_fail_reasons"):
        compared[name] = mock.MagicMock(side_effect=getattr(_what_changed, name))
        monkeypatch.setattr(_what_changed, name, compared[name])
    paths = write_report(spanning, tmp_path, html=True)
    assert "what_changed" in paths.tables and "what_changed" in paths.charts
    assert {name: spy.call_count for name, spy in spies.items()} == dict.fromkeys(ANALYSES, 1)
    assert {name: spy.call_count for name, spy in compared.items()} == dict.fromkeys(compared, 1)


def test_the_spies_see_the_calls_the_old_report_made(
    df: pd.DataFrame, spies: dict[str, mock.MagicMock]
) -> None:
    # Guard against a spy that cannot fail: charts drawn from a plain frame do recompute.
    plot_failure_rates(df, ax=Figure().add_subplot())
    _postmortem.postmortem(df, instance="db-a", weeks=0).summary()
    assert spies["failure_rates"].call_count == 3  # the chart, the subject and the fleet
    assert spies["duration_stats_fit"].call_count == 2 and spies["fail_reason_template"].call_count == 1


def test_each_result_is_computed_once_and_matches_the_function(
    df: pd.DataFrame, spies: dict[str, mock.MagicMock]
) -> None:
    analysis = dj.analyse(df)
    assert all(spy.call_count == 0 for spy in spies.values())  # nothing before it is read
    first = analysis.duration_stats
    assert analysis.duration_stats is first and spies["duration_stats_fit"].call_count == 1
    pd.testing.assert_frame_equal(first, duration_stats(df))
    pd.testing.assert_frame_equal(analysis.failure_rates, failure_rates(df))
    pd.testing.assert_frame_equal(analysis.fail_reason_groups, fail_reason_groups(df))
    pd.testing.assert_frame_equal(analysis.stuck_jobs, stuck_jobs(df))
    # stuck_jobs took the analysis' fit: the one call above, and one more for the plain stuck_jobs(df).
    assert spies["duration_stats_fit"].call_count == 3  # + duration_stats(df) for the comparison
    pd.testing.assert_series_equal(analysis.fail_reason_templates, fail_reason_template(df["fail_reason"]))
    pd.testing.assert_frame_equal(analysis.failure_rates_by_period, failure_rates(df, by=None, freq="D"))


def test_stuck_jobs_reuse_the_fit_only_when_it_is_the_same(df: pd.DataFrame) -> None:
    # by="job_type" of Completed jobs is the fit stuck_jobs makes; by instance or of Failed jobs is not.
    for options in ({}, {"by": "instance_name"}, {"status": "Failed"}):
        pd.testing.assert_frame_equal(dj.analyse(df, **options).stuck_jobs, stuck_jobs(df))
    running = df.assign(status="Running", age_s=df["duration_s"].fillna(1.0) * 100)
    mixed = pd.concat([df, running.assign(job_id=running["job_id"].astype(str) + "-r")], ignore_index=True)
    mixed = mixed.astype({"job_id": df["job_id"].dtype})
    kwargs = {"k": 1.0, "min_history": 1}
    found = dj.analyse(mixed, stuck_kwargs=kwargs).stuck_jobs
    assert len(found) > 0
    pd.testing.assert_frame_equal(found, stuck_jobs(mixed, **kwargs))


def test_km_curves_are_the_fits_behind_the_km_quantiles(df: pd.DataFrame) -> None:
    analysis = dj.analyse(df)
    curves = analysis.km_curves
    # Only groups with a completed or running job have a fit (CreateMongoDB and RestartNode only failed).
    assert sorted(curves) == ["ResizeMongoDBInstance", "RestartInstance"]
    # Resize: completed 1200 and 2400 s are events, a4 has run 2 h (censored at 7200 s).
    # S(1200) = 2/3 (3 at risk), S(2400) = 2/3 · 1/2 (2 at risk), then the censoring leaves S at 1/3.
    resize = curves["ResizeMongoDBInstance"]
    assert resize["time"].tolist() == [1200, 2400, 7200]
    assert resize["at_risk"].tolist() == [3, 2, 1] and resize["censored"].tolist() == [0, 0, 1]
    assert resize["survival"].tolist() == pytest.approx([2 / 3, 1 / 3, 1 / 3])
    for group, curve in curves.items():
        p50 = analysis.duration_stats.loc[group, "km_p50_s"]
        reached = curve["time"][curve["survival"] <= 0.5 + 1e-10]
        assert (reached.iloc[0] if len(reached) else float("nan")) == pytest.approx(p50, nan_ok=True)


def test_analysis_is_immutable_and_keeps_its_options(df: pd.DataFrame) -> None:
    analysis = dj.analyse(df, by="region", stuck_kwargs={"k": 1.0, "min_history": 1})
    with pytest.raises(dataclasses.FrozenInstanceError):
        analysis.by = "job_type"  # type: ignore[misc]
    with pytest.raises(TypeError):
        analysis.stuck_kwargs["k"] = 2.0  # type: ignore[index]
    assert list(analysis.failure_rates.index) == ["cn-north-4", "ap-southeast-1"]  # 3/9 vs 1/3 by ci_low
    assert analysis.stuck_jobs["job_id"].tolist() == ["a4"]
    assert "Top failing region" in analysis.summary
    assert "computed=['failure_rates', 'fail_reason_groups', 'fail_reason_templates', 'stuck_jobs'" in repr(
        analysis
    )


def test_columns_added_later_do_not_reach_the_analysis(df: pd.DataFrame) -> None:
    copy = df.copy()
    analysis = dj.analyse(copy)
    copy["extra"] = 1
    assert "extra" not in analysis.data.columns


def test_missing_columns_are_named(df: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="'region'"):
        dj.analyse(df.drop(columns="region"))
    with pytest.raises(ValueError, match="'zone'"):
        dj.analyse(df, by="zone")


def test_summary_focus_and_report_agree(df: pd.DataFrame, tmp_path: Path) -> None:
    analysis = dj.analyse(df)
    assert analysis.summary == dj.summary_text(df)
    assert analysis.focus is not None and analysis.focus.label.startswith("cn-north-4, 2026-11-01 UTC")
    paths = dj.write_report(analysis, tmp_path, charts=False)
    assert paths.summary == analysis.summary
    with pytest.raises(ValueError, match="stuck_kwargs belong to analyse"):
        dj.write_report(analysis, tmp_path, stuck_kwargs={"k": 1.0})


def test_plots_accept_the_precomputed_tables(df: pd.DataFrame) -> None:
    rates = failure_rates(df)
    from_table, from_frame = Figure().add_subplot(), Figure().add_subplot()
    plot_failure_rates(rates, ax=from_table)
    plot_failure_rates(df, ax=from_frame)

    def points(ax: Any) -> Any:
        bars = next(c for c in ax.containers if isinstance(c, ErrorbarContainer))
        return bars.lines[0].get_xydata().tolist()

    assert points(from_table) == points(from_frame)
    assert from_table.get_title() == "Failure rate by job_type"
    groups = Figure().add_subplot()
    plot_fail_reasons(fail_reason_groups(df), ax=groups)
    assert [bar.get_width() for bar in groups.patches] == [1, 1, 2]


def test_plots_reuse_the_analysis_only_when_the_options_match(
    df: pd.DataFrame, spies: dict[str, mock.MagicMock]
) -> None:
    analysis = dj.analyse(df)
    dj.plot_durations(analysis, ax=Figure().add_subplot())
    dj.plot_durations(analysis, ax=Figure().add_subplot())
    assert spies["duration_stats_fit"].call_count == 1
    dj.plot_durations(analysis, status="Failed", ax=Figure().add_subplot())
    dj.plot_failure_rates(analysis, by="region", ax=Figure().add_subplot())
    assert spies["duration_stats_fit"].call_count == 2 and spies["failure_rates"].call_count == 1


def test_postmortem_reuses_the_templates_and_compares_lazily(
    df: pd.DataFrame, spies: dict[str, mock.MagicMock]
) -> None:
    analysis = dj.analyse(df)
    pm = dj.postmortem(analysis, instance="db-a")
    plain = dj.postmortem(df, instance="db-a")
    assert spies["duration_stats_fit"].call_count == 0  # the comparison waits until it is read
    pd.testing.assert_series_equal(
        pm.failures["template"].astype("string"), plain.failures["template"].astype("string")
    )
    pd.testing.assert_frame_equal(pm.comparison, plain.comparison)
    assert pm.summary() == plain.summary()


def test_the_postmortem_imports_no_chart_module() -> None:
    tree = ast.parse((PACKAGE / "_analysis" / "_postmortem.py").read_text(encoding="utf-8"))
    top_level = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    modules = {node.module for node in top_level if isinstance(node, ast.ImportFrom)}
    assert "_stats._intervals" in modules and not any(
        m and ("_plots" in m or m.startswith("_render")) for m in modules
    )
