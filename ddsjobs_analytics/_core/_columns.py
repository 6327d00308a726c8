"""The machinery of the column contract: a :class:`Column` (name, dtype, meaning, display format), a
:class:`TableSpec` of columns, and the checks of a frame against a spec under pandas 2.2 and 3 alike.

The tables themselves are declared in ``_schema``; this module only knows what a column may be.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pyarrow as pa

from ._format import ColumnFormat, Formats

__all__ = [
    "Column",
    "SchemaError",
    "TableSpec",
    "arrow_schema",
    "check_frame",
    "dtype_matches",
    "frame_mismatches",
    "markdown_table",
]

# The dtype of plain text (an Index of labels, a categorical's categories): str in pandas 3, object in 2.2.
_TEXT_DTYPE = pd.Index([], dtype=str).dtype


def _is_text(dtype: object) -> bool:
    return dtype == _TEXT_DTYPE


def _is_string(dtype: object) -> bool:
    return isinstance(dtype, pd.StringDtype) and dtype.na_value is pd.NA


def _is_arrow_string(dtype: object) -> bool:
    return _is_string(dtype) and getattr(dtype, "storage", None) == "pyarrow"


def _is_category(dtype: object) -> bool:
    return isinstance(dtype, pd.CategoricalDtype) and _is_text(dtype.categories.dtype)


def _is_utc_us(dtype: object) -> bool:
    return isinstance(dtype, pd.DatetimeTZDtype) and dtype.unit == "us" and str(dtype.tz) == "UTC"


@dataclass(frozen=True)
class _Kind:
    label: str  # as the README writes it
    matches: Callable[[object], bool]
    arrow: pa.DataType
    format: ColumnFormat  # how a column of this kind is shown unless it declares otherwise


_TIME = pa.timestamp("us", tz="UTC")
# The dtypes a column may declare. "category" means categories of the text dtype (str in pandas 3, object in
# 2.2); "string[pyarrow]" is pandas' Arrow-backed string with pd.NA; "string" allows either storage.
_KINDS: dict[str, _Kind] = {
    "string[pyarrow]": _Kind("string (arrow)", _is_arrow_string, pa.string(), "text"),
    "string": _Kind("string", _is_string, pa.string(), "text"),
    "str": _Kind("str (object in pandas 2.2)", _is_text, pa.string(), "text"),
    "category": _Kind("category", _is_category, pa.string(), "text"),
    "datetime64[us, UTC]": _Kind("datetime64[us, UTC]", _is_utc_us, _TIME, "time"),
    "Int16": _Kind("Int16", lambda dtype: dtype == pd.Int16Dtype(), pa.int16(), "count"),
    "int64": _Kind("int64", lambda dtype: dtype == "int64", pa.int64(), "count"),
    "float64": _Kind("float64", lambda dtype: dtype == "float64", pa.float64(), "number"),
    "list": _Kind("object (lists)", lambda dtype: dtype == np.dtype(object), pa.list_(pa.string()), "text"),
    "dict": _Kind(
        "object (dicts)", lambda dtype: dtype == np.dtype(object), pa.map_(pa.string(), pa.string()), "text"
    ),
    "boolean": _Kind("boolean", lambda dtype: dtype == pd.BooleanDtype(), pa.bool_(), "text"),
    "Int64": _Kind("Int64", lambda dtype: dtype == pd.Int64Dtype(), pa.int64(), "count"),
}


@dataclass(frozen=True)
class Column:
    """One column: its name, its dtype (a key of the kinds above), what it means in one line, and how it is
    shown (:data:`~._format.ColumnFormat`).

    ``format`` travels with the column to every renderer: the CSV writer rounds by it (seconds to 0.1,
    shares and ratios to 1e-6), HTML formats by it ("1h 05m", "12.5%") and Excel sets its number format.
    Left out, it follows the dtype: times are ``time``, integers ``count``, text ``text``, floats ``number``.
    """

    name: str
    dtype: str
    meaning: str
    format: ColumnFormat | None = None

    def __post_init__(self) -> None:
        if self.dtype not in _KINDS:
            raise ValueError(f"column {self.name!r}: unknown dtype {self.dtype!r} (known: {sorted(_KINDS)})")
        if self.format is None:
            object.__setattr__(self, "format", _KINDS[self.dtype].format)

    @property
    def shown_as(self) -> ColumnFormat:
        return self.format or _KINDS[self.dtype].format


@dataclass(frozen=True)
class TableSpec:
    """A table: its columns in order, and the index levels it must have (by name), if any."""

    name: str
    producer: str
    columns: tuple[Column, ...]
    index: tuple[Column, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    @property
    def formats(self) -> Formats:
        """Column (and index level) name → its declared format: what every renderer reads."""
        return {column.name: column.shown_as for column in (*self.index, *self.columns)}

    def with_formats(self, name: str, **formats: ColumnFormat) -> TableSpec:
        """The same table shown differently (e.g. the rate rows of a comparison as percentages)."""
        unknown = set(formats) - {column.name for column in (*self.index, *self.columns)}
        if unknown:
            raise KeyError(f"{self.name} has no column(s) {sorted(unknown)}")

        def shown(column: Column) -> Column:
            return replace(column, format=formats[column.name]) if column.name in formats else column

        return TableSpec(name, self.producer, tuple(map(shown, self.columns)), tuple(map(shown, self.index)))

    def column(self, name: str) -> Column:
        for column in (*self.columns, *self.index):
            if column.name == name:
                return column
        raise KeyError(f"{self.name} has no column {name!r}")

    def pick(self, name: str, producer: str, names: Iterable[str]) -> TableSpec:
        """A table made of some of this one's columns, in the order given."""
        return TableSpec(name, producer, tuple(self.column(n) for n in names))

    def extend(self, name: str, producer: str, *columns: Column, index: Sequence[Column] = ()) -> TableSpec:
        """This table's columns followed by ``columns``."""
        return TableSpec(name, producer, (*self.columns, *columns), tuple(index))


class SchemaError(ValueError):
    """A frame does not match its table spec; ``.mismatches`` lists every difference."""

    def __init__(self, spec: TableSpec, mismatches: list[str]) -> None:
        self.mismatches = mismatches
        super().__init__(f"{spec.name} does not match its contract: " + "; ".join(mismatches))


def dtype_matches(dtype: object, kind: str) -> bool:
    """Whether a pandas dtype is the contract's ``kind`` (under the running pandas version)."""
    return _KINDS[kind].matches(dtype)


def _column_mismatch(name: str, values: pd.Series | pd.Index, column: Column) -> str | None:
    if not dtype_matches(values.dtype, column.dtype):
        return f"{name}: dtype {values.dtype!r}, expected {column.dtype}"
    if column.dtype in ("list", "dict"):
        kind = list if column.dtype == "list" else dict
        bad = [value for value in values if not isinstance(value, kind)]
        if bad:
            return f"{name}: {len(bad)} value(s) are not {column.dtype}s (first: {bad[0]!r})"
    return None


def frame_mismatches(df: pd.DataFrame, spec: TableSpec, *, leading: Sequence[str] = ()) -> list[str]:
    """Every difference between ``df`` and ``spec``: column names and order, dtypes, index levels.

    ``leading`` names columns expected before the spec's own (e.g. the ``by`` columns of
    ``fail_reason_groups``); their dtypes are not checked.
    """
    mismatches: list[str] = []
    expected = [*leading, *spec.names]
    actual = [str(name) for name in df.columns]
    if actual != expected:
        missing = [name for name in expected if name not in actual]
        extra = [name for name in actual if name not in expected]
        detail = f"missing {missing}, unexpected {extra}" if missing or extra else "order differs"
        mismatches.append(f"columns {actual} != {expected} ({detail})")
    for column in spec.columns:
        if column.name in df.columns:
            problem = _column_mismatch(column.name, df[column.name], column)
            if problem:
                mismatches.append(problem)
    for level in spec.index:
        if level.name not in df.index.names:
            mismatches.append(f"index level {level.name!r} missing (index names {list(df.index.names)})")
            continue
        problem = _column_mismatch(f"index {level.name}", df.index.get_level_values(level.name), level)
        if problem:
            mismatches.append(problem)
    return mismatches


def check_frame(df: pd.DataFrame, spec: TableSpec, *, leading: Sequence[str] = ()) -> pd.DataFrame:
    """``df`` unchanged if it matches ``spec``; else raise :class:`SchemaError` listing every difference."""
    mismatches = frame_mismatches(df, spec, leading=leading)
    if mismatches:
        raise SchemaError(spec, mismatches)
    return df


def arrow_schema(spec: TableSpec) -> pa.Schema:
    """The Arrow schema of a table as stored on disk (categories and strings as plain strings)."""
    return pa.schema([pa.field(column.name, _KINDS[column.dtype].arrow) for column in spec.columns])


def markdown_table(spec: TableSpec) -> str:
    """``| column | dtype | meaning |`` rows of a spec, as the README shows them."""
    rows = ["| column | dtype | meaning |", "|---|---|---|"]
    for column in (*spec.index, *spec.columns):
        rows.append(f"| `{column.name}` | {_KINDS[column.dtype].label} | {column.meaning} |")
    return "\n".join(rows)
