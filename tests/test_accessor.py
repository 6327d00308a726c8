from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from report_scenario import frame

import ddsjobs_analytics._accessor as accessor_module
from ddsjobs_analytics._analysis._postmortem import postmortem
from ddsjobs_analytics._reasons import fail_reason_groups
from ddsjobs_analytics._render._plots import (
    plot_duration_trend,
    plot_durations,
    plot_fail_reasons,
    plot_failure_rates,
    plot_timeline,
)
from ddsjobs_analytics._render._report import summary_text, write_report
from ddsjobs_analytics._stats._durations import duration_stats, stuck_jobs
from ddsjobs_analytics._stats._failures import failure_rates

TABLE_FUNCTIONS: list[tuple[Callable[..., Any], dict[str, Any]]] = [
    (duration_stats, {"by": "instance_id", "status": None}),
    (failure_rates, {"by": "region", "freq": "D"}),
    (fail_reason_groups, {"by": "region"}),
    (stuck_jobs, {"k": 1.0, "min_history": 1}),
]
PLOT_FUNCTIONS: list[tuple[Callable[..., Axes], dict[str, Any]]] = [
    (plot_durations, {"top": 1, "log": False}),
    (plot_duration_trend, {"job_type": "RestartInstance"}),
    (plot_failure_rates, {"by": "instance_id"}),
    (plot_fail_reasons, {"top": 2}),
    (plot_timeline, {"instance": "db-b", "tz": "Asia/Shanghai"}),
]
WRAPPED = [f for f, _ in TABLE_FUNCTIONS + PLOT_FUNCTIONS] + [postmortem, summary_text, write_report]


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    assert accessor_module.JobsAccessor is not None  # importing the module registers df.ddsjobs
    return frame()


@pytest.mark.parametrize(("function", "kwargs"), TABLE_FUNCTIONS, ids=lambda v: getattr(v, "__name__", ""))
def test_table_wrappers_return_what_the_function_returns(
    df: pd.DataFrame, function: Callable[..., pd.DataFrame], kwargs: dict[str, Any]
) -> None:
    pd.testing.assert_frame_equal(getattr(df.ddsjobs, function.__name__)(**kwargs), function(df, **kwargs))
    pd.testing.assert_frame_equal(getattr(df.ddsjobs, function.__name__)(), function(df))


def axes_digest(ax: Axes) -> tuple[Any, ...]:
    return (
        ax.get_title(),
        [t.get_text() for t in ax.get_yticklabels()],
        [tuple(p.get_extents().bounds) for p in ax.patches],
        len(ax.lines),
        len(ax.collections),
        ax.get_xlabel(),
    )


@pytest.mark.parametrize(("function", "kwargs"), PLOT_FUNCTIONS, ids=lambda v: getattr(v, "__name__", ""))
def test_plot_wrappers_draw_what_the_function_draws(
    df: pd.DataFrame, function: Callable[..., Axes], kwargs: dict[str, Any]
) -> None:
    mine, theirs = Figure().add_subplot(), Figure().add_subplot()
    assert getattr(df.ddsjobs, function.__name__)(ax=mine, **kwargs) is mine
    function(df, ax=theirs, **kwargs)
    assert axes_digest(mine) == axes_digest(theirs)
    assert mine.patches or mine.lines


def test_postmortem_and_summary_wrappers(df: pd.DataFrame) -> None:
    mine = df.ddsjobs.postmortem(instance="db-a", context="2h")
    theirs = postmortem(df, instance="db-a", context="2h")
    for table in ("jobs", "failures", "concurrent", "comparison"):
        pd.testing.assert_frame_equal(getattr(mine, table), getattr(theirs, table))
    assert str(mine) == str(theirs)
    assert df.ddsjobs.summary_text() == summary_text(df)


def test_write_report_wrapper(df: pd.DataFrame, tmp_path: Path) -> None:
    mine = df.ddsjobs.write_report(tmp_path / "a", charts=False, bom=True)
    theirs = write_report(df, tmp_path / "b", charts=False, bom=True)
    assert [p.name for p in mine] == [p.name for p in theirs]
    for a, b in zip(mine, theirs, strict=True):
        assert a.read_bytes() == b.read_bytes()


@pytest.mark.parametrize("function", WRAPPED, ids=lambda f: f.__name__)
def test_wrapper_signatures_follow_the_functions(function: Callable[..., Any]) -> None:
    wrapper = getattr(accessor_module.JobsAccessor, function.__name__)
    function_params = list(inspect.signature(function).parameters.values())[1:]  # without the frame
    wrapper_params = list(inspect.signature(wrapper).parameters.values())[1:]  # without self
    assert [(p.name, p.kind, p.default) for p in wrapper_params] == [
        (p.name, p.kind, p.default) for p in function_params
    ]


def test_missing_columns_are_listed_on_access() -> None:
    with pytest.raises(AttributeError, match="'job_type', 'status'"):
        _ = pd.DataFrame(
            {"job_id": ["x"], "created": [pd.Timestamp(0, tz="UTC")], "instance_id": ["i"]}
        ).ddsjobs


def test_methods_still_check_their_own_columns(df: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="'duration_s'"):
        df.drop(columns="duration_s").ddsjobs.duration_stats()
