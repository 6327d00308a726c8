"""Failure reasons: mask the variable parts of DDS ``fail_reason`` messages and group jobs by the result.

A DDS failure message mixes a fixed sentence ("Node … did not respond within 600s.") with values that change
from job to job (ids, addresses, sizes, names). :func:`fail_reason_template` replaces each kind of value
with a named placeholder, applied in the fixed order of :data:`PLACEHOLDER_RULES`;
:func:`fail_reason_groups` counts jobs per template. Messages repeat heavily, so the regexes run once per
distinct message, never once per job.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from ddsjobs_analytics._frame import require_columns

__all__ = [
    "PLACEHOLDER_RULES",
    "PlaceholderRule",
    "adjusted_rand_index",
    "fail_reason_groups",
    "fail_reason_template",
    "grouping_accuracy",
]


class PlaceholderRule(NamedTuple):
    """One masking step: every match of ``pattern`` becomes ``placeholder``.

    ``keep`` may veto a match. ``needs`` lists characters of which any match must contain one: a message
    without any of them skips the regex, which is most of the cost saved (e.g. few messages contain a quote
    or a slash).
    """

    placeholder: str
    pattern: re.Pattern[str]
    description: str
    needs: str = ""
    keep: Callable[[str], bool] | None = None


def _is_path_like(token: str) -> bool:
    # "read/write", "I/O" and "TCP/IP" are words, "backups/2026/x.tar.gz" and "/var/lib/mongodb" are paths;
    # "3/5" (no letter) is left to <NUM>.
    has_letter = any(ch.isalpha() for ch in token)
    return has_letter and (token.count("/") >= 2 or any(ch.isdigit() or ch == "." for ch in token))


# Left/right guards: a value must not be glued to a word character on either side.
_L = r"(?<![\w.])"
_R = r"(?![\w])"
_HEX_CHARS = "[0-9a-fA-F]"
_DIGITS = "0123456789"

# Applied top to bottom, after whitespace runs became single spaces. Containers first (a quoted value or a
# path is one value, whatever it contains), then the most specific value shapes before the shapes they
# contain: a UUID contains hex runs and numbers, a DDS id a hex run, a timestamp and an IP:port numbers, a
# resource name numbers.
PLACEHOLDER_RULES: tuple[PlaceholderRule, ...] = (
    PlaceholderRule(
        "<QUOTED>",
        re.compile(r"""(?<![\w'])'[^']*'(?!\w)|(?<![\w"])"[^"]*"(?!\w)|“[^”]*”|‘[^’]*’"""),
        "text in single, double or curly quotes (names with spaces, object keys, ObjectId('…'))",
        needs="'\"“‘",
    ),
    PlaceholderRule(
        "<PATH>",
        re.compile(
            r"(?:\b(?:obs|s3|https?|file)://[^\s'\"<>]*[^\s'\"<>.,;:)])|(?<![\w./-])/?[\w.-]+(?:/[\w.-]+)+"
        ),
        "URLs (obs://, s3://, http(s)://) and slash-separated object keys or paths that contain a letter "
        "and a digit, a dot or two slashes (so 'read/write' and 'I/O' stay words)",
        needs="/",
        keep=_is_path_like,
    ),
    PlaceholderRule(
        "<UUID>",
        re.compile(rf"(?<![\w-]){_HEX_CHARS}{{8}}(?:-{_HEX_CHARS}{{4}}){{3}}-{_HEX_CHARS}{{12}}(?![\w-])"),
        "8-4-4-4-12 hex UUIDs (job ids, ECS/EVS ids, request ids, security groups)",
        needs="-",
    ),
    PlaceholderRule(
        "<INSTANCE_ID>",
        re.compile(rf"(?<![\w-]){_HEX_CHARS}{{32}}[a-z]{{2}}\d{{2}}{_R}"),
        "DDS resource ids: 32 hex digits + a 4-character kind suffix "
        "(…in02 instance, …no02 node, …gr02 group, …br02 backup)",
        needs=_DIGITS,
    ),
    PlaceholderRule(
        "<TIME>",
        re.compile(
            r"(?<![\w.])(?:\d{4}[-/]\d{1,2}[-/]\d{1,2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?"
            r"(?: ?(?:Z|UTC|GMT|[+-]\d{2}:?\d{2})(?!\w))?)?|\d{8}T\d{6}Z?|\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?)"
            r"(?!\w)"
        ),
        "dates and timestamps: 2026-11-02, 2026-11-02T10:00:00+0800, 2026-11-02 10:00:00.123 UTC, "
        "20191115T033655Z, 10:00:00",
        needs=_DIGITS,
    ),
    PlaceholderRule(
        "<IP:PORT>",
        re.compile(rf"{_L}(?:\d{{1,3}}\.){{3}}\d{{1,3}}:\d{{1,5}}{_R}"),
        "IPv4 address with a port (Mongo host:port)",
        needs=":",
    ),
    PlaceholderRule(
        "<IP>",
        re.compile(rf"{_L}(?:\d{{1,3}}\.){{3}}\d{{1,3}}(?!\w|\.\d)"),
        "IPv4 address",
        needs=".",
    ),
    PlaceholderRule(
        "<ERROR_CODE>",
        re.compile(r"(?<![\w.])[A-Z][A-Za-z]{1,9}\.\d{3,7}(?!\w|\.\d)"),
        "service error codes: DBS.280005, APIGW.0308, Ecs.0319, VPC.0114",
        needs=".",
    ),
    PlaceholderRule(
        "<HEX>",
        re.compile(
            rf"(?<![\w-])(?:0[xX]{_HEX_CHARS}+|{_HEX_CHARS}{{16,}}"
            rf"|(?={_HEX_CHARS}*[a-fA-F])(?={_HEX_CHARS}*\d){_HEX_CHARS}{{8,15}}){_R}"
        ),
        "hex values: 0x…, runs of 16+ hex digits (ObjectIds, hashes), "
        "8-15 hex digits mixing letters and digits",
    ),
    PlaceholderRule(
        "<NAME>",
        re.compile(r"(?<![\w.-])(?=[\w.-]*\d)[A-Za-z][A-Za-z0-9]*(?:[-_.][A-Za-z0-9]+)+(?![\w-])"),
        "resource names joined by - _ or . that start with a letter and contain a digit: OBS buckets "
        "(dds-backup-cn-north-4), instance names (dds-5ff4-sh), AZs (ap-southeast-1a), flavors, host names",
        needs="-_.",
    ),
    PlaceholderRule(
        "<NUM>",
        re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*(?: ?(?:[KMGTPE]i?B|bytes)|[KMGTPE]|%|ms|s|min|m|h|d)?(?!\w)"),
        "numbers, with a decimal part and a unit if any: "
        "42, 3.5, 1,024, 100GB, 100 GB, 16MiB, 90%, 600s, 30000ms",
        needs=_DIGITS,
    ),
)

_WHITESPACE = re.compile(r"\s+")
# Last step: a comma/semicolon-separated run of one placeholder is one value, so a replica set's host list
# ("servers=[h1:p, h2:p]") gives the same template whatever its length.
# Numbers are left alone: "above <NUM>, <NUM> files" are two quantities, not a list.
_RUN_OF_SAME_PLACEHOLDER = re.compile(r"(<(?!NUM>)[A-Z_:]+>)(?: ?[,;] ?\1)+")


def _apply_rule(rule: PlaceholderRule, text: str) -> str:
    if rule.needs and not any(ch in text for ch in rule.needs):
        return text
    if rule.keep is None:
        return rule.pattern.sub(rule.placeholder, text)
    keep = rule.keep
    return rule.pattern.sub(lambda m: rule.placeholder if keep(m.group(0)) else m.group(0), text)


def _template_one(message: str) -> str:
    text = _WHITESPACE.sub(" ", message).strip()
    for rule in PLACEHOLDER_RULES:
        text = _apply_rule(rule, text)
    return _RUN_OF_SAME_PLACEHOLDER.sub(r"\1", text)


def _check_strings(uniques: np.ndarray, messages: pd.Series) -> None:
    for value in uniques:
        if not isinstance(value, str):
            label = messages.index[messages.eq(value).to_numpy(dtype=bool, na_value=False)][0]
            raise TypeError(
                f"fail_reason_template: message at index {label!r} is {type(value).__name__} {value!r}, "
                "expected a string or NA"
            )


def fail_reason_template(messages: pd.Series) -> pd.Series:
    """Replace the variable parts of failure messages with named placeholders.

    Whitespace runs become one space, the rules run in the order of :data:`PLACEHOLDER_RULES`, then a
    comma-separated run of one placeholder (other than ``<NUM>``) becomes that placeholder once. Each distinct
    message is templated once. Returns a categorical Series (categories are the templates) aligned with
    ``messages``; NA, empty and blank messages give NA.
    """
    if not isinstance(messages, pd.Series):
        raise TypeError(f"fail_reason_template expects a pandas Series, got {type(messages).__name__}")
    codes, uniques = pd.factorize(messages, use_na_sentinel=True)
    unique_values = np.asarray(uniques, dtype=object)
    _check_strings(unique_values, messages)
    templated = np.array([_template_one(message) or None for message in unique_values], dtype=object)
    template_codes, templates = pd.factorize(templated, use_na_sentinel=True)
    # A message code maps to its template's code; NA messages (-1) and blank templates stay -1.
    lookup = np.append(template_codes, -1)
    final_codes = lookup[np.where(codes >= 0, codes, len(template_codes))]
    categorical = pd.Categorical.from_codes(final_codes, categories=pd.Index(templates, dtype=object))
    return pd.Series(categorical, index=messages.index, name="template")


def _as_list(by: str | Sequence[str] | None) -> list[str]:
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    return list(by)


_GROUP_COLUMNS = (
    "template",
    "count",
    "share",
    "job_types",
    "instances",
    "first_seen",
    "last_seen",
    "example",
    "sample_job_ids",
)
_SAMPLE_SIZE = 5


def fail_reason_groups(
    df: pd.DataFrame, *, by: str | Sequence[str] | None = None, top: int | None = None
) -> pd.DataFrame:
    """One row per failure-reason template (per ``by`` group when given), most frequent first.

    Uses the rows whose ``fail_reason`` is not NA or blank (normally the Failed jobs). ``share`` is the
    template's fraction of those rows within its ``by`` group; ``job_types`` is the sorted distinct job
    types joined with ", "; ``instances`` counts distinct instance ids; ``first_seen``/``last_seen`` span
    ``created``; ``example`` is the message of the newest job, ``sample_job_ids[0]`` (up to 5 ids, newest
    first). NA ``by`` values form their own group. ``top`` keeps the N most frequent templates per ``by``
    group.
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
    work["template"] = fail_reason_template(work["_message"])
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
    return out


# --- evaluation of a grouping against labels (used by the tests and benchmarks/bench_reasons.py) ---


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
