"""``duration_stats``' Brookmeyer–Crowley interval of the Kaplan–Meier median (km_p50_ci_low/high)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from ddsjobs_analytics import duration_stats


def frame(groups: dict[str, tuple[list[int], list[int]]]) -> pd.DataFrame:
    """Completed jobs (observed 1) at their duration, Running ones (0) at their age; a job_type per group."""
    rows = []
    for name, (times, observed) in groups.items():
        for t, o in zip(times, observed, strict=True):
            status = "Completed" if o else "Running"
            rows.append((name, status, float(t) if o else np.nan, np.nan if o else float(t)))
    return pd.DataFrame(rows, columns=["job_type", "status", "duration_s", "age_s"]).astype(
        {"job_type": "category", "status": "category", "age_s": "float64"}
    )


HAND = ([10, 20, 30, 25, 40, 50], [1, 1, 1, 0, 0, 0])


def test_median_interval_by_hand() -> None:
    # Events 10, 20, 30; censored 25, 40, 50. S: 5/6 at 10, 2/3 at 20, 4/9 at 30 (median 30).
    # Greenwood sums V: 1/(6·5) = 1/30 at 10; + 1/(5·4) at 20; + 1/(3·2) at 30 → 0.25.
    # Band on the log(−log) scale: S ** exp(∓ z √V / ln S), z = 1.959964.
    #   t = 10: lower = (5/6) ** exp(1.959964·√(1/30)/ln(6/5)) = exp(−1.2979) = 0.2731 ≤ 0.5 → low end 10.
    #   t = 30: upper = (4/9) ** exp(−1.959964·0.5/ln(9/4)) = 0.7849 > 0.5, and no later event → no high end.
    z = 1.959963984540054
    assert (5 / 6) ** math.exp(z * math.sqrt(1 / 30) / math.log(6 / 5)) == pytest.approx(0.2731, abs=1e-4)
    assert (4 / 9) ** math.exp(-z * 0.5 / math.log(9 / 4)) == pytest.approx(0.7849, abs=1e-4)
    stats = duration_stats(frame({"a": HAND}))
    assert stats.loc["a", "km_p50_s"] == 30
    assert stats.loc["a", "km_p50_ci_low"] == 10
    assert math.isnan(stats.loc["a", "km_p50_ci_high"])  # lifelines reports inf


# Reference values from lifelines 0.30.3 (pandas 2.3.3), computed once in a throwaway venv because lifelines
# pins pandas < 3:
#     k = KaplanMeierFitter(alpha=1 - confidence).fit(durations, observed)
#     k.median_survival_time_, median_survival_times(k.confidence_interval_)
# (lifelines' "exponential Greenwood" band inverted at 0.5, i.e. the Brookmeyer–Crowley interval.) The
# data sets were drawn once with numpy (seed 12, lognormal durations, ~20 % censored; ties60 rounded to 10 s
# so that events and censorings tie) and are pasted literally.
LIFELINES = {
    "twelve": (
        [5, 8, 8, 12, 15, 15, 20, 22, 30, 31, 40, 45],
        [1, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 1],
        {0.95: (22.0, 8.0, 40.0), 0.90: (22.0, 12.0, 40.0)},
    ),
    "lognormal30": (
        [598, 1012, 869, 862, 1348, 328, 439, 310, 569, 989, 593, 769, 231, 646, 381, 1458, 935, 964, 583,
         815, 834, 505, 468, 567, 443, 446, 521, 417, 880, 270],
        [1, 1, 1, 0, 0, 1, 0, 1, 0, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 0],
        {0.95: (646.0, 521.0, 880.0), 0.90: (646.0, 567.0, 869.0)},
    ),
    "ties60": (
        [130, 120, 190, 50, 30, 50, 160, 170, 30, 20, 90, 100, 110, 200, 320, 140, 190, 50, 40, 140, 200, 210,
         190, 220, 220, 30, 60, 170, 190, 30, 300, 80, 100, 140, 210, 30, 260, 120, 60, 90, 20, 70, 130, 60,
         90, 100, 120, 270, 110, 90, 180, 630, 90, 180, 30, 350, 200, 340, 110, 50],
        [0, 1, 0, 1, 0, 0, 0, 1, 1, 1, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1,
         1, 1, 1, 0, 0, 1, 0, 1, 1, 1, 1, 0, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1],
        {0.95: (170.0, 110.0, 200.0), 0.90: (170.0, 120.0, 190.0)},
    ),
}  # fmt: skip


@pytest.mark.parametrize("confidence", [0.95, 0.90])
def test_median_interval_matches_lifelines(confidence: float) -> None:
    data = {name: (times, observed) for name, (times, observed, _) in LIFELINES.items()}
    stats = duration_stats(frame(data), confidence=confidence)
    for name, (_, _, expected) in LIFELINES.items():
        row = stats.loc[name]
        assert (row["km_p50_s"], row["km_p50_ci_low"], row["km_p50_ci_high"]) == expected[confidence], name


def test_interval_contains_the_median_and_widens_with_confidence() -> None:
    rng = np.random.default_rng(3)
    times = np.round(rng.lognormal(5, 0.6, 300)).astype(int).tolist()
    observed = (rng.random(300) > 0.2).astype(int).tolist()
    narrow = duration_stats(frame({"x": (times, observed)}), confidence=0.80).loc["x"]
    wide = duration_stats(frame({"x": (times, observed)}), confidence=0.99).loc["x"]
    assert wide["km_p50_ci_low"] <= narrow["km_p50_ci_low"] <= narrow["km_p50_s"]
    assert narrow["km_p50_s"] <= narrow["km_p50_ci_high"] <= wide["km_p50_ci_high"]


def test_confidence_is_checked() -> None:
    with pytest.raises(ValueError, match="confidence"):
        duration_stats(frame({"a": HAND}), confidence=1.5)
