"""Regenerate the README's chart pictures from the bundled sample: ``python docs/make_figures.py``."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt

import ddsjobs_analytics as dj

HERE = Path(__file__).resolve().parent


def main() -> None:
    df = dj.load_sample()
    ax = dj.plot_failure_rates(df, top=12)
    ax.figure.savefig(HERE / "failure_rates.png", dpi=110, bbox_inches="tight")
    plt.close(ax.figure)
    incident = df[(df["region"] == "eu-west-101") & (df["created"].dt.strftime("%Y-%m-%d") == "2026-10-03")]
    ax = dj.plot_timeline(incident, start="2026-10-03", end="2026-10-04")
    ax.figure.savefig(HERE / "timeline.png", dpi=110, bbox_inches="tight")
    plt.close(ax.figure)


if __name__ == "__main__":
    main()
