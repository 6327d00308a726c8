"""Statistical validation of ``compare_periods`` on seeded synthetic fleets with known changes.

Each fleet (tests/compare_fleet.py) has 12 job types over 35 days, ~40 jobs per type and day, Running jobs in
both periods (still running at the end, and ~0.5 % stuck), and three changes in the last 7 days: type-00 fails
4× as often, type-01 takes 1.7× as long, type-02 1/1.7 as long. Every other (type, metric) pair is unchanged,
so any verdict there is a false alarm. The observed rates are recorded in benchmarks/README.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import ddsjobs_analytics as dj

sys.path.insert(0, str(Path(__file__).parent))
from compare_fleet import EXPECTED, fleet, score_verdicts

SEEDS = range(10)


@pytest.mark.slow
def test_injected_changes_are_found_and_unchanged_pairs_rarely_flagged() -> None:
    found = dict.fromkeys(EXPECTED, 0)
    false_alarms = unchanged_pairs = new_reason_found = 0
    for seed in SEEDS:
        df = fleet(seed)
        assert (df["status"] == "Running").sum() > 0
        current, baseline = dj.default_periods(df)
        in_baseline = (df["created"] >= baseline[0]) & (df["created"] < baseline[1])
        assert ((df["status"] == "Running") & in_baseline).any()  # censoring in both periods
        result = dj.compare_periods(df, current=current, baseline=baseline)
        unchanged, alarms = score_verdicts(result, found)
        unchanged_pairs += unchanged
        false_alarms += alarms
        new = dj.new_fail_reasons(df, current=current, baseline=baseline)
        new_reason_found += list(new["template"].str[:26]) == ["Backup storage unreachable"]
    assert all(hits >= 9 for hits in found.values()), found
    assert unchanged_pairs == 31 * len(SEEDS)
    assert false_alarms / unchanged_pairs <= 0.03, (false_alarms, unchanged_pairs)
    assert new_reason_found >= 9
