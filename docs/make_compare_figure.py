"""Regenerate the README's "What changed" chart from a seeded fleet: ``python docs/make_compare_figure.py``.

The fleet (tests/compare_fleet.py, seed 0) has three changes in its last week: type-00 fails 4× as often,
type-01 runs 1.7× longer, type-02 1.7× shorter.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt

import ddsjobs_analytics as dj

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
from compare_fleet import fleet  # noqa: E402


def main() -> None:
    df = fleet(0)
    current, baseline = dj.default_periods(df)
    result = dj.compare_periods(df, current=current, baseline=baseline)
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.8), layout="constrained")
    dj.plot_compare(result, metric="failure_rate", ax=left)
    dj.plot_compare(result, metric="duration_p50", ax=right)
    left.get_legend().remove()
    fig.savefig(HERE / "compare.png", dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    main()
