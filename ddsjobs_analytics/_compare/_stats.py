"""The tests and intervals behind :func:`compare_periods`, each vectorised over groups.

- Newcombe's hybrid score interval for a difference of two proportions (from two Wilson intervals);
- Fisher's exact test, two-sided, from log-factorials (scipy is not a dependency);
- the log-rank test of two duration samples with right-censoring;
- MOVER: an interval for a difference from the two per-sample intervals (Newcombe's recipe, applied on the log
  scale to the ratio of two Kaplan–Meier quantiles);
- Benjamini–Hochberg q-values.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from .._stats._failures import wilson_interval
from .._stats._km import FloatArray, IntArray

__all__ = [
    "benjamini_hochberg",
    "fisher_exact",
    "logrank_test",
    "mover_log_ratio",
    "newcombe_interval",
]

# R's fisher.test: tables whose probability is within this relative distance of the observed one count as
# "as extreme", so float rounding of equal probabilities cannot drop a tied table from the p-value.
_FISHER_RELATIVE_TOLERANCE = 1e-7


def newcombe_interval(
    x1: npt.ArrayLike, n1: npt.ArrayLike, x0: npt.ArrayLike, n0: npt.ArrayLike, confidence: float = 0.95
) -> tuple[FloatArray, FloatArray]:
    """Newcombe's hybrid score interval (his method 10) for p₁ − p₀, with pᵢ = xᵢ/nᵢ.

    With Wilson intervals [lᵢ, uᵢ] and d = p₁ − p₀: low = d − √((p₁ − l₁)² + (u₀ − p₀)²),
    high = d + √((u₁ − p₁)² + (p₀ − l₀)²). NaN where either n is 0.
    """
    x1, n1, x0, n0 = (np.asarray(v, dtype=np.float64) for v in (x1, n1, x0, n0))
    low1, high1 = wilson_interval(x1, n1, confidence)
    low0, high0 = wilson_interval(x0, n0, confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        p1, p0 = x1 / n1, x0 / n0
    difference = p1 - p0
    low = difference - np.sqrt((p1 - low1) ** 2 + (high0 - p0) ** 2)
    high = difference + np.sqrt((high1 - p1) ** 2 + (p0 - low0) ** 2)
    return np.clip(low, -1.0, 1.0), np.clip(high, -1.0, 1.0)


def _lgamma(values: npt.NDArray[Any]) -> FloatArray:
    return np.fromiter((math.lgamma(v) for v in values.tolist()), dtype=np.float64, count=values.size)


def _log_choose(n: float, k: npt.NDArray[Any]) -> FloatArray:
    return math.lgamma(n + 1.0) - _lgamma(k + 1.0) - _lgamma(n - k + 1.0)


def _fisher_one(x1: int, n1: int, x0: int, n0: int) -> float:
    failures, total = x1 + x0, n1 + n0
    support = np.arange(max(0, n1 - (total - failures)), min(failures, n1) + 1, dtype=np.float64)
    # x₁ is hypergeometric: P(k) = C(failures, k) C(total − failures, n1 − k) / C(total, n1)
    log_pmf = _log_choose(failures, support) + _log_choose(total - failures, n1 - support)
    log_pmf -= math.lgamma(total + 1.0) - math.lgamma(n1 + 1.0) - math.lgamma(n0 + 1.0)
    observed = log_pmf[int(x1 - support[0])]
    as_extreme = log_pmf <= observed + math.log1p(_FISHER_RELATIVE_TOLERANCE)
    return float(min(1.0, np.exp(log_pmf[as_extreme]).sum()))


def fisher_exact(x1: npt.ArrayLike, n1: npt.ArrayLike, x0: npt.ArrayLike, n0: npt.ArrayLike) -> FloatArray:
    """Two-sided Fisher exact test of x₁/n₁ vs x₀/n₀, element-wise; NaN where either n is 0.

    Conditional on both margins, x₁ is hypergeometric; the p-value is the total probability of the tables at
    most as likely as the observed one (R's and scipy's definition).
    """
    arrays = [np.asarray(v, dtype=np.int64).ravel() for v in (x1, n1, x0, n0)]
    result = np.full(arrays[0].shape, np.nan)
    for i, (a, m, b, k) in enumerate(zip(*(array.tolist() for array in arrays), strict=True)):
        if m < 0 or k < 0 or not (0 <= a <= m and 0 <= b <= k):
            raise ValueError(f"fisher_exact needs 0 <= x <= n, got x1={a}, n1={m}, x0={b}, n0={k}")
        if m > 0 and k > 0:
            result[i] = _fisher_one(a, m, b, k)
    return result


def logrank_test(
    group: IntArray,
    sample: npt.NDArray[np.bool_],
    time: FloatArray,
    event: npt.NDArray[np.bool_],
    n_groups: int,
) -> tuple[FloatArray, FloatArray]:
    """Per group, the log-rank test of sample True (current) against sample False (baseline).

    Returns (z, two-sided p): z = (O − E) / √V over the distinct event times of the group, with O the
    current sample's events, E = Σ dᵢ·Y₁ᵢ/Yᵢ and the hypergeometric variance
    V = Σ dᵢ (Y₁ᵢ/Yᵢ)(1 − Y₁ᵢ/Yᵢ)(Yᵢ − dᵢ)/(Yᵢ − 1).
    z > 0: the current jobs end sooner than expected (faster). NaN where the group has no event.
    """
    order = np.lexsort((time, group))
    group, sample, time, event = group[order], sample[order], time[order], event[order]
    n = len(time)
    if n == 0:
        return np.full(n_groups, np.nan), np.full(n_groups, np.nan)
    is_start = np.ones(n, dtype=bool)
    is_start[1:] = (group[1:] != group[:-1]) | (time[1:] != time[:-1])
    starts = np.flatnonzero(is_start)
    step_group = group[starts]
    group_end = np.searchsorted(group, step_group, side="right")

    def at_risk(member: npt.NDArray[np.bool_]) -> FloatArray:
        suffix = np.append(np.cumsum(member[::-1])[::-1], 0)  # members at positions >= i
        return (suffix[starts] - suffix[group_end]).astype(np.float64)

    risk1, risk0 = at_risk(sample), at_risk(~sample)
    events1 = np.add.reduceat((event & sample).astype(np.float64), starts)
    events = np.add.reduceat(event.astype(np.float64), starts)
    risk = risk0 + risk1
    share = risk1 / risk
    expected = events * share
    with np.errstate(divide="ignore", invalid="ignore"):
        variance = np.where(risk > 1, events * share * (1 - share) * (risk - events) / (risk - 1), 0.0)
    observed_sum = np.bincount(step_group, weights=events1, minlength=n_groups)
    expected_sum = np.bincount(step_group, weights=expected, minlength=n_groups)
    variance_sum = np.bincount(step_group, weights=variance, minlength=n_groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (observed_sum - expected_sum) / np.sqrt(variance_sum)
    z = np.where(variance_sum > 0, z, np.nan)
    p = np.array([math.erfc(abs(v) / math.sqrt(2.0)) if np.isfinite(v) else np.nan for v in z.tolist()])
    return z, p


def mover_log_ratio(
    estimate1: FloatArray,
    low1: FloatArray,
    high1: FloatArray,
    estimate0: FloatArray,
    low0: FloatArray,
    high0: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Ratio θ₁/θ₀ of two positive estimates and its MOVER interval from their separate intervals.

    On the log scale (d = log θ₁ − log θ₀): low = d − √((log θ₁ − log l₁)² + (log u₀ − log θ₀)²), high =
    d + √((log u₁ − log θ₁)² + (log θ₀ − log l₀)²), then exponentiated. A missing (unbounded) upper end counts
    as +∞, so the ratio's interval is open on that side (0 or +∞).
    """
    high1 = np.where(np.isnan(high1), np.inf, high1)
    high0 = np.where(np.isnan(high0), np.inf, high0)
    with np.errstate(divide="ignore", invalid="ignore"):
        log1, log0 = np.log(estimate1), np.log(estimate0)
        difference = log1 - log0
        low = difference - np.sqrt((log1 - np.log(low1)) ** 2 + (np.log(high0) - log0) ** 2)
        high = difference + np.sqrt((np.log(high1) - log1) ** 2 + (log0 - np.log(low0)) ** 2)
        ratio = np.exp(difference)
    valid = (estimate1 > 0) & (estimate0 > 0)
    return (
        np.where(valid, ratio, np.nan),
        np.where(valid, np.exp(low), np.nan),
        np.where(valid, np.exp(high), np.nan),
    )


def benjamini_hochberg(p_values: npt.ArrayLike) -> FloatArray:
    """Benjamini–Hochberg q-values: q₍ᵢ₎ = minⱼ≥ᵢ min(1, m·p₍ⱼ₎/j) over the m non-NaN p-values (NaN stays)."""
    p = np.asarray(p_values, dtype=np.float64)
    q = np.full(p.shape, np.nan)
    tested = np.flatnonzero(~np.isnan(p))
    m = len(tested)
    if m == 0:
        return q
    order = tested[np.argsort(p[tested], kind="stable")]
    scaled = p[order] * m / np.arange(1, m + 1)
    q[order] = np.minimum(1.0, np.minimum.accumulate(scaled[::-1])[::-1])
    return q
