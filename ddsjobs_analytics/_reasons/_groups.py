"""Templates of a ``fail_reason`` column, the table of failure groups, and the drill-down to their jobs."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import overload

import numpy as np
import pandas as pd

from .._core._schema import FAIL_REASON_GROUPS
from .._frame import require_columns
from ._learn import VARIABLE_POSITIONS
from ._rules import PlaceholderRule
from ._template import check_variable_positions, template_distinct

__all__ = [
    "fail_reason_groups",
    "fail_reason_template",
    "jobs_in_group",
    "template_id",
    "with_templates",
]


def _check_strings(uniques: np.ndarray, messages: pd.Series) -> None:
    for value in uniques:
        if not isinstance(value, str):
            label = messages.index[messages.eq(value).to_numpy(dtype=bool, na_value=False)][0]
            raise TypeError(
                f"fail_reason_template: message at index {label!r} is {type(value).__name__} {value!r}, "
                "expected a string or NA"
            )


@overload
def fail_reason_template(
    messages: pd.Series,
    *,
    extra_rules: Sequence[PlaceholderRule] = (),
    variable_positions: int = VARIABLE_POSITIONS,
) -> pd.Series: ...
@overload
def fail_reason_template(
    messages: list[str | None] | tuple[str | None, ...],
    *,
    extra_rules: Sequence[PlaceholderRule] = (),
    variable_positions: int = VARIABLE_POSITIONS,
) -> list[str | None]: ...
def fail_reason_template(
    messages: pd.Series | list[str | None] | tuple[str | None, ...],
    *,
    extra_rules: Sequence[PlaceholderRule] = (),
    variable_positions: int = VARIABLE_POSITIONS,
) -> pd.Series | list[str | None]:
    """The template of each failure message, learned from all the distinct messages given.

    Values of a known shape become named placeholders (``<NUM>``, ``<IP>``, ``<HOST>``, ``<ID>``…, see
    :data:`PLACEHOLDER_RULES`; ``extra_rules`` run before them); then, among messages of the same shape, a
    word position that takes more than ``variable_positions`` distinct words (default 3; fewer, and each
    word is a template of its own) becomes ``<*>``. A template therefore depends on the set of
    messages analysed together, never on their order or repetition. Returns a categorical Series (the
    categories are the templates) aligned with ``messages``; NA, empty and blank messages give NA. A list
    (or tuple) of messages gives a list of templates, None for NA.
    """
    if isinstance(messages, (list, tuple)):
        series = fail_reason_template(
            pd.Series(list(messages), dtype=object),
            extra_rules=extra_rules,
            variable_positions=variable_positions,
        )
        return [None if pd.isna(value) else str(value) for value in series.astype(object)]
    if not isinstance(messages, pd.Series):
        raise TypeError(
            "fail_reason_template expects a pandas Series or a list of strings, "
            f"got {type(messages).__name__}"
        )
    check_variable_positions(variable_positions, "fail_reason_template")
    codes, uniques = pd.factorize(messages, use_na_sentinel=True)
    unique_values = np.asarray(uniques, dtype=object)
    _check_strings(unique_values, messages)
    templated = np.array(
        template_distinct(list(unique_values), extra_rules, variable_positions).templates, dtype=object
    )
    template_codes, templates = pd.factorize(templated, use_na_sentinel=True)
    # A message code maps to its template's code; NA messages (-1) and blank templates stay -1.
    lookup = np.append(template_codes, -1)
    final_codes = lookup[np.where(codes >= 0, codes, len(template_codes))]
    categorical = pd.Categorical.from_codes(final_codes, categories=pd.Index(templates, dtype=str))
    return pd.Series(categorical, index=messages.index, name="template")


def template_id(template: str) -> str:
    """A short stable id of a template: 12 hex digits of its BLAKE2b hash (the same in every run)."""
    return hashlib.blake2b(template.encode("utf-8", "surrogatepass"), digest_size=6).hexdigest()


def _ids(templates: pd.Series) -> pd.Series:
    ids = pd.Index([template_id(str(t)) for t in templates.cat.categories], dtype=object)
    codes = templates.cat.codes.to_numpy()
    return pd.Series(
        pd.Categorical.from_codes(codes, categories=ids), index=templates.index, name="template_id"
    )


def with_templates(
    df: pd.DataFrame,
    *,
    extra_rules: Sequence[PlaceholderRule] = (),
    variable_positions: int = VARIABLE_POSITIONS,
) -> pd.DataFrame:
    """A copy of ``df`` with ``reason_template`` and ``template_id`` columns (NA where no ``fail_reason``).

    The templates are learned over all of ``df``'s messages, as in :func:`fail_reason_groups` on ``df``, so
    ``template_id`` matches that table's column.
    """
    require_columns(df, ["fail_reason"], func="with_templates")
    templates = fail_reason_template(
        df["fail_reason"], extra_rules=extra_rules, variable_positions=variable_positions
    )
    return df.assign(reason_template=templates.rename("reason_template"), template_id=_ids(templates))


def jobs_in_group(
    df: pd.DataFrame,
    template_id: str,
    *,
    extra_rules: Sequence[PlaceholderRule] = (),
    variable_positions: int = VARIABLE_POSITIONS,
) -> pd.DataFrame:
    """The rows of ``df`` whose failure message has the template ``template_id`` (a row of
    ``fail_reason_groups(df)``), with their ``reason_template``; newest first, original columns kept."""
    if not isinstance(template_id, str):
        raise TypeError(f"jobs_in_group: template_id must be a str, got {type(template_id).__name__}")
    tagged = with_templates(df, extra_rules=extra_rules, variable_positions=variable_positions)
    rows = tagged.loc[tagged["template_id"].astype(object).eq(template_id).to_numpy(dtype=bool)]
    if "created" in rows.columns:
        rows = rows.sort_values("created", ascending=False, kind="stable", na_position="last")
    return rows


def _as_list(by: str | Sequence[str] | None) -> list[str]:
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    if isinstance(by, (list, tuple)) and all(isinstance(key, str) for key in by):
        return list(by)
    raise TypeError(
        f"fail_reason_groups: by= takes a column name or a list of column names, not a {type(by).__name__}"
    )


_GROUP_COLUMNS = FAIL_REASON_GROUPS.names  # the column contract (``_schema``)
_SAMPLE_SIZE = 5


def fail_reason_groups(
    df: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = None,
    top: int | None = None,
    extra_rules: Sequence[PlaceholderRule] = (),
    variable_positions: int = VARIABLE_POSITIONS,
    templates: pd.Series | None = None,
) -> pd.DataFrame:
    """One row per failure-reason template (per ``by`` group when given), most frequent first.

    Uses the rows whose ``fail_reason`` is not NA or blank (normally the Failed jobs). ``share`` is the
    template's fraction of those rows within its ``by`` group; ``job_types`` is the sorted distinct job
    types joined with ", "; ``instances`` counts distinct instance ids; ``first_seen``/``last_seen`` span
    ``created``; ``example`` is the message of the newest job, ``sample_job_ids[0]`` (up to 5 ids, newest
    first); ``template_id`` names the group for :func:`jobs_in_group`. NA ``by`` values form their own
    group. ``top`` keeps the N most frequent templates per ``by`` group. Templates are learned over all the
    messages of ``df`` (see :func:`fail_reason_template`), so a group is a group of *this* frame.
    ``templates``: that function's result for ``df["fail_reason"]`` when already computed (same index), so
    an analysis that needs both templates them once.
    """
    keys = _as_list(by)
    if top is not None and (isinstance(top, bool) or not isinstance(top, int) or top < 1):
        raise ValueError(f"fail_reason_groups: top must be a positive integer or None, got {top!r}")
    require_columns(
        df, ["job_id", "job_type", "instance_id", "created", "fail_reason", *keys], func="fail_reason_groups"
    )
    clash = sorted(set(keys) & set(_GROUP_COLUMNS))
    if clash or len(set(keys)) != len(keys):
        raise ValueError(
            f"fail_reason_groups: by={keys!r} repeats a column or names an output column {clash}"
        )

    # Internal names, so a by-column such as job_type cannot collide with the working columns.
    by_names = [f"_by{i}" for i in range(len(keys))]
    has_reason = df["fail_reason"].notna().to_numpy(dtype=bool)
    rows = df.loc[has_reason]
    work = pd.DataFrame({name: rows[key] for name, key in zip(by_names, keys, strict=True)})
    for column in ("job_id", "job_type", "instance_id", "created"):
        work[f"_{column}"] = rows[column]
    work["_message"] = rows["fail_reason"]
    if templates is None:
        work["template"] = fail_reason_template(
            work["_message"], extra_rules=extra_rules, variable_positions=variable_positions
        )
    elif templates.index.equals(df.index):
        work["template"] = templates.iloc[np.flatnonzero(has_reason)].set_axis(work.index)
    else:
        raise ValueError(
            "fail_reason_groups: templates= must have the index of df (fail_reason_template's result)"
        )
    work = work.loc[work["template"].notna()]
    # Newest first, so "first" in each group is the newest job (NaT last).
    work = work.sort_values("_created", ascending=False, kind="stable", na_position="last")
    group_keys = [*by_names, "template"]
    grouped = work.groupby(group_keys, observed=True, sort=False, dropna=False)

    result = grouped.agg(
        count=("_job_id", "size"),
        instances=("_instance_id", "nunique"),
        first_seen=("_created", "min"),
        last_seen=("_created", "max"),
        example=("_message", "first"),
    )
    result["job_types"] = _joined_job_types(work, group_keys)
    result["sample_job_ids"] = (
        grouped.head(_SAMPLE_SIZE)
        .groupby(group_keys, observed=True, sort=False, dropna=False)["_job_id"]
        .agg(list)
    )
    result = result.reset_index()
    if by_names:
        totals = result.groupby(by_names, observed=True, dropna=False)["count"].transform("sum")
        result["share"] = result["count"] / totals
    else:
        result["share"] = result["count"] / result["count"].sum()
    result = _sort_groups(result, by_names)
    if top is not None:
        result = (
            result.groupby(by_names, observed=True, dropna=False).head(top) if by_names else result.head(top)
        )
    return _finish_columns(result, by_names).rename(columns=dict(zip(by_names, keys, strict=True)))


def _joined_job_types(work: pd.DataFrame, group_keys: list[str]) -> pd.Series:
    distinct = work[[*group_keys, "_job_type"]].drop_duplicates()
    distinct = distinct.loc[distinct["_job_type"].notna()].astype({"_job_type": object})
    return distinct.groupby(group_keys, observed=True, sort=False, dropna=False)["_job_type"].agg(
        lambda types: ", ".join(sorted(str(t) for t in types))
    )


def _sort_groups(result: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    # Most frequent first; ties broken by the by-keys and the template so the order is reproducible.
    # Categorical by-values sort by their values, not by category code (the order of first appearance), so
    # the order does not depend on the order of the records; NA last.
    order = ["count", *keys, "template"]
    ascending = [False, *([True] * len(keys)), True]
    sortable = result.assign(template=result["template"].astype(str))
    for key in keys:
        column = sortable[key]
        if isinstance(column.dtype, pd.CategoricalDtype):
            sortable[key] = column.cat.reorder_categories(column.cat.categories.sort_values())
    return result.loc[sortable.sort_values(order, ascending=ascending, kind="stable").index].reset_index(
        drop=True
    )


def _finish_columns(result: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    out = result.reindex(columns=[*keys, *_GROUP_COLUMNS])
    string = pd.StringDtype("pyarrow")
    out["template"] = out["template"].astype(object).astype(string)
    out["example"] = out["example"].astype(object).astype(string)
    job_types = out["job_types"].astype(object)
    out["job_types"] = job_types.where(job_types.notna(), "").astype(string)
    out["count"] = out["count"].astype("int64")
    out["instances"] = out["instances"].astype("int64")
    out["share"] = out["share"].astype("float64")
    # Plain lists in an object column: pandas 3 would otherwise keep an Arrow list dtype (string when empty).
    out["sample_job_ids"] = pd.Series(
        [[str(i) for i in ids] for ids in out["sample_job_ids"]], index=out.index, dtype=object
    )
    out["template_id"] = pd.Series(
        [template_id(t) for t in out["template"].astype(object)], index=out.index, dtype=string
    )
    return out
