from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

import ddsjobs_analytics as dj
from ddsjobs_analytics._render._plots._compare import VERDICT_COLORS

sys.path.insert(0, str(Path(__file__).parent))
from compare_fleet import fleet


@pytest.fixture(scope="module")
def result() -> pd.DataFrame:
    df = fleet(0)
    current, baseline = dj.default_periods(df)
    return dj.compare_periods(df, current=current, baseline=baseline, min_jobs=300)


def test_dumbbell_per_group_with_verdict_colours(result: pd.DataFrame) -> None:
    ax = dj.plot_compare(result, metric="duration_p50")
    rows = result.loc[result["metric"] == "duration_p50"]
    labels = [tick.get_text() for tick in ax.get_yticklabels()]  # top to bottom: the result's order
    assert labels == rows["job_type"].astype(str).tolist()
    assert [tick for tick in ax.get_yticks()] == list(range(len(rows)))[::-1]
    current_dots = ax.collections[-1]  # the filled current-value markers
    offsets = current_dots.get_offsets()
    assert np.allclose(np.sort(offsets[:, 0]), np.sort(rows["current"].to_numpy()))
    colors = {to_hex(c) for c in current_dots.get_facecolors()}
    assert to_hex(VERDICT_COLORS["regressed"]) in colors and to_hex(VERDICT_COLORS["improved"]) in colors
    insufficient = rows["verdict"].eq("insufficient").to_numpy()
    greyed = [tick.get_color() == "#999999" for tick in ax.get_yticklabels()]
    assert greyed == insufficient.tolist() and insufficient.any()
    assert ax.get_xscale() == "log"
    plt.close(ax.figure)


def test_rate_chart_on_given_axes_with_top_and_order(result: pd.DataFrame) -> None:
    fig, ax = plt.subplots()
    assert dj.plot_compare(result, ax=ax, top=3) is ax
    assert len(ax.get_yticklabels()) == 3
    assert ax.get_title(loc="left").startswith("Failure rate")
    ax.clear()
    dj.plot_compare(result, ax=ax, order=["type-05", "type-00"], marker="D")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["type-05", "type-00"]  # first on top
    plt.close(fig)


def test_empty_and_wrong_input(result: pd.DataFrame) -> None:
    ax = dj.plot_compare(result.iloc[0:0])
    assert any(text.get_gid() == "no-data" for text in ax.texts)
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="compare_periods result"):
        dj.plot_compare(pd.DataFrame({"x": [1]}))
