from __future__ import annotations

import math

import numpy as np
import pytest

from ddsjobs_analytics._compare._stats import (
    benjamini_hochberg,
    fisher_exact,
    logrank_test,
    mover_log_ratio,
    newcombe_interval,
)

# ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x1", "n1", "x0", "n0", "low", "high"),
    [
        # Newcombe (1998), Statistics in Medicine 17:873–890, Table II, method 10 (4 decimals published).
        (56, 70, 48, 80, 0.0524, 0.3339),
        (9, 10, 3, 10, 0.1705, 0.8090),
        (5, 56, 0, 29, -0.0381, 0.1926),
    ],
)
def test_newcombe_matches_the_published_examples(
    x1: int, n1: int, x0: int, n0: int, low: float, high: float
) -> None:
    got_low, got_high = newcombe_interval(x1, n1, x0, n0)
    assert round(float(got_low), 4) == low
    assert round(float(got_high), 4) == high


def test_newcombe_is_nan_without_jobs_and_vectorised() -> None:
    low, high = newcombe_interval([1, 0], [10, 0], [2, 1], [10, 5])
    assert np.isfinite(low[0]) and np.isfinite(high[0])
    assert math.isnan(low[1]) and math.isnan(high[1])


# ------------------------------------------------------------------------------------------------------------


def test_fisher_by_hand_on_a_tiny_table() -> None:
    # 3/3 failed now, 0/3 before. Given 3 failures among 6 jobs, the current failures x are hypergeometric:
    # P(x = k) = C(3,k) C(3,3-k) / C(6,3) = 1/20, 9/20, 9/20, 1/20. Tables as unlikely as x = 3: x = 0 and 3.
    assert fisher_exact(3, 3, 0, 3)[0] == pytest.approx(2 / 20, rel=1e-12)
    # x = 2 (9/20): every table is at most as likely → p = 1.
    assert fisher_exact(2, 3, 1, 3)[0] == pytest.approx(1.0, rel=1e-12)


# Reference p-values from scipy 1.17.1, scipy.stats.fisher_exact([[x1, n1 - x1], [x0, n0 - x0]])[1], computed
# once in a throwaway venv (scipy is not a dependency of the package) and pasted here.
SCIPY_FISHER = [
    ((3, 20, 1, 20), 0.6049896049896051),
    ((12, 300, 40, 1200), 0.5962774750590818),
    ((0, 50, 0, 70), 1.0),
    ((10, 10, 0, 10), 1.082508822446903e-05),
    ((7, 13, 2, 11), 0.10492663884775878),
    ((1, 2, 30, 60), 1.0),
    ((45, 250, 30, 1000), 3.6052162373266274e-15),
    ((5, 1000, 50, 10000), 1.0),
]


@pytest.mark.parametrize(("table", "expected"), SCIPY_FISHER)
def test_fisher_matches_scipy(table: tuple[int, int, int, int], expected: float) -> None:
    assert fisher_exact(*table)[0] == pytest.approx(expected, rel=1e-9)


def test_fisher_matches_scipy_on_random_tables_when_installed() -> None:
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(7)
    for _ in range(200):
        n1, n0 = rng.integers(1, 400, 2)
        x1, x0 = rng.integers(0, n1 + 1), rng.integers(0, n0 + 1)
        expected = stats.fisher_exact([[x1, n1 - x1], [x0, n0 - x0]])[1]
        assert fisher_exact(x1, n1, x0, n0)[0] == pytest.approx(expected, rel=1e-7, abs=1e-300)


def test_fisher_rejects_impossible_counts_and_skips_empty_periods() -> None:
    with pytest.raises(ValueError, match="0 <= x <= n"):
        fisher_exact(5, 3, 0, 3)
    assert math.isnan(fisher_exact(0, 0, 1, 3)[0])


# ------------------------------------------------------------------------------------------------------------


def test_logrank_by_hand() -> None:
    # Baseline ends at 1 and 3, current at 2 and 4 (all events).
    #   t=1: at risk 2+2, 1 event (baseline): E₁ = 1·2/4 = 0.5,  V = 1·(1/2)(1/2)·3/3 = 0.25
    #   t=2: at risk 1+2, 1 event (current):  E₁ = 2/3,          V = (2/3)(1/3)·2/2  = 2/9
    #   t=3: at risk 1+1, 1 event (baseline): E₁ = 1/2,          V = (1/2)(1/2)·1/1  = 0.25
    #   t=4: at risk 0+1, 1 event (current):  E₁ = 1,            V = 0 (one at risk)
    # O₁ = 2, E₁ = 8/3, V = 13/18: z = (2 − 8/3)/√(13/18) = −0.78446
    group = np.zeros(4, dtype=np.intp)
    z, p = logrank_test(
        group, np.array([False, True, False, True]), np.array([1.0, 2, 3, 4]), np.ones(4, bool), 1
    )
    assert z[0] == pytest.approx((2 - 8 / 3) / math.sqrt(13 / 18), rel=1e-12)
    assert p[0] == pytest.approx(math.erfc(abs(z[0]) / math.sqrt(2)), rel=1e-12)


def test_logrank_matches_lifelines_with_censoring_and_groups_are_independent() -> None:
    # lifelines 0.30.3: logrank_test(a, b, event_observed_A=…, event_observed_B=…), computed once in a
    # throwaway venv (lifelines pins pandas < 3): p = 0.09359694604041334, statistic 2.8113951306965816.
    a = ([5, 8, 8, 12, 15, 15, 20, 22, 30, 31, 40, 45], [1, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 1])
    b = ([6, 9, 14, 18, 25, 25, 33, 38, 41, 50, 52, 60, 70], [1, 1, 1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 1])
    time = np.array(a[0] + b[0] + a[0], dtype=float)
    event = np.array(a[1] + b[1] + a[1], dtype=bool)
    sample = np.array([False] * 12 + [True] * 13 + [True] * 12)
    group = np.array([0] * 25 + [1] * 12, dtype=np.intp)  # group 1: current only, no baseline
    z, p = logrank_test(group, sample, time, event, 3)
    assert z[0] ** 2 == pytest.approx(2.8113951306965816, rel=1e-12)
    assert p[0] == pytest.approx(0.09359694604041334, rel=1e-10)
    assert math.isnan(p[1]) or p[1] == pytest.approx(1.0)  # nothing to compare against
    assert math.isnan(p[2])  # no jobs at all


# ------------------------------------------------------------------------------------------------------------


def test_mover_ratio_interval_by_hand() -> None:
    # θ₁ = 200 in [100, 400], θ₀ = 100 in [50, 200]: each a factor 2 either side, so on the log scale
    # d = ln 2 and the half-widths are √(ln²2 + ln²2) = √2·ln 2: ratio 2 in [2^(1−√2), 2^(1+√2)].
    ratio, low, high = mover_log_ratio(*(np.array([v]) for v in (200.0, 100, 400, 100, 50, 200)))
    assert ratio[0] == pytest.approx(2.0)
    assert low[0] == pytest.approx(2 ** (1 - math.sqrt(2)))
    assert high[0] == pytest.approx(2 ** (1 + math.sqrt(2)))
    # An unbounded baseline upper end leaves the ratio unbounded below (0).
    _, low, high = mover_log_ratio(*(np.array([v]) for v in (200.0, 100, 400, 100, 50, np.nan)))
    assert low[0] == 0.0 and np.isfinite(high[0])


def test_benjamini_hochberg_by_hand() -> None:
    # Sorted p: 0.01, 0.03, 0.04, 0.20 (m = 4) → m·p/rank: 0.04, 0.06, 0.0533, 0.20 → running minimum
    # from the top: 0.04, 0.0533, 0.0533, 0.20. NaN is not a test and stays NaN.
    q = benjamini_hochberg([0.04, 0.01, np.nan, 0.20, 0.03])
    assert q[[1, 4, 0, 3]] == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.20])
    assert math.isnan(q[2])
    assert benjamini_hochberg([0.9, 0.95]).tolist() == [0.95, 0.95]
