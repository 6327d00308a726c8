"""Regenerate ``docs/columns.md`` and the README's jobs-frame table from ``_schema``.

Run ``python docs/make_columns.py`` after changing a table in ``ddsjobs_analytics/_schema.py``.
"""

from __future__ import annotations

import re
from pathlib import Path

from ddsjobs_analytics._core import _schema
from ddsjobs_analytics._core._schema_inventory import ALL_TABLES

HERE = Path(__file__).resolve().parent
README = HERE.parent / "README.md"
# The contract table: the first run of table lines after the section heading.
_JOBS_TABLE = re.compile(r"(^## The jobs frame: column contract\n.*?\n)((?:\|[^\n]*\n)+)", flags=re.S | re.M)


def main() -> None:
    (HERE / "columns.md").write_text(_schema.columns_document(ALL_TABLES), encoding="utf-8", newline="\n")
    readme = README.read_text(encoding="utf-8")
    updated, count = _JOBS_TABLE.subn(
        lambda m: m.group(1) + _schema.markdown_table(_schema.JOBS) + "\n", readme, count=1
    )
    if count != 1:
        raise SystemExit("README.md: the jobs-frame contract table was not found")
    README.write_text(updated, encoding="utf-8", newline="\n")


if __name__ == "__main__":
    main()
