"""The Kaplan–Meier ordering (`_group_time_order`) is exactly the old ``np.lexsort((time, group))``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ddsjobs_analytics._stats._durations import duration_stats
from ddsjobs_analytics._stats._km import _group_time_order, _product_limit


@pytest.mark.parametrize("n_groups", [1, 7, 40_000, 2**33])  # int16, int32 and int64 codes
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_same_permutation_as_lexsort_with_ties(n_groups: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 5_000
    group = rng.integers(0, min(n_groups, 50), n).astype(np.intp)
    if n_groups > 50:  # spread the codes so the large ones are really used
        group = group * (n_groups // 50)
    time = rng.integers(0, 30, n).astype(np.float64)  # many ties within each group
    time[rng.random(n) < 0.05] = -0.0  # -0.0 ties with 0.0 in both orderings
    expected = np.lexsort((time, group))
    np.testing.assert_array_equal(_group_time_order(group, time), expected)


def test_empty_and_single() -> None:
    empty = np.empty(0, dtype=np.intp)
    assert _group_time_order(empty, np.empty(0)).tolist() == []
    assert _group_time_order(np.array([3]), np.array([1.5])).tolist() == [0]


def test_product_limit_steps_are_unchanged() -> None:
    # Steps computed from the old ordering by hand: group 0 has times 1, 1, 2 (one censored at 1); group 1: 5.
    group = np.array([1, 0, 0, 0], dtype=np.intp)
    time = np.array([5.0, 2.0, 1.0, 1.0])
    observed = np.array([True, True, False, True])
    steps = _product_limit(group, time, observed)
    assert steps.group.tolist() == [0, 0, 1]
    assert steps.time.tolist() == [1.0, 2.0, 5.0]
    assert steps.at_risk.tolist() == [3, 1, 1]
    assert steps.events.tolist() == [1, 1, 1]
    assert steps.censored.tolist() == [1, 0, 0]
    np.testing.assert_allclose(steps.survival, [2 / 3, 0.0, 0.0])


def test_duration_stats_km_columns_match_a_lexsort_reference() -> None:
    rng = np.random.default_rng(7)
    n = 3_000
    status = rng.choice(["Completed", "Failed", "Running"], n, p=[0.7, 0.1, 0.2])
    whole = rng.integers(1, 40, n).astype(np.float64)  # integer seconds: ties everywhere
    df = pd.DataFrame(
        {
            "job_type": pd.Categorical(rng.choice(list("abcde"), n)),
            "status": pd.Categorical(status),
            "duration_s": np.where(status == "Running", np.nan, whole),
            "age_s": np.where(status == "Running", whole, np.nan),
        }
    )
    stats = duration_stats(df, by="job_type")
    for job_type, row in stats.iterrows():
        rows = df[df["job_type"] == job_type]
        events = rows.loc[rows["status"] == "Completed", "duration_s"].to_numpy()
        censored = rows.loc[rows["status"] == "Running", "age_s"].to_numpy()
        assert row["km_p50_s"] == pytest.approx(_km_quantile(events, censored, 0.50), nan_ok=True)
        assert row["km_p95_s"] == pytest.approx(_km_quantile(events, censored, 0.95), nan_ok=True)


def _km_quantile(events: np.ndarray, censored: np.ndarray, q: float) -> float:
    """Brute-force product limit: at each event time, (1 - ending / still at risk), censorings tied count."""
    times = np.concatenate([events, censored])
    survival = 1.0
    for t in np.unique(events):
        survival *= 1 - np.count_nonzero(events == t) / np.count_nonzero(times >= t)
        if survival <= 1 - q + 1e-10:
            return float(t)
    return float("nan")
