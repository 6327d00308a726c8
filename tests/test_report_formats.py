"""The report's own CSVs are rounded as the column contract declares (issue 16 §5), read back from disk.

Formats live with the columns (``_schema``): seconds to 0.1, shares and ratios to 1e-6, counts whole.
"""

from __future__ import annotations

import ast
import csv
from pathlib import Path

import pandas as pd
import pytest

from ddsjobs_analytics import analyse, load_sample, write_report
from ddsjobs_analytics._core import _schema

PACKAGE = Path(__file__).resolve().parents[1] / "ddsjobs_analytics"
DECIMALS = {"duration": 1, "percent": 6, "ratio": 6, "count": 0}


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report")
    write_report(load_sample(), out, charts=False)
    return out


def _decimals(cell: str) -> int:
    number = cell.lower().split("e")[0]
    return len(number.split(".")[1]) if "." in number else 0


SPECS = {
    "jobs": _schema.JOBS,
    "duration_stats": _schema.DURATION_STATS,
    "failure_rates": _schema.FAILURE_RATES,
    "fail_reasons": _schema.FAIL_REASON_GROUPS,
    "stuck_jobs": _schema.STUCK_JOBS,
    "what_changed": _schema.WHAT_CHANGED,
    "new_fail_reasons": _schema.NEW_FAIL_REASONS,
}


# new_fail_reasons is empty on the sample (no template is new in its last week); its columns are
# fail_reasons' plus a list, checked by test_every_report_table_carries_the_contract_formats.
@pytest.mark.parametrize("name", [name for name in SPECS if name != "new_fail_reasons"])
def test_report_csv_cells_have_the_declared_decimals(report: Path, name: str) -> None:
    with open(report / f"{name}.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows, f"{name}.csv is empty: the sample should fill every table"
    checked = 0
    for column, fmt in SPECS[name].formats.items():
        if fmt not in DECIMALS or column not in rows[0]:
            continue
        cells = [row[column] for row in rows if row[column] != ""]
        worst = max((_decimals(cell) for cell in cells), default=0)
        assert worst <= DECIMALS[fmt], (name, column, fmt, max(cells, key=_decimals))
        checked += 1
    assert checked, f"no formatted column checked in {name}.csv"


def test_duration_stats_csv_is_the_table_rounded_to_a_tenth_of_a_second(report: Path) -> None:
    # The README's promise, on the file a user opens: mean_s had six decimals before the fix.
    table = analyse(load_sample()).duration_stats
    written = pd.read_csv(report / "duration_stats.csv")
    assert (table["mean_s"] * 10 % 1).abs().max() > 1e-6  # the raw means do have more decimals
    pd.testing.assert_series_equal(
        written["mean_s"], table["mean_s"].round(1).reset_index(drop=True), check_names=False
    )
    rates = pd.read_csv(report / "failure_rates.csv")["ci_low"]
    expected = analyse(load_sample()).failure_rates["ci_low"].round(6).reset_index(drop=True)
    pd.testing.assert_series_equal(rates, expected, check_names=False)


def test_every_report_table_carries_the_contract_formats() -> None:
    tables = analyse(load_sample()).tables()
    assert set(tables) == set(SPECS)
    for name, table in tables.items():
        assert dict(table.formats) == dict(SPECS[name].formats), name


def test_no_format_dict_outside_the_contract() -> None:
    # Issue 16 §5: seven format dicts sat in five modules; formats are now declared per column, in _core.
    found = []
    for path in PACKAGE.rglob("*.py"):
        if path.parent.name == "_core":
            continue
        for node in ast.parse(path.read_text(encoding="utf-8")).body:  # module-level declarations
            if isinstance(node, ast.AnnAssign) and "Formats" in ast.unparse(node.annotation):
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert not found


def test_a_column_format_follows_its_dtype_unless_declared() -> None:
    column = _schema.Column("n", "int64", "a count")
    assert column.format == "count"
    assert _schema.Column("t", "datetime64[us, UTC]", "a time").format == "time"
    assert _schema.Column("s", "float64", "seconds", format="duration").format == "duration"
    rates = _schema.WHAT_CHANGED_BY_METRIC["failure_rate"].formats
    assert rates["change"] == "percent" and _schema.WHAT_CHANGED.formats["change"] == "number"
    with pytest.raises(KeyError, match="nope"):
        _schema.WHAT_CHANGED.with_formats("x", nope="percent")
