"""Partition keys without an object per row, and the one-sort split into months (#16 §6), against the
straightforward computations they replace."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute  # pa.compute

from ddsjobs_analytics.archive._merge import all_distinct
from ddsjobs_analytics.archive._months import in_order, month_codes, partition_order, split_by_month
from ddsjobs_analytics.archive._schema import month_index, month_keys


def created_column(seed: int, rows: int) -> pa.Array:
    rng = np.random.default_rng(seed)
    micros = rng.integers(-(10**15), 4 * 10**15, rows)  # 1938 … 2096, so year boundaries are crossed
    missing = rng.random(rows) < 0.1
    return pa.array(micros, type=pa.int64(), mask=missing).cast(pa.timestamp("us", tz="UTC"))


def test_month_index_and_keys_agree_with_pandas() -> None:
    created = created_column(0, 5_000)
    labels, index = month_index(created)
    stamps = pd.Series(created.to_pandas())
    expected = stamps.dt.strftime("%Y-%m").where(stamps.notna(), "unknown").tolist()
    assert labels == sorted(set(expected)) and labels[-1] == "unknown"
    assert [labels[i] for i in index] == expected
    assert month_keys(created).tolist() == expected
    known = created.filter(pa.array(stamps.notna().to_numpy()))
    assert "unknown" not in month_index(known)[0]
    empty_labels, empty_index = month_index(created.slice(0, 0))
    assert empty_labels == [] and len(empty_index) == 0 and len(month_keys(created.slice(0, 0))) == 0


def test_split_by_month_equals_a_filter_and_a_sort_per_month() -> None:
    rng = np.random.default_rng(1)
    rows = 3_000
    created = created_column(2, rows)
    # Few distinct times so that (created, job_id) ties are broken by job_id; months as a caller assigns
    # them (not always the month of `created`: a stored row stays in the partition it came from).
    created = pa.array(created.to_numpy(zero_copy_only=False)[rng.integers(0, 50, rows)])
    table = pa.table({"job_id": [f"j{n:05d}" for n in rng.permutation(rows)], "created": created})
    months = ["2001-01", "2026-11", "unknown", "zz-empty"]
    labels = np.array(months[:3], dtype=object)[rng.integers(0, 3, rows)]
    codes = month_codes(labels, months)
    assert (codes >= 0).all() and month_codes(np.array(["nope"], dtype=object), months).tolist() == [-1]
    split = split_by_month(pa.concat_tables([table.slice(0, 1000), table.slice(1000)]), codes, months)
    assert list(split) == months and split["zz-empty"].num_rows == 0
    for month in months:
        expected = table.filter(pa.array(labels == month)).sort_by(
            [("created", "ascending"), ("job_id", "ascending")]
        )
        assert split[month].equals(expected), month


def _sorted_positions(codes: np.ndarray, created: pa.Array, job_id: pa.Array) -> np.ndarray:
    keys = pa.table({"month": pa.array(codes, type=pa.int32()), "created": created, "job_id": job_id})
    order = [("month", "ascending"), ("created", "ascending"), ("job_id", "ascending")]
    return np.asarray(pa.compute.sort_indices(keys, sort_keys=order))


def test_in_order_agrees_with_a_stable_sort() -> None:
    """``in_order`` is True exactly when Arrow's stable sort would leave the rows where they are: over
    tables with many ties, missing times (also inside a month, as in a stored ``unknown`` partition) and
    missing ids, sorted, sorted then disturbed by one swap of neighbours, and shuffled."""
    rng = np.random.default_rng(3)
    verdicts = []
    for trial in range(400):
        rows = int(rng.integers(0, 12))
        codes = rng.integers(0, 3, rows).astype(np.int32)
        micros = rng.integers(0, 4, rows)
        created = pa.array(micros, type=pa.int64(), mask=rng.random(rows) < 0.25).cast(
            pa.timestamp("us", tz="UTC")
        )
        ids = [None if rng.random() < 0.15 else f"j{n}" for n in rng.integers(0, 4, rows)]
        job_id = pa.array(ids, type=pa.string())
        order = _sorted_positions(codes, created, job_id)
        if trial % 3:  # sorted, and for one trial in two one pair of neighbours swapped
            codes, created, job_id = codes[order], created.take(order), job_id.take(order)
            if trial % 3 == 2 and rows >= 2:
                at = int(rng.integers(0, rows - 1))
                swap = np.arange(rows)
                swap[[at, at + 1]] = swap[[at + 1, at]]
                codes, created, job_id = codes[swap], created.take(swap), job_id.take(swap)
            order = _sorted_positions(codes, created, job_id)
        expected = bool((order == np.arange(rows)).all())
        assert in_order(codes, created, job_id) is expected, (codes, created, job_id)
        chunked = pa.chunked_array([created.slice(0, rows // 2), created.slice(rows // 2)])
        assert in_order(codes, chunked, job_id) is expected
        permutation = partition_order(created, job_id)
        by_month = _sorted_positions(month_index(created)[1], created, job_id)
        if permutation is None:
            assert (by_month == np.arange(rows)).all()
        else:
            assert permutation.tolist() == by_month.tolist()
        verdicts.append(expected)
    assert 50 < sum(verdicts) < 350  # both answers were exercised


def test_all_distinct_is_count_distinct_equal_to_the_length() -> None:
    cases = [[], ["a"], ["a", "b"], ["a", "a"], ["a", None], [None], ["b", "a", "c", "a"]]
    for ids in cases:
        array = pa.array(ids, type=pa.string())
        expected = pa.compute.count_distinct(array).as_py() == len(array)
        assert all_distinct(array) is expected, ids
        assert all_distinct(pa.chunked_array([array.slice(0, 1), array.slice(1)])) is expected, ids
