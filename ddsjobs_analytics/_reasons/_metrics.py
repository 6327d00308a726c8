"""Evaluation of a grouping against true labels: grouping accuracy, pairwise precision and recall, and the
adjusted Rand index.

Used by the tests and the benchmarks (``benchmarks/bench_reasons.py``, ``benchmarks/bench_loghub.py``).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
import pandas as pd

__all__ = ["adjusted_rand_index", "grouping_accuracy", "pairwise_precision_recall"]


def _codes(labels: Sequence[Hashable] | pd.Series | np.ndarray) -> np.ndarray:
    codes, _ = pd.factorize(pd.Series(list(labels) if not isinstance(labels, pd.Series) else labels))
    if (codes < 0).any():
        raise ValueError("labels must not contain NA")
    return codes


def _contingency(truth: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    if len(truth) != len(predicted):
        raise ValueError(f"truth has {len(truth)} labels, predicted has {len(predicted)}")
    table = np.zeros((truth.max(initial=-1) + 1, predicted.max(initial=-1) + 1), dtype=np.int64)
    np.add.at(table, (truth, predicted), 1)
    return table


def grouping_accuracy(
    truth: Sequence[Hashable] | pd.Series, predicted: Sequence[Hashable] | pd.Series
) -> float:
    """Share of messages whose predicted group holds exactly the messages of their true group.

    The "grouping accuracy" of log-parsing benchmarks (Zhu et al., ICSE-SEIP 2019): a predicted group counts,
    with all its messages, only if it coincides with one true group.
    """
    table = _contingency(_codes(truth), _codes(predicted))
    if table.size == 0:
        return float("nan")
    true_sizes = table.sum(axis=1)
    predicted_sizes = table.sum(axis=0)
    # A cell equal to both its row and column total is a true group that is also exactly a predicted group.
    exact = (table == true_sizes[:, None]) & (table == predicted_sizes[None, :]) & (table > 0)
    return float(table[exact].sum() / table.sum())


def _pairs(counts: np.ndarray) -> float:
    counts = counts.astype(np.float64)
    return float((counts * (counts - 1) / 2).sum())


def adjusted_rand_index(
    truth: Sequence[Hashable] | pd.Series, predicted: Sequence[Hashable] | pd.Series
) -> float:
    """Hubert-Arabie adjusted Rand index of two labellings (1 = identical partitions, ~0 = chance)."""
    table = _contingency(_codes(truth), _codes(predicted))
    n = table.sum()
    if n < 2:
        return float("nan")
    index = _pairs(table)
    rows, cols = _pairs(table.sum(axis=1)), _pairs(table.sum(axis=0))
    expected = rows * cols / (n * (n - 1) / 2)
    maximum = (rows + cols) / 2
    if maximum == expected:
        # Both partitions trivial (all singletons or one group each): identical by construction.
        return 1.0
    return float((index - expected) / (maximum - expected))


def pairwise_precision_recall(
    truth: Sequence[Hashable] | pd.Series, predicted: Sequence[Hashable] | pd.Series
) -> tuple[float, float]:
    """Pairwise precision and recall of a grouping: over pairs of messages, precision is the share of pairs
    grouped together that are truly together (1 - precision measures *merges*, different failures shown as
    one), recall the share of truly-together pairs grouped together (1 - recall measures *splits*).

    1.0 when there is no pair to judge (no predicted pair for precision, no true pair for recall).
    """
    table = _contingency(_codes(truth), _codes(predicted))
    together = _pairs(table)
    predicted_pairs, true_pairs = _pairs(table.sum(axis=0)), _pairs(table.sum(axis=1))
    precision = together / predicted_pairs if predicted_pairs else 1.0
    recall = together / true_pairs if true_pairs else 1.0
    return precision, recall
