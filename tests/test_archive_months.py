"""Partition keys without an object per row, and the one-sort split into months (#16 §6), against the
straightforward computations they replace."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from ddsjobs_analytics.archive._months import month_codes, split_by_month
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
