"""``group_codes`` on one categorical column skips the groupby (#16 §3): same codes and index as pandas'."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ddsjobs_analytics._stats._durations import group_codes


@pytest.mark.parametrize("seed", range(40))
def test_one_categorical_key_groups_as_pandas_does(seed: int) -> None:
    rng = np.random.default_rng(seed)
    labels = list("edcba")[: rng.integers(1, 6)]
    values = rng.choice([*labels, None], rng.integers(0, 40))
    order = labels if seed % 2 else sorted(labels)  # category order is not always alphabetical
    key = pd.Series(pd.Categorical(values, categories=order), name="job_type")
    grouped = pd.Series(np.zeros(len(key))).groupby([key], observed=True, dropna=False, sort=True)
    codes, index = group_codes([key], len(key))
    np.testing.assert_array_equal(codes, grouped.ngroup().to_numpy(dtype=np.intp))
    pd.testing.assert_index_equal(index, grouped.size().index)
